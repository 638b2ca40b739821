import type { Context } from 'aws-lambda';
import type { ProgressOutcome } from '../app/deployment-change';
import { handleEvent } from '../app/handle-event';
import type { ReconcileAllSummary } from '../app/reconcile-all';
import { type Report, withCopies } from '../domain/report/report';
import { escapingFailures, lambdaInvocation, lambdaRun } from './runtime';

/**
 * The reconciler. EventBridge delivers Secrets Manager and SSM changes (reconcile that secret),
 * ECS deployments that completed or failed (a rollout's next wave, or its halt) and the reconcile
 * schedule (every indexed secret); it also receives its own continuations when a run reaches its
 * deadline. Logs and returns what it did; throws when a service failed (or a secret could not be
 * reconciled), so that Lambda's async retry runs again: the ledger makes a retry redeploy only
 * what is still behind. Bad input throws too, and after the retries lands in the dead-letter
 * queue, where an alarm watches.
 */
async function handle(event: unknown, context: Context): Promise<Report | ReconcileAllSummary | ProgressOutcome | { duplicate: string }> {
  return lambdaInvocation(context, async (ports) => {
    const outcome = await handleEvent(ports, event, lambdaRun(ports, context, ports.config.dryRun));
    // A continuation another invocation already ran (a duplicate delivery, or a replay): nothing to do, nothing to retry.
    if (outcome.kind === 'duplicate') return { duplicate: outcome.reason };
    if (outcome.kind === 'schedule') {
      const { summary } = outcome;
      ports.log.info('scheduled reconcile', { summary });
      if (summary.outcomes.failed > 0 || summary.errors.length > 0) {
        throw new Error(
          `scheduled reconcile: ${summary.outcomes.failed} services failed, ${summary.errors.length} secrets could not be reconciled`,
        );
      }
      return summary;
    }
    const reports =
      outcome.kind === 'report' ? withCopies(outcome.report) : outcome.progress.secrets.flatMap((s) => (s.report ? [s.report] : []));
    if (outcome.kind === 'report') ports.log.info('report', { report: outcome.report });
    else ports.log.info('deployment progress', { progress: outcome.progress });
    const failed = reports.flatMap((r) => r.services.filter((s) => s.outcome === 'failed'));
    if (failed.length > 0) {
      const which = failed.map((s) => `${s.serviceName} (${s.reason})`).join('; ');
      throw new Error(`${failed.length} of ${reports.reduce((n, r) => n + r.services.length, 0)} services failed to redeploy: ${which}`);
    }
    return outcome.kind === 'report' ? outcome.report : outcome.progress;
  });
}

export const handler = escapingFailures(handle);
