/**
 * The fewest AWS calls the work of each case can take, by operation: what the bench's bounds on
 * calls are made of (bench/lib/targets.ts).
 */
import { type Counts, NEXT_PAGE } from '../../test/kit/call-counter';
import type { AccountShape, Settle } from './account';

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
 * and each referenced secret once; read the stored index and the cache (two Scans; their further
 * pages, one per 1 MB, as answered: see withNextPages); write what changed in batches of 25 (on a fresh table every entry plus one
 * list-of-secrets item per indexed service, and one cache row per in-use task definition; nothing
 * when the index is current); and record the rebuild (one PutItem). A rebuild that can go on in
 * another run also keeps its own progress under a lease: read it (GetItem), take it and check it
 * before switching the index (two conditional PutItems), delete it at the end (a Query of its
 * partition, one BatchWriteItem); a run longer than a minute adds a checkpoint a minute, which
 * no run here reaches.
 */
export function rebuildMinimum(shape: AccountShape, fresh: boolean): Counts {
  const writes = fresh ? Math.ceil((shape.indexEntries + shape.indexedServices) / 25) + Math.ceil(shape.inUseTaskDefinitions / 25) : 0;
  const minimum: [string, number][] = [
    ...listingMinimum(shape),
    ['DescribeTaskDefinition', fresh ? shape.inUseTaskDefinitions : 0],
    ['DescribeSecret', shape.referencedSecrets],
    ['Scan', 2],
    ['BatchWriteItem', writes + 1],
    ['PutItem', 1 + 2],
    ['GetItem', 1],
    ['Query', 1],
  ];
  return new Map(minimum.filter(([, n]) => n > 0));
}

/**
 * The fewest calls of a first rebuild (on a table without index or ledger): those of
 * {@link rebuildMinimum}, one conditional PutItem per (secret, service) pair that follows a stage: its first record,
 * judged from evidence, with one ListSecretVersionIds per secret that has such a pair.
 * Conditional (it must not overwrite a record a reconcile wrote meanwhile), so not batched:
 * BatchWriteItem takes no condition. The secrets' states come from resolving the references:
 * no second DescribeSecret.
 */
export function firstRebuildMinimum(shape: AccountShape): Counts {
  const minimum = rebuildMinimum(shape, true);
  minimum.set('PutItem', (minimum.get('PutItem') ?? 0) + shape.baselinePairs);
  if (shape.firstSeenSecrets > 0) minimum.set('ListSecretVersionIds', shape.firstSeenSecrets);
  return minimum;
}

/**
 * What a rotation through the index must cost for k affected services (one wave) whose
 * DescribeServices take `describeBatches` calls (batches of ten per cluster): one DescribeSecret;
 * two Queries of the secret's partition (its index entries, its ledger records; past about a
 * thousand consumers a partition outgrows one 1 MB page: see withNextPages); the batches; k
 * UpdateService; per service its claim and its record (two conditional PutItems) and the
 * rollout's own row once; and the run's events, 10 per PutEvents: one "Service Redeployed" per
 * service and the run's summary. Settling the services' other secrets adds one DescribeSecret per
 * other secret and the services' records of them, read a hundred at a time (BatchGetItem; none
 * for services of one secret).
 */
export function rotationMinimum(k: number, describeBatches: number, settle: Settle = NO_SETTLE): Counts {
  const minimum: Counts = new Map([
    ['DescribeSecret', 1 + settle.otherSecrets],
    ['Query', 2],
    ['DescribeServices', describeBatches],
    ['UpdateService', k],
    ['PutItem', 2 * k + 1],
    ['PutEvents', Math.ceil((k + 1) / 10)],
  ]);
  if (settle.pairs > 0) minimum.set('BatchGetItem', batchesOf(settle.pairs));
  return minimum;
}

export const NO_SETTLE: Settle = { otherSecrets: 0, pairs: 0 };

/** BatchGetItem reads at most 100 items. */
export function batchesOf(pairs: number): number {
  return Math.ceil(pairs / 100);
}

/** One secret a scheduled reconcile finds behind: its consumers, and their DescribeServices batches. */
export interface MissedRotation {
  consumers: number;
  describeBatches: number;
  settle: Settle;
}

/**
 * What a scheduled reconcile of every indexed secret must cost: the index and the ledger read
 * once (a Scan each; further pages: see withNextPages), one DescribeSecret per indexed secret, and for each
 * secret found behind what a rotation costs less the Queries (the scans already read them).
 */
export function scheduledMinimum(shape: AccountShape, missed: MissedRotation[]): Counts {
  const minimum: Counts = new Map([
    ['Scan', 2],
    ['DescribeSecret', shape.referencedSecrets],
  ]);
  for (const m of missed) {
    for (const [op, n] of rotationMinimum(m.consumers, m.describeBatches, m.settle)) {
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

/**
 * A minimum with the further pages of its Scans and Queries as DynamoDB answered them (the
 * counter counts them apart: see pageOf in test/kit/call-counter.ts). How many reads a path makes
 * is fixed above, before the run; how many 1 MB pages a read takes depends on the data, not on the
 * code: so a bound takes those as they come, and an extra read still exceeds it.
 */
export function withNextPages(minimum: Counts, measured: Counts): Counts {
  const withPages = new Map(minimum);
  for (const op of ['Scan', 'Query']) {
    const pages = measured.get(`${op} ${NEXT_PAGE}`) ?? 0;
    if (pages > 0 && minimum.has(op)) withPages.set(`${op} ${NEXT_PAGE}`, pages);
  }
  return withPages;
}
