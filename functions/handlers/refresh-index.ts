import type { Context } from 'aws-lambda';
import { deploymentOfThisAccount } from '../app/event-sender';
import { reindexService } from '../app/index-writes';
import type { RebuildSummary } from '../app/rebuild-complete';
import { MAX_REBUILD_HOPS, runRebuild } from '../app/refresh-index';
import { lambdaContinuation } from '../aws/continuation';
import { decodeDeploymentEvent, isEcsEvent } from '../domain/decode/deployment-event';
import { decodeRebuildContinuation, isRebuildContinuation, isScheduledEvent, scheduledRequest } from '../domain/decode/run-request';
import { MalformedEventError } from '../domain/errors';
import { clusterOfService } from '../domain/identity/arn';
import { deadlineIn } from '../domain/rollout/deadline';
import { textField } from '../domain/text';
import type { RebuildProgress } from '../ports/rebuild-store';
import { escapingFailures, lambdaInvocation } from './runtime';

/** What a refresh did. */
export type RefreshResult =
  | { action: 'rebuilt'; summary: RebuildSummary }
  /** The rebuild reached this invocation's deadline: a new invocation goes on with it (`continued`). */
  | { action: 'rebuilding'; status: 'continued' | 'stopped'; progress: RebuildProgress }
  /** Another invocation holds the rebuild in flight: this one did nothing. */
  | { action: 'refused'; reason: string }
  | { action: 'reindexed'; service: string; active: boolean };

/**
 * Keeps the index current: an ECS "ECS Deployment State Change" event re-indexes that one
 * service (a new service, a new task definition, a deleted service), if it is of this account and
 * region (any other is refused as bad input); a schedule or any other
 * invoke rebuilds the whole index from a scan, going on with the build in flight when there is
 * one. A rebuild near this invocation's deadline continues in a new invocation of this function
 * (asynchronous, at once); the index is switched to the new build only when the whole scan is done.
 */
async function handle(event: unknown, context: Context): Promise<RefreshResult> {
  return lambdaInvocation(context, async (ports) => {
    if (isEcsEvent(event)) {
      const change = decodeDeploymentEvent(event);
      // Only this account's services, as the reconciler checks its deployment events.
      await deploymentOfThisAccount(ports, change, textField((event as { id?: unknown }).id));
      const { serviceArn } = change;
      const live = await reindexService(ports, clusterOfService(serviceArn), serviceArn);
      const result: RefreshResult = { action: 'reindexed', service: serviceArn, active: live !== undefined };
      ports.log.info('service re-indexed', result);
      return result;
    }
    const resume = isRebuildContinuation(event) ? decodeRebuildContinuation(event) : undefined;
    if (resume && resume.hop > MAX_REBUILD_HOPS)
      throw new MalformedEventError(`continuation hop ${resume.hop} exceeds ${MAX_REBUILD_HOPS}: stopped as a loop`);
    const outcome = await runRebuild(ports, {
      deadline: deadlineIn(ports.clock.now().getTime(), context.getRemainingTimeInMillis(), ports.config.deadlineMarginSeconds * 1000),
      continuation: lambdaContinuation(ports.clients, context.functionName),
      resume,
      trigger: isScheduledEvent(event) ? scheduledRequest(event as Record<string, unknown>).trigger : { source: 'manual' },
    });
    if (outcome.status === 'refused') {
      ports.log.info('index rebuild not started: another run holds it', { reason: outcome.reason });
      return { action: 'refused', reason: outcome.reason };
    }
    if (outcome.status !== 'complete') {
      ports.log.info('index rebuild goes on in a new invocation', {
        status: outcome.status,
        hop: (resume?.hop ?? 0) + 1,
        ...outcome.progress,
      });
      return { action: 'rebuilding', status: outcome.status, progress: outcome.progress };
    }
    const { summary, progress } = outcome;
    // The stale consumers are listed by the reconcile that redeploys them; here, how many: once, when the build completes.
    ports.log.info('index rebuilt', { ...summary, stale: summary.stale.length, runs: progress.runs, startedAt: progress.startedAt });
    if (summary.stale.length > 0)
      ports.log.warn('consumers first seen running a version older than current: the next reconcile redeploys them', {
        consumers: summary.stale.length,
        first: summary.stale.slice(0, 20).map((s) => `${s.serviceName} (${s.secretArn})`),
      });
    return { action: 'rebuilt', summary };
  });
}

export const handler = escapingFailures(handle);
