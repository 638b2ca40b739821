import { lastPathSegment } from '../domain/identity/arn';
import { diffIndex, type IndexEntry, type IndexMeta, type MissingSecret } from '../domain/index/entries';
import type { SecretReference } from '../domain/references/references';
import type { StoredIndex } from '../ports/index-store';
import { pairId } from '../ports/ledger';
import type { Ports } from '../ports/ports';
import type { ListedPage, RebuildProgress } from '../ports/rebuild-store';
import type { CachedRevisions } from '../ports/revision-cache';
import { forgetRemovedPairs, indexEntriesOf, recordFirstSight, type StaleConsumer } from './index-writes';
import { cacheRevisions, describeUnseen, dropUnusedRevisions } from './revision-cache';
import type { AccountScan } from './scan-account';

/** What a rebuild did. */
export interface RebuildSummary extends IndexMeta {
  entriesWritten: number;
  entriesRemoved: number;
  unresolvedReferences: string[];
  /** Task definitions described (the others in use were in the revision cache). */
  taskDefinitionsDescribed: number;
  /** Revisions dropped from the cache: no service or standalone task uses them any more. */
  revisionsDropped: number;
  /**
   * Consumers first seen by this rebuild whose running deployment is older than the version
   * they follow (services with tasks): the next reconcile redeploys them, in waves.
   */
  stale: StaleConsumer[];
}

/**
 * The final step of a build whose every cluster is listed: the pages it kept, every reference
 * resolved, then only the differences written. Entries of deleted services, or of task
 * definitions that dropped a reference, are removed; so are cached revisions no longer in use.
 */
export async function completeBuild(
  ports: Ports,
  progress: RebuildProgress,
  listed: ListedPage,
  stored: StoredIndex,
  cache: CachedRevisions,
): Promise<RebuildSummary> {
  const started = ports.clock.now();
  const services = [...new Map(listed.services.map((s) => [s.serviceArn, s])).values()];
  const standaloneTasks = [...new Map(listed.standaloneTasks.map((t) => [t.taskArn, t])).values()];
  // A revision listed by an earlier run whose cache row could not be written or read is described now.
  const late = await describeUnseen(
    ports,
    [...services.map((s) => s.taskDefinition), ...standaloneTasks.map((t) => t.taskDefinition)],
    cache,
  );
  await cacheRevisions(ports, late);
  const inUse = new Set(
    [...services.map((s) => s.taskDefinition), ...standaloneTasks.map((t) => t.taskDefinition)].filter((a) => a !== ''),
  );
  const scan: AccountScan = {
    clusters: progress.clusters,
    services,
    standaloneTasks,
    references: new Map([...inUse].map((arn) => [arn, cache.get(arn) as SecretReference[]])),
    described: new Map(),
  };
  const unresolved = new Map<string, Set<string>>();
  const desired: IndexEntry[] = [];
  const serviceSecrets = new Map<string, string[]>();
  for (const service of scan.services) {
    const resource = {
      kind: 'service' as const,
      resourceArn: service.serviceArn,
      clusterArn: service.clusterArn,
      name: service.serviceName,
      taskDefinition: service.taskDefinition,
    };
    const entries = await indexEntriesOf(ports, resource, scan.references.get(service.taskDefinition) ?? [], unresolved);
    desired.push(...entries);
    serviceSecrets.set(
      service.serviceArn,
      entries.map((e) => e.secretArn),
    );
  }
  for (const task of scan.standaloneTasks) {
    const resource = {
      kind: 'task' as const,
      resourceArn: task.taskArn,
      clusterArn: task.clusterArn,
      name: lastPathSegment(task.taskArn),
      taskDefinition: task.taskDefinition,
    };
    desired.push(...(await indexEntriesOf(ports, resource, scan.references.get(task.taskDefinition) ?? [], unresolved)));
  }
  const diff = diffIndex(stored.entries, desired);
  // Pairs without a ledger record: new ones, and any indexed before the ledger existed.
  const recorded = new Set([...(await ports.ledger.allRecords()).values()].flatMap((l) => l.services.map(pairId)));
  const stale = await recordFirstSight(
    ports,
    desired.filter((e) => e.kind === 'service' && !recorded.has(pairId({ secretArn: e.secretArn, serviceArn: e.resourceArn }))),
    started,
    new Map(scan.services.map((s) => [s.serviceArn, s])),
  );
  await ports.index.apply(diff, changedServiceSecrets(stored.entries, serviceSecrets));
  await forgetRemovedPairs(ports, diff);
  const revisionsDropped = await dropUnusedRevisions(ports, [...stored.revisions.keys()], scan);
  const meta: IndexMeta = {
    builtAt: ports.clock.now().toISOString(),
    clusters: scan.clusters.length,
    services: scan.services.length,
    taskDefinitions: scan.references.size,
    secrets: new Set(desired.map((e) => e.secretArn)).size,
    standaloneTasks: scan.standaloneTasks.length,
    missingSecrets: missingSecrets(unresolved),
  };
  await ports.index.writeMeta(meta);
  return {
    ...meta,
    entriesWritten: diff.put.length,
    entriesRemoved: diff.remove.length,
    unresolvedReferences: [...unresolved.keys()].sort(),
    taskDefinitionsDescribed: progress.described + late.size,
    revisionsDropped,
    stale,
  };
}

/**
 * The services whose set of secrets differs from the stored index, with their new set (empty for
 * a service that left the index): only their list-of-secrets items need writing.
 */
function changedServiceSecrets(stored: IndexEntry[], desired: Map<string, string[]>): Map<string, string[]> {
  const before = new Map<string, Set<string>>();
  for (const entry of stored) {
    if (entry.kind === 'service') before.set(entry.resourceArn, (before.get(entry.resourceArn) ?? new Set()).add(entry.secretArn));
  }
  const changed = new Map<string, string[]>();
  for (const [service, secrets] of desired) {
    const old = before.get(service) ?? new Set<string>();
    const now = new Set(secrets);
    if (old.size !== now.size || [...now].some((s) => !old.has(s))) changed.set(service, [...now]);
  }
  for (const service of before.keys()) if (!desired.has(service)) changed.set(service, []);
  return changed;
}

/** The meta's list of missing secrets, bounded so the meta item stays far below DynamoDB's 400 KB. */
function missingSecrets(unresolved: Map<string, Set<string>>): MissingSecret[] {
  return [...unresolved.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .slice(0, 200)
    .map(([reference, consumers]) => ({ reference, consumers: [...consumers].sort().slice(0, 20), consumerCount: consumers.size }));
}
