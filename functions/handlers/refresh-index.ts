import type { Context } from 'aws-lambda';
import { type RebuildSummary, rebuildIndex, reindexService } from '../app/refresh-index';
import { decodeDeploymentEvent, isEcsEvent } from '../domain/decode/deployment-event';
import { clusterOfService } from '../domain/identity/arn';
import { escapingFailures, lambdaInvocation } from './runtime';

/** What a refresh did. */
export type RefreshResult = { action: 'rebuilt'; summary: RebuildSummary } | { action: 'reindexed'; service: string; active: boolean };

/**
 * Keeps the index current: an ECS "ECS Deployment State Change" event re-indexes that one
 * service (a new service, a new task definition, a deleted service); a schedule or any other
 * invoke rebuilds the whole index from a scan.
 */
async function handle(event: unknown, context: Context): Promise<RefreshResult> {
  return lambdaInvocation(context, async (ports) => {
    if (isEcsEvent(event)) {
      const { serviceArn } = decodeDeploymentEvent(event);
      const live = await reindexService(ports, clusterOfService(serviceArn), serviceArn);
      const result: RefreshResult = { action: 'reindexed', service: serviceArn, active: live !== undefined };
      ports.log.info('service re-indexed', result);
      return result;
    }
    const summary = await rebuildIndex(ports);
    // The stale consumers are listed by the reconcile that redeploys them; here, how many.
    ports.log.info('index rebuilt', { ...summary, stale: summary.stale.length });
    if (summary.stale.length > 0)
      ports.log.warn('consumers first seen running a version older than current: the next reconcile redeploys them', {
        consumers: summary.stale.length,
        first: summary.stale.slice(0, 20).map((s) => `${s.serviceName} (${s.secretArn})`),
      });
    return { action: 'rebuilt', summary };
  });
}

export const handler = escapingFailures(handle);
