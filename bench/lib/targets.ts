/**
 * The benchmark's targets (docs/benchmarks.md), evaluated on measured figures. Each target yields one PASS/FAIL row.
 */

import { type Counts, formatCounts, total } from '../../test/kit/call-counter';
import type { AccountShape, Settle } from './account';
import type { BundleResult } from './bundles';
import { type Projection, project } from './limits';
import type { FirstRebuildResult } from './virtual/first-rebuild';
import type { MassRotationResult } from './virtual/mass-rotation';
import { type WavesResult, wavesScenarioText } from './virtual/waves';

export const MAX_BUNDLE_BYTES = 800 * 1024;
export const MAX_COLD_LOAD_MS = 150;
/** A rebuild may spend at most this much more than the account's minimum. */
export const REBUILD_SLACK = 1.1;

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

export interface TargetResult {
  target: string;
  size?: number;
  k?: number;
  figure: string;
  limit: string;
  pass: boolean;
  /** Reported, never failing the run: a figure of the machine more than of the code (cold load in --quick). */
  advisory?: boolean;
}

/** Whether a target fails the run. */
export const failing = (t: TargetResult) => !t.pass && t.advisory !== true;

/**
 * What listing and describing the account's services costs at the least, the part of a rebuild
 * that no cache can save: list the clusters, list and describe each cluster's services (pages of
 * 100, batches of 10), and list each cluster's standalone tasks (one page each here: the account
 * has none).
 */
export function listingMinimum(shape: AccountShape): Counts {
  const sum = (f: (n: number) => number) => shape.servicesPerCluster.reduce((acc, n) => acc + f(n), 0);
  return new Map([
    ['ListClusters', Math.max(1, Math.ceil(shape.clusters / 100))],
    ['ListServices', sum((n) => Math.max(1, Math.ceil(n / 100)))],
    ['DescribeServices', sum((n) => Math.ceil(n / 10))],
    ['ListTasks', shape.clusters],
  ]);
}

/**
 * The fewest calls a rebuild of this account can make, by operation: the listing above; describe
 * each in-use task definition once on a fresh table (none when the revision cache holds them all)
 * and each referenced secret once; read the stored index and the cache (one Scan page per 1 MB, as
 * answered); write what changed in batches of 25 (on a fresh table every entry plus one
 * list-of-secrets item per indexed service, and one cache row per in-use task definition; nothing
 * when the index is current); and record the rebuild (one PutItem). A rebuild that can go on in
 * another run also keeps its own progress under a lease: read it (GetItem), take it and check it
 * before switching the index (two conditional PutItems), delete it at the end (a Query of its
 * partition, one BatchWriteItem); a run longer than a minute adds a checkpoint a minute, which
 * no run here reaches.
 */
export function rebuildMinimum(shape: AccountShape, fresh: boolean, scanPages: number): Counts {
  const writes = fresh ? Math.ceil((shape.indexEntries + shape.indexedServices) / 25) + Math.ceil(shape.inUseTaskDefinitions / 25) : 0;
  const minimum: [string, number][] = [
    ...listingMinimum(shape),
    ['DescribeTaskDefinition', fresh ? shape.inUseTaskDefinitions : 0],
    ['DescribeSecret', shape.referencedSecrets],
    ['Scan', Math.max(1, scanPages)],
    ['BatchWriteItem', writes + 1],
    ['PutItem', 1 + 2],
    ['GetItem', 1],
    ['Query', 1],
  ];
  return new Map(minimum.filter(([, n]) => n > 0));
}

/**
 * The fewest calls of a first rebuild (on a table without index or ledger): those of
 * {@link rebuildMinimum}, a Scan of the index and one of the ledger (at least one page each),
 * one conditional PutItem per (secret, service) pair that follows a stage: its first record,
 * judged from evidence, with one ListSecretVersionIds per secret that has such a pair.
 * Conditional (it must not overwrite a record a reconcile wrote meanwhile), so not batched:
 * BatchWriteItem takes no condition. The secrets' states come from resolving the references:
 * no second DescribeSecret.
 */
export function firstRebuildMinimum(shape: AccountShape, scanPages: number): Counts {
  const minimum = rebuildMinimum(shape, true, scanPages);
  minimum.set('Scan', Math.max(2, scanPages));
  minimum.set('PutItem', (minimum.get('PutItem') ?? 0) + shape.baselinePairs);
  if (shape.firstSeenSecrets > 0) minimum.set('ListSecretVersionIds', shape.firstSeenSecrets);
  return minimum;
}

/** Targets of one rebuild. */
export function rebuildTargets(result: CaseResult, shape: AccountShape, fresh: boolean): TargetResult[] {
  const minimum = fresh
    ? firstRebuildMinimum(shape, result.counts.get('Scan') ?? 1)
    : rebuildMinimum(shape, fresh, result.counts.get('Scan') ?? 1);
  const min = total(minimum);
  const described = result.counts.get('DescribeTaskDefinition') ?? 0;
  const excess = [...result.counts]
    .map(([op, n]) => [op, n - (minimum.get(op) ?? 0)] as const)
    .filter(([, over]) => over > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([op, over]) => `${op} +${over}`);
  const label = fresh ? 'index rebuild' : 'index rebuild again (index current)';
  const expected = fresh ? shape.inUseTaskDefinitions : 0;
  return [
    {
      target: fresh ? `${label}: each in-use task definition described once` : `${label}: no task definition described (revision cache)`,
      size: result.size,
      figure: `${described} DescribeTaskDefinition`,
      limit: fresh ? `= ${shape.inUseTaskDefinitions} in use` : '= 0',
      pass: described === expected,
    },
    ...(fresh ? [] : [listingTarget(result, shape, label)]),
    {
      target: `${label}: calls within 10% of the account's minimum`,
      size: result.size,
      figure: `${result.calls}${excess.length > 0 ? ` (above the minimum: ${excess.join(', ')})` : ''}`,
      limit: `<= ${Math.floor(min * REBUILD_SLACK)} (minimum ${min}: ${formatCounts(minimum)})`,
      pass: result.calls <= min * REBUILD_SLACK,
    },
  ];
}

/**
 * The steady state against listing and describing the services alone: its ECS calls, and their
 * time under the ECS limits, within 10% of the listing's. DescribeSecret (one per referenced
 * secret, not ECS-limited) and DynamoDB are shown beside it; the target above bounds every call.
 */
function listingTarget(result: CaseResult, shape: AccountShape, label: string): TargetResult {
  const listing = listingMinimum(shape);
  const listingSeconds = project(listing, () => true).seconds;
  // Not ECS: DescribeSecret and DynamoDB, shown for what they are.
  const others = new Map([...result.counts].filter(([op]) => !listing.has(op) && op !== 'DescribeTaskDefinition'));
  return {
    target: `${label}: ECS calls and ECS-limited time within 10% of listing and describing the services alone`,
    size: result.size,
    figure: `${result.ecsCalls} ECS calls, ${result.projection.seconds.toFixed(1)} s; besides, ${total(others)} calls: ${formatCounts(others)}`,
    limit:
      `<= ${Math.floor(total(listing) * REBUILD_SLACK)} calls and <= ${(listingSeconds * REBUILD_SLACK).toFixed(1)} s ` +
      `(listing ${total(listing)}: ${formatCounts(listing)}; ${listingSeconds.toFixed(1)} s)`,
    pass: result.ecsCalls <= total(listing) * REBUILD_SLACK && result.projection.seconds <= listingSeconds * REBUILD_SLACK + 1e-9,
  };
}

/**
 * What a rotation through the index must cost for k affected services (one wave) whose
 * DescribeServices take `describeBatches` calls (batches of ten per cluster): one DescribeSecret;
 * two Queries of the secret's partition (its index entries, its ledger records), each in as many
 * 1 MB pages as DynamoDB answers (`queryPages`: past about a thousand consumers a partition
 * outgrows one page, as a Scan does); the batches; k
 * UpdateService; per service its claim and its record (two conditional PutItems) and the
 * rollout's own row once; and the run's events, 10 per PutEvents: one "Service Redeployed" per
 * service and the run's summary. Settling the services' other secrets adds one DescribeSecret per
 * other secret and one GetItem per (service, other secret) (`settle`; none for services of one
 * secret).
 */
export function rotationMinimum(k: number, describeBatches: number, queryPages = 2, settle: Settle = NO_SETTLE): Counts {
  const minimum: Counts = new Map([
    ['DescribeSecret', 1 + settle.otherSecrets],
    ['Query', Math.max(2, queryPages)],
    ['DescribeServices', describeBatches],
    ['UpdateService', k],
    ['PutItem', 2 * k + 1],
    ['PutEvents', Math.ceil((k + 1) / 10)],
  ]);
  if (settle.pairs > 0) minimum.set('GetItem', settle.pairs);
  return minimum;
}

const NO_SETTLE: Settle = { otherSecrets: 0, pairs: 0 };

/** True when every operation of `counts` stays within `minimum` (and none is outside it); the excess, if any. */
function withinMinimum(counts: Counts, minimum: Counts): { pass: boolean; excess: string[] } {
  const excess = [...counts]
    .map(([op, n]) => [op, n - (minimum.get(op) ?? 0)] as const)
    .filter(([, over]) => over > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([op, over]) => `${op} +${over}`);
  return { pass: excess.length === 0, excess };
}

/** Targets of one rotation through the index. */
export function rotationTargets(result: CaseResult, k: number, describeBatches: number, settle: Settle = NO_SETTLE): TargetResult[] {
  const minimum = rotationMinimum(k, describeBatches, result.counts.get('Query'), settle);
  const { pass, excess } = withinMinimum(result.counts, minimum);
  const others = [...result.projection.waitByAction].filter(([op, wait]) => op !== 'UpdateService' && wait > 0);
  const othersWait = others.reduce((sum, [, wait]) => sum + wait, 0);
  const updateWait = result.projection.waitByAction.get('UpdateService') ?? 0;
  return [
    {
      target:
        'rotation via index: calls by operation within 3k + ceil(k/10) + ceil((k+1)/10) + 4 (Query pages as answered) + settling other secrets',
      size: result.size,
      k,
      figure: `${result.calls}${excess.length > 0 ? ` (above: ${excess.join(', ')})` : ''}`,
      limit: `<= ${total(minimum)} (${formatCounts(minimum)})`,
      pass,
    },
    {
      // Up to k = 1,000 no other action passes its burst; past it the ceil(k/10) DescribeServices
      // do (100, 20/s), for seconds against UpdateService's minutes.
      target: 'rotation via index: under ECS limits UpdateService is what waits (others under 1% of its wait)',
      size: result.size,
      k,
      figure: `UpdateService ${updateWait.toFixed(1)} s, ${
        others.length === 0 ? 'others 0 s' : others.map(([op, w]) => `${op} ${w.toFixed(1)} s`).join(', ')
      }`,
      limit: `others <= ${(updateWait / 100).toFixed(1)} s`,
      pass: othersWait <= updateWait / 100 + 1e-9,
    },
  ];
}

/** One secret a scheduled reconcile finds behind: its consumers, and their DescribeServices batches. */
export interface MissedRotation {
  consumers: number;
  describeBatches: number;
  settle: Settle;
}

/**
 * What a scheduled reconcile of every indexed secret must cost: the index and the ledger read
 * once (a Scan each, pages as measured), one DescribeSecret per indexed secret, and for each
 * secret found behind what a rotation costs less the Queries (the scans already read them).
 */
export function scheduledMinimum(shape: AccountShape, scanPages: number, missed: MissedRotation[]): Counts {
  const minimum: Counts = new Map([
    ['Scan', Math.max(2, scanPages)],
    ['DescribeSecret', shape.referencedSecrets],
  ]);
  for (const m of missed) {
    for (const [op, n] of rotationMinimum(m.consumers, m.describeBatches, 2, m.settle)) {
      if (op === 'Query') continue;
      // The secret itself was described with every other; an other secret settled before its own
      // reconcile described it may be described once more.
      if (op === 'DescribeSecret') {
        minimum.set(op, (minimum.get(op) ?? 0) + m.settle.otherSecrets);
        continue;
      }
      minimum.set(op, (minimum.get(op) ?? 0) + n);
    }
  }
  return minimum;
}

/** Targets of a scheduled reconcile. */
export function scheduledTargets(result: CaseResult, shape: AccountShape, missed: MissedRotation[]): TargetResult[] {
  const minimum = scheduledMinimum(shape, result.counts.get('Scan') ?? 1, missed);
  const { pass, excess } = withinMinimum(result.counts, minimum);
  return [
    {
      target:
        missed.length === 0
          ? 'scheduled reconcile, nothing changed: one DescribeSecret per secret, two scans, no ECS call, no write'
          : `scheduled reconcile, ${missed.length} missed rotations: what their rotations cost, no more`,
      size: result.size,
      figure: `${result.calls}${excess.length > 0 ? ` (above: ${excess.join(', ')})` : ''}`,
      limit: `<= ${total(minimum)} (${formatCounts(minimum)})`,
      pass,
    },
  ];
}

/** The handler's peak memory (resident set), heap capped, within the goal. */
export function memoryTargets(results: CaseResult[], limitMb: number): TargetResult[] {
  return results
    .filter((r) => r.memory)
    .map((r) => {
      const peak = (r.memory?.peakRssBytes ?? 0) / 2 ** 20;
      return {
        target: `${r.name}: handler peak memory within ${limitMb} MB`,
        size: r.size,
        ...(r.k !== undefined ? { k: r.k } : {}),
        figure: `${peak.toFixed(0)} MB RSS, ${((r.memory?.peakHeapUsedBytes ?? 0) / 2 ** 20).toFixed(0)} MB heap`,
        limit: `<= ${limitMb} MB`,
        pass: peak <= limitMb,
      };
    });
}

/** For each k measured at several sizes: the same calls, operation by operation, whatever S. */
/** A rotation's calls less what settling its consumers' other secrets cost. */
function withoutSettling(result: CaseResult): Counts {
  const counts: Counts = new Map(result.counts);
  const settle = result.settle ?? NO_SETTLE;
  counts.set('DescribeSecret', (counts.get('DescribeSecret') ?? 0) - settle.otherSecrets);
  counts.set('GetItem', (counts.get('GetItem') ?? 0) - settle.pairs);
  for (const [op, n] of counts) if (n <= 0) counts.delete(op);
  return counts;
}

export function independenceTargets(results: CaseResult[]): TargetResult[] {
  const byK = new Map<number, CaseResult[]>();
  for (const r of results) if (r.name === 'rotation via index' && r.k !== undefined) byK.set(r.k, [...(byK.get(r.k) ?? []), r]);
  const targets: TargetResult[] = [];
  for (const [k, runs] of [...byK].sort((a, b) => a[0] - b[0])) {
    if (runs.length < 2) continue;
    // Settling depends on how many other secrets the k consumers use, which the plan varies with S.
    const shapes = new Set(runs.map((r) => formatCounts(withoutSettling(r))));
    targets.push({
      target: 'rotation via index: calls independent of S (settling other secrets aside)',
      k,
      figure: runs
        .map((r) => `S=${r.size}: ${r.calls}${r.settle?.pairs ? ` (${total(withoutSettling(r))} without settling)` : ''}`)
        .join(', '),
      limit: 'same calls by operation at every S',
      pass: shapes.size === 1,
    });
  }
  return targets;
}

/**
 * Bundle size and cold load per handler. Cold load is a wall-clock time on whatever machine runs
 * the bench: a gate in a full run, but only reported by the CI smoke run (`--quick`), where a busy
 * shared machine would fail it for reasons that are not the code's.
 */
export function bundleTargets(bundles: BundleResult[], coldLoadGates: boolean): TargetResult[] {
  return bundles.flatMap((b) => [
    {
      target: `bundle ${b.handler}: size`,
      figure: `${(b.bytes / 1024).toFixed(0)} KB`,
      limit: `<= ${MAX_BUNDLE_BYTES / 1024} KB`,
      pass: b.bytes <= MAX_BUNDLE_BYTES,
    },
    {
      target: `bundle ${b.handler}: cold load (require)`,
      figure: `${b.coldLoadMs.toFixed(0)} ms`,
      limit: `<= ${MAX_COLD_LOAD_MS} ms`,
      pass: b.coldLoadMs <= MAX_COLD_LOAD_MS,
      ...(coldLoadGates ? {} : { advisory: true }),
    },
  ]);
}

/** The slack of a first rebuild's time over its limit (revisions / 20 s plus the listing). */
export const FIRST_REBUILD_SLACK = 1.05;
/** The most one refresh-index invocation may hold of the heap during a first rebuild. */
export const FIRST_REBUILD_MEMORY_MB = 256;

/**
 * A first index rebuild in virtual time, through a chain of Lambda invocations: it completes,
 * describes each revision once, indexes every service, takes no longer than describing the
 * revisions at 20/s plus listing the services (with 5% slack), and no invocation's heap passes 256 MB.
 */
export function firstRebuildTargets(results: FirstRebuildResult[]): TargetResult[] {
  return results.flatMap((r) => {
    const what = `first rebuild of ${r.settings.revisions} in-use revisions, ${r.settings.lambdaSeconds} s Lambda (virtual)`;
    const peak = Math.max(0, ...r.invocations.map((i) => i.peakHeapBytes)) / 2 ** 20;
    return [
      {
        target: `${what}: completes through the continuation, the index complete`,
        figure: `${r.completed ? 'completed' : 'not completed'} in ${r.invocations.length} invocations; ${r.indexEntries} index entries`,
        limit: `complete; ${r.expectedEntries} entries`,
        pass: r.completed && r.indexEntries === r.expectedEntries,
      },
      {
        target: `${what}: each revision described once`,
        figure: `${r.described} DescribeTaskDefinition, ${r.describedTwice} revisions twice`,
        limit: `= ${r.settings.revisions}, none twice`,
        pass: r.described === r.settings.revisions && r.describedTwice === 0,
      },
      {
        target: `${what}: time within 5% of describing the revisions at 20/s plus listing the services`,
        figure: `${r.seconds.toFixed(1)} s`,
        limit: `<= ${(r.limitSeconds * FIRST_REBUILD_SLACK).toFixed(1)} s (${r.settings.revisions} / 20 + ${r.listingSeconds.toFixed(1)} s = ${r.limitSeconds.toFixed(1)} s)`,
        pass: r.seconds <= r.limitSeconds * FIRST_REBUILD_SLACK + 1e-9,
      },
      {
        target: `${what}: peak heap of one invocation`,
        figure: `${peak.toFixed(0)} MB`,
        limit: `< ${FIRST_REBUILD_MEMORY_MB} MB`,
        pass: peak < FIRST_REBUILD_MEMORY_MB,
      },
    ];
  });
}

/** A rotation of k services in virtual time: exactly once, as fast as the buckets allow and no faster, no throttle. */
export function massRotationTargets(results: MassRotationResult[]): TargetResult[] {
  return results.flatMap((r) => {
    const what = `k = ${r.settings.k}, ${r.settings.label}`;
    const slack = 1.1;
    return [
      {
        target: `${what}: every service redeployed exactly once`,
        k: r.settings.k,
        figure: `${r.once} once, ${r.never} never, ${r.twice} more than once`,
        limit: `${r.settings.k} once`,
        pass: r.once === r.settings.k,
      },
      {
        target: `${what}: total time within 10% of (k - burst) / rate, and not under it (the rate holds)`,
        k: r.settings.k,
        figure: `${r.seconds.toFixed(1)} s`,
        limit: `${r.floorSeconds.toFixed(1)} s to ${(r.floorSeconds * slack).toFixed(1)} s`,
        pass: r.seconds >= r.floorSeconds - 1 && r.seconds <= r.floorSeconds * slack,
      },
      {
        target: `${what}: ECS never throttles our UpdateService (our bucket is no bigger than ECS's)`,
        k: r.settings.k,
        figure: `${r.throttles} throttled`,
        limit: '0',
        pass: r.throttles === 0 || r.settings.ours.perSecond > r.settings.ecs.perSecond || r.settings.ours.burst > r.settings.ecs.burst,
      },
    ];
  });
}

/** A rollout in waves: exactly once, each wave after the one before ended, the rollout completed. */
export function wavesTargets(results: WavesResult[]): TargetResult[] {
  return results.flatMap((r) => {
    const what = `waves ${r.settings.waves.join('/')}, ${wavesScenarioText(r.scenario)}`;
    return [
      {
        target: `${what}: every service redeployed exactly once, waves in order`,
        figure: `${r.exactlyOnce ? 'exactly once' : 'NOT exactly once'}, ${r.inOrder ? 'in order' : 'NOT in order'}`,
        limit: 'exactly once, in order',
        pass: r.exactlyOnce && r.inOrder,
      },
      {
        target: `${what}: the rollout is recorded completed`,
        figure: r.completedAt === undefined ? 'never' : `${(r.completedAt / 60).toFixed(1)} min after the rotation`,
        limit: 'completed',
        pass: r.completedAt !== undefined,
      },
      ...(r.scenario === 'schedule' ? [pollTarget(r, what)] : []),
    ];
  });
}

/**
 * The schedule's poll reads ECS's deployment records 20 per DescribeServiceDeployments: each wave's
 * deployments are polled once (the first schedule after they ended), and never listed (UpdateService
 * named each record).
 */
function pollTarget(r: WavesResult, what: string): TargetResult {
  const count = (op: string) => r.calls.reduce((n, c) => n + (c.counts.get(op) ?? 0), 0);
  const bound = r.settings.waves.reduce((n, w) => n + Math.ceil(w / 20), 0);
  const described = count('DescribeServiceDeployments');
  const listed = count('ListServiceDeployments');
  return {
    target: `${what}: the poll describes ECS's deployment records 20 per call, lists none`,
    figure: `${described} DescribeServiceDeployments, ${listed} ListServiceDeployments`,
    limit: `at most ${bound} (sum of ceil(wave / 20)), 0`,
    pass: described > 0 && described <= bound && listed === 0,
  };
}
