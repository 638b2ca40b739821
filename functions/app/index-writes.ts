import { randomUUID } from 'node:crypto';
import { UnknownSecretError } from '../domain/errors';
import { parseTarget } from '../domain/identity/target';
import { entriesFor, type IndexDiff, type IndexEntry } from '../domain/index/entries';
import type { ServiceSnapshot } from '../domain/inventory/service';
import type { Reindex } from '../domain/plan/reconcile-plan';
import type { SecretReference } from '../domain/references/references';
import type { Ports } from '../ports/ports';
import { mapWithConcurrency } from '../util/concurrency';
import { firstSightRecords } from './first-sight';
import { cacheRevisions, revisionReferences } from './revision-cache';

/** A consumer first seen running an older version than current, and why it is judged so. */
export interface StaleConsumer {
  secretArn: string;
  serviceArn: string;
  serviceName: string;
  reason: string;
}

/**
 * Re-indexes one service from its live state (after an ECS deployment event, or when the hot
 * path finds it on another task definition than indexed). A service that no longer exists, or
 * is not ACTIVE, leaves the index. Returns the live snapshot, if any.
 */
export async function reindexService(ports: Ports, clusterArn: string, serviceArn: string): Promise<ServiceSnapshot | undefined> {
  const [service] = await ports.ecs.describeServices(clusterArn, [serviceArn]);
  const live = service?.status === 'ACTIVE' ? service : undefined;
  const references = live ? await revisionReferences(ports, live.taskDefinition, { store: true }) : [];
  await writeServiceEntries(ports, serviceArn, live, references);
  return live;
}

/**
 * Brings one service's index entries up to what a reconcile found live, when the index was
 * behind: a service gone (or not ACTIVE) leaves the index; one on another task definition is
 * indexed with that revision's references (cached when the reconcile described them).
 */
export async function applyReindex(ports: Ports, reindex: Reindex): Promise<void> {
  if (reindex.service && reindex.cache) await cacheRevisions(ports, new Map([[reindex.service.taskDefinition, reindex.references]]));
  await writeServiceEntries(ports, reindex.serviceArn, reindex.service, reindex.references);
}

/**
 * Replaces one service's index entries with those of its current task definition: a secret it
 * now references for the first time gets its first ledger record (judged from the evidence of
 * `live`), one it no longer references loses its record.
 */
async function writeServiceEntries(
  ports: Ports,
  serviceArn: string,
  live: ServiceSnapshot | undefined,
  references: SecretReference[],
): Promise<void> {
  const started = ports.clock.now();
  const resource = live && {
    kind: 'service' as const,
    resourceArn: serviceArn,
    clusterArn: live.clusterArn,
    name: live.serviceName,
    taskDefinition: live.taskDefinition,
  };
  const desired = resource ? await indexEntriesOf(ports, resource, references, new Map()) : [];
  const kept = new Set(desired.map((e) => e.secretArn));
  const previousSecrets = new Set(await ports.index.secretsOfService(serviceArn));
  const remove = [...previousSecrets]
    .filter((secretArn) => !kept.has(secretArn))
    .map((secretArn) => ({ secretArn, kind: 'service' as const, resourceArn: serviceArn }));
  await recordFirstSight(
    ports,
    desired.filter((e) => !previousSecrets.has(e.secretArn)),
    started,
    new Map(live ? [[serviceArn, live]] : []),
  );
  const diff = { put: desired, remove };
  await ports.index.apply(diff, new Map([[serviceArn, [...kept]]]));
  await forgetRemovedPairs(ports, diff);
}

/**
 * First ledger records for service entries that have none, judged from evidence: each service's
 * running deployment against the creation of the versions its references follow (one
 * ListSecretVersionIds per secret that has such an entry). The state of each secret is the one
 * read since `started` while resolving the references (a DescribeSecret only for a secret not
 * read since): reading it earlier is never less safe than reading it again now, since a version
 * promoted meanwhile makes the record behind, and the pair due. Written before the entries, so
 * that a reconcile never meets an entry without a record. A record that exists meanwhile is
 * kept. Returns the consumers judged stale (with tasks), for the rebuild's summary.
 */
export async function recordFirstSight(
  ports: Ports,
  entries: IndexEntry[],
  started: Date,
  services: Map<string, ServiceSnapshot>,
): Promise<StaleConsumer[]> {
  const bySecret = new Map<string, IndexEntry[]>();
  for (const e of entries) bySecret.set(e.secretArn, [...(bySecret.get(e.secretArn) ?? []), e]);
  const writeId = randomUUID();
  const stale: StaleConsumer[] = [];
  await mapWithConcurrency([...bySecret], 8, async ([secretArn, list]) => {
    const target = parseTarget(secretArn);
    if (!target) return;
    const state = await ports.secrets.describe(target, { readSince: started }).catch((error: unknown) => {
      if (error instanceof UnknownSecretError) return undefined;
      throw error;
    });
    if (!state) return;
    const consumers = list.map((e) => ({ serviceArn: e.resourceArn, references: e.references, service: services.get(e.resourceArn) }));
    const stamp = () => ({ now: ports.clock.now(), writeId: `${writeId}/${randomUUID()}` });
    const records = await firstSightRecords(ports, state, consumers, stamp);
    for (const entry of list) {
      const record = records.get(entry.resourceArn);
      const service = services.get(entry.resourceArn);
      if (record?.stale && (service?.desiredCount ?? 1) > 0)
        stale.push({ secretArn, serviceArn: entry.resourceArn, serviceName: entry.name, reason: record.stale });
    }
  });
  return stale.sort((a, b) => a.secretArn.localeCompare(b.secretArn) || a.serviceName.localeCompare(b.serviceName));
}

/** The ledger records of service entries the index dropped: the pair starts afresh if it ever comes back. */
export async function forgetRemovedPairs(ports: Ports, diff: IndexDiff): Promise<void> {
  await mapWithConcurrency(
    diff.remove.filter((e) => e.kind === 'service'),
    8,
    (e) => ports.ledger.remove(e.secretArn, e.resourceArn),
  );
}

/**
 * Index entries for one resource: its references grouped by the secret (full ARN) or SSM
 * parameter they name. References to secrets that do not exist are collected in `unresolved`,
 * with the names of the resources that make them.
 */
export async function indexEntriesOf(
  ports: Ports,
  resource: Omit<IndexEntry, 'secretArn' | 'references' | 'otherSecrets'>,
  references: SecretReference[],
  unresolved: Map<string, Set<string>>,
): Promise<IndexEntry[]> {
  const resolved = await mapWithConcurrency(references, 8, async (reference) => {
    const secretArn = reference.secret ? await ports.secrets.resolve(reference.secret) : reference.parameterArn;
    if (!secretArn) unresolved.set(reference.valueFrom, (unresolved.get(reference.valueFrom) ?? new Set()).add(resource.name));
    return { reference, secretArn };
  });
  return entriesFor(resource, resolved);
}
