import { primaryCreatedAt, type ServiceSnapshot } from '../inventory/service';
import { type SecretState, versionOfStage } from '../plan/secret-state';
import { followedStages, type SecretReference } from '../references/references';
import { firstSightRecord, NO_VERSION, type SettledRecord, type Stamp, type Versions } from './record';

/** What the state shows about a consumer whose (service, secret) pair has no record yet. */
export interface Evidence {
  /** When the service's running (PRIMARY) deployment was created; undefined when ECS showed none. */
  deploymentCreatedAt?: string;
  /** Version id -> when it was created (ListSecretVersionIds' CreatedDate; a parameter's LastModifiedDate). */
  versionCreated: Record<string, string>;
}

/** A followed stage whose version the running deployment cannot have read. */
export interface StaleStage {
  stage: string;
  version: string;
  /** Why: the deployment is older than the version, or one of the two times is unknown. */
  reason: string;
}

/**
 * The first record of a pair, judged from evidence. `versions` holds each followed stage the
 * running deployment is known to run (NO_VERSION for a stage no version holds); a stale stage
 * is left out, so the record never holds what is desired and the pair is due.
 */
export interface FirstSight {
  versions: Versions;
  stale: StaleStage[];
}

/**
 * What a consumer first seen runs, from state and never from assumption: the running deployment
 * was started with the version a stage holds now only if it was created after that version was.
 * A deployment created before the version runs an older value (drift). A time that is unknown
 * counts as stale: a needless restart is recoverable, a missed one is not.
 *
 * One blind spot, on the safe side of what can be known: a deployment created after a version
 * was created but before it was promoted (a rotation's AWSPENDING window, seconds long) is taken
 * as current, since no API says when a label moved. Likewise after a rollback re-promotes an old
 * version. Both concern only pairs without a record; recorded pairs follow the ledger.
 */
export function firstSight(stages: string[], secret: SecretState, evidence: Evidence): FirstSight {
  const versions: Versions = {};
  const stale: StaleStage[] = [];
  const deployed = evidence.deploymentCreatedAt === undefined ? Number.NaN : Date.parse(evidence.deploymentCreatedAt);
  for (const stage of [...new Set(stages)].sort()) {
    const version = versionOfStage(secret, stage);
    if (version === undefined) {
      versions[stage] = NO_VERSION;
      continue;
    }
    const createdText = evidence.versionCreated[version];
    const created = createdText === undefined ? Number.NaN : Date.parse(createdText);
    if (Number.isNaN(deployed)) stale.push({ stage, version, reason: 'ECS shows no creation time of its running deployment' });
    else if (Number.isNaN(created)) stale.push({ stage, version, reason: `the creation time of ${stage} (${version}) is unknown` });
    else if (deployed < created)
      stale.push({
        stage,
        version,
        reason: `its deployment (created ${evidence.deploymentCreatedAt}) is older than ${stage} (${version}, created ${createdText})`,
      });
    else versions[stage] = version;
  }
  return { versions, stale };
}

/**
 * True when judging a consumer with these references at first sight needs the versions'
 * creation times: it follows a stage that a version holds (one no version holds needs none).
 */
export function needsVersionDates(references: SecretReference[], secret: SecretState): boolean {
  return followedStages(references).some((stage) => versionOfStage(secret, stage) !== undefined);
}

/**
 * The first record of a consumer's pair: what its running (PRIMARY) deployment runs, judged from
 * the evidence (see firstSight), wherever the pair is first met (a rebuild, a re-index, a plan).
 */
export function firstSightOf(
  secret: SecretState,
  consumer: { serviceArn: string; references: SecretReference[] },
  service: Pick<ServiceSnapshot, 'deployments' | 'taskSets'> | undefined,
  versionCreated: Record<string, string>,
  stamp: Stamp,
): SettledRecord {
  const createdAt = service && primaryCreatedAt(service);
  const sight = firstSight(followedStages(consumer.references), secret, {
    versionCreated,
    ...(createdAt ? { deploymentCreatedAt: createdAt } : {}),
  });
  return firstSightRecord(secret.arn, consumer.serviceArn, sight, stamp);
}
