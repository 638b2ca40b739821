import { lastPathSegment } from '../domain/identity/arn';
import { diffIndex, entriesFor, type IndexEntry, type IndexMeta } from '../domain/index/entries';
import type { ServiceSnapshot } from '../domain/inventory/service';
import type { SecretReference } from '../domain/references/references';
import { mapWithConcurrency } from '../util/concurrency';
import type { Ports } from './ports';
import type { OnProgress } from './progress';
import { scanAccount } from './scan-account';

/** What a rebuild did. */
export interface RebuildSummary extends IndexMeta {
  entriesWritten: number;
  entriesRemoved: number;
  unresolvedReferences: string[];
}

/**
 * Rebuilds the index from a full scan: every service's task definition (each described once),
 * every reference resolved to its secret's full ARN, then only the differences written.
 * Entries of deleted services, or of task definitions that dropped a reference, are removed.
 */
export async function rebuildIndex(ports: Ports, onProgress?: OnProgress): Promise<RebuildSummary> {
  const scan = await scanAccount(ports, onProgress);
  const unresolved = new Set<string>();
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
  const stored = await ports.index.allEntries();
  const diff = diffIndex(stored, desired);
  await ports.index.apply(diff, changedServiceSecrets(stored, serviceSecrets));
  const meta: IndexMeta = {
    builtAt: ports.clock.now().toISOString(),
    clusters: scan.clusters.length,
    services: scan.services.length,
    taskDefinitions: scan.references.size,
    secrets: new Set(desired.map((e) => e.secretArn)).size,
    standaloneTasks: scan.standaloneTasks.length,
  };
  await ports.index.writeMeta(meta);
  return { ...meta, entriesWritten: diff.put.length, entriesRemoved: diff.remove.length, unresolvedReferences: [...unresolved].sort() };
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

/**
 * Re-indexes one service from its live state (after an ECS deployment event, or when the hot
 * path finds it on another task definition than indexed). A service that no longer exists, or
 * is not ACTIVE, leaves the index. Returns the live snapshot, if any.
 */
export async function reindexService(ports: Ports, clusterArn: string, serviceArn: string): Promise<ServiceSnapshot | undefined> {
  const [service] = await ports.ecs.describeServices(clusterArn, [serviceArn]);
  const live = service?.status === 'ACTIVE' ? service : undefined;
  const references = live ? await ports.ecs.taskDefinitionReferences(live.taskDefinition) : [];
  await writeServiceEntries(ports, serviceArn, live, references);
  return live;
}

/** Replaces one service's index entries with those of its current task definition. */
export async function writeServiceEntries(
  ports: Ports,
  serviceArn: string,
  live: ServiceSnapshot | undefined,
  references: SecretReference[],
): Promise<void> {
  const resource = live && {
    kind: 'service' as const,
    resourceArn: serviceArn,
    clusterArn: live.clusterArn,
    name: live.serviceName,
    taskDefinition: live.taskDefinition,
  };
  const desired = resource ? await indexEntriesOf(ports, resource, references, new Set()) : [];
  const kept = new Set(desired.map((e) => e.secretArn));
  const previousSecrets = await ports.index.secretsOfService(serviceArn);
  const remove = previousSecrets
    .filter((secretArn) => !kept.has(secretArn))
    .map((secretArn) => ({ secretArn, kind: 'service' as const, resourceArn: serviceArn }));
  await ports.index.apply({ put: desired, remove }, new Map([[serviceArn, [...kept]]]));
}

/**
 * Index entries for one resource: its references grouped by the secret (full ARN) or SSM
 * parameter they name. References to secrets that do not exist are collected in `unresolved`.
 */
async function indexEntriesOf(
  ports: Ports,
  resource: Omit<IndexEntry, 'secretArn' | 'references'>,
  references: SecretReference[],
  unresolved: Set<string>,
): Promise<IndexEntry[]> {
  const resolved = await mapWithConcurrency(references, 8, async (reference) => {
    const secretArn = reference.secret ? await ports.secrets.resolve(reference.secret) : reference.parameterArn;
    if (!secretArn) unresolved.add(reference.valueFrom);
    return { reference, secretArn };
  });
  return entriesFor(resource, resolved);
}
