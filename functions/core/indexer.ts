import type { Deps } from '../aws/clients';
import { resolveSecretArn } from '../aws/secrets';
import { applyIndexDiff, IndexMeta, readServiceSecrets, scanIndex, writeIndexMeta } from '../aws/state-table';
import { mapWithConcurrency } from './concurrency';
import { diffIndex, entriesFor, IndexEntry } from './index-diff';
import { describeServices, scanAccount, ScanProgress, ServiceSnapshot, taskDefinitionReader, TaskDefinitionReader } from './inventory';
import type { SecretReference } from './references';

/** What a rebuild did. */
export interface RebuildSummary extends IndexMeta {
  entriesWritten: number;
  entriesRemoved: number;
  unresolvedReferences: string[];
}

/**
 * Rebuilds the index from a full scan: every service's PRIMARY task definition (each described
 * once), every reference resolved to its secret's full ARN, then only the differences written.
 * Entries of deleted services, or of task definitions that dropped a reference, are removed.
 */
export async function rebuildIndex(deps: Deps, onProgress?: (p: ScanProgress) => void): Promise<RebuildSummary> {
  const reader = taskDefinitionReader(deps);
  const scan = await scanAccount(deps, reader, onProgress);
  const unresolved = new Set<string>();
  const desired: IndexEntry[] = [];
  const serviceSecrets = new Map<string, string[]>();
  for (const service of scan.services) {
    const entries = await indexEntriesOf(deps, { kind: 'service', resourceArn: service.serviceArn, clusterArn: service.clusterArn, name: service.serviceName, taskDefinition: service.taskDefinition }, scan.references.get(service.taskDefinition) ?? [], unresolved);
    desired.push(...entries);
    serviceSecrets.set(service.serviceArn, entries.map((e) => e.secretArn));
  }
  for (const task of scan.standaloneTasks) {
    const name = task.taskArn.split('/').pop() ?? task.taskArn;
    desired.push(...(await indexEntriesOf(deps, { kind: 'task', resourceArn: task.taskArn, clusterArn: task.clusterArn, name, taskDefinition: task.taskDefinition }, scan.references.get(task.taskDefinition) ?? [], unresolved)));
  }
  const stored = await scanIndex(deps);
  const diff = diffIndex(stored, desired);
  await applyIndexDiff(deps, diff, changedServiceSecrets(stored, serviceSecrets));
  const meta: IndexMeta = {
    builtAt: new Date().toISOString(),
    clusters: scan.clusters.length,
    services: scan.services.length,
    taskDefinitions: scan.references.size,
    secrets: new Set(desired.map((e) => e.secretArn)).size,
    standaloneTasks: scan.standaloneTasks.length,
  };
  await writeIndexMeta(deps, meta);
  return { ...meta, entriesWritten: diff.put.length, entriesRemoved: diff.remove.length, unresolvedReferences: [...unresolved].sort() };
}

/**
 * The services whose set of secrets differs from the stored index, with their new set (empty for
 * a service that left the index): only their `SERVICE#` items need writing.
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

/**
 * Re-indexes one service from its live state (after an ECS deployment event, or when the hot
 * path finds it on another task definition than indexed). A service that no longer exists, or
 * is not ACTIVE, leaves the index. Returns the live snapshot, if any.
 */
export async function reindexService(deps: Deps, clusterArn: string, serviceArn: string, reader: TaskDefinitionReader = taskDefinitionReader(deps)): Promise<ServiceSnapshot | undefined> {
  const [service] = await describeServices(deps, clusterArn, [serviceArn]);
  const live = service?.status === 'ACTIVE' ? service : undefined;
  const references = live ? await reader.references(live.taskDefinition) : [];
  await writeServiceEntries(deps, serviceArn, live, references);
  return live;
}

/** Replaces one service's index entries with those of its current task definition. */
export async function writeServiceEntries(deps: Deps, serviceArn: string, live: ServiceSnapshot | undefined, references: SecretReference[]): Promise<void> {
  const desired = live
    ? await indexEntriesOf(deps, { kind: 'service', resourceArn: serviceArn, clusterArn: live.clusterArn, name: live.serviceName, taskDefinition: live.taskDefinition }, references, new Set())
    : [];
  const kept = new Set(desired.map((e) => e.secretArn));
  const previousSecrets = await readServiceSecrets(deps, serviceArn);
  const remove = previousSecrets.filter((secretArn) => !kept.has(secretArn)).map((secretArn) => ({ secretArn, kind: 'service' as const, resourceArn: serviceArn }));
  await applyIndexDiff(deps, { put: desired, remove }, new Map([[serviceArn, [...kept]]]));
}

/**
 * Index entries for one resource: its references grouped by the secret (full ARN) or SSM
 * parameter they name. References to secrets that do not exist are collected in `unresolved`.
 */
async function indexEntriesOf(deps: Deps, resource: Omit<IndexEntry, 'secretArn' | 'references'>, references: SecretReference[], unresolved: Set<string>): Promise<IndexEntry[]> {
  const resolved = await mapWithConcurrency(references, 8, async (reference) => {
    const secretArn = reference.secret ? await resolveSecretArn(deps, reference.secret) : reference.parameterArn;
    if (!secretArn) unresolved.add(reference.valueFrom);
    return { reference, secretArn };
  });
  return entriesFor(resource, resolved);
}
