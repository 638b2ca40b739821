/**
 * The issue's targets, evaluated on measured figures. Each target yields one PASS/FAIL row.
 */

import { type Counts, formatCounts, total } from '../../test/support/call-counter';
import type { AccountShape } from './account';
import type { BundleResult } from './bundles';
import { type Projection, project } from './limits';

export const MAX_BUNDLE_BYTES = 800 * 1024;
export const MAX_COLD_LOAD_MS = 150;
/** A rebuild may spend at most this much more than the account's minimum. */
export const REBUILD_SLACK = 1.1;

export type CaseName = 'index rebuild' | 'index rebuild again' | 'rotation via index' | 'rotation, live scan' | 'baseline';

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
}

export interface TargetResult {
  target: string;
  size?: number;
  k?: number;
  figure: string;
  limit: string;
  pass: boolean;
}

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
 * when the index is current); and record the rebuild (one PutItem).
 */
export function rebuildMinimum(shape: AccountShape, fresh: boolean, scanPages: number): Counts {
  const writes = fresh ? Math.ceil((shape.indexEntries + shape.indexedServices) / 25) + Math.ceil(shape.inUseTaskDefinitions / 25) : 0;
  const minimum: [string, number][] = [
    ...listingMinimum(shape),
    ['DescribeTaskDefinition', fresh ? shape.inUseTaskDefinitions : 0],
    ['DescribeSecret', shape.referencedSecrets],
    ['Scan', Math.max(1, scanPages)],
    ['BatchWriteItem', writes],
    ['PutItem', 1],
  ];
  return new Map(minimum.filter(([, n]) => n > 0));
}

/** Targets of one rebuild. */
export function rebuildTargets(result: CaseResult, shape: AccountShape, fresh: boolean): TargetResult[] {
  const minimum = rebuildMinimum(shape, fresh, result.counts.get('Scan') ?? 1);
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

/** Calls of a rotation less its idempotency writes (one conditional PutItem per redeployed service). */
export function rotationCalls(result: CaseResult): number {
  return result.calls - (result.counts.get('PutItem') ?? 0);
}

/** Targets of one rotation through the index. */
export function rotationTargets(result: CaseResult, k: number): TargetResult[] {
  const limit = k + Math.ceil(k / 10) + 3;
  const calls = rotationCalls(result);
  const others = [...result.projection.waitByAction].filter(([op, wait]) => op !== 'UpdateService' && wait > 0);
  const updateWait = result.projection.waitByAction.get('UpdateService') ?? 0;
  return [
    {
      target: 'rotation via index: calls <= k + ceil(k/10) + 3, plus idempotency writes',
      size: result.size,
      k,
      figure: `${calls} + ${result.counts.get('PutItem') ?? 0} PutItem`,
      limit: `<= ${limit} + writes`,
      pass: calls <= limit,
    },
    {
      target: 'rotation via index: under ECS limits only UpdateService waits',
      size: result.size,
      k,
      figure:
        others.length === 0
          ? `UpdateService ${updateWait.toFixed(1)} s, others 0 s`
          : others.map(([op, w]) => `${op} ${w.toFixed(1)} s`).join(', '),
      limit: 'no other action past its burst',
      pass: others.length === 0,
    },
  ];
}

/** For each k measured at several sizes: the same calls, operation by operation, whatever S. */
export function independenceTargets(results: CaseResult[]): TargetResult[] {
  const byK = new Map<number, CaseResult[]>();
  for (const r of results) if (r.name === 'rotation via index' && r.k !== undefined) byK.set(r.k, [...(byK.get(r.k) ?? []), r]);
  const targets: TargetResult[] = [];
  for (const [k, runs] of [...byK].sort((a, b) => a[0] - b[0])) {
    if (runs.length < 2) continue;
    const shapes = new Set(runs.map((r) => formatCounts(r.counts)));
    targets.push({
      target: 'rotation via index: calls independent of S',
      k,
      figure: runs.map((r) => `S=${r.size}: ${r.calls}`).join(', '),
      limit: 'same calls by operation at every S',
      pass: shapes.size === 1,
    });
  }
  return targets;
}

/** Bundle size and cold load per handler. */
export function bundleTargets(bundles: BundleResult[]): TargetResult[] {
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
    },
  ]);
}
