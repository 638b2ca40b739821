/**
 * The benchmark's targets (docs/benchmarks.md) as one table, {@link TARGETS}: every target a row
 * with its name, its bound, where the bound comes from (the fewest calls the APIs allow, a limit
 * of AWS or of the deployment, a figure an issue set: always the issue that asked for the target)
 * and how its figure is measured. A bound is fixed before the run, from the account's plan and
 * the run's settings, never from the figure it judges. One function, judge (bench/lib/judge.ts),
 * holds a figure to its bound; the minimums are in bench/lib/minimums.ts; the results print as one
 * table (report.ts, targetsTable).
 */

import { type Counts, formatCounts, total } from '../../test/kit/call-counter';
import type { AccountShape, Settle } from './account';
import type { BundleResult } from './bundles';
import {
  atMost,
  type Bound,
  byOperation,
  exactly,
  excess,
  type Figure,
  holdsAll,
  judge,
  type Target,
  type TargetResult,
  yes,
} from './judge';
import { type Projection, project } from './limits';
import {
  batchesOf,
  firstRebuildMinimum,
  listingMinimum,
  type MissedRotation,
  NO_SETTLE,
  rebuildMinimum,
  rotationMinimum,
  scheduledMinimum,
  withNextPages,
} from './minimums';
import type { OwnerAccountsCase, OwnerAccountsResult } from './owner-accounts';
import type { FirstRebuildResult } from './virtual/first-rebuild';
import type { MassRotationResult } from './virtual/mass-rotation';
import { type WavesResult, wavesScenarioText } from './virtual/waves';

/**
 * A handler's bundle: issue 5's 800 KB, raised to 1 MiB by the SDK clients that issues 29, 30
 * and 32 require in the reconciler (CodeDeploy, EventBridge Scheduler, SNS, whose schemas the SDK
 * registers whole whatever the commands used): with them and the features they serve the
 * reconciler went from 741 KB to 904 KB (docs/benchmark-results.md). What a user feels of the
 * size is the cold load, held to its own bound, which did not move.
 */
export const MAX_BUNDLE_BYTES = 1024 * 1024;
export const MAX_COLD_LOAD_MS = 150;
/** A rebuild may spend at most this much more than the account's minimum. */
export const REBUILD_SLACK = 1.1;
/** The slack of a first rebuild's time over its limit (revisions / 20 s plus the listing). */
export const FIRST_REBUILD_SLACK = 1.05;
/** The most one refresh-index invocation may hold of the heap during a first rebuild. */
export const FIRST_REBUILD_MEMORY_MB = 256;
/** A rotation under throttling may take this much longer than the bucket allows. */
const MASS_ROTATION_SLACK = 1.1;

/** Bounds on all the calls of one rotation through the index at one account size, by k, and the issue that set them. */
export interface FixedCalls {
  issue: number;
  size: number;
  byK: Readonly<Record<number, number>>;
}

/**
 * Issue 26's bounds on all the calls of a rotation through the index at S = 1,000 (settling
 * included), beside the minimum operation by operation that every size keeps (`rotationCalls`).
 */
export const ROTATION_CALL_BOUNDS: FixedCalls = { issue: 26, size: 1000, byK: { 1: 16, 10: 60, 100: 450 } };

export type CaseName =
  | 'index rebuild'
  | 'index rebuild again'
  | 'scheduled reconcile'
  | 'scheduled reconcile, missed rotations'
  | 'rotation via index'
  | 'rotation, live scan'
  | 'baseline';

/** One measured run. */
export interface CaseResult {
  size: number;
  k?: number;
  name: CaseName;
  counts: Counts;
  calls: number;
  ecsCalls: number;
  /** Calls to CodeDeploy (the bench's accounts have no CODE_DEPLOY service: none is expected). */
  codeDeployCalls: number;
  wallMs: number;
  projection: Projection;
  /** Services redeployed (UpdateService succeeded). */
  redeployed?: number;
  /** The handler's own memory, run in a child process with its heap capped (bench/lib/probe). */
  memory?: { peakRssBytes: number; peakHeapUsedBytes: number };
  /** The handler's own CPU time (child process), milliseconds. */
  cpuMs?: number;
  /** What settling the redeployed services' other secrets cost (a rotation's), as the plan says. */
  settle?: Settle;
}

/** A case's calls, and which of them pass the minimum. */
function callsFigure(result: CaseResult, minimum: Counts, above: string): Figure {
  const over = excess(result.counts, minimum);
  return {
    text: `${result.calls}${over.length > 0 ? ` (${above}: ${over.join(', ')})` : ''}`,
    values: { calls: result.counts, total: result.calls },
  };
}

/** A rotation's calls less what settling its consumers' other secrets cost. */
function withoutSettling(result: CaseResult): Counts {
  const counts: Counts = new Map(result.counts);
  const settle = result.settle ?? NO_SETTLE;
  counts.set('DescribeSecret', (counts.get('DescribeSecret') ?? 0) - settle.otherSecrets);
  if (settle.pairs > 0) counts.set('BatchGetItem', (counts.get('BatchGetItem') ?? 0) - batchesOf(settle.pairs));
  for (const [op, n] of counts) if (n <= 0) counts.delete(op);
  return counts;
}

// --- the cases the rows judge -----------------------------------------------------------------

export interface RebuildCase {
  result: CaseResult;
  shape: AccountShape;
}
export interface RotationCase {
  result: CaseResult;
  k: number;
  describeBatches: number;
  settle: Settle;
}
export interface ScheduledCase {
  result: CaseResult;
  shape: AccountShape;
  missed: MissedRotation[];
}
export interface MemoryCase {
  result: CaseResult;
  limitMb: number;
}
/** One k's rotations through the index, at every size measured. */
export interface IndependenceCase {
  k: number;
  runs: CaseResult[];
}
export interface BundleCase {
  bundle: BundleResult;
  /** Whether cold load fails the run (a full run) or is only reported (--quick). */
  coldLoadGates: boolean;
}
export interface OwnerCase {
  result: OwnerAccountsResult;
  run: OwnerAccountsCase;
}

const CALLS = 'AWS calls by operation, counted by an SDK middleware on every client (test/kit/call-counter.ts)';
const VIRTUAL_CALLS = 'calls the AWS adapters would make, counted on the in-memory ports (bench/lib/virtual/port-calls.ts)';
const VIRTUAL_REDEPLOYS = 'UpdateService applied per service by the in-memory ECS, in virtual time';
const size = (c: { result: CaseResult }) => ({ size: c.result.size });
const rotationWhat = (r: MassRotationResult) => `k = ${r.settings.k}, ${r.settings.label}`;
const firstRebuildWhat = (r: FirstRebuildResult) =>
  `first rebuild of ${r.settings.revisions} in-use revisions, ${r.settings.lambdaSeconds} s Lambda (virtual)`;
const wavesWhat = (r: WavesResult) => `waves ${r.settings.waves.join('/')}, ${wavesScenarioText(r.scenario)}`;
const peakMb = (r: FirstRebuildResult) => Math.max(0, ...r.invocations.map((i) => i.peakHeapBytes)) / 2 ** 20;
const assumes = (run: OwnerAccountsCase) => run.counts.get('AssumeRole') ?? 0;
const owners = (c: OwnerCase) => ({ size: c.result.services });

/**
 * Every target, a row each. Rebuilds, rotations, scheduled reconciles and memory run against
 * moto (bench/lib/moto-size.ts); a rotation under throttling, waves and the first rebuild in
 * virtual time; secrets of other accounts against one moto serving three accounts.
 */
export const TARGETS = {
  rebuildDescribed: {
    name: 'index rebuild: each in-use task definition described once',
    from: { basis: 'API minimum', issue: 5 },
    measured: CALLS,
    where: size,
    bound: (c) => exactly('described', c.shape.inUseTaskDefinitions, `= ${c.shape.inUseTaskDefinitions} in use`),
    figure: (c) => described(c.result),
  } satisfies Target<RebuildCase>,
  rebuildCalls: {
    name: "index rebuild: calls within 10% of the account's minimum",
    from: { basis: 'API minimum', issue: 5 },
    measured: CALLS,
    where: size,
    bound: (c) => rebuildBound(withNextPages(firstRebuildMinimum(c.shape), c.result.counts)),
    figure: (c) => callsFigure(c.result, withNextPages(firstRebuildMinimum(c.shape), c.result.counts), 'above the minimum'),
  } satisfies Target<RebuildCase>,
  rebuildAgainDescribed: {
    name: 'index rebuild again (index current): no task definition described (revision cache)',
    from: { basis: 'API minimum', issue: 13 },
    measured: CALLS,
    where: size,
    bound: () => exactly('described', 0),
    figure: (c) => described(c.result),
  } satisfies Target<RebuildCase>,
  rebuildAgainListing: {
    name: 'index rebuild again (index current): ECS calls and ECS-limited time within 10% of listing and describing the services alone',
    from: { basis: 'API minimum', issue: 13 },
    measured: `${CALLS}; their seconds projected under the ECS limits from full buckets (bench/lib/limits.ts)`,
    where: size,
    bound: (c) => {
      const listing = listingMinimum(c.shape);
      const seconds = project(listing, () => true).seconds;
      return {
        text:
          `<= ${Math.floor(total(listing) * REBUILD_SLACK)} calls and <= ${(seconds * REBUILD_SLACK).toFixed(1)} s ` +
          `(listing ${total(listing)}: ${formatCounts(listing)}; ${seconds.toFixed(1)} s)`,
        limits: [
          { of: 'ecsCalls', at: 'most', value: total(listing) * REBUILD_SLACK },
          { of: 'seconds', at: 'most', value: seconds * REBUILD_SLACK },
        ],
      };
    },
    figure: (c) => {
      const listing = listingMinimum(c.shape);
      // Not ECS: DescribeSecret and DynamoDB, shown for what they are.
      const others = new Map([...c.result.counts].filter(([op]) => !listing.has(op) && op !== 'DescribeTaskDefinition'));
      return {
        text: `${c.result.ecsCalls} ECS calls, ${c.result.projection.seconds.toFixed(1)} s; besides, ${total(others)} calls: ${formatCounts(others)}`,
        values: { ecsCalls: c.result.ecsCalls, seconds: c.result.projection.seconds },
      };
    },
  } satisfies Target<RebuildCase>,
  rebuildAgainCalls: {
    name: "index rebuild again (index current): calls within 10% of the account's minimum",
    from: { basis: 'API minimum', issue: 5 },
    measured: CALLS,
    where: size,
    bound: (c) => rebuildBound(withNextPages(rebuildMinimum(c.shape, false), c.result.counts)),
    figure: (c) => callsFigure(c.result, withNextPages(rebuildMinimum(c.shape, false), c.result.counts), 'above the minimum'),
  } satisfies Target<RebuildCase>,
  rotationCalls: {
    name: 'rotation via index: calls by operation within 3k + ceil(k/10) + ceil((k+1)/10) + 4 (further Query pages as answered) + settling other secrets',
    from: { basis: 'API minimum', issue: 5 },
    measured: CALLS,
    where: (c) => ({ size: c.result.size, k: c.k }),
    bound: (c) => byOperation(rotationMinimumOf(c)),
    figure: (c) => callsFigure(c.result, rotationMinimumOf(c), 'above'),
  } satisfies Target<RotationCase>,
  rotationBound: rotationBoundTarget(ROTATION_CALL_BOUNDS),
  rotationWaits: {
    // Up to k = 1,000 no other action passes its burst; past it the ceil(k/10) DescribeServices
    // do (100, 20/s), for seconds against UpdateService's minutes.
    name: 'rotation via index: under ECS limits UpdateService is what waits (others under 1% of its wait)',
    from: { basis: 'limit', issue: 5 },
    measured: "each ECS action's wait under its token bucket, projected from the calls (bench/lib/limits.ts)",
    where: (c) => ({ size: c.result.size, k: c.k }),
    bound: (c) => {
      // The wait of the k UpdateService calls the rotation must make, not of those it made.
      const updateWait = project(new Map([['UpdateService', c.k]]), () => true).waitByAction.get('UpdateService') ?? 0;
      return atMost('others', updateWait / 100, `others <= ${(updateWait / 100).toFixed(1)} s`);
    },
    figure: (c) => {
      const others = [...c.result.projection.waitByAction].filter(([op, wait]) => op !== 'UpdateService' && wait > 0);
      const updateWait = c.result.projection.waitByAction.get('UpdateService') ?? 0;
      return {
        text: `UpdateService ${updateWait.toFixed(1)} s, ${others.length === 0 ? 'others 0 s' : others.map(([op, w]) => `${op} ${w.toFixed(1)} s`).join(', ')}`,
        values: { others: others.reduce((sum, [, wait]) => sum + wait, 0) },
      };
    },
  } satisfies Target<RotationCase>,
  rotationNoCodeDeploy: {
    name: 'rotation via index, no CODE_DEPLOY service among its consumers: no CodeDeploy call',
    from: { basis: 'issue', issue: 29 },
    measured: `${CALLS}, those of the CodeDeploy client`,
    where: (c) => ({ size: c.result.size, k: c.k }),
    bound: () => exactly('codeDeploy', 0, '0 CodeDeploy calls'),
    figure: (c) => ({ text: `${c.result.codeDeployCalls} CodeDeploy calls`, values: { codeDeploy: c.result.codeDeployCalls } }),
  } satisfies Target<RotationCase>,
  rotationIndependent: {
    name: 'rotation via index: calls independent of S (settling other secrets aside)',
    from: { basis: 'API minimum', issue: 5 },
    measured: `${CALLS}, less the DescribeSecret and BatchGetItem of settling (the plan's count)`,
    where: (c) => ({ k: c.k }),
    bound: () => exactly('shapes', 1, 'same calls by operation at every S'),
    figure: (c) => ({
      text: c.runs
        .map((r) => `S=${r.size}: ${r.calls}${r.settle?.pairs ? ` (${total(withoutSettling(r))} without settling)` : ''}`)
        .join(', '),
      // Settling depends on how many other secrets the k consumers use, which the plan varies with S.
      values: { shapes: new Set(c.runs.map((r) => formatCounts(withoutSettling(r)))).size },
    }),
  } satisfies Target<IndependenceCase>,
  scheduledCalls: {
    name: (c) =>
      c.missed.length === 0
        ? 'scheduled reconcile, nothing changed: one DescribeSecret per secret, two scans, no ECS call, no write'
        : `scheduled reconcile, ${c.missed.length} missed rotations: what their rotations cost, no more`,
    from: { basis: 'API minimum', issue: 10 },
    measured: CALLS,
    where: size,
    bound: (c) => byOperation(scheduledMinimumOf(c)),
    figure: (c) => callsFigure(c.result, scheduledMinimumOf(c), 'above'),
  } satisfies Target<ScheduledCase>,
  handlerMemory: {
    subject: (c) => c.result.name,
    name: (c) => `handler peak memory within ${c.limitMb} MB`,
    from: { basis: 'issue', issue: 13 },
    measured: "the handler child's peak resident set (getrusage), its V8 heap capped (bench/lib/probe)",
    where: (c) => ({ size: c.result.size, k: c.result.k }),
    bound: (c) => atMost('rss', c.limitMb, `<= ${c.limitMb} MB`),
    figure: (c) => {
      const rss = (c.result.memory?.peakRssBytes ?? 0) / 2 ** 20;
      return {
        text: `${rss.toFixed(0)} MB RSS, ${((c.result.memory?.peakHeapUsedBytes ?? 0) / 2 ** 20).toFixed(0)} MB heap`,
        values: { rss },
      };
    },
  } satisfies Target<MemoryCase>,
  massRotationOnce: {
    subject: rotationWhat,
    name: 'every service redeployed exactly once',
    from: { basis: 'issue', issue: 10 },
    measured: VIRTUAL_REDEPLOYS,
    where: (r) => ({ k: r.settings.k }),
    bound: (r) => exactly('once', r.settings.k, `${r.settings.k} once`),
    figure: (r) => ({ text: `${r.once} once, ${r.never} never, ${r.twice} more than once`, values: { once: r.once } }),
  } satisfies Target<MassRotationResult>,
  massRotationTime: {
    subject: rotationWhat,
    name: 'total time within 10% of (k - burst) / rate, and not under it (the rate holds)',
    from: { basis: 'limit', issue: 10 },
    measured: 'virtual seconds from the rotation to the last UpdateService, Lambda invocations of 60 s chained',
    where: (r) => ({ k: r.settings.k }),
    bound: (r) => ({
      text: `${(r.floorSeconds - 1).toFixed(1)} s to ${(r.floorSeconds * MASS_ROTATION_SLACK).toFixed(1)} s`,
      limits: [
        { of: 'seconds', at: 'least', value: r.floorSeconds - 1 },
        { of: 'seconds', at: 'most', value: r.floorSeconds * MASS_ROTATION_SLACK },
      ],
    }),
    figure: (r) => ({ text: `${r.seconds.toFixed(1)} s`, values: { seconds: r.seconds } }),
  } satisfies Target<MassRotationResult>,
  massRotationNoThrottle: {
    subject: rotationWhat,
    name: "ECS never throttles our UpdateService (our bucket is no bigger than ECS's)",
    from: { basis: 'limit', issue: 10 },
    measured: "UpdateService refused by the in-memory ECS's token bucket (ECS's own figures)",
    where: (r) => ({ k: r.settings.k }),
    // A bucket bigger than ECS's is bound to be throttled: nothing to hold then.
    bound: (r) =>
      r.settings.ours.perSecond > r.settings.ecs.perSecond || r.settings.ours.burst > r.settings.ecs.burst
        ? { text: "any (our bucket is bigger than ECS's)", limits: [] }
        : exactly('throttles', 0, '0'),
    figure: (r) => ({ text: `${r.throttles} throttled`, values: { throttles: r.throttles } }),
  } satisfies Target<MassRotationResult>,
  wavesOnceInOrder: {
    subject: wavesWhat,
    name: 'every service redeployed exactly once, waves in order',
    from: { basis: 'issue', issue: 11 },
    measured: `${VIRTUAL_REDEPLOYS}; each wave's first UpdateService against the previous wave's last completion`,
    bound: () => holdsAll('exactly once, in order', 'once', 'inOrder'),
    figure: (r) => ({
      text: `${r.exactlyOnce ? 'exactly once' : 'NOT exactly once'}, ${r.inOrder ? 'in order' : 'NOT in order'}`,
      values: { once: yes(r.exactlyOnce), inOrder: yes(r.inOrder) },
    }),
  } satisfies Target<WavesResult>,
  wavesCompleted: {
    subject: wavesWhat,
    name: 'the rollout is recorded completed',
    from: { basis: 'issue', issue: 11 },
    measured: "the rollout's row in the in-memory ledger, in virtual minutes after the rotation",
    bound: () => holdsAll('completed', 'completed'),
    figure: (r) => ({
      text: r.completedAt === undefined ? 'never' : `${(r.completedAt / 60).toFixed(1)} min after the rotation`,
      values: { completed: yes(r.completedAt !== undefined) },
    }),
  } satisfies Target<WavesResult>,
  wavesPoll: {
    // Each wave's deployments are polled once (the first schedule after they ended), and never
    // listed (UpdateService named each record).
    subject: wavesWhat,
    name: "the poll describes ECS's deployment records 20 per call, lists none",
    from: { basis: 'API minimum', issue: 18 },
    measured: VIRTUAL_CALLS,
    bound: (r) => {
      const most = r.settings.waves.reduce((n, w) => n + Math.ceil(w / 20), 0);
      return {
        text: `at most ${most} (sum of ceil(wave / 20)), 0`,
        limits: [
          { of: 'described', at: 'least', value: 1 },
          { of: 'described', at: 'most', value: most },
          { of: 'listed', at: 'exactly', value: 0 },
        ],
      };
    },
    figure: (r) => {
      const count = (op: string) => r.calls.reduce((n, c) => n + (c.counts.get(op) ?? 0), 0);
      const described = count('DescribeServiceDeployments');
      const listed = count('ListServiceDeployments');
      return {
        text: `${described} DescribeServiceDeployments, ${listed} ListServiceDeployments`,
        values: { described, listed },
      };
    },
  } satisfies Target<WavesResult>,
  firstRebuildCompletes: {
    subject: firstRebuildWhat,
    name: 'completes through the continuation, the index complete',
    from: { basis: 'issue', issue: 19 },
    measured: 'the rebuild store and the in-memory index after the chain of invocations',
    bound: (r) => ({
      text: `complete; ${r.expectedEntries} entries`,
      limits: [
        { of: 'completed', at: 'exactly', value: 1 },
        { of: 'entries', at: 'exactly', value: r.expectedEntries },
      ],
    }),
    figure: (r) => ({
      text: `${r.completed ? 'completed' : 'not completed'} in ${r.invocations.length} invocations; ${r.indexEntries} index entries`,
      values: { completed: yes(r.completed), entries: r.indexEntries },
    }),
  } satisfies Target<FirstRebuildResult>,
  firstRebuildOnce: {
    subject: firstRebuildWhat,
    name: 'each revision described once',
    from: { basis: 'API minimum', issue: 19 },
    measured: 'DescribeTaskDefinition asked of the in-memory ECS, per revision, across the invocations',
    bound: (r) => ({
      text: `= ${r.settings.revisions}, none twice`,
      limits: [
        { of: 'described', at: 'exactly', value: r.settings.revisions },
        { of: 'twice', at: 'exactly', value: 0 },
      ],
    }),
    figure: (r) => ({
      text: `${r.described} DescribeTaskDefinition, ${r.describedTwice} revisions twice`,
      values: { described: r.described, twice: r.describedTwice },
    }),
  } satisfies Target<FirstRebuildResult>,
  firstRebuildTime: {
    subject: firstRebuildWhat,
    name: 'time within 5% of describing the revisions at 20/s plus listing the services',
    from: { basis: 'limit', issue: 19 },
    measured: "virtual seconds, the in-memory ECS pacing each read by ECS's token buckets",
    bound: (r) =>
      atMost(
        'seconds',
        r.limitSeconds * FIRST_REBUILD_SLACK,
        `<= ${(r.limitSeconds * FIRST_REBUILD_SLACK).toFixed(1)} s (${r.settings.revisions} / 20 + ${r.listingSeconds.toFixed(1)} s = ${r.limitSeconds.toFixed(1)} s)`,
      ),
    figure: (r) => ({ text: `${r.seconds.toFixed(1)} s`, values: { seconds: r.seconds } }),
  } satisfies Target<FirstRebuildResult>,
  firstRebuildHeap: {
    subject: firstRebuildWhat,
    name: 'peak heap of one invocation',
    from: { basis: 'issue', issue: 19 },
    measured: "V8 heap sampled every 5 ms and at each page, less the heap before the invocation and the in-memory AWS's growth",
    bound: () => ({ text: `< ${FIRST_REBUILD_MEMORY_MB} MB`, limits: [{ of: 'heap', at: 'below', value: FIRST_REBUILD_MEMORY_MB }] }),
    figure: (r) => ({ text: `${peakMb(r).toFixed(0)} MB`, values: { heap: peakMb(r) } }),
  } satisfies Target<FirstRebuildResult>,
  ownerColdAssumes: {
    // A cold container: the first index rebuild, or a scheduled reconcile in a new Lambda.
    name: (c) =>
      `owner secrets: AssumeRole per ${c.run.name === 'index rebuild' ? 'index rebuild' : 'scheduled reconcile, cold container'}`,
    from: { basis: 'API minimum', issue: 17 },
    measured: CALLS,
    where: owners,
    bound: (c) => atMost('assumes', c.result.spec.owners, `<= ${c.result.spec.owners} (one per owner account)`),
    figure: (c) => ({ text: String(assumes(c.run)), values: { assumes: assumes(c.run) } }),
  } satisfies Target<OwnerCase>,
  ownerDescribes: {
    name: 'owner secrets: DescribeSecret per scheduled reconcile',
    from: { basis: 'API minimum', issue: 17 },
    measured: CALLS,
    where: owners,
    bound: (c) => atMost('describes', c.result.secrets, `<= ${c.result.secrets} (one per secret)`),
    figure: (c) => {
      const describes = c.run.counts.get('DescribeSecret') ?? 0;
      return { text: String(describes), values: { describes } };
    },
  } satisfies Target<OwnerCase>,
  ownerMissedCaught: {
    name: 'owner secrets: missed rotations caught by the schedule',
    from: { basis: 'issue', issue: 17 },
    measured: "services the scheduled reconcile's report says it redeployed",
    where: owners,
    bound: (c) => exactly('redeployed', c.result.spec.missed),
    figure: (c) => ({ text: `${c.run.redeployed ?? 0} redeployed`, values: { redeployed: c.run.redeployed ?? -1 } }),
  } satisfies Target<OwnerCase>,
  ownerWarmAssumes: {
    name: 'owner secrets: AssumeRole per scheduled reconcile, warm container',
    from: { basis: 'API minimum', issue: 17 },
    measured: `${CALLS}; and the services redeployed (none: nothing changed)`,
    where: owners,
    bound: () => ({
      text: '= 0 (credentials cached for their lifetime)',
      limits: [
        { of: 'assumes', at: 'exactly', value: 0 },
        { of: 'redeployed', at: 'exactly', value: 0 },
      ],
    }),
    figure: (c) => ({ text: String(assumes(c.run)), values: { assumes: assumes(c.run), redeployed: c.run.redeployed ?? -1 } }),
  } satisfies Target<OwnerCase>,
  bundleSize: {
    subject: (c) => `bundle ${c.bundle.handler}`,
    name: 'size',
    from: { basis: 'issue', issue: 5, movedBy: [29, 30, 32] },
    measured: 'bytes of the handler bundled with esbuild as serverless.yml does (bench/lib/bundles.ts)',
    bound: () => atMost('bytes', MAX_BUNDLE_BYTES, `<= ${MAX_BUNDLE_BYTES / 1024} KB`),
    figure: (c) => ({ text: `${(c.bundle.bytes / 1024).toFixed(0)} KB`, values: { bytes: c.bundle.bytes } }),
  } satisfies Target<BundleCase>,
  bundleColdLoad: {
    subject: (c) => `bundle ${c.bundle.handler}`,
    name: 'cold load (require)',
    from: { basis: 'issue', issue: 5 },
    measured: 'require() of the bundle in a fresh node process, median of the runs (wall clock)',
    bound: () => atMost('ms', MAX_COLD_LOAD_MS, `<= ${MAX_COLD_LOAD_MS} ms`),
    figure: (c) => ({ text: `${c.bundle.coldLoadMs.toFixed(0)} ms`, values: { ms: c.bundle.coldLoadMs } }),
    advisory: (c) => !c.coldLoadGates,
  } satisfies Target<BundleCase>,
} as const;

/** The row of all a rotation's calls within the bound an issue set for its k at one account size. */
export function rotationBoundTarget(fixed: FixedCalls): Target<RotationCase> {
  return {
    name: `rotation via index: all its calls within issue ${fixed.issue}'s bound at S = ${fixed.size.toLocaleString('en-US')}`,
    from: { basis: 'issue', issue: fixed.issue },
    measured: CALLS,
    where: (c) => ({ size: c.result.size, k: c.k }),
    bound: (c) => atMost('total', fixed.byK[c.k] ?? Number.NaN),
    figure: (c) => ({ text: String(c.result.calls), values: { total: c.result.calls } }),
  };
}

/** Whether the issue's fixed bound speaks of this rotation (its size and k). */
function boundApplies(fixed: FixedCalls, c: RotationCase): boolean {
  return c.result.size === fixed.size && fixed.byK[c.k] !== undefined;
}

function described(result: CaseResult): Figure {
  const n = result.counts.get('DescribeTaskDefinition') ?? 0;
  return { text: `${n} DescribeTaskDefinition`, values: { described: n } };
}

function rebuildBound(minimum: Counts): Bound {
  const min = total(minimum);
  return atMost('total', min * REBUILD_SLACK, `<= ${Math.floor(min * REBUILD_SLACK)} (minimum ${min}: ${formatCounts(minimum)})`);
}

function rotationMinimumOf(c: RotationCase): Counts {
  return withNextPages(rotationMinimum(c.k, c.describeBatches, c.settle), c.result.counts);
}

function scheduledMinimumOf(c: ScheduledCase): Counts {
  return withNextPages(scheduledMinimum(c.shape, c.missed), c.result.counts);
}

// --- the rows judged on each kind of case -----------------------------------------------------

/** Targets of one rebuild: the first (`fresh`, on an empty table) or again with the index current. */
export function rebuildTargets(result: CaseResult, shape: AccountShape, fresh: boolean): TargetResult[] {
  const c = { result, shape };
  return fresh
    ? [judge(TARGETS.rebuildDescribed, c), judge(TARGETS.rebuildCalls, c)]
    : [judge(TARGETS.rebuildAgainDescribed, c), judge(TARGETS.rebuildAgainListing, c), judge(TARGETS.rebuildAgainCalls, c)];
}

/** Targets of one rotation through the index. */
export function rotationTargets(result: CaseResult, k: number, describeBatches: number, settle: Settle = NO_SETTLE): TargetResult[] {
  const c = { result, k, describeBatches, settle };
  const bound = boundApplies(ROTATION_CALL_BOUNDS, c) ? [judge(TARGETS.rotationBound, c)] : [];
  return [judge(TARGETS.rotationCalls, c), ...bound, judge(TARGETS.rotationWaits, c), judge(TARGETS.rotationNoCodeDeploy, c)];
}

/** Targets of a scheduled reconcile. */
export function scheduledTargets(result: CaseResult, shape: AccountShape, missed: MissedRotation[]): TargetResult[] {
  const c = { result, shape, missed };
  return [judge(TARGETS.scheduledCalls, c)];
}

/** The handler's peak memory (resident set), heap capped, within the goal. */
export function memoryTargets(results: CaseResult[], limitMb: number): TargetResult[] {
  return results.filter((r) => r.memory).map((result) => judge(TARGETS.handlerMemory, { result, limitMb }));
}

/** For each k measured at several sizes: the same calls, operation by operation, whatever S. */
export function independenceTargets(results: CaseResult[]): TargetResult[] {
  const byK = new Map<number, CaseResult[]>();
  for (const r of results) if (r.name === 'rotation via index' && r.k !== undefined) byK.set(r.k, [...(byK.get(r.k) ?? []), r]);
  return [...byK]
    .sort((a, b) => a[0] - b[0])
    .filter(([, runs]) => runs.length >= 2)
    .map(([k, runs]) => judge(TARGETS.rotationIndependent, { k, runs }));
}

/**
 * Bundle size and cold load per handler. Cold load is a wall-clock time on whatever machine runs
 * the bench: a gate in a full run, but only reported by the CI smoke run (`--quick`), where a busy
 * shared machine would fail it for reasons that are not the code's.
 */
export function bundleTargets(bundles: BundleResult[], coldLoadGates: boolean): TargetResult[] {
  return bundles.flatMap((bundle) => [
    judge(TARGETS.bundleSize, { bundle, coldLoadGates }),
    judge(TARGETS.bundleColdLoad, { bundle, coldLoadGates }),
  ]);
}

/**
 * A first index rebuild in virtual time, through a chain of Lambda invocations: it completes,
 * describes each revision once, indexes every service, takes no longer than describing the
 * revisions at 20/s plus listing the services (with 5% slack), and no invocation's heap passes 256 MB.
 */
export function firstRebuildTargets(results: FirstRebuildResult[]): TargetResult[] {
  return results.flatMap((r) => [
    judge(TARGETS.firstRebuildCompletes, r),
    judge(TARGETS.firstRebuildOnce, r),
    judge(TARGETS.firstRebuildTime, r),
    judge(TARGETS.firstRebuildHeap, r),
  ]);
}

/** A rotation of k services in virtual time: exactly once, as fast as the buckets allow and no faster, no throttle. */
export function massRotationTargets(results: MassRotationResult[]): TargetResult[] {
  return results.flatMap((r) => [
    judge(TARGETS.massRotationOnce, r),
    judge(TARGETS.massRotationTime, r),
    judge(TARGETS.massRotationNoThrottle, r),
  ]);
}

/** A rollout in waves: exactly once, each wave after the one before ended, the rollout completed; the schedule's poll batched. */
export function wavesTargets(results: WavesResult[]): TargetResult[] {
  return results.flatMap((r) => [
    judge(TARGETS.wavesOnceInOrder, r),
    judge(TARGETS.wavesCompleted, r),
    ...(r.scenario === 'schedule' ? [judge(TARGETS.wavesPoll, r)] : []),
  ]);
}

/**
 * Secrets of other accounts: a cold container assumes each owner's read role once, whatever the
 * number of secrets; a warm one not at all; each owner secret is described once per scheduled
 * reconcile; the missed rotations are caught, each consumer redeployed once.
 */
export function ownerAccountsTargets(result: OwnerAccountsResult): TargetResult[] {
  const of = (name: OwnerAccountsCase['name']) => result.cases.find((c) => c.name === name);
  const rebuild = of('index rebuild');
  const cold = of('scheduled reconcile, cold');
  const warm = of('scheduled reconcile, warm');
  return [
    ...(rebuild ? [judge(TARGETS.ownerColdAssumes, { result, run: rebuild })] : []),
    ...(cold
      ? [
          judge(TARGETS.ownerColdAssumes, { result, run: cold }),
          judge(TARGETS.ownerDescribes, { result, run: cold }),
          judge(TARGETS.ownerMissedCaught, { result, run: cold }),
        ]
      : []),
    ...(warm ? [judge(TARGETS.ownerWarmAssumes, { result, run: warm })] : []),
  ];
}
