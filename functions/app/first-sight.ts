import { primaryCreatedAt, type ServiceSnapshot } from '../domain/inventory/service';
import { firstSight } from '../domain/ledger/first-sight';
import { firstSeen, type LedgerRecord, type Stamp } from '../domain/ledger/record';
import { type SecretState, versionOfStage } from '../domain/plan/secret-state';
import { followedStage, type SecretReference } from '../domain/references/references';
import type { Ports } from '../ports/ports';
import { mapWithConcurrency } from '../util/concurrency';
import { commitRecord } from './commit-record';

/** A consumer met without a ledger record: its references to the secret, and its live state. */
export interface Sighting {
  serviceArn: string;
  references: SecretReference[];
  /** As DescribeServices showed it; undefined when ECS did not (the pair is then judged stale). */
  service: ServiceSnapshot | undefined;
}

/**
 * The first records of pairs that have none, judged from evidence (domain/ledger/first-sight.ts),
 * by service ARN; a consumer whose every reference is pinned follows no stage and gets none.
 * The versions' creation times are read once for all the sightings, and only when one of them
 * follows a stage that a version holds (ListSecretVersionIds; nothing for a parameter). With
 * `record`, each is written (conditionally: a pair recorded meanwhile by another run keeps that
 * record, which is returned instead).
 */
export async function firstSightRecords(
  ports: Ports,
  secret: SecretState,
  sightings: Sighting[],
  stamp: () => Stamp,
  options: { record: boolean },
): Promise<Map<string, LedgerRecord>> {
  const stagesOf = (s: Sighting) => s.references.map(followedStage).filter((stage): stage is string => stage !== undefined);
  const following = sightings.filter((s) => stagesOf(s).length > 0);
  const needsDates = following.some((s) => stagesOf(s).some((stage) => versionOfStage(secret, stage) !== undefined));
  const versionCreated = needsDates ? await ports.secrets.versionDates(secret) : {};
  const records = new Map<string, LedgerRecord>();
  for (const sighting of following) {
    const createdAt = sighting.service && primaryCreatedAt(sighting.service);
    const sight = firstSight(stagesOf(sighting), secret, { versionCreated, ...(createdAt ? { deploymentCreatedAt: createdAt } : {}) });
    records.set(sighting.serviceArn, firstSeen(secret.arn, sighting.serviceArn, sight, stamp()));
  }
  if (!options.record) return records;
  await mapWithConcurrency([...records.values()], 8, async (record) => {
    if (await commitRecord(ports.ledger, record, undefined).catch(() => false)) return;
    const stored = await ports.ledger.read(record.secretArn, record.serviceArn).catch(() => undefined);
    if (stored) records.set(record.serviceArn, stored);
    else records.delete(record.serviceArn);
  });
  return records;
}
