import type { Trigger } from '../../domain/decode/events';
import type { Origin, Report } from '../../domain/report/report';
import type { Notification } from '../../ports/notifier';
import type { Ports } from '../../ports/ports';
import { runNotifications, serviceRedeployed } from '../notifications';
import type { RunRollout } from './rollout';

/** Publishes what a run did (its summary, each redeploy, the rollout's transitions) and emits its metrics. */
export async function announce(ports: Ports, report: Report, run: RunRollout, trigger: Trigger, origin: Origin): Promise<void> {
  const warning = await ports.notifier.publish([...runNotifications(report), ...notifications(ports, report, run, trigger, origin)]);
  if (warning) report.warnings.push(warning);
  emitMetrics(ports, report, run);
}

/** The events of this run beyond the run summary: one per service redeployed, and the rollout's transitions. */
function notifications(ports: Ports, report: Report, run: RunRollout, trigger: Trigger, origin: Origin): Notification[] {
  const changedAt = run.rollout?.changedAt ? Date.parse(run.rollout.changedAt) : undefined;
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
        rollout: run.key,
        origin,
        trigger,
        ...(changedAt ? { secondsFromChange: Math.max(0, Math.round((now - changedAt) / 1000)) } : {}),
      }),
    );
  return [...redeployed, ...run.transitions];
}

/** The run's metrics: services redeployed and failed, drift, and how long after the change the redeploys came. */
function emitMetrics(ports: Ports, report: Report, run: RunRollout): void {
  const redeployed = report.services.filter((s) => s.outcome === 'redeployed').length;
  const failed = report.services.filter((s) => s.outcome === 'failed').length;
  if (redeployed > 0) ports.metrics.add('ServicesRedeployed', redeployed);
  if (failed > 0) ports.metrics.add('RedeployFailed', failed);
  if (report.drift) ports.metrics.add('DriftFound', report.drift.services.length);
  const changedAt = run.rollout?.changedAt ? Date.parse(run.rollout.changedAt) : undefined;
  if (changedAt && redeployed > 0)
    ports.metrics.add('SecondsFromChangeToDeploy', Math.max(0, (ports.clock.now().getTime() - changedAt) / 1000));
}
