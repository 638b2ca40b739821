import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { countOutcomes, Report } from '../core/report';
import type { Deps } from './clients';

/** Source of the events this service publishes, for alerting rules. */
export const NOTIFICATION_SOURCE = 'ecs-secret-redeploy';
export const NOTIFICATION_DETAIL_TYPE = 'ECS Secret Redeploy Completed';

/** EventBridge caps an entry at 256 KB; a report of thousands of services is cut to fit. */
const MAX_DETAIL_BYTES = 200_000;

/**
 * Publishes a completed run (something was redeployed or failed) to the configured bus.
 * Returns a warning instead of throwing: the redeploys happened either way.
 */
export async function publishReport(deps: Deps, report: Report): Promise<string | undefined> {
  const counts = countOutcomes(report);
  if (!deps.config.notificationBus || (counts.redeployed === 0 && counts.failed === 0)) return undefined;
  const acted = report.services.filter((s) => s.outcome === 'redeployed' || s.outcome === 'failed');
  let detail = JSON.stringify({ secret: report.secret, trigger: report.trigger, counts, services: acted.map(({ references: _, ...s }) => s) });
  if (detail.length > MAX_DETAIL_BYTES) detail = JSON.stringify({ secret: report.secret, trigger: report.trigger, counts, truncated: true });
  try {
    const out = await deps.events.send(
      new PutEventsCommand({ Entries: [{ Source: NOTIFICATION_SOURCE, DetailType: NOTIFICATION_DETAIL_TYPE, Detail: detail, EventBusName: deps.config.notificationBus }] }),
    );
    if (out.FailedEntryCount) return `notification not published: ${out.Entries?.[0]?.ErrorCode ?? 'unknown error'}`;
    return undefined;
  } catch (error) {
    return `notification not published: ${(error as Error).message}`;
  }
}
