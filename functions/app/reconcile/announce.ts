import type { Trigger } from '../../domain/decode/events';
import { versionsOfKey } from '../../domain/ledger/record';
import type { Announcement } from '../../domain/plan/reconcile-plan';
import type { Origin, Report } from '../../domain/report/report';
import type { Rollout } from '../../domain/rollout/rollout';
import type { Notification } from '../../ports/notifier';
import type { Ports } from '../../ports/ports';
import { deadlineMissed, rolloutCompleted, rolloutHalted, runNotifications, serviceRedeployed, waitingForWindows } from '../notifications';
import { restartMetrics } from '../restart-metrics';

/** What a run did to its secret's rollout: its key, the rollout as it stands, the changes it recorded. */
export interface RolloutOutcome {
  key: string;
  rollout?: Rollout;
  announced: Announcement[];
}

/** Publishes what a run did (its summary, each redeploy, the rollout's changes) and emits its metrics. */
export async function announce(ports: Ports, report: Report, outcome: RolloutOutcome, trigger: Trigger, origin: Origin): Promise<void> {
  const changedAt = outcome.rollout?.changedAt ? Date.parse(outcome.rollout.changedAt) : undefined;
  const now = ports.clock.now().getTime();
  const redeployed = report.services
    .filter((s) => s.outcome === 'redeployed')
    .map((s) =>
      serviceRedeployed({
        secret: report.secret,
        versions: s.versions?.to ?? {},
        service: { arn: s.service, name: s.serviceName, cluster: s.cluster },
        ...(s.deploymentId ? { deploymentId: s.deploymentId } : {}),
        wave: s.wave ?? ports.config.defaultWave,
        rollout: outcome.key,
        origin,
        trigger,
        ...(changedAt ? { secondsFromChange: Math.max(0, Math.round((now - changedAt) / 1000)) } : {}),
      }),
    );
  const changes = outcome.announced.map((a) => rolloutChange(report, outcome.key, a));
  const warning = await ports.notifier.publish([...runNotifications(report), ...redeployed, ...changes]);
  if (warning) report.warnings.push(warning);

  if (redeployed.length > 0) ports.metrics.add('ServicesRedeployed', redeployed.length);
  const failed = report.services.filter((s) => s.outcome === 'failed').length;
  if (failed > 0) ports.metrics.add('RedeployFailed', failed);
  if (report.drift) ports.metrics.add('DriftFound', report.drift.services.length);
  if (changedAt && redeployed.length > 0) ports.metrics.add('SecondsFromChangeToDeploy', Math.max(0, (now - changedAt) / 1000));
  for (const a of outcome.announced)
    if (a.kind in ROLLOUT_METRICS) ports.metrics.add(ROLLOUT_METRICS[a.kind as keyof typeof ROLLOUT_METRICS], 1);
  const since = outcome.rollout?.changedAt ?? outcome.rollout?.startedAt;
  restartMetrics(ports.metrics, report, since ? Date.parse(since) : undefined, now);
}

const ROLLOUT_METRICS = { 'rollout-halted': 'RolloutHalted', 'rollout-completed': 'RolloutCompleted' } as const;

function rolloutChange(report: Report, key: string, announcement: Announcement): Notification {
  const common = { secret: report.secret, versions: versionsOfKey(key), rollout: key };
  if (announcement.kind === 'waiting-for-windows')
    return waitingForWindows({ ...common, services: byService(announcement.services), at: announcement.at });
  if (announcement.kind === 'deadline-missed')
    return deadlineMissed({ ...common, services: byService(announcement.services), at: announcement.at });
  if (announcement.kind === 'rollout-completed') {
    const { services, waves, startedAt, at } = announcement;
    return rolloutCompleted({ ...common, services, waves, startedAt, completedAt: at });
  }
  const failed = announcement.failed.map(({ serviceArn, ...f }) => ({ service: serviceArn, ...f }));
  return rolloutHalted({ ...common, wave: announcement.wave, failed, haltedAt: announcement.at });
}

/** The events name a service `service` (its ARN). */
function byService<T extends { serviceArn: string }>(list: T[]): Array<Omit<T, 'serviceArn'> & { service: string }> {
  return list.map(({ serviceArn, ...rest }) => ({ service: serviceArn, ...rest }));
}
