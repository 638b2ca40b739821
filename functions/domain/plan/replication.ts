import { locationOf } from '../identity/arn';
import { arnInRegion } from '../identity/replica';
import { type ReplicaStatus, type SecretState, versionOfStage } from './secret-state';

/**
 * A secret's place in Secrets Manager replication, and when the consumers of a replica may be
 * redeployed. A replica has the primary's name and version ids; every change of the primary is
 * copied to it asynchronously ("Replication is asynchronous and eventually consistent"). Its
 * consumers read the replica, so a redeploy before the replica holds the change would start
 * tasks on the old value.
 */

/** A replica as its primary lists it. */
export interface ReplicaCopy {
  region: string;
  /** Its ARN (the primary's with the region replaced); undefined only for an entry that names no usable region. */
  arn?: string;
  status: ReplicaStatus;
}

/** Standalone (never replicated, or promoted), a primary with its replicas, or a replica. */
export type ReplicationRole =
  | { role: 'standalone' }
  | { role: 'primary'; replicas: ReplicaCopy[] }
  | {
      role: 'replica';
      /** The replica's own region. */
      region: string;
      primaryRegion: string;
      /** The primary's ARN (the replica's with the region replaced). */
      primaryArn?: string;
      /** Its replication as the replica's own DescribeSecret reports it, when it does. */
      status?: ReplicaStatus;
    };

/**
 * The role DescribeSecret's answer shows. A replica is a secret whose `PrimaryRegion` is another
 * region than its own (a primary may name its own region there); a primary is one that lists
 * replicas in `ReplicationStatus` and is no replica.
 */
export function replicationRole(state: SecretState): ReplicationRole {
  const region = locationOf(state.arn)?.region;
  if (state.kind !== 'secret' || region === undefined) return { role: 'standalone' };
  if (state.primaryRegion !== undefined && state.primaryRegion !== region) {
    const status = state.replicationStatus?.find((r) => r.region === region);
    const primaryArn = arnInRegion(state, state.primaryRegion);
    return {
      role: 'replica',
      region,
      primaryRegion: state.primaryRegion,
      ...(primaryArn ? { primaryArn } : {}),
      ...(status ? { status } : {}),
    };
  }
  const replicas = (state.replicationStatus ?? [])
    .filter((r) => r.region !== region)
    .map((status) => ({ region: status.region, arn: arnInRegion(state, status.region), status }));
  return replicas.length > 0 ? { role: 'primary', replicas } : { role: 'standalone' };
}

/** A followed stage whose version the replica does not hold yet. */
export interface StageGap {
  stage: string;
  /** The version the primary's stage holds (undefined: the stage is on no version there). */
  primaryVersion?: string;
  /** The version the replica's stage holds now. */
  replicaVersion?: string;
}

/**
 * Whether the consumers of a secret may be redeployed now, as far as replication goes:
 * - `free`: not a replica; a replica that holds the primary's version of every followed stage
 *   (whatever its status says: those versions are what its consumers' new tasks read, and a
 *   version id never changes its value); or one whose primary could not be read and whose own
 *   answer reports no replication in flight (its own stages decide, as for any secret);
 * - `wait`: a followed stage is still on another version than the primary's (replication in
 *   progress, or reported `InSync` by a primary read a moment after the replica), or, with the
 *   primary unread, the replica's own answer says replication is in progress: the consumers wait,
 *   and the wait is re-checked;
 * - `overdue`: the same, past {@link REPLICA_WAIT_LIMIT_MINUTES} after the change: the wait is over
 *   (bounded), the consumers are reconciled with what the replica holds, and the lag is reported;
 * - `warn`: replication `Failed`. It does not resolve by itself, so it is not a wait: the
 *   consumers are reconciled with what the replica holds, and the failure is reported with its
 *   status message.
 */
export type ReplicaHold =
  | { verdict: 'free'; reason: string }
  | {
      verdict: 'wait' | 'overdue';
      reason: string;
      region: string;
      status: string;
      behind: StageGap[];
      /** When the change was made, as far as DescribeSecret says (the primary's last change, else the replica's): the wait counts from it. */
      since?: string;
    }
  | { verdict: 'warn'; reason: string; region: string; statusMessage?: string };

/**
 * The hold on a replica's consumers, from the replica's state and, when known, its primary's (the
 * primary's `ReplicationStatus` entry for the replica's region, and its versions). `stages` are
 * the stages the consumers follow (AWSCURRENT unless a reference names another). A `primary` that
 * is not this replica's primary is not used. With `now`, a wait longer than
 * {@link REPLICA_WAIT_LIMIT_MINUTES} since the change (the primary's last change, else the
 * replica's) is `overdue`.
 */
export function replicaHold(
  replica: SecretState,
  primary: SecretState | undefined,
  stages: readonly string[] = ['AWSCURRENT'],
  now?: Date,
): ReplicaHold {
  const role = replicationRole(replica);
  if (role.role !== 'replica') return { verdict: 'free', reason: 'not a replica' };
  const { region } = role;
  const known = primary !== undefined && role.primaryArn !== undefined && primary.arn === role.primaryArn ? primary : undefined;
  const status = known ? known.replicationStatus?.find((r) => r.region === region) : role.status;
  if (known && !status) {
    return { verdict: 'free', reason: `${known.name} no longer lists a replica in ${region} (promoted to a standalone secret)` };
  }
  if (status?.status === 'Failed') {
    const detail = status.statusMessage ? `: ${status.statusMessage}` : '';
    return {
      verdict: 'warn',
      reason: `replication of ${replica.name} from ${role.primaryRegion} to ${region} failed${detail}`,
      region,
      ...(status.statusMessage ? { statusMessage: status.statusMessage } : {}),
    };
  }
  const behind = known
    ? stages
        .map((stage) => ({ stage, primaryVersion: versionOfStage(known, stage), replicaVersion: versionOfStage(replica, stage) }))
        .filter((gap) => gap.primaryVersion !== gap.replicaVersion)
    : [];
  const inSync = status === undefined || status.status === 'InSync';
  if (known && behind.length === 0) return { verdict: 'free', reason: `the replica in ${region} holds the primary's versions` };
  if (!known && inSync)
    return { verdict: 'free', reason: `the primary in ${role.primaryRegion} was not read: the replica's own stages decide` };
  const state = status?.status ?? 'InSync';
  const gaps = behind.map((g) => `${g.stage} ${g.primaryVersion ?? '(no version)'}`).join(', ');
  const reason = inSync
    ? `replica in ${region} reported InSync but does not hold ${gaps} yet`
    : `replication from ${role.primaryRegion} to ${region} is ${state}${gaps ? `: the replica does not hold ${gaps} yet` : ''}`;
  const since = known?.lastChangedDate ?? replica.lastChangedDate;
  const waited = now && since ? (now.getTime() - Date.parse(since)) / 60_000 : undefined;
  if (waited !== undefined && waited > REPLICA_WAIT_LIMIT_MINUTES) {
    return {
      verdict: 'overdue',
      reason: `${reason} ${Math.floor(waited)} minutes after the change (the wait ends after ${REPLICA_WAIT_LIMIT_MINUTES})`,
      region,
      status: state,
      behind,
      since: since as string,
    };
  }
  return { verdict: 'wait', reason, region, status: state, behind, ...(since ? { since } : {}) };
}

/**
 * When a waiting replica is looked at again: 1, 3, 7 and 15 minutes after the change (delays of
 * 1, 2, 4 and 8 minutes: 15 minutes in all, inside one period of the default 30-minute scheduled
 * reconcile, which looks again after that). Replication usually completes within seconds; the
 * first look comes after a minute because a one-time EventBridge Scheduler schedule (a wakeup)
 * carries it, and a schedule must lie at least a minute ahead.
 */
export const REPLICA_RECHECK_DELAYS_MINUTES: readonly number[] = [1, 2, 4, 8];

/** How long the consumers of a replica wait for a change to reach it: as long as the re-checks take. */
export const REPLICA_WAIT_LIMIT_MINUTES = REPLICA_RECHECK_DELAYS_MINUTES.reduce((a, b) => a + b, 0);

/**
 * The next look at a wait: the first of the re-check times after the change (see
 * {@link REPLICA_RECHECK_DELAYS_MINUTES}) that is still ahead of `now`. Counted from the change,
 * not from the looks, so that it needs no record of how many looks ran: every run that finds the
 * same wait finds the same times, and past the last one there is none (the wait is overdue soon
 * after, and the scheduled reconcile looks again). None for anything but a wait, nor for one with
 * no change time to count from.
 */
export function replicaRecheckAt(hold: ReplicaHold, now: Date): Date | undefined {
  if (hold.verdict !== 'wait' || hold.since === undefined) return undefined;
  const since = Date.parse(hold.since);
  let minutes = 0;
  for (const delay of REPLICA_RECHECK_DELAYS_MINUTES) {
    minutes += delay;
    const at = since + minutes * 60_000;
    if (at > now.getTime()) return new Date(at);
  }
  return undefined;
}

/**
 * What identifies a wait, for its re-checks: the versions the replica waits for (stage=version),
 * or its status when the primary could not be read. Two runs that find the same wait name the
 * same re-checks, so that duplicate events schedule each re-check once.
 */
export function waitKey(hold: Pick<Extract<ReplicaHold, { behind: StageGap[] }>, 'behind' | 'status'>): string {
  return hold.behind.length > 0 ? hold.behind.map((g) => `${g.stage}=${g.primaryVersion ?? ''}`).join(',') : hold.status;
}

/**
 * A secret's place in replication as the status, the plan and the usage map show it: a replica
 * with its primary's region and how replication to it stands (as the primary reports it, when
 * it was read; else as the replica's own answer does, if it does), or a primary with each replica's
 * region and status. Undefined for a secret that is neither.
 */
export type ReplicationView =
  | { role: 'replica'; primaryRegion: string; status?: string; statusMessage?: string }
  | { role: 'primary'; replicas: Array<{ region: string; status: string; statusMessage?: string }> };

export function replicationView(state: SecretState, primary?: SecretState): ReplicationView | undefined {
  const role = replicationRole(state);
  if (role.role === 'standalone') return undefined;
  if (role.role === 'primary') {
    return {
      role: 'primary',
      replicas: role.replicas.map(({ region, status }) => ({
        region,
        status: status.status,
        ...(status.statusMessage ? { statusMessage: status.statusMessage } : {}),
      })),
    };
  }
  const known = primary && primary.arn === role.primaryArn ? primary : undefined;
  const status = known ? known.replicationStatus?.find((r) => r.region === role.region) : role.status;
  return {
    role: 'replica',
    primaryRegion: role.primaryRegion,
    ...(status ? { status: status.status } : {}),
    ...(status?.statusMessage ? { statusMessage: status.statusMessage } : {}),
  };
}

/** The view in words: "replica of us-east-1 (InSync)", "primary; replicas eu-west-1 InSync, ap-south-1 Failed (...)". */
export function describeReplication(view: ReplicationView): string {
  const status = (s: { status?: string; statusMessage?: string }) =>
    s.status ? `${s.status}${s.status === 'Failed' && s.statusMessage ? `: ${s.statusMessage}` : ''}` : 'status unknown';
  if (view.role === 'replica') return `replica of ${view.primaryRegion} (${status(view)})`;
  return `primary; replicas ${view.replicas.map((r) => `${r.region} ${status(r)}`).join(', ')}`;
}
