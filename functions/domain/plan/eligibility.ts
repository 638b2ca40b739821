import { sameCluster } from '../identity/arn';
import type { ServiceSnapshot } from '../inventory/service';

/** Tag that opts a service out of automatic redeploys. */
export const OPT_OUT_TAG = 'ecs-secret-redeploy:ignore';

/** Whether a due service can be given a new deployment, and through what: UpdateService, or a CodeDeploy deployment. */
export type Eligibility =
  | { action: 'redeploy'; via: 'update-service' | 'codedeploy' }
  /** No task runs: nothing to redeploy, and a task started later reads the current version. */
  | { action: 'no-tasks' }
  | { action: 'skip'; reason: string };

/**
 * The rules of DESIGN "Who is redeployed", for a service that is due. Pure: the live service as
 * DescribeServices shows it, the clusters this deployment manages (empty: all), and whether
 * CODE_DEPLOY services are redeployed through CodeDeploy (`codeDeploy`, on unless turned off).
 */
export function eligibility(service: ServiceSnapshot, clusters: string[], options: { codeDeploy: boolean }): Eligibility {
  const skip = (reason: string): Eligibility => ({ action: 'skip', reason });
  if (service.status !== 'ACTIVE') return skip(`service is ${service.status}`);
  if (clusters.length > 0 && !clusters.some((c) => sameCluster(service.clusterArn, c)))
    return skip('cluster is outside the configured clusters');
  if (OPT_OUT_TAG in service.tags && service.tags[OPT_OUT_TAG] !== 'false') return skip(`opted out by tag ${OPT_OUT_TAG}`);
  if (service.desiredCount === 0) {
    if (service.runningCount === 0) return { action: 'no-tasks' };
    return skip(`scaled to zero, ${service.runningCount} task(s) still stopping: checked again next time`);
  }
  if (service.deploymentController === 'CODE_DEPLOY') {
    if (options.codeDeploy) return { action: 'redeploy', via: 'codedeploy' };
    return skip(
      'deployment controller CODE_DEPLOY: CodeDeploy redeploys are turned off here (codeDeployRedeploys); deploy it through CodeDeploy yourself',
    );
  }
  if (service.deploymentController !== 'ECS') {
    return skip(`deployment controller ${service.deploymentController}: UpdateService cannot force a new deployment`);
  }
  return { action: 'redeploy', via: 'update-service' };
}
