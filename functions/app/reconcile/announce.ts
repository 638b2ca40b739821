import type { Trigger } from '../../domain/decode/events';
import { versionsOfKey } from '../../domain/ledger/record';
import type { Announcement } from '../../domain/plan/reconcile-plan';
import { rolloutChatEvent } from '../../domain/report/chat';
import type { Report } from '../../domain/report/report';
import type { Rollout } from '../../domain/rollout/rollout';
import type { MetricName } from '../../ports/metrics';
import type { Ports } from '../../ports/ports';
import { chatSecret, postToChat } from '../chat';
import { rolloutNotification, runNotifications, serviceRedeployed } from '../notifications';
import { restartMetrics } from '../restart-metrics';

/** What a run did to its secret's rollout: its key, the rollout as it stands, the changes it recorded. */
export interface RolloutOutcome {
  key: string;
  rollout?: Rollout;
  announced: Announcement[];
}

/** The metric each recorded change of a rollout adds one to (none: no metric). */
const ROLLOUT_METRICS: Record<Announcement['kind'], MetricName | undefined> = {
  'rollout-started': undefined,
  'wave-done': undefined,
  'rollout-halted': 'RolloutHalted',
  'rollout-completed': 'RolloutCompleted',
  // Deadlines missed are counted at every run that sees one (restartMetrics), for the alarm.
  'waiting-for-windows': undefined,
  'deadline-missed': undefined,
};

/**
 * Publishes what a run did (its summary, each redeploy, the rollout's changes) on the bus, posts
 * the rollout's changes to the team's chat, and emits its metrics.
 */
export async function announce(ports: Ports, report: Report, outcome: RolloutOutcome, trigger: Trigger): Promise<void> {
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
        ...(report.origin ? { origin: report.origin } : {}),
        ...(report.scope ? { scope: report.scope } : {}),
        trigger,
        ...(changedAt ? { secondsFromChange: Math.max(0, Math.round((now - changedAt) / 1000)) } : {}),
      }),
    );
  const changes = outcome.announced.map((a) => rolloutNotification(report.secret, outcome.key, a));
  const warning = await ports.notifier.publish([...runNotifications(report), ...redeployed, ...changes]);
  if (warning) report.warnings.push(warning);
  const secret = chatSecret(report.secret);
  const chatWarning =
    secret &&
    (await postToChat(
      ports,
      outcome.announced.map((a) => rolloutChatEvent(secret, outcome.key, versionsOfKey(outcome.key), a)),
    ));
  if (chatWarning) report.warnings.push(chatWarning);

  if (redeployed.length > 0) ports.metrics.add('ServicesRedeployed', redeployed.length);
  const failed = report.services.filter((s) => s.outcome === 'failed').length;
  if (failed > 0) ports.metrics.add('RedeployFailed', failed);
  if (report.drift) ports.metrics.add('DriftFound', report.drift.services.length);
  if (changedAt && redeployed.length > 0) ports.metrics.add('SecondsFromChangeToDeploy', Math.max(0, (now - changedAt) / 1000));
  for (const a of outcome.announced) {
    const metric = ROLLOUT_METRICS[a.kind];
    if (metric) ports.metrics.add(metric, 1);
  }
  const since = outcome.rollout?.changedAt ?? outcome.rollout?.startedAt;
  restartMetrics(ports.metrics, report, since ? Date.parse(since) : undefined, now);
}
