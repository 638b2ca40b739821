/**
 * The issue's targets, evaluated on measured figures. Each target yields one PASS/FAIL row.
 */

import { type Counts, formatCounts, total } from '../../test/support/call-counter';
import type { AccountShape } from './account';
import type { BundleResult } from './bundles';
import type { Projection } from './limits';

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
 * The fewest calls a rebuild of this account can make, by operation: list the clusters, list and
 * describe each cluster's services (pages of 100, batches of 10), list each cluster's standalone
 * tasks (one page each here: the account has none), describe each in-use task definition once and
 * each referenced secret once, read the stored index (one Scan page per 1 MB, as answered), write
 * what changed in batches of 25 (every entry plus one list-of-secrets item per indexed service on a
 * fresh table, nothing when the index is current), and record the rebuild (one PutItem).
 */
export function rebuildMinimum(shape: AccountShape, fresh: boolean, scanPages: number): Counts {
  const sum = (f: (n: number) => number) => shape.servicesPerCluster.reduce((acc, n) => acc + f(n), 0);
  const writes = fresh ? Math.ceil((shape.indexEntries + shape.indexedServices) / 25) : 0;
  const minimum: [string, number][] = [
    ['ListClusters', Math.max(1, Math.ceil(shape.clusters / 100))],
    ['ListServices', sum((n) => Math.max(1, Math.ceil(n / 100)))],
    ['DescribeServices', sum((n) => Math.ceil(n / 10))],
    ['ListTasks', shape.clusters],
    ['DescribeTaskDefinition', shape.inUseTaskDefinitions],
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
  return [
    {
      target: `${label}: each in-use task definition described once`,
      size: result.size,
      figure: `${described} DescribeTaskDefinition`,
      limit: `= ${shape.inUseTaskDefinitions} in use`,
      pass: described === shape.inUseTaskDefinitions,
    },
    {
      target: `${label}: calls within 10% of the account's minimum`,
      size: result.size,
      figure: `${result.calls}${excess.length > 0 ? ` (above the minimum: ${excess.join(', ')})` : ''}`,
      limit: `<= ${Math.floor(min * REBUILD_SLACK)} (minimum ${min}: ${formatCounts(minimum)})`,
      pass: result.calls <= min * REBUILD_SLACK,
    },
  ];
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
