import { versionsOfKey } from '../domain/ledger/record';
import type { Announcement } from '../domain/plan/reconcile-plan';
import { countOutcomes, type Origin, type Report, type Scope } from '../domain/report/report';
import type { Notification } from '../ports/notifier';

/**
 * The events this service puts on its notification bus (source `ecs-secret-redeploy`), for the
 * alerting a team hooks to them. Their detail shapes are documented in docs/events.md.
 */
export const DETAIL_TYPES = {
  serviceRedeployed: 'Service Redeployed',
  rolloutStarted: 'Rollout Started',
  waveDone: 'Rollout Wave Done',
  rolloutCompleted: 'Rollout Completed',
  rolloutHalted: 'Rollout Halted',
  rotationFailed: 'Secret Rotation Failed',
  scheduledForDeletion: 'Referenced Secret Scheduled For Deletion',
  waitingForWindows: 'Services Waiting For Restart Window',
  deadlineMissed: 'Restart Deadline Missed',
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
  const run = { ...(report.origin ? { origin: report.origin } : {}), ...(report.scope ? { scope: report.scope } : {}) };
  const detail = { secret: report.secret, trigger: report.trigger, ...run, counts, services: acted.map(({ references: _, ...s }) => s) };
  const fits = JSON.stringify(detail).length <= MAX_DETAIL_BYTES;
  return [
    {
      detailType: RUN_COMPLETED,
      detail: fits ? detail : { secret: report.secret, trigger: report.trigger, ...run, counts, truncated: true },
    },
  ];
}

/** How the events name a secret. */
export type SecretIdentity = Report['secret'];

/** How the events name a service. */
export interface ServiceIdentity {
  service: string;
  serviceName: string;
  cluster: string;
}

/** A service got its new deployment. */
export function serviceRedeployed(detail: {
  secret: SecretIdentity;
  versions: Record<string, string>;
  service: { arn: string; name: string; cluster: string };
  deploymentId?: string;
  wave: number;
  rollout: string;
  origin?: Origin;
  scope?: Scope;
  trigger: Report['trigger'];
  secondsFromChange?: number;
}): Notification {
  return { detailType: DETAIL_TYPES.serviceRedeployed, detail };
}

/** A rollout's first wave was released (`wave` absent: every wave at once); `services` names those released. */
export function rolloutStarted(detail: {
  secret: SecretIdentity;
  versions: Record<string, string>;
  rollout: string;
  wave?: number;
  services: string[];
  startedAt: string;
}): Notification {
  return { detailType: DETAIL_TYPES.rolloutStarted, detail };
}

/** Every deployment of `wave` completed and wave `next` was released (the last wave is done when the rollout completes). */
export function waveDone(detail: {
  secret: SecretIdentity;
  versions: Record<string, string>;
  rollout: string;
  wave: number;
  next: number;
  services: string[];
  at: string;
}): Notification {
  return { detailType: DETAIL_TYPES.waveDone, detail };
}

/** Every consumer of a rollout runs the new versions. */
export function rolloutCompleted(detail: {
  secret: SecretIdentity;
  versions: Record<string, string>;
  rollout: string;
  services: number;
  waves: number[];
  startedAt: string;
  completedAt: string;
}): Notification {
  return { detailType: DETAIL_TYPES.rolloutCompleted, detail };
}

/** A deployment failed: no further wave starts until `resume` or a newer version. */
export function rolloutHalted(detail: {
  secret: SecretIdentity;
  versions: Record<string, string>;
  rollout: string;
  wave: number;
  failed: Array<{ service: string; serviceName: string; deploymentId?: string; reason?: string }>;
  haltedAt: string;
}): Notification {
  const arn = detail.secret.arn ?? detail.secret.name ?? '';
  return { detailType: DETAIL_TYPES.rolloutHalted, detail: { ...detail, resume: `ecs-secret-redeploy resume ${arn}` } };
}

/** A rotation failed or was abandoned: nothing was redeployed; these consumers still run the old value. */
export function rotationFailed(detail: {
  secret: SecretIdentity;
  event: string;
  consumers: ServiceIdentity[];
  standaloneTasks: number;
  trigger: Report['trigger'];
}): Notification {
  return { detailType: DETAIL_TYPES.rotationFailed, detail };
}

/** A secret that running services use is scheduled for deletion: their new tasks will fail to start. */
export function scheduledForDeletion(detail: {
  secret: SecretIdentity;
  deletionDate: string;
  consumers: ServiceIdentity[];
  standaloneTasks: number;
  trigger: Report['trigger'];
}): Notification {
  return { detailType: DETAIL_TYPES.scheduledForDeletion, detail };
}

/** A rollout started with consumers held outside their restart window: when each window opens, when each deadline falls. */
export function waitingForWindows(detail: {
  secret: SecretIdentity;
  versions: Record<string, string>;
  rollout: string;
  services: Array<{ service: string; serviceName: string; opensAt?: string; deadline: string }>;
  at: string;
}): Notification {
  return { detailType: DETAIL_TYPES.waitingForWindows, detail };
}

/**
 * Consumers still run an older version past their restart deadline: an earlier wave or a halted
 * rollout held them. Sent once per consumer and rollout.
 */
export function deadlineMissed(detail: {
  secret: SecretIdentity;
  versions: Record<string, string>;
  rollout: string;
  services: Array<{ service: string; serviceName: string; deadline: string; waitingFor: string; reason: string }>;
  at: string;
}): Notification {
  return { detailType: DETAIL_TYPES.deadlineMissed, detail };
}

/** The event on the bus for a change of a rollout (of versions `key`) that a run recorded. */
export function rolloutNotification(secret: SecretIdentity, key: string, announcement: Announcement): Notification {
  const common = { secret, versions: versionsOfKey(key), rollout: key };
  switch (announcement.kind) {
    case 'rollout-started': {
      const { wave, services, at } = announcement;
      return rolloutStarted({ ...common, ...(wave !== undefined ? { wave } : {}), services, startedAt: at });
    }
    case 'wave-done': {
      const { wave, next, services, at } = announcement;
      return waveDone({ ...common, wave, next, services, at });
    }
    case 'rollout-completed': {
      const { services, waves, startedAt, at } = announcement;
      return rolloutCompleted({ ...common, services, waves, startedAt, completedAt: at });
    }
    case 'rollout-halted': {
      const failed = byService(announcement.failed);
      return rolloutHalted({ ...common, wave: announcement.wave, failed, haltedAt: announcement.at });
    }
    case 'waiting-for-windows':
      return waitingForWindows({ ...common, services: byService(announcement.services), at: announcement.at });
    case 'deadline-missed':
      return deadlineMissed({ ...common, services: byService(announcement.services), at: announcement.at });
  }
}

/** The events name a service `service` (its ARN). */
function byService<T extends { serviceArn: string }>(list: T[]): Array<Omit<T, 'serviceArn'> & { service: string }> {
  return list.map(({ serviceArn, ...rest }) => ({ service: serviceArn, ...rest }));
}
