import { askRecheck, recheckName } from '../../../functions/app/replica-recheck';
import { silentLogger } from '../../../functions/ports/logger';
import { RecordingSchedules } from '../../kit/fakes/one-time-schedules';
import { ACCOUNT, REGION } from '../../kit/test-account';

const REPLICA = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:prod/db-AbCdEf`;
const RECHECK = { attempt: 1, at: '2026-11-20T08:01:00.000Z', key: 'AWSCURRENT=v2' };
const TRIGGER = { source: 'aws.secretsmanager', eventName: 'PutSecretValue' };

describe('recheckName', () => {
  it('is a schedule name, the same for the same wait and attempt', () => {
    const name = recheckName(REPLICA, 'AWSCURRENT=v2', 1);
    expect(name).toMatch(/^replica-[0-9a-f]{40}-1$/);
    expect(name.length).toBeLessThanOrEqual(64);
    expect(recheckName(REPLICA, 'AWSCURRENT=v2', 1)).toBe(name);
  });

  it.each([
    ['another attempt', REPLICA, 'AWSCURRENT=v2', 2],
    ['another version waited for', REPLICA, 'AWSCURRENT=v3', 1],
    ['another replica', REPLICA.replace('prod/db', 'prod/other'), 'AWSCURRENT=v2', 1],
  ])('differs for %s', (_, arn, key, attempt) => {
    expect(recheckName(arn, key, attempt)).not.toBe(recheckName(REPLICA, 'AWSCURRENT=v2', 1));
  });
});

describe('askRecheck', () => {
  it('asks for the re-check of the replica at its time, with the trigger of the run that found the wait', async () => {
    const schedules = new RecordingSchedules();
    expect(await askRecheck({ log: silentLogger }, schedules, REPLICA, RECHECK, TRIGGER)).toEqual([]);
    expect(schedules.asked).toEqual([
      {
        name: recheckName(REPLICA, 'AWSCURRENT=v2', 1),
        at: new Date(RECHECK.at),
        request: { kind: 'recheck-replica', secretArn: REPLICA, attempt: 1, trigger: TRIGGER, hop: 1 },
      },
    ]);
  });

  it('asks once for the same re-check, however many runs find the wait', async () => {
    const schedules = new RecordingSchedules();
    for (let i = 0; i < 3; i++) await askRecheck({ log: silentLogger }, schedules, REPLICA, RECHECK, TRIGGER);
    expect(schedules.asked).toHaveLength(1);
  });

  it('turns a failure into a warning for the report: the scheduled reconcile looks again', async () => {
    const schedules = new RecordingSchedules();
    schedules.failWith = new Error('ThrottlingException: Rate exceeded');
    expect(await askRecheck({ log: silentLogger }, schedules, REPLICA, RECHECK, TRIGGER)).toEqual([
      `the re-check of the replica at ${RECHECK.at} could not be scheduled (ThrottlingException: Rate exceeded): the scheduled reconcile looks again`,
    ]);
  });
});
