import type { Trigger } from '../../domain/decode/events';
import type { Announcement } from '../../domain/plan/reconcile-plan';
import type { Origin, Report } from '../../domain/report/report';
import type { Rollout } from '../../domain/rollout/rollout';
import type { Ports } from '../../ports/ports';
import { ANNOUNCEMENT_METRIC, announcementNotification, runNotifications, serviceRedeployed } from '../notifications';

/** What a run did to its secret's rollout: its key, the rollout as it stands, the changes it recorded (and a failed replication). */
export interface RolloutOutcome {
  key: string;
  rollout?: Rollout;
  announced: Announcement[];
}

/** Publishes what a run did (its summary, each redeploy, the changes it recorded) and emits its metrics. */
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
  const changes = outcome.announced.map((a) => announcementNotification(report, outcome.key, a));
  const warning = await ports.notifier.publish([...runNotifications(report), ...redeployed, ...changes]);
  if (warning) report.warnings.push(warning);

  if (redeployed.length > 0) ports.metrics.add('ServicesRedeployed', redeployed.length);
  const failed = report.services.filter((s) => s.outcome === 'failed').length;
  if (failed > 0) ports.metrics.add('RedeployFailed', failed);
  if (report.drift) ports.metrics.add('DriftFound', report.drift.services.length);
  if (changedAt && redeployed.length > 0) ports.metrics.add('SecondsFromChangeToDeploy', Math.max(0, (now - changedAt) / 1000));
  for (const a of outcome.announced) ports.metrics.add(ANNOUNCEMENT_METRIC[a.kind], 1);
}
