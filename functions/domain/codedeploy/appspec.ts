/**
 * The CodeDeploy deployment that redeploys a CODE_DEPLOY service as it is: an AppSpec naming the
 * task definition its PRIMARY task set runs now, and the container name and port its load
 * balancer registers (those of the group's target groups when the service names several). Its
 * replacement task set starts new tasks, which read the secrets' current values; nothing else
 * about the service changes (CodeDeploy keeps the task set's network configuration, capacity
 * provider strategy and platform version when the AppSpec names none). Pure.
 */

import { lastPathSegment } from '../identity/arn';
import { type LoadBalancer, primaryTaskSet, type ServiceSnapshot } from '../inventory/service';
import type { DeploymentGroup } from './group';

/** What a CodeDeploy redeploy of one service sends: the group, and the AppSpec's inputs. */
export interface CodeDeployTarget {
  application: string;
  group: string;
  taskDefinition: string;
  containerName: string;
  containerPort: number;
  /** The AppSpec (JSON), sent as an AppSpecContent revision. */
  appSpec: string;
}

/** The deployment to create for the service, or why none can be made. */
export type AppSpecOutcome = { kind: 'ok'; target: CodeDeployTarget } | { kind: 'unusable'; reason: string };

/** The AppSpec of a redeploy of `service` through `group`. */
export function appSpecFor(
  service: Pick<ServiceSnapshot, 'taskDefinition' | 'taskSets' | 'loadBalancers'>,
  group: Pick<DeploymentGroup, 'application' | 'name' | 'targetGroups'>,
): AppSpecOutcome {
  const primary = primaryTaskSet(service);
  const taskDefinition = primary?.taskDefinition ?? service.taskDefinition;
  if (!taskDefinition) return { kind: 'unusable', reason: 'its PRIMARY task set names no task definition' };
  const registered = (primary?.loadBalancers?.length ? primary.loadBalancers : service.loadBalancers) ?? [];
  const ports = distinct(registered.filter((lb) => lb.containerName && lb.containerPort !== undefined));
  const ofGroup = ports.filter((lb) => group.targetGroups.includes(targetGroupName(lb.targetGroupArn)));
  const chosen = ofGroup.length > 0 ? ofGroup : ports;
  if (chosen.length === 0)
    return { kind: 'unusable', reason: 'its load balancers name no container and port, which a CodeDeploy AppSpec needs' };
  if (chosen.length > 1) {
    const named = chosen.map((lb) => `${lb.containerName}:${lb.containerPort}`).join(', ');
    return { kind: 'unusable', reason: `its load balancers register several containers (${named}): not guessed, redeploy it yourself` };
  }
  const [{ containerName, containerPort }] = chosen as Array<Required<Pick<LoadBalancer, 'containerName' | 'containerPort'>>>;
  const appSpec = JSON.stringify({
    version: '0.0',
    Resources: [
      {
        TargetService: {
          Type: 'AWS::ECS::Service',
          Properties: { TaskDefinition: taskDefinition, LoadBalancerInfo: { ContainerName: containerName, ContainerPort: containerPort } },
        },
      },
    ],
  });
  return {
    kind: 'ok',
    target: { application: group.application, group: group.name, taskDefinition, containerName, containerPort, appSpec },
  };
}

/** `blue` of `arn:...:targetgroup/blue/0123456789abcdef`. */
function targetGroupName(arn: string | undefined): string {
  return arn ? (arn.split(':').pop()?.split('/')[1] ?? lastPathSegment(arn)) : '';
}

/** The container and port pairs, once each (a pair registered with the production and the test target group is one). */
function distinct(balancers: LoadBalancer[]): LoadBalancer[] {
  const seen = new Map<string, LoadBalancer>();
  for (const lb of balancers)
    seen.set(`${lb.containerName}:${lb.containerPort}`, seen.get(`${lb.containerName}:${lb.containerPort}`) ?? lb);
  return [...seen.values()];
}
