import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { errorLine } from '../domain/errors';
import type { Notifier } from '../ports/notifier';
import type { AwsClients } from './clients';

/** Source of the events this service publishes, for alerting rules. */
export const NOTIFICATION_SOURCE = 'ecs-secret-redeploy';

/** PutEvents takes at most 10 entries. */
const PUT_EVENTS_LIMIT = 10;

/** Notifications as EventBridge events on `bus`; no bus, no events. */
export function eventBridgeNotifier(clients: Pick<AwsClients, 'events'>, bus: string | undefined): Notifier {
  return {
    async publish(notifications) {
      if (!bus || notifications.length === 0) return undefined;
      const failures: string[] = [];
      for (let i = 0; i < notifications.length; i += PUT_EVENTS_LIMIT) {
        const entries = notifications
          .slice(i, i + PUT_EVENTS_LIMIT)
          .map((n) => ({ Source: NOTIFICATION_SOURCE, DetailType: n.detailType, Detail: JSON.stringify(n.detail), EventBusName: bus }));
        try {
          const out = await clients.events.send(new PutEventsCommand({ Entries: entries }));
          if (out.FailedEntryCount) failures.push(out.Entries?.find((e) => e.ErrorCode)?.ErrorCode ?? 'unknown error');
        } catch (error) {
          failures.push(errorLine(error));
        }
      }
      return failures.length > 0 ? `notification not published: ${failures.join('; ')}` : undefined;
    },
  };
}
