import {
  describeReplication,
  REPLICA_RECHECK_DELAYS_MINUTES,
  REPLICA_WAIT_LIMIT_MINUTES,
  type ReplicaHold,
  replicaHold,
  replicaRecheckAt,
  replicationRole,
  replicationView,
  waitKey,
} from '../../../../functions/domain/plan/replication';
import type { ReplicaStatus, SecretState } from '../../../../functions/domain/plan/secret-state';
import { ACCOUNT } from '../../../kit/test-account';

const PRIMARY_REGION = 'us-east-1';
const REPLICA_REGION = 'eu-west-1';
const arnIn = (region: string) => `arn:aws:secretsmanager:${region}:${ACCOUNT}:secret:prod/db-AbCdEf`;
const OLD = 'v1';
const NEW = 'v2';

const inSync: ReplicaStatus = { region: REPLICA_REGION, status: 'InSync', statusMessage: 'Replication succeeded' };
const inProgress: ReplicaStatus = { region: REPLICA_REGION, status: 'InProgress' };
const failed: ReplicaStatus = {
  region: REPLICA_REGION,
  status: 'Failed',
  statusMessage: 'Secret with this name already exists in this region',
};

function primary(status: ReplicaStatus[] = [inSync], current = NEW, overrides: Partial<SecretState> = {}): SecretState {
  return {
    kind: 'secret',
    arn: arnIn(PRIMARY_REGION),
    name: 'prod/db',
    versionIdsToStages: current === NEW ? { [OLD]: ['AWSPREVIOUS'], [NEW]: ['AWSCURRENT'] } : { [OLD]: ['AWSCURRENT'] },
    replicationStatus: status,
    ...overrides,
  };
}

function replica(current: string, overrides: Partial<SecretState> = {}): SecretState {
  return {
    kind: 'secret',
    arn: arnIn(REPLICA_REGION),
    name: 'prod/db',
    versionIdsToStages: current === NEW ? { [OLD]: ['AWSPREVIOUS'], [NEW]: ['AWSCURRENT'] } : { [OLD]: ['AWSCURRENT'] },
    primaryRegion: PRIMARY_REGION,
    ...overrides,
  };
}

describe('replicationRole', () => {
  it('tells a replica by a PrimaryRegion other than its own, with the primary ARN', () => {
    expect(replicationRole(replica(NEW))).toEqual({
      role: 'replica',
      region: REPLICA_REGION,
      primaryRegion: PRIMARY_REGION,
      primaryArn: arnIn(PRIMARY_REGION),
    });
  });

  it("keeps the replica's own entry when its DescribeSecret lists the primary's ReplicationStatus (as moto answers)", () => {
    expect(replicationRole(replica(NEW, { replicationStatus: [inProgress] }))).toMatchObject({ role: 'replica', status: inProgress });
  });

  it('lists the replicas of a primary, each with its ARN in its region', () => {
    const other: ReplicaStatus = { region: 'ap-southeast-2', status: 'InProgress' };
    expect(replicationRole(primary([inSync, other]))).toEqual({
      role: 'primary',
      replicas: [
        { region: REPLICA_REGION, arn: arnIn(REPLICA_REGION), status: inSync },
        { region: 'ap-southeast-2', arn: arnIn('ap-southeast-2'), status: other },
      ],
    });
  });

  it.each<[string, string, Partial<SecretState>]>([
    ['a secret never replicated', 'standalone', { replicationStatus: undefined }],
    ['a secret whose replicas were all removed', 'standalone', { replicationStatus: [] }],
    // AWS documents PrimaryRegion as "the Region the secret is in": on a primary it may be its own.
    ['a primary whose PrimaryRegion is its own region', 'primary', { primaryRegion: PRIMARY_REGION }],
  ])('calls %s %s', (_, role, overrides) => {
    expect(replicationRole(primary([inSync], NEW, overrides)).role).toBe(role);
  });

  it('ignores an entry for its own region on a primary', () => {
    expect(replicationRole(primary([{ region: PRIMARY_REGION, status: 'InSync' }]))).toEqual({ role: 'standalone' });
  });

  it('calls an SSM parameter standalone', () => {
    const parameter: SecretState = {
      kind: 'parameter',
      arn: `arn:aws:ssm:${REPLICA_REGION}:${ACCOUNT}:parameter/prod/db`,
      name: '/prod/db',
      versionIdsToStages: { '3': ['AWSCURRENT'] },
      primaryRegion: PRIMARY_REGION,
    };
    expect(replicationRole(parameter)).toEqual({ role: 'standalone' });
  });
});

describe('replicaHold: may the consumers of a replica be redeployed now?', () => {
  it.each<[string, SecretState, SecretState | undefined, ReplicaHold['verdict'], string]>([
    ['a secret that is no replica', primary(), undefined, 'free', 'not a replica'],
    ['a replica InSync holding the primary version', replica(NEW), primary([inSync]), 'free', 'holds the primary'],
    [
      'a replica InProgress, still on the old version',
      replica(OLD),
      primary([inProgress]),
      'wait',
      'InProgress: the replica does not hold AWSCURRENT v2',
    ],
    // Its consumers read the replica's versions, which are the primary's: nothing to wait for, whatever the status says.
    ['a replica InProgress that holds the version already', replica(NEW), primary([inProgress]), 'free', 'holds the primary'],
    [
      'a replica reported InSync but read before the copy landed',
      replica(OLD),
      primary([inSync]),
      'wait',
      'reported InSync but does not hold AWSCURRENT v2',
    ],
    [
      'a replica of a status AWS may add (Pending)',
      replica(OLD),
      primary([{ region: REPLICA_REGION, status: 'Pending' }]),
      'wait',
      'is Pending',
    ],
    ['a replica whose replication failed', replica(OLD), primary([failed]), 'warn', 'failed: Secret with this name already exists'],
    ['a replica the primary no longer lists (promoted)', replica(OLD), primary([]), 'free', 'no longer lists a replica in eu-west-1'],
    ['a replica whose primary was not read', replica(OLD), undefined, 'free', 'was not read'],
    [
      'a replica whose own answer says InProgress, primary not read',
      replica(OLD, { replicationStatus: [inProgress] }),
      undefined,
      'wait',
      'InProgress',
    ],
    [
      'a replica whose own answer says Failed, primary not read',
      replica(OLD, { replicationStatus: [failed] }),
      undefined,
      'warn',
      'failed',
    ],
    [
      'a primary given that is not its primary',
      replica(OLD),
      primary([inProgress], NEW, { arn: arnIn(PRIMARY_REGION).replace('AbCdEf', 'ZzZzZz') }),
      'free',
      'was not read',
    ],
  ])('%s', (_, replicaState, primaryState, verdict, reason) => {
    const hold = replicaHold(replicaState, primaryState);
    expect(hold.verdict).toBe(verdict);
    expect(hold.reason).toContain(reason);
  });

  it('names the versions it waits for, per followed stage', () => {
    const hold = replicaHold(replica(OLD), primary([inProgress]), ['AWSCURRENT', 'AWSPREVIOUS']);
    expect(hold).toEqual({
      verdict: 'wait',
      reason: `replication from ${PRIMARY_REGION} to ${REPLICA_REGION} is InProgress: the replica does not hold AWSCURRENT v2, AWSPREVIOUS v1 yet`,
      region: REPLICA_REGION,
      status: 'InProgress',
      behind: [
        { stage: 'AWSCURRENT', primaryVersion: NEW, replicaVersion: OLD },
        { stage: 'AWSPREVIOUS', primaryVersion: OLD, replicaVersion: undefined },
      ],
    });
  });

  it('waits for the stages the consumers follow only', () => {
    // A custom stage the primary moved; consumers following AWSCURRENT only are not held by it.
    const moved = primary([inSync], NEW);
    moved.versionIdsToStages[OLD] = ['AWSPREVIOUS', 'BLUE'];
    expect(replicaHold(replica(NEW), moved, ['AWSCURRENT']).verdict).toBe('free');
    expect(replicaHold(replica(NEW), moved, ['BLUE']).verdict).toBe('wait');
  });

  it('waits after a roll-back of the primary until the replica follows it back', () => {
    expect(replicaHold(replica(NEW), primary([inSync], OLD)).verdict).toBe('wait');
  });

  it('keeps the status message of a failed replication for the warning', () => {
    expect(replicaHold(replica(OLD), primary([failed]))).toEqual({
      verdict: 'warn',
      reason: `replication of prod/db from ${PRIMARY_REGION} to ${REPLICA_REGION} failed: Secret with this name already exists in this region`,
      region: REPLICA_REGION,
      statusMessage: 'Secret with this name already exists in this region',
    });
  });
});

describe('replicaHold: the wait is bounded', () => {
  const CHANGED = '2026-11-20T09:00:00.000Z';
  const minutesAfter = (minutes: number) => new Date(Date.parse(CHANGED) + minutes * 60_000);
  const changed = primary([inProgress], NEW, { lastChangedDate: CHANGED });

  it.each<[number, ReplicaHold['verdict']]>([
    [0, 'wait'],
    [REPLICA_WAIT_LIMIT_MINUTES, 'wait'],
    [REPLICA_WAIT_LIMIT_MINUTES + 1, 'overdue'],
    [600, 'overdue'],
  ])("%i minutes after the primary's change: %s", (minutes, verdict) => {
    expect(replicaHold(replica(OLD), changed, ['AWSCURRENT'], minutesAfter(minutes)).verdict).toBe(verdict);
  });

  it('says how long it waited, and keeps what it waits for', () => {
    expect(replicaHold(replica(OLD), changed, ['AWSCURRENT'], minutesAfter(40))).toEqual({
      verdict: 'overdue',
      reason: `replication from ${PRIMARY_REGION} to ${REPLICA_REGION} is InProgress: the replica does not hold AWSCURRENT v2 yet 40 minutes after the change (the wait ends after ${REPLICA_WAIT_LIMIT_MINUTES})`,
      region: REPLICA_REGION,
      status: 'InProgress',
      behind: [{ stage: 'AWSCURRENT', primaryVersion: NEW, replicaVersion: OLD }],
      since: CHANGED,
    });
  });

  it("counts from the replica's own last change when the primary was not read", () => {
    const own = replica(OLD, { replicationStatus: [inProgress], lastChangedDate: CHANGED });
    expect(replicaHold(own, undefined, ['AWSCURRENT'], minutesAfter(5)).verdict).toBe('wait');
    expect(replicaHold(own, undefined, ['AWSCURRENT'], minutesAfter(20)).verdict).toBe('overdue');
  });

  it('stays a wait without a time to count from (the re-checks bound it)', () => {
    expect(replicaHold(replica(OLD), primary([inProgress]), ['AWSCURRENT'], minutesAfter(600)).verdict).toBe('wait');
  });

  it('never makes a failed replication or a free replica overdue', () => {
    expect(replicaHold(replica(OLD), primary([failed], NEW, { lastChangedDate: CHANGED }), ['AWSCURRENT'], minutesAfter(600)).verdict).toBe(
      'warn',
    );
    expect(replicaHold(replica(NEW), primary([inSync], NEW, { lastChangedDate: CHANGED }), ['AWSCURRENT'], minutesAfter(600)).verdict).toBe(
      'free',
    );
  });
});

describe('waitKey: what names the re-checks of one wait', () => {
  it('is the versions waited for, so that the events of one change name the same re-checks', () => {
    const hold = replicaHold(replica(OLD), primary([inProgress]), ['AWSCURRENT', 'AWSPREVIOUS']);
    expect(hold.verdict === 'wait' && waitKey(hold)).toBe('AWSCURRENT=v2,AWSPREVIOUS=v1');
  });

  it('is the status when the primary was not read', () => {
    const hold = replicaHold(replica(OLD, { replicationStatus: [inProgress] }), undefined);
    expect(hold.verdict === 'wait' && waitKey(hold)).toBe('InProgress');
  });
});

describe('replicaRecheckAt: the bounded re-checks of a wait, counted from the change', () => {
  const CHANGED = '2026-11-20T09:00:00.000Z';
  const at = (minutes: number) => new Date(Date.parse(CHANGED) + minutes * 60_000);
  const wait = (now: Date) => replicaHold(replica(OLD), primary([inProgress], NEW, { lastChangedDate: CHANGED }), ['AWSCURRENT'], now);

  it.each<[number, number | undefined]>([
    [0, 1],
    [0.5, 1],
    [1, 3],
    [2.9, 3],
    [3, 7],
    [7, 15],
    [14.9, 15],
    // The last look is 15 minutes after the change; later, the scheduled reconcile looks again.
    [15, undefined],
  ])('%d minutes after the change: the next look at minute %p', (minutes, next) => {
    const now = at(minutes);
    expect(replicaRecheckAt(wait(now), now)).toEqual(next === undefined ? undefined : at(next));
  });

  it('takes 15 minutes in all, inside one period of the 30-minute scheduled reconcile', () => {
    expect(REPLICA_RECHECK_DELAYS_MINUTES.reduce((a, b) => a + b, 0)).toBe(REPLICA_WAIT_LIMIT_MINUTES);
    expect(REPLICA_WAIT_LIMIT_MINUTES).toBeLessThan(30);
  });

  it('counts from the replica’s own last change when the primary was not read', () => {
    const own = replicaHold(replica(OLD, { replicationStatus: [inProgress], lastChangedDate: CHANGED }), undefined, ['AWSCURRENT'], at(2));
    expect(replicaRecheckAt(own, at(2))).toEqual(at(3));
  });

  it.each<[string, ReplicaHold]>([
    ['a wait with no change time to count from', replicaHold(replica(OLD), primary([inProgress]))],
    ['an overdue wait', replicaHold(replica(OLD), primary([inProgress], NEW, { lastChangedDate: CHANGED }), ['AWSCURRENT'], at(60))],
    ['a failed replication (time does not fix it)', replicaHold(replica(OLD), primary([failed]))],
    ['a free replica', replicaHold(replica(NEW), primary([inSync]))],
  ])('looks again at nothing for %s', (_, hold) => {
    expect(replicaRecheckAt(hold, at(0))).toBeUndefined();
  });
});

describe('replicationView: a replicated secret as status, plan and the usage map show it', () => {
  it.each<[string, SecretState, SecretState | undefined, string | undefined]>([
    [
      'a replica, by what its primary reports',
      replica(NEW),
      primary([failed]),
      `replica of ${PRIMARY_REGION} (Failed: ${failed.statusMessage})`,
    ],
    [
      "a replica whose primary was not read, by its own answer's status",
      replica(NEW, { replicationStatus: [inProgress] }),
      undefined,
      `replica of ${PRIMARY_REGION} (InProgress)`,
    ],
    ['a replica with no status to show', replica(NEW), undefined, `replica of ${PRIMARY_REGION} (status unknown)`],
    [
      'a primary, each replica with its status',
      primary([inSync, { region: 'ap-south-1', status: 'InProgress' }]),
      undefined,
      `primary; replicas ${REPLICA_REGION} InSync, ap-south-1 InProgress`,
    ],
    ['a secret never replicated', primary([]), undefined, undefined],
  ])('%s', (_, state, primaryState, words) => {
    const view = replicationView(state, primaryState);
    expect(view && describeReplication(view)).toBe(words);
  });

  it("keeps the status message of a failed replication, and ignores a primary that is not the replica's", () => {
    expect(replicationView(replica(NEW), primary([failed]))).toEqual({
      role: 'replica',
      primaryRegion: PRIMARY_REGION,
      status: 'Failed',
      statusMessage: failed.statusMessage,
    });
    const stranger = primary([failed], NEW, { arn: arnIn(PRIMARY_REGION).replace('AbCdEf', 'ZzZzZz') });
    expect(replicationView(replica(NEW), stranger)).toEqual({ role: 'replica', primaryRegion: PRIMARY_REGION });
  });
});
