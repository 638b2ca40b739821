import { errorLine, UnknownSecretError } from '../domain/errors';
import { locationOf } from '../domain/identity/arn';
import { assertAllowedOwner } from '../domain/identity/owners';
import { accountOf, parseTarget, type SecretTarget, type Target, targetText } from '../domain/identity/target';
import type { SecretRecord } from '../domain/ledger/record';
import type { Snapshot } from '../domain/plan/reconcile-plan';
import { replicationRole } from '../domain/plan/replication';
import type { ReplicaStatus, SecretState } from '../domain/plan/secret-state';
import type { Ports } from '../ports/ports';
import type { DescribeOptions } from '../ports/secrets';

/**
 * Replicas seen from the region of this deployment. Services here reference the copy of a secret
 * in their own region (the replica's ARN), and the index holds them under that ARN: a change named
 * by the primary's ARN (an event forwarded from the primary's region by `forwardSecretEventsTo`)
 * must lead to the replica here as well. The event decoder is pure and names what the event names;
 * this step, between the signal and the reconciles, reads DescribeSecret to find the copy.
 */

/** The copy in this region of a secret that another region's event named. */
export interface LocalCopy {
  /** The copy's full ARN in this region. */
  arn: string;
  target: SecretTarget;
  /** `replica`: the named secret is a primary with a replica here; `primary`: it is a replica of a primary here. */
  role: 'replica' | 'primary';
  /** How replication to this region stands, as the primary reports it (a replica only, when the primary was read). */
  status?: ReplicaStatus;
}

/** What a change of one secret or parameter leads to in this region. */
export interface RegionTargets {
  /** What to reconcile here: the target the signal named (consumers here may reference it across regions), then its copy here. */
  targets: Target[];
  /** The named secret's state as read (a secret only). */
  named?: SecretState;
  /** Its copy in this region, if it has one. */
  local?: LocalCopy;
  /** The primary's state, when it was read (the named secret itself when it is the primary): what the replica's hold is judged against. */
  primary?: SecretState;
}

/**
 * The targets a signal's target leads to in `homeRegion`: itself, and the copy of the same secret
 * in this region when it lives in another one (its replica here, or its primary here). A replica
 * named from a third region is followed to its primary (one DescribeSecret more) for the replica
 * here. `options.readSince` lets the reconciles that follow reuse the states read here.
 * Throws as the reconcile does: UnknownSecretError, ForeignAccountError (checked before anything
 * is read), or the call's own error.
 */
export async function targetsInRegion(
  ports: Pick<Ports, 'secrets' | 'accountId' | 'config'>,
  target: Target,
  homeRegion: string,
  options: DescribeOptions = {},
): Promise<RegionTargets> {
  if (target.kind !== 'secret') return { targets: [target] };
  const account = await ports.accountId();
  assertAllowedOwner(targetText(target), accountOf(target), account, ports.config.secretOwners);
  const named = await ports.secrets.describe(target, options);
  assertAllowedOwner(named.arn, locationOf(named.arn)?.account, account, ports.config.secretOwners);
  const none: RegionTargets = { targets: [target], named };
  if (locationOf(named.arn)?.region === homeRegion) return none;
  const role = replicationRole(named);
  if (role.role === 'replica' && role.primaryRegion === homeRegion && role.primaryArn) {
    return withCopy(none, { arn: role.primaryArn, role: 'primary' });
  }
  const primary = role.role === 'primary' ? named : role.role === 'replica' ? await primaryOf(ports, named, options) : undefined;
  if (!primary) return none;
  const primaryRole = replicationRole(primary);
  const here = primaryRole.role === 'primary' ? primaryRole.replicas.find((r) => r.region === homeRegion) : undefined;
  if (!here?.arn) return { ...none, primary };
  return { ...withCopy(none, { arn: here.arn, role: 'replica', status: here.status }), primary };
}

function withCopy(base: RegionTargets, copy: Omit<LocalCopy, 'target'>): RegionTargets {
  const target = parseTarget(copy.arn);
  // Built from a full ARN DescribeSecret returned, with another region of the same partition: always a secret target.
  if (target?.kind !== 'secret') return base;
  return { ...base, targets: [...base.targets, target], local: { ...copy, target } };
}

/**
 * A replica's primary as DescribeSecret shows it now (in the primary's region), for the hold on
 * the replica's consumers; undefined when the secret is no replica or its primary is gone (a
 * promotion in flight). Costs one DescribeSecret, none when `readSince` finds it read already.
 */
export async function primaryOf(
  ports: Pick<Ports, 'secrets'>,
  replica: SecretState,
  options: DescribeOptions = {},
): Promise<SecretState | undefined> {
  const role = replicationRole(replica);
  if (role.role !== 'replica' || !role.primaryArn) return undefined;
  const target = parseTarget(role.primaryArn);
  if (!target) return undefined;
  try {
    return await ports.secrets.describe(target, options);
  } catch (error) {
    if (error instanceof UnknownSecretError) return undefined;
    throw error;
  }
}

/**
 * What a plan needs to know of a replica secret: its primary (read in the primary's region) or
 * why it could not be read, and the failed replication last announced (its ledger row). A
 * primary region that does not answer (the outage a replica is kept for) must not stop the
 * replica's region: its consumers are then reconciled with what the replica holds, and the
 * report says why. Nothing, and no call, for any other secret; no call either when the primary
 * was read at or after `readSince` (an event's run that reconciled the primary first).
 */
export async function replicaFacts(
  ports: Pick<Ports, 'secrets'>,
  secret: SecretState,
  row: SecretRecord | undefined,
  readSince?: Date,
): Promise<Pick<Snapshot, 'primary' | 'primaryUnread' | 'replicationNoticed'>> {
  if (replicationRole(secret).role !== 'replica') return {};
  const noticed = row?.replicationNoticeFor ? { replicationNoticed: row.replicationNoticeFor } : {};
  try {
    const primary = await primaryOf(ports, secret, readSince ? { readSince } : {});
    return { ...noticed, ...(primary ? { primary } : { primaryUnread: 'it no longer exists there (a promotion in flight)' }) };
  } catch (error) {
    return { ...noticed, primaryUnread: errorLine(error) };
  }
}

/** A copy of a secret in a region: the secret itself there, under its own ARN. */
export interface Copy {
  region: string;
  arn: string;
  /** The primary of the secret given, or one of its primary's replicas. */
  role: 'primary' | 'replica';
  /** How replication to it stands, as the primary reports it (a replica, when the primary was read). */
  status?: string;
}

/**
 * Every other copy of a replicated secret, in every region: for a primary, its replicas; for a
 * replica, its primary and the primary's other replicas (read through the primary: one
 * DescribeSecret, none when `readSince` finds it read). None for a secret never replicated.
 */
export async function copiesOf(ports: Pick<Ports, 'secrets'>, secret: SecretState, options: DescribeOptions = {}): Promise<Copy[]> {
  const role = replicationRole(secret);
  if (role.role === 'standalone') return [];
  const primary = role.role === 'primary' ? secret : await primaryOf(ports, secret, options);
  const copies: Copy[] = [];
  if (role.role === 'replica' && role.primaryArn) copies.push({ region: role.primaryRegion, arn: role.primaryArn, role: 'primary' });
  const replicas = primary ? replicationRole(primary) : undefined;
  for (const replica of replicas?.role === 'primary' ? replicas.replicas : []) {
    if (replica.arn && replica.arn !== secret.arn)
      copies.push({ region: replica.region, arn: replica.arn, role: 'replica', status: replica.status.status });
  }
  return copies;
}
