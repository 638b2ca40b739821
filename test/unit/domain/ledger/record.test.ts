import {
  type Claim,
  type ClaimedRecord,
  claimed,
  decideClaim,
  deploymentChanged,
  done,
  firstSightRecord,
  holds,
  type LedgerRecord,
  located,
  NO_VERSION,
  noTasks,
  released,
  type SettledRecord,
  type Stamp,
  settled,
  type Versions,
  versionKey,
  versionsOfKey,
} from '../../../../functions/domain/ledger/record';
import { secretArn, serviceArn } from '../../../kit/factories';

/*
 * The ledger is what makes redeploys exactly-once: every rule below is one way a run could
 * otherwise redeploy twice or never. Time is a fake clock: fixed instants, never Date.now().
 */

const SECRET = secretArn('prod/db-AbCdEf');
const SERVICE = serviceArn('prod', 'orders-api');
const IDS = { secretArn: SECRET, serviceArn: SERVICE };
const V1 = '8c1f4e2a-9b3d-4c5e-a6f7-0b1c2d3e4f5a';
const V2 = '5e7a9c1b-2d3f-4a5b-8c6d-7e8f9a0b1c2d';
const V3 = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';

/** The fake clock's instants. */
const T0 = new Date('2026-11-20T08:00:00.000Z');
const LEASE_SECONDS = 300;
const at = (secondsAfterT0: number) => new Date(T0.getTime() + secondsAfterT0 * 1000);
const stamp = (secondsAfterT0: number, writeId = `w-${secondsAfterT0}`): Stamp => ({ now: at(secondsAfterT0), writeId });

const ME = 'run-me';
const OTHER = 'run-other';

function doneRecord(versions: Versions, overrides: Partial<SettledRecord> = {}): SettledRecord {
  return {
    state: 'settled',
    ...IDS,
    versions,
    via: 'redeploy',
    deploymentId: 'ecs-svc/1111111111111111111',
    at: T0.toISOString(),
    rev: 4,
    writeId: 'w-done',
    ...overrides,
  };
}

function claimOf(token: string, target: Versions = { AWSCURRENT: V2 }): Claim {
  return {
    token,
    claimedAt: T0.toISOString(),
    leaseUntil: at(LEASE_SECONDS).toISOString(),
    target,
    priorDeploymentId: 'ecs-svc/1111111111111111111',
  };
}

function pendingRecord(token: string, overrides: Partial<Omit<ClaimedRecord, 'state'>> = {}): ClaimedRecord {
  return { ...doneRecord({ AWSCURRENT: V1 }), state: 'claimed', claim: claimOf(token), ...overrides };
}

describe('decideClaim', () => {
  const DESIRED = { AWSCURRENT: V2 };

  // Without a claim on the record, the decision is a function of the versions alone (and force).
  it.each<[string, LedgerRecord | undefined, boolean, string]>([
    ['no record: the pair was never seen', undefined, false, 'claim'],
    ['a done record behind the desired version', doneRecord({ AWSCURRENT: V1 }), false, 'claim'],
    ['a done record at the desired version', doneRecord({ AWSCURRENT: V2 }), false, 'up-to-date'],
    ['a done record with stages beyond the desired ones', doneRecord({ AWSCURRENT: V2, AWSPREVIOUS: V1, BLUE: V3 }), false, 'up-to-date'],
    ['a done record lacking a desired stage', doneRecord({ BLUE: V2 }), false, 'claim'],
    [
      'first seen at the desired version',
      firstSightRecord(SECRET, SERVICE, { versions: { AWSCURRENT: V2 }, stale: [] }, stamp(0)),
      false,
      'up-to-date',
    ],
    [
      'first seen running an older version',
      firstSightRecord(SECRET, SERVICE, { versions: {}, stale: [{ reason: 'older' }] }, stamp(0)),
      false,
      'claim',
    ],
    [
      'first seen with the stage held by no version',
      firstSightRecord(SECRET, SERVICE, { versions: { AWSCURRENT: NO_VERSION }, stale: [] }, stamp(0)),
      false,
      'claim',
    ],
    ['a released record still behind', doneRecord({ AWSCURRENT: V1 }, { lastError: 'ThrottledError' }), false, 'claim'],
    ['force on a record already at the desired version', doneRecord({ AWSCURRENT: V2 }), true, 'claim'],
    ['force with no record', undefined, true, 'claim'],
  ])('%s → %s', (_label, record, force, action) => {
    expect(decideClaim(record, DESIRED, at(10), ME, force)).toEqual({ action });
  });

  it('recognises its own claim (a retried write whose answer was lost), whatever the lease says', () => {
    const record = pendingRecord(ME);
    // Live, expired, and forced: the token decides before the lease does.
    for (const now of [at(1), at(LEASE_SECONDS), at(LEASE_SECONDS * 10)]) {
      expect(decideClaim(record, DESIRED, now, ME)).toEqual({ action: 'mine', claim: record.claim });
      expect(decideClaim(record, DESIRED, now, ME, true)).toEqual({ action: 'mine', claim: record.claim });
    }
  });

  it.each<[string, number, string]>([
    ['at the claim', 0, 'busy'],
    ['one millisecond before the lease ends', LEASE_SECONDS - 0.001, 'busy'],
    // The lease is the instant the claim stops being live: exactly at it, another run may recover.
    ['exactly at the lease end', LEASE_SECONDS, 'recover'],
    ['after the lease end', LEASE_SECONDS + 60, 'recover'],
  ])("another run's claim, %s → %s", (_label, seconds, action) => {
    const record = pendingRecord(OTHER);
    const decision = decideClaim(record, DESIRED, at(seconds), ME);
    expect(decision.action).toBe(action);
    if (decision.action === 'busy') expect(decision.until).toBe(at(LEASE_SECONDS).toISOString());
    if (decision.action === 'recover') expect(decision.claim).toBe(record.claim);
  });

  it("never overrides another run's live claim, even when forced or already up to date", () => {
    // A forced redeploy must not start a second UpdateService beside one in flight.
    expect(decideClaim(pendingRecord(OTHER), DESIRED, at(1), ME, true).action).toBe('busy');
    const atTarget = pendingRecord(OTHER, { versions: { AWSCURRENT: V2 } });
    expect(decideClaim(atTarget, DESIRED, at(1), ME).action).toBe('busy');
  });

  it("recovers another run's expired claim even when the versions already match (ECS must be asked first)", () => {
    const atTarget = pendingRecord(OTHER, { versions: { AWSCURRENT: V2 } });
    expect(decideClaim(atTarget, DESIRED, at(LEASE_SECONDS), ME).action).toBe('recover');
  });
});

describe('claimed', () => {
  const CLAIM = { token: ME, target: { AWSCURRENT: V2 }, priorDeploymentId: 'ecs-svc/2222222222222222222' };

  it('claims a pair that had no record: no versions known, revision 1, lease from now', () => {
    expect(claimed(undefined, IDS, CLAIM, LEASE_SECONDS, stamp(30, 'w-claim'))).toEqual({
      state: 'claimed',
      ...IDS,
      versions: {},
      via: 'baseline',
      at: at(30).toISOString(),
      claim: { ...CLAIM, claimedAt: at(30).toISOString(), leaseUntil: at(30 + LEASE_SECONDS).toISOString() },
      rev: 1,
      writeId: 'w-claim',
    });
  });

  it('claims a done record: keeps what the running deployment was started with, bumps the revision', () => {
    const previous = doneRecord({ AWSCURRENT: V1, BLUE: V3 }, { lastError: 'ThrottledError: rate exceeded' });
    const record = claimed(previous, IDS, CLAIM, LEASE_SECONDS, stamp(30, 'w-claim'));
    expect(record).toEqual({
      ...previous,
      state: 'claimed',
      claim: { ...CLAIM, claimedAt: at(30).toISOString(), leaseUntil: at(30 + LEASE_SECONDS).toISOString() },
      rev: previous.rev + 1,
      writeId: 'w-claim',
    });
    // lastError is kept until the next success (done), not dropped by a new attempt.
    expect(record.lastError).toBe('ThrottledError: rate exceeded');
  });

  it('takes over an expired claim: replaces it whole, with a new lease from now and the versions kept', () => {
    const previous = pendingRecord(OTHER);
    const takeover = { token: ME, target: { AWSCURRENT: V3 } };
    const record = claimed(previous, IDS, takeover, LEASE_SECONDS, stamp(LEASE_SECONDS + 5, 'w-takeover'));
    expect(record.rev).toBe(previous.rev + 1);
    expect(record.versions).toEqual(previous.versions);
    expect(record.deploymentId).toBe(previous.deploymentId);
    expect(record.claim).toEqual({
      token: ME,
      target: { AWSCURRENT: V3 },
      claimedAt: at(LEASE_SECONDS + 5).toISOString(),
      leaseUntil: at(2 * LEASE_SECONDS + 5).toISOString(),
    });
    // Nothing of the old claim leaks in, in particular not its prior deployment.
    expect(record.claim).not.toHaveProperty('priorDeploymentId');
  });

  it('keeps the prior deployment the new claimer passes', () => {
    const record = claimed(pendingRecord(OTHER), IDS, CLAIM, LEASE_SECONDS, stamp(LEASE_SECONDS));
    expect(record.claim.priorDeploymentId).toBe('ecs-svc/2222222222222222222');
  });

  it("keeps the rollout and wave of the claim, and the previous deployment's state (a retry after resume reads it)", () => {
    const failed = doneRecord({ AWSCURRENT: V2 }, { slot: { key: 'k', wave: 1 }, deployment: { state: 'FAILED', at: T0.toISOString() } });
    const record = claimed(failed, IDS, { ...CLAIM, slot: { key: 'k', wave: 1 } }, LEASE_SECONDS, stamp(10));
    expect(record.claim.slot).toEqual({ key: 'k', wave: 1 });
    expect(record.deployment?.state).toBe('FAILED');
  });

  it.each([0, 1, 45.5, 900])('sets the lease %p seconds after the claim', (leaseSeconds) => {
    const record = claimed(undefined, IDS, CLAIM, leaseSeconds, stamp(0));
    expect(Date.parse(record.claim.leaseUntil) - T0.getTime()).toBe(leaseSeconds * 1000);
  });
});

describe('done', () => {
  it('records the target on top of the previous versions, drops claim and lastError, bumps the revision', () => {
    const pending = claimed(
      doneRecord({ AWSCURRENT: V1, BLUE: V3 }, { lastError: 'ThrottledError' }),
      IDS,
      { token: ME, target: { AWSCURRENT: V2 } },
      LEASE_SECONDS,
      stamp(10),
    );
    expect(done(pending, 'redeploy', 'ecs-svc/3333333333333333333', stamp(20, 'w-done-2'))).toEqual({
      state: 'settled',
      ...IDS,
      // The union: stages the claim did not target keep their versions; the targeted ones move.
      versions: { AWSCURRENT: V2, BLUE: V3 },
      via: 'redeploy',
      deploymentId: 'ecs-svc/3333333333333333333',
      at: at(20).toISOString(),
      rev: pending.rev + 1,
      writeId: 'w-done-2',
    });
  });

  it.each(['redeploy', 'recovered'] as const)('records how the versions became known (%s)', (via) => {
    expect(done(pendingRecord(ME), via, 'ecs-svc/3', stamp(20)).via).toBe(via);
  });

  it('leaves out the deployment id when none is known, rather than keeping the old one', () => {
    // The old deploymentId belongs to the deployment this one replaced.
    const record = done(pendingRecord(ME), 'recovered', undefined, stamp(20));
    expect(record).not.toHaveProperty('deploymentId');
  });

  it('names the rollout and wave it was made in, its deployment IN_PROGRESS until ECS says otherwise', () => {
    const record = done(pendingRecord(ME), 'redeploy', 'ecs-svc/3', stamp(20), { key: `AWSCURRENT=${V2}`, wave: 2 });
    expect(record).toMatchObject({
      slot: { key: `AWSCURRENT=${V2}`, wave: 2 },
      deployment: { state: 'IN_PROGRESS', at: at(20).toISOString() },
    });
  });

  it("forgets the previous rollout's deployment state when made outside a rollout (no ledger waves)", () => {
    const pending = pendingRecord(ME, { slot: { key: 'AWSCURRENT=old', wave: 1 }, deployment: { state: 'FAILED', at: T0.toISOString() } });
    const record = done(pending, 'redeploy', 'ecs-svc/3', stamp(20));
    expect(record).not.toHaveProperty('slot');
    expect(record).not.toHaveProperty('deployment');
  });
});

describe('deploymentChanged', () => {
  const inRollout = () => done(pendingRecord(ME), 'redeploy', 'ecs-svc/3', stamp(20), { key: 'k', wave: 1 });

  it.each(['COMPLETED', 'FAILED'] as const)('records that the deployment ended %s, with the reason ECS gave', (state) => {
    const record = deploymentChanged(inRollout(), state, 'ECS deployment circuit breaker: tasks failed to start.', stamp(90, 'w-ecs'));
    expect(record.deployment).toEqual({
      state,
      reason: 'ECS deployment circuit breaker: tasks failed to start.',
      at: at(90).toISOString(),
      // The claim time stays: ECS's records of the deployment are found by it.
      claimedAt: inRollout().deployment?.claimedAt,
    });
    expect(record).toMatchObject({ rev: inRollout().rev + 1, writeId: 'w-ecs', deploymentId: 'ecs-svc/3', versions: { AWSCURRENT: V2 } });
  });

  it("records ECS's record of the deployment when given, and located() alone keeps it for later polls", () => {
    const arn = 'arn:aws:ecs:eu-west-1:123456789012:service-deployment/prod/orders-api/3';
    expect(deploymentChanged(inRollout(), 'COMPLETED', undefined, stamp(90), arn).serviceDeploymentArn).toBe(arn);
    const found = located(inRollout(), arn, stamp(60, 'w-found'));
    expect(found).toEqual({ ...inRollout(), serviceDeploymentArn: arn, rev: inRollout().rev + 1, writeId: 'w-found' });
  });

  it("done() records ECS's record of the deployment beside its id, when UpdateService named it", () => {
    const arn = 'arn:aws:ecs:eu-west-1:123456789012:service-deployment/prod/orders-api/3';
    const record = done(pendingRecord(ME), 'redeploy', 'ecs-svc/3', stamp(20), { key: 'k', wave: 1 }, { serviceDeploymentArn: arn });
    expect(record).toMatchObject({ deploymentId: 'ecs-svc/3', serviceDeploymentArn: arn, deployment: { state: 'IN_PROGRESS' } });
    expect(inRollout()).not.toHaveProperty('serviceDeploymentArn');
  });

  it('a settled record drops the previous deployment record (it belongs to the other secret now)', () => {
    const arn = 'arn:aws:ecs:eu-west-1:123456789012:service-deployment/prod/orders-api/3';
    const withArn = located(inRollout(), arn, stamp(60));
    expect(settled(withArn, { AWSCURRENT: 'v9' }, 'ecs-svc/9', stamp(70))).not.toHaveProperty('serviceDeploymentArn');
  });

  it('keeps no reason when ECS gave none', () => {
    expect(deploymentChanged(inRollout(), 'COMPLETED', undefined, stamp(90)).deployment).not.toHaveProperty('reason');
  });
});

describe('released', () => {
  it('drops the claim and records why, leaving the versions behind', () => {
    const pending = pendingRecord(ME);
    const record = released(pending, 'ThrottledError: rate exceeded', stamp(20, 'w-release'));
    const { claim: _, ...before } = pending;
    expect(record).toEqual({
      ...before,
      state: 'settled',
      lastError: 'ThrottledError: rate exceeded',
      rev: pending.rev + 1,
      writeId: 'w-release',
    });
    expect(record).not.toHaveProperty('claim');
  });
});

describe('noTasks', () => {
  it('records the desired versions for a pair that had no record', () => {
    expect(noTasks(undefined, IDS, { AWSCURRENT: V2 }, stamp(20, 'w-idle'))).toEqual({
      state: 'settled',
      ...IDS,
      versions: { AWSCURRENT: V2 },
      via: 'no-tasks',
      at: at(20).toISOString(),
      rev: 1,
      writeId: 'w-idle',
    });
  });

  it('merges the desired versions into the previous ones and forgets the old deployment and error', () => {
    const previous = doneRecord({ AWSCURRENT: V1, BLUE: V3 }, { lastError: 'ThrottledError' });
    const record = noTasks(previous, IDS, { AWSCURRENT: V2 }, stamp(20));
    expect(record.versions).toEqual({ AWSCURRENT: V2, BLUE: V3 });
    expect(record.rev).toBe(previous.rev + 1);
    expect(record.via).toBe('no-tasks');
    expect(record).not.toHaveProperty('deploymentId');
    expect(record).not.toHaveProperty('lastError');
  });
});

describe('firstSightRecord', () => {
  it('records the versions the evidence shows, revision 1, no deployment', () => {
    expect(firstSightRecord(SECRET, SERVICE, { versions: { AWSCURRENT: V1 }, stale: [] }, stamp(0, 'w-first'))).toEqual({
      state: 'settled',
      ...IDS,
      versions: { AWSCURRENT: V1 },
      via: 'first-sight',
      at: T0.toISOString(),
      rev: 1,
      writeId: 'w-first',
    });
  });

  it('keeps why a stale pair is behind', () => {
    const stale = [
      { stage: 'AWSCURRENT', version: V2, reason: 'deployment older than AWSCURRENT' },
      { stage: 'BLUE', version: V3, reason: 'creation time unknown' },
    ];
    expect(firstSightRecord(SECRET, SERVICE, { versions: {}, stale }, stamp(0))).toMatchObject({
      versions: {},
      stale: 'deployment older than AWSCURRENT; creation time unknown',
    });
  });
});

describe('settled', () => {
  const record = (versions: Versions, extra: Partial<SettledRecord> = {}): SettledRecord => ({
    ...firstSightRecord(SECRET, SERVICE, { versions, stale: [] }, stamp(0)),
    ...extra,
  });

  it('advances the stages the record follows to the versions read, with the deployment', () => {
    const next = settled(record({ AWSCURRENT: V1 }), { AWSCURRENT: V2, AWSPREVIOUS: V1 }, 'ecs-svc/9', stamp(1, 'w-settle'));
    expect(next).toMatchObject({ versions: { AWSCURRENT: V2 }, via: 'settled', deploymentId: 'ecs-svc/9', rev: 2, writeId: 'w-settle' });
  });

  it('is null when the record holds the versions read already', () => {
    expect(settled(record({ AWSCURRENT: V2 }), { AWSCURRENT: V2, AWSPREVIOUS: V1 }, 'ecs-svc/9', stamp(1))).toBeNull();
  });

  it('records a stage no version held when read as held by none', () => {
    expect(settled(record({ AWSPREVIOUS: V1 }), { AWSCURRENT: V2 }, undefined, stamp(1))?.versions).toEqual({ AWSPREVIOUS: NO_VERSION });
  });

  it('drops the staleness, the last error and the other rollout of the record it replaces', () => {
    const next = settled(
      record(
        { AWSCURRENT: V1 },
        { stale: 'older', lastError: 'x', slot: { key: 'AWSCURRENT=v1', wave: 2 }, deployment: { state: 'COMPLETED', at: 'y' } },
      ),
      { AWSCURRENT: V2 },
      'ecs-svc/9',
      stamp(1),
    );
    for (const field of ['stale', 'lastError', 'slot', 'deployment']) expect(next).not.toHaveProperty(field);
  });
});

describe('versionKey', () => {
  it.each<[Versions, string]>([
    [{}, ''],
    [{ AWSCURRENT: V1 }, `AWSCURRENT=${V1}`],
    // Sorted by stage whatever the insertion order, so equal sets give equal keys.
    [{ BLUE: V3, AWSPREVIOUS: V1, AWSCURRENT: V2 }, `AWSCURRENT=${V2},AWSPREVIOUS=${V1},BLUE=${V3}`],
    [{ AWSPREVIOUS: V1, AWSCURRENT: V2 }, `AWSCURRENT=${V2},AWSPREVIOUS=${V1}`],
  ])('%p → %p', (versions, key) => {
    expect(versionKey(versions)).toBe(key);
  });

  it('gives the same key for the same versions inserted in any order', () => {
    expect(versionKey({ a: '1', b: '2' })).toBe(versionKey({ b: '2', a: '1' }));
  });
});

describe('versionsOfKey', () => {
  it.each<Versions>([{}, { AWSCURRENT: V1 }, { BLUE: V3, AWSPREVIOUS: V1, AWSCURRENT: V2 }])(
    'reads back the versions of %p',
    (versions) => {
      expect(versionsOfKey(versionKey(versions))).toEqual(versions);
    },
  );
});

describe('holds', () => {
  it.each<[string, Versions, Versions, boolean]>([
    ['the same versions', { AWSCURRENT: V2 }, { AWSCURRENT: V2 }, true],
    ['more stages than desired', { AWSCURRENT: V2, AWSPREVIOUS: V1 }, { AWSCURRENT: V2 }, true],
    ['another version of a desired stage', { AWSCURRENT: V1 }, { AWSCURRENT: V2 }, false],
    ['one of two desired stages', { AWSCURRENT: V2 }, { AWSCURRENT: V2, AWSPREVIOUS: V1 }, false],
    ['no versions at all (a fresh claim)', {}, { AWSCURRENT: V2 }, false],
    // The desired version id under another stage does not count: the stage is what tasks read.
    ['the desired id under another stage', { AWSPREVIOUS: V2 }, { AWSCURRENT: V2 }, false],
  ])('a record with %s: %p', (_label, versions, desired, expected) => {
    expect(holds(versions, desired)).toBe(expected);
  });
});

describe('transition sequences', () => {
  /** A small deterministic generator: the same cases on every run. */
  function* cases(count: number): Generator<{ previous: LedgerRecord | undefined; target: Versions }> {
    const stages = ['AWSCURRENT', 'AWSPREVIOUS', 'BLUE'];
    const ids = [V1, V2, V3];
    let seed = 7;
    const next = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const pick = (): Versions => {
      const versions: Versions = {};
      for (const stage of stages) if (next(2) === 1) versions[stage] = ids[next(ids.length)];
      return versions;
    };
    for (let i = 0; i < count; i++) {
      const previousVersions = pick();
      const target = pick();
      if (Object.keys(target).length === 0) target.AWSCURRENT = ids[next(ids.length)];
      yield { previous: next(4) === 0 ? undefined : doneRecord(previousVersions), target };
    }
  }

  it('claim → done always leaves the record holding the target, and up to date for it', () => {
    for (const { previous, target } of cases(200)) {
      const pending = claimed(previous, IDS, { token: ME, target }, LEASE_SECONDS, stamp(1));
      const after = done(pending, 'redeploy', 'ecs-svc/9', stamp(2));
      expect(holds(after.versions, target)).toBe(true);
      expect(decideClaim(after, target, at(3), OTHER)).toEqual({ action: 'up-to-date' });
      expect(after.rev).toBe((previous?.rev ?? 0) + 2);
    }
  });

  it('claim → released never makes a record hold a target it did not already hold', () => {
    let checked = 0;
    for (const { previous, target } of cases(200)) {
      if (previous && holds(previous.versions, target)) continue;
      checked += 1;
      const pending = claimed(previous, IDS, { token: ME, target }, LEASE_SECONDS, stamp(1));
      const after = released(pending, 'failed', stamp(2));
      expect(holds(after.versions, target)).toBe(false);
      // And the next run claims it again.
      expect(decideClaim(after, target, at(3), OTHER)).toEqual({ action: 'claim' });
    }
    expect(checked).toBeGreaterThan(50);
  });
});
