import { ConflictException, CreateScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import { scheduleName, schedulerWakeups } from '../../../functions/aws/wakeups';
import { loadConfig } from '../../../functions/config';
import { wakeupFor } from '../../../functions/domain/decode/wakeup-request';

const scheduler = mockClient(SchedulerClient);
const config = loadConfig({ AWS_REGION: 'eu-west-1', AWS_MAX_ATTEMPTS: '1' });
const target = {
  group: 'default',
  roleArn: 'arn:aws:iam::111122223333:role/ecs-secret-redeploy/ecs-secret-redeploy-ci-wakeups',
  functionArn: 'arn:aws:lambda:eu-west-1:111122223333:function:ecs-secret-redeploy-ci-on-secret-change',
};
const SECRET = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/db-AbCdEf';
const wakeup = wakeupFor(SECRET, 'AWSCURRENT=v2', new Date('2026-11-24T02:00:00Z'), 'window', new Date('2026-11-23T14:00:00Z'));

beforeEach(() => scheduler.reset());

describe('schedulerWakeups', () => {
  // Shapes: EventBridge Scheduler API reference, CreateSchedule.
  it('names the schedule after the wakeup and the reconciler it invokes: two stacks of one account never collide', () => {
    const name = scheduleName(wakeup.name, target.functionArn);
    expect(name).toMatch(/^esr-20261124T0200-[0-9a-f]{40}$/);
    expect(name.length).toBeLessThanOrEqual(64);
    expect(scheduleName(wakeup.name, target.functionArn)).toBe(name);
    expect(scheduleName(wakeup.name, `${target.functionArn}-other`)).not.toBe(name);
  });

  it('creates a one-time schedule in UTC, deleted once fired, invoking the reconciler with the payload', async () => {
    scheduler
      .on(CreateScheduleCommand)
      .resolves({ ScheduleArn: `arn:aws:scheduler:eu-west-1:111122223333:schedule/${target.group}/${wakeup.name}` });
    await expect(schedulerWakeups(config, target).schedule(wakeup)).resolves.toBe('created');
    const [call] = scheduler.commandCalls(CreateScheduleCommand);
    expect(call.args[0].input).toEqual({
      Name: scheduleName(wakeup.name, target.functionArn),
      GroupName: target.group,
      ScheduleExpression: 'at(2026-11-24T02:00:00)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      State: 'ENABLED',
      Description: expect.stringContaining('(window)'),
      Target: {
        Arn: target.functionArn,
        RoleArn: target.roleArn,
        Input: JSON.stringify({
          'ecs-secret-redeploy:wakeup': { secretArn: SECRET, rollout: 'AWSCURRENT=v2', at: '2026-11-24T02:00:00Z', cause: 'window' },
        }),
        RetryPolicy: { MaximumEventAgeInSeconds: 1800, MaximumRetryAttempts: 10 },
      },
    });
  });

  it('takes a schedule of the same name as the one an earlier run created', async () => {
    scheduler.on(CreateScheduleCommand).rejects(
      new ConflictException({
        Message: `Schedule ${wakeup.name} already exists.`,
        message: `Schedule ${wakeup.name} already exists.`,
        $metadata: {},
      }),
    );
    await expect(schedulerWakeups(config, target).schedule(wakeup)).resolves.toBe('exists');
  });

  it('lets any other failure through, for the caller to report', async () => {
    scheduler.on(CreateScheduleCommand).rejects(new Error('AccessDeniedException: not authorized to perform scheduler:CreateSchedule'));
    await expect(schedulerWakeups(config, target).schedule(wakeup)).rejects.toThrow(/not authorized/);
  });
});
