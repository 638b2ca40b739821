import { ConflictException, CreateScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import type { Config, OneTimeScheduleSettings } from '../config';
import { continuationPayload } from '../domain/decode/run-request';
import type { OneTimeSchedules } from '../ports/one-time-schedules';
import { clientSettings, type Instrument } from './clients';

/** What EventBridge Scheduler allows in a schedule's name (CreateSchedule's Name). */
const SCHEDULE_NAME = /^[0-9a-zA-Z_.-]{1,64}$/;

/**
 * Later runs on EventBridge Scheduler: one one-time schedule each (`at()` in UTC, no flexible
 * window) in the stack's schedule group, invoking the reconciler with the request as a
 * continuation payload (Scheduler invokes Lambda asynchronously: Lambda's own retries and
 * dead-letter destination follow), deleted by Scheduler once it ran (ActionAfterCompletion
 * DELETE). An invocation Scheduler cannot deliver is retried for an hour, then sent to the
 * dead-letter queue. A name taken already (ConflictException, also what a retry after a lost
 * answer meets) means the run was asked for: `exists`.
 */
export function schedulerOneTimeSchedules(
  config: Config,
  settings: OneTimeScheduleSettings,
  instrument?: Instrument,
  client: SchedulerClient = new SchedulerClient(clientSettings(config)),
): OneTimeSchedules {
  instrument?.(client);
  return {
    async runAt(name, at, request) {
      if (!SCHEDULE_NAME.test(name)) throw new Error(`"${name}" is not a schedule name (letters, digits, - _ and ., at most 64)`);
      try {
        await client.send(
          new CreateScheduleCommand({
            Name: name,
            GroupName: settings.group,
            Description: `ecs-secret-redeploy ${request.kind}`,
            // at(yyyy-mm-ddThh:mm:ss), whole seconds, in the zone named beside it.
            ScheduleExpression: `at(${at.toISOString().slice(0, 19)})`,
            ScheduleExpressionTimezone: 'UTC',
            FlexibleTimeWindow: { Mode: 'OFF' },
            ActionAfterCompletion: 'DELETE',
            State: 'ENABLED',
            Target: {
              Arn: settings.targetArn,
              RoleArn: settings.roleArn,
              Input: JSON.stringify(continuationPayload(request)),
              RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 10 },
              ...(settings.deadLetterArn ? { DeadLetterConfig: { Arn: settings.deadLetterArn } } : {}),
            },
          }),
        );
        return 'scheduled';
      } catch (error) {
        if (error instanceof ConflictException) return 'exists';
        throw error;
      }
    },
  };
}
