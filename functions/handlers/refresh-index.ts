import type { Context } from 'aws-lambda';
import { MalformedEventError } from '../core/errors';
import { rebuildIndex, reindexService } from '../core/indexer';
import { lambdaDeps } from './runtime';

/** What a refresh did. */
export type RefreshResult =
  | { action: 'rebuilt'; summary: Awaited<ReturnType<typeof rebuildIndex>> }
  | { action: 'reindexed'; service: string; active: boolean };

/**
 * Keeps the index current: an ECS "ECS Deployment State Change" event re-indexes that one
 * service (a new service, a new task definition, a deleted service); a schedule or any other
 * invoke rebuilds the whole index from a scan.
 */
export async function handler(event: unknown, context: Context): Promise<RefreshResult> {
  const deps = lambdaDeps(context);
  const record = (typeof event === 'object' && event !== null ? event : {}) as Record<string, unknown>;
  if (record.source === 'aws.ecs') {
    if (record['detail-type'] !== 'ECS Deployment State Change') {
      throw new MalformedEventError(`refresh-index handles ECS Deployment State Change events, got "${String(record['detail-type'])}"`);
    }
    const serviceArn = Array.isArray(record.resources) ? record.resources.find((r): r is string => typeof r === 'string' && r.includes(':service/')) : undefined;
    if (!serviceArn) throw new MalformedEventError('ECS Deployment State Change event without a service ARN in resources');
    const live = await reindexService(deps, clusterOf(serviceArn), serviceArn);
    const result: RefreshResult = { action: 'reindexed', service: serviceArn, active: live !== undefined };
    deps.log.info('service re-indexed', result);
    return result;
  }
  const summary = await rebuildIndex(deps);
  deps.log.info('index rebuilt', { ...summary });
  return { action: 'rebuilt', summary };
}

/** New-format service ARNs name their cluster (`service/CLUSTER/NAME`); old ones live in `default`. */
function clusterOf(serviceArn: string): string {
  const path = serviceArn.split(':service/')[1]?.split('/') ?? [];
  return path.length >= 2 ? path[0] : 'default';
}
