import type { Report } from '../domain/report/report';
import type { Metrics } from '../ports/metrics';

/**
 * A run's restart-window metrics: how many consumers it holds for their window, how long since
 * the change the oldest of them has waited (`since`: when the change was made), and how many it
 * found past their deadline and still waiting.
 */
export function restartMetrics(metrics: Metrics, report: Pick<Report, 'services'>, since: number | undefined, now: number): void {
  const waiting = report.services.filter((s) => s.outcome === 'waiting' && s.kind === 'window').length;
  if (waiting > 0) {
    metrics.add('WaitingForWindow', waiting);
    if (since !== undefined && Number.isFinite(since)) metrics.add('OldestWindowWaitSeconds', Math.max(0, (now - since) / 1000));
  }
  const missed = report.services.filter((s) => s.window?.missed).length;
  if (missed > 0) metrics.add('RestartDeadlinesMissed', missed);
}
