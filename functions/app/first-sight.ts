import type { ServiceSnapshot } from '../domain/inventory/service';
import { firstSightOf, needsVersionDates } from '../domain/ledger/first-sight';
import type { LedgerRecord, Stamp } from '../domain/ledger/record';
import type { SecretState } from '../domain/plan/secret-state';
import { followedStages, type SecretReference } from '../domain/references/references';
import type { Ports } from '../ports/ports';
import { mapWithConcurrency } from '../util/concurrency';
import { commitRecord } from './compare-and-set';

/** A consumer indexed for the first time: its references to the secret, and its live state. */
export interface AtFirstSight {
  serviceArn: string;
  references: SecretReference[];
  /** As DescribeServices showed it; undefined when ECS did not (the pair is then judged stale). */
  service: ServiceSnapshot | undefined;
}

/**
 * The first records of pairs the index meets for the first time, judged from evidence
 * (domain/ledger/first-sight.ts) and written, by service ARN; a consumer whose every reference
 * is pinned follows no stage and gets none. The versions' creation times are read once for them
 * all, and only when one of them follows a stage that a version holds (ListSecretVersionIds;
 * nothing for a parameter). A pair recorded meanwhile by another run keeps that record, which is
 * returned instead.
 */
export async function firstSightRecords(
  ports: Ports,
  secret: SecretState,
  consumers: AtFirstSight[],
  stamp: () => Stamp,
): Promise<Map<string, LedgerRecord>> {
  const following = consumers.filter((c) => followedStages(c.references).length > 0);
  const needsDates = following.some((c) => needsVersionDates(c.references, secret));
  const versionCreated = needsDates ? await ports.secrets.versionDates(secret) : {};
  const records = new Map<string, LedgerRecord>();
  for (const consumer of following)
    records.set(consumer.serviceArn, firstSightOf(secret, consumer, consumer.service, versionCreated, stamp()));
  await mapWithConcurrency([...records.values()], 8, async (record) => {
    const written = await commitRecord(ports.ledger, record, undefined).catch(() => undefined);
    if (written?.written) return;
    if (written?.stored) records.set(record.serviceArn, written.stored);
    else records.delete(record.serviceArn);
  });
  return records;
}
