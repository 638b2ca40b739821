import { countOutcomes, type Report } from '../domain/report/report';
import type { Notification } from '../ports/notifier';

/**
 * The events this service puts on its notification bus (source `ecs-secret-redeploy`), for the
 * alerting a team hooks to them. Their detail shapes are documented in the README.
 */
export const DETAIL_TYPES = {
  serviceRedeployed: 'Service Redeployed',
  rolloutCompleted: 'Rollout Completed',
  rolloutHalted: 'Rollout Halted',
  rotationFailed: 'Secret Rotation Failed',
  scheduledForDeletion: 'Referenced Secret Scheduled For Deletion',
} as const;

export const RUN_COMPLETED = 'ECS Secret Redeploy Completed';

/** EventBridge caps an entry at 256 KB; a report of thousands of services is cut to fit. */
const MAX_DETAIL_BYTES = 200_000;

/**
 * The notification for a completed run: one event when something was redeployed or failed,
 * listing those services; none when nothing happened.
 */
export function runNotifications(report: Report): Notification[] {
  const counts = countOutcomes(report);
  if (counts.redeployed === 0 && counts.failed === 0) return [];
  const acted = report.services.filter((s) => s.outcome === 'redeployed' || s.outcome === 'failed');
  const detail = { secret: report.secret, trigger: report.trigger, counts, services: acted.map(({ references: _, ...s }) => s) };
  const fits = JSON.stringify(detail).length <= MAX_DETAIL_BYTES;
  return [
    { detailType: RUN_COMPLETED, detail: fits ? detail : { secret: report.secret, trigger: report.trigger, counts, truncated: true } },
  ];
}
