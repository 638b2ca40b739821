/**
 * The deployed-version ledger: for each (service, secret) pair, the versions (one per stage its
 * references follow) that the service's running deployment was started with. A record is
 * `settled` (what runs is known) or `claimed` (a run is about to call, or has called,
 * UpdateService). It changes only by compare-and-set on `rev`, through the transitions below:
 * first seen (judged from evidence, see first-sight.ts) wherever the pair is first met, claimed
 * just before UpdateService, done once UpdateService is known to have been applied, released
 * when it is known not to have been.
 */

import { parseArn } from '../identity/arn';
import type { Rollout } from '../rollout/rollout';
import type { DeploymentState } from '../rollout/waves';

/**
 * A stage no version holds (AWSPREVIOUS before the first rotation, a custom stage removed),
 * recorded as such: once the stage gets a version, the record no longer holds it and the pair is
 * due. No version id can be this text (Secrets Manager's are 32 to 64 characters, SSM's are
 * numbers).
 */
export const NO_VERSION = '(none)';

/** Stage -> version id, e.g. `{ AWSCURRENT: "v3" }`. */
export type Versions = Record<string, string>;

/** How the versions of a `done` record became known. */
export type Via =
  /** Written before records were judged from evidence: the version current when the pair was first indexed. */
  | 'baseline'
  /** Judged from evidence when the pair was first seen: the running deployment's creation time against the versions'. */
  | 'first-sight'
  /** A redeploy for another secret of the service was applied after these versions were read: its tasks read them, or newer. */
  | 'settled'
  /** Our UpdateService was applied (its answer said so). */
  | 'redeploy'
  /** After a lost answer or a crash, ECS showed a deployment created after the claim. */
  | 'recovered'
  /** The service runs no task: any task started later reads the current version. */
  | 'no-tasks';

/** A claim in flight: the claimer is about to call, or has called, UpdateService. */
export interface Claim {
  /** Identifies the claimer (one run); a retried write recognises its own token. */
  token: string;
  claimedAt: string;
  /** After this, another run may take the claim over (after asking ECS what happened). */
  leaseUntil: string;
  /** The versions the redeploy brings the service to. */
  target: Versions;
  /** The PRIMARY deployment before the claim: a different one later means a deployment was created since. */
  priorDeploymentId?: string;
  /** Where the redeploy belongs in a rollout: while in flight it holds back the waves after its own. */
  slot?: Slot;
}

/** A CodeDeploy deployment group, by application and group name. */
export interface CodeDeployRef {
  application: string;
  group: string;
}

/** A redeploy's place in a rollout: the rollout's key (the versions it rolls out, see versionKey) and its wave. */
export interface Slot {
  key: string;
  wave: number;
}

interface RecordFields {
  secretArn: string;
  serviceArn: string;
  /** What the running deployment was started with (before the claim, while pending). */
  versions: Versions;
  via: Via;
  /** The deployment that brought `versions` (absent for a baseline). */
  deploymentId?: string;
  /** ECS's record of that deployment (ListServiceDeployments), once a poll found it. */
  serviceDeploymentArn?: string;
  /** The deployment is CodeDeploy's (a CODE_DEPLOY service), made through this application's deployment group. */
  codeDeploy?: CodeDeployRef;
  /** When `versions` were recorded. */
  at: string;
  /** Why the running deployment was judged, when first seen, to run an older version than current (kept until a redeploy). */
  stale?: string;
  /** Why the last attempt did not redeploy (kept until the next success). */
  lastError?: string;
  /** The rollout and wave the last deployment belonged to, and that deployment's state as ECS told it. */
  slot?: Slot;
  deployment?: { state: DeploymentState; reason?: string; at: string; claimedAt?: string };
  /** Incremented by every write; writes are conditional on the revision read. */
  rev: number;
  /** Identifies the write that produced this revision, so that a writer whose answer was lost recognises its own write. */
  writeId: string;
}

/** What the running deployment was started with is known, and no run is redeploying the service. */
export interface SettledRecord extends RecordFields {
  state: 'settled';
}

/** A run holds a claim: it is about to call, or has called, UpdateService (`versions` are those from before). */
export interface ClaimedRecord extends RecordFields {
  state: 'claimed';
  claim: Claim;
}

export type LedgerRecord = SettledRecord | ClaimedRecord;

/** Canonical text of a set of versions, for comparisons and reports (`AWSCURRENT=v3`). */
export function versionKey(versions: Versions): string {
  return Object.keys(versions)
    .sort()
    .map((stage) => `${stage}=${versions[stage]}`)
    .join(',');
}

/** The versions a key made by `versionKey` stands for (a rollout's key names the versions it rolls out). */
export function versionsOfKey(key: string): Versions {
  return Object.fromEntries(
    key
      .split(',')
      .filter(Boolean)
      .map((pair) => pair.split('=') as [string, string]),
  );
}

/**
 * Versions as a person reads them: `AWSCURRENT=v3` for a secret's stages, `version 3` for an SSM
 * parameter (whose one "stage" is its latest version).
 */
export function describeVersions(versions: Versions, kind: 'secret' | 'parameter'): string {
  if (kind === 'parameter' && Object.keys(versions).length === 1) return `version ${Object.values(versions)[0]}`;
  return versionKey(versions);
}

/** `AWSCURRENT=v3, by deployment ecs-svc/1` (a parameter: `version 3, ...`) for reasons. */
export function describeRecord(record: LedgerRecord | undefined): string {
  if (!record) return 'no record';
  if (record.stale) return `an older version than current (first seen: ${record.stale})`;
  const how = record.deploymentId
    ? `, by deployment ${record.deploymentId}`
    : record.via === 'baseline'
      ? ', since it was indexed'
      : record.via === 'first-sight'
        ? ', as its deployment was created after the version'
        : '';
  return `${describeVersions(record.versions, kindOf(record.secretArn))}${how}`;
}

/** A parameter's ARN names the ssm service; anything else here is a secret. */
export function kindOf(arn: string): 'secret' | 'parameter' {
  return parseArn(arn)?.service === 'ssm' ? 'parameter' : 'secret';
}

/** True when the record holds every desired version (stages it holds beyond them do not matter). */
export function holds(versions: Versions, desired: Versions): boolean {
  return Object.entries(desired).every(([stage, version]) => versions[stage] === version);
}

/** What a run should do about a consumer's record, given the desired versions. */
export type ClaimDecision =
  /** No record, or a done record behind the desired versions: claim it. */
  | { action: 'claim' }
  /** Already at the desired versions. */
  | { action: 'up-to-date' }
  /** Another run holds a live claim. */
  | { action: 'busy'; until: string }
  /** A claim whose lease ran out: ask ECS whether its UpdateService was applied before anything else. */
  | { action: 'recover'; claim: Claim }
  /** Our own claim, made earlier by this run (a claim write whose answer was lost comes back written, by its writeId). */
  | { action: 'mine'; claim: Claim };

/**
 * The decision for one record. `force` claims even a record already at the desired versions
 * (a redeploy asked for by hand).
 */
export function decideClaim(record: LedgerRecord | undefined, desired: Versions, now: Date, token: string, force = false): ClaimDecision {
  if (!record) return { action: 'claim' };
  if (record.state === 'claimed') {
    const { claim } = record;
    if (claim.token === token) return { action: 'mine', claim };
    if (Date.parse(claim.leaseUntil) > now.getTime()) return { action: 'busy', until: claim.leaseUntil };
    return { action: 'recover', claim };
  }
  if (!force && holds(record.versions, desired)) return { action: 'up-to-date' };
  return { action: 'claim' };
}

/** Everything a transition needs to stamp a new revision. */
export interface Stamp {
  now: Date;
  /** Unique per write. */
  writeId: string;
}

/** The first record of a pair, as the evidence judged it (a FirstSight, see first-sight.ts). */
export function firstSightRecord(
  secretArn: string,
  serviceArn: string,
  sight: { versions: Versions; stale: ReadonlyArray<{ reason: string }> },
  stamp: Stamp,
): SettledRecord {
  return {
    state: 'settled',
    secretArn,
    serviceArn,
    versions: sight.versions,
    via: 'first-sight',
    ...(sight.stale.length > 0 ? { stale: sight.stale.map((s) => s.reason).join('; ') } : {}),
    at: stamp.now.toISOString(),
    rev: 1,
    writeId: stamp.writeId,
  };
}

/**
 * The record once a deployment made for another secret of the service is known to have been
 * created after `versions` were read: the stages the record follows advance to them. Null when
 * it holds them already.
 */
export function settled(
  record: SettledRecord,
  versions: Versions,
  deploymentId: string | undefined,
  stamp: Stamp,
  codeDeploy?: CodeDeployRef,
): SettledRecord | null {
  const next: Versions = {};
  for (const stage of Object.keys(record.versions)) next[stage] = versions[stage] ?? NO_VERSION;
  if (versionKey(next) === versionKey(record.versions)) return null;
  // The deployment of the other secret's rollout says nothing of this secret's rollout.
  const { stale: _s, lastError: _e, slot: _r, deployment: _d, serviceDeploymentArn: _a, codeDeploy: _c, ...rest } = record;
  return {
    ...rest,
    versions: next,
    via: 'settled',
    ...(deploymentId ? { deploymentId } : {}),
    ...(deploymentId && codeDeploy ? { codeDeploy } : {}),
    at: stamp.now.toISOString(),
    rev: record.rev + 1,
    writeId: stamp.writeId,
  };
}

/**
 * The record with a claim: `previous` absent means the pair had no record (the versions it runs
 * are unknown, so none are kept). Taking over an expired claim replaces it.
 */
export function claimed(
  previous: LedgerRecord | undefined,
  ids: { secretArn: string; serviceArn: string },
  claim: Omit<Claim, 'claimedAt' | 'leaseUntil'>,
  leaseSeconds: number,
  stamp: Stamp,
): ClaimedRecord {
  const claimedAt = stamp.now.toISOString();
  const leaseUntil = new Date(stamp.now.getTime() + leaseSeconds * 1000).toISOString();
  const base = previous ?? { ...ids, versions: {}, via: 'baseline' as const, at: claimedAt, rev: 0 };
  return { ...base, state: 'claimed', claim: { ...claim, claimedAt, leaseUntil }, rev: base.rev + 1, writeId: stamp.writeId };
}

/**
 * The record once a deployment is known to have been created for the claim, in a rollout's wave:
 * its deployment is IN_PROGRESS until ECS (or CodeDeploy) says otherwise. `found.serviceDeploymentArn`:
 * ECS's record of it, when UpdateService's answer named it (`currentServiceDeployment`);
 * `found.codeDeploy`: the deployment group of a CodeDeploy deployment.
 */
export function done(
  pending: ClaimedRecord,
  via: 'redeploy' | 'recovered',
  deploymentId: string | undefined,
  stamp: Stamp,
  slot?: Slot,
  found: { serviceDeploymentArn?: string; codeDeploy?: CodeDeployRef } = {},
): SettledRecord {
  const at = stamp.now.toISOString();
  const { serviceDeploymentArn, codeDeploy } = found;
  return {
    state: 'settled',
    secretArn: pending.secretArn,
    serviceArn: pending.serviceArn,
    versions: { ...pending.versions, ...pending.claim.target },
    via,
    ...(deploymentId ? { deploymentId } : {}),
    ...(serviceDeploymentArn ? { serviceDeploymentArn } : {}),
    ...(codeDeploy ? { codeDeploy } : {}),
    at,
    // The claim time finds the deployment among ECS's records later: the first one created after it.
    ...(slot ? { slot, deployment: { state: 'IN_PROGRESS' as const, at, claimedAt: pending.claim.claimedAt } } : {}),
    rev: pending.rev + 1,
    writeId: stamp.writeId,
  };
}

/**
 * The record once ECS told how its deployment ended (or moved on); `serviceDeploymentArn`, when
 * ECS's record of the deployment told it.
 */
export function deploymentChanged<R extends LedgerRecord>(
  record: R,
  state: DeploymentState,
  reason: string | undefined,
  stamp: Stamp,
  serviceDeploymentArn?: string,
): R {
  const { claimedAt } = record.deployment ?? {};
  return {
    ...record,
    ...(serviceDeploymentArn ? { serviceDeploymentArn } : {}),
    deployment: { state, ...(reason ? { reason } : {}), at: stamp.now.toISOString(), ...(claimedAt ? { claimedAt } : {}) },
    rev: record.rev + 1,
    writeId: stamp.writeId,
  };
}

/** The record once ECS's record of its deployment in progress was found: later polls describe it directly. */
export function located<R extends LedgerRecord>(record: R, serviceDeploymentArn: string, stamp: Stamp): R {
  return { ...record, serviceDeploymentArn, rev: record.rev + 1, writeId: stamp.writeId };
}

/**
 * The secret's own row of the ledger: the rollout of its current versions, and which deletion
 * was already announced (once per deletion date). Written by compare-and-set like the others.
 */
export interface SecretRecord {
  secretArn: string;
  rollout?: Rollout;
  deletionNoticeFor?: string;
  /** The failed replication of this replica secret last announced (ReconcilePlan's notice key). */
  replicationNoticeFor?: string;
  rev: number;
  writeId: string;
}

/** A secret's ledger: one record per consumer, and the secret's own. */
export interface SecretLedger {
  services: LedgerRecord[];
  secret?: SecretRecord;
}

/** The record once UpdateService is known not to have been applied: the claim is dropped, the service stays behind. */
export function released(pending: ClaimedRecord, error: string, stamp: Stamp): SettledRecord {
  const { claim: _, ...rest } = pending;
  return { ...rest, state: 'settled', lastError: error, rev: pending.rev + 1, writeId: stamp.writeId };
}

/** The record of a service that runs no task: nothing to redeploy, later tasks read the desired versions. */
export function noTasks(
  previous: LedgerRecord | undefined,
  ids: { secretArn: string; serviceArn: string },
  desired: Versions,
  stamp: Stamp,
): SettledRecord {
  return {
    state: 'settled',
    ...ids,
    versions: { ...previous?.versions, ...desired },
    via: 'no-tasks',
    at: stamp.now.toISOString(),
    rev: (previous?.rev ?? 0) + 1,
    writeId: stamp.writeId,
  };
}
