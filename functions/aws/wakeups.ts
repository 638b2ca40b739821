import { createHash } from 'node:crypto';
import { ConflictException, CreateScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import type { Config } from '../config';
import { wakeupPayload } from '../domain/decode/wakeup-request';
import type { Wakeups } from '../ports/wakeups';
import { type Credentials, clientSettings, type Instrument, lazyClient } from './clients';

/**
 * Wakeups as EventBridge Scheduler one-time schedules: `at()` in UTC, no flexible window, deleted
 * by Scheduler once it has fired (ActionAfterCompletion DELETE), invoking the reconciler with the
 * wakeup's payload. The name makes it exactly once: a second CreateSchedule of the same wakeup is
 * refused with ConflictException (the SDK's own retry of a lost answer carries the same client
 * token, and succeeds). Past the next scheduled reconcile a late delivery is worth nothing, so
 * delivery is retried for at most 30 minutes. The schedule group may be shared by other stacks of
 * the account (the stack uses the account's `default` group): the name folds in the reconciler it
 * invokes, so that two stacks that hold the same secret's consumers never take each other's wakeup.
 */
export function schedulerWakeups(
  config: Config,
  target: NonNullable<Config['wakeups']>,
  instrument?: Instrument,
  credentials?: Credentials,
): Wakeups {
  // Not one of AwsClients: only the reconciler creates wakeups, and only its bundle carries this client.
  const scheduler = lazyClient(() => new SchedulerClient({ ...clientSettings(config), credentials }), instrument);
  return {
    async schedule(wakeup) {
      try {
        await scheduler().send(
          new CreateScheduleCommand({
            Name: scheduleName(wakeup.name, target.functionArn),
            GroupName: target.group,
            ScheduleExpression: `at(${wakeup.at.replace(/Z$/, '')})`,
            ScheduleExpressionTimezone: 'UTC',
            FlexibleTimeWindow: { Mode: 'OFF' },
            ActionAfterCompletion: 'DELETE',
            State: 'ENABLED',
            Description: `ecs-secret-redeploy: reconcile a secret when a held consumer may go (${wakeup.cause})`,
            Target: {
              Arn: target.functionArn,
              RoleArn: target.roleArn,
              Input: JSON.stringify(wakeupPayload(wakeup)),
              RetryPolicy: { MaximumEventAgeInSeconds: 1800, MaximumRetryAttempts: 10 },
            },
          }),
        );
        return 'created';
      } catch (error) {
        if (error instanceof ConflictException) return 'exists';
        throw error;
      }
    },
  };
}

/** `esr-<instant>-<hash>`: the wakeup's own name with its hash taken over the reconciler's ARN too (64 characters at most). */
export function scheduleName(name: string, functionArn: string): string {
  const [prefix, instant] = name.split('-');
  const hash = createHash('sha256').update(`${functionArn}\n${name}`).digest('hex').slice(0, 40);
  return `${prefix}-${instant}-${hash}`;
}
