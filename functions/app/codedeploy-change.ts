import { judgeCodeDeployment } from '../domain/codedeploy/deployment';
import { groupName } from '../domain/codedeploy/group';
import type { CodeDeployChange } from '../domain/decode/codedeploy-event';
import type { Trigger } from '../domain/decode/events';
import { ForeignAccountError } from '../domain/errors';
import type { Ports } from '../ports/ports';
import { type DeploymentEnd, deploymentEnded, type ProgressOutcome } from './deployment-change';
import type { RunContext } from './run-context';

/**
 * A CodeDeploy deployment state-change event: a hint, never the evidence. It is accepted from
 * this account only (CodeDeploy deploys this account's services; a forwarded event keeps its
 * sender's account), then CodeDeploy is asked how the deployment stands (BatchGetDeployments) and
 * which services its group deploys (BatchGetDeploymentGroups, then DescribeServices for their
 * ARNs): only an ended deployment that the ledger records as one this service made moves a
 * rollout on, exactly as an ECS deployment event does. Missed events are made up by the schedule.
 */
export async function onCodeDeployChange(
  ports: Ports,
  change: CodeDeployChange,
  trigger: Trigger,
  run: RunContext,
): Promise<ProgressOutcome> {
  const self = await ports.accountId();
  if (change.account !== undefined && change.account !== self) {
    ports.metrics.add('EventsRefused', 1);
    ports.log.warn('event refused', { account: change.account, eventId: trigger.eventId, reason: 'a CodeDeploy event of another account' });
    throw new ForeignAccountError(
      `CodeDeploy event from account ${change.account}, not this account (${self}): CodeDeploy deploys this account's services only`,
    );
  }
  // Before the service is known, the group the event names stands for it.
  const nothing = (reason: string): ProgressOutcome => ({
    service: change.group ?? '(unknown service)',
    deploymentId: change.deploymentId,
    secrets: [],
    reason,
  });
  const [deployment] = await ports.codeDeploy.deployments([change.deploymentId]);
  if (!deployment?.application || !deployment.group) return nothing(`CodeDeploy does not know deployment ${change.deploymentId}`);
  // Judged with no timeout: an event never fails a deployment that is still running.
  const ended = judgeCodeDeployment(deployment, new Date(0).toISOString(), ports.clock.now(), 0);
  if (!ended) return nothing(`CodeDeploy reports deployment ${deployment.id} ${deployment.status}: it has not ended`);
  const [group] = await ports.codeDeploy.groups(deployment.application, [deployment.group]);
  const name = groupName({ application: deployment.application, name: deployment.group });
  if (!group) return nothing(`CodeDeploy does not know deployment group ${name}`);
  const byCluster = new Map<string, string[]>();
  for (const s of group.ecsServices) byCluster.set(s.clusterName, [...(byCluster.get(s.clusterName) ?? []), s.serviceName]);
  const services = (await Promise.all([...byCluster].map(([cluster, names]) => ports.ecs.describeServices(cluster, names)))).flat();
  if (services.length === 0) return nothing(`deployment group ${name} deploys no service ECS knows`);
  const outcomes: ProgressOutcome[] = [];
  for (const service of services) {
    const end: DeploymentEnd = {
      serviceArn: service.serviceArn,
      deploymentId: deployment.id,
      state: ended.state,
      ...(ended.reason ? { reason: ended.reason } : {}),
    };
    outcomes.push(await deploymentEnded(ports, end, trigger, run));
  }
  // A group deploys one ECS service (CodeDeploy's rule for ECS): its outcome is the event's.
  return outcomes.find((o) => o.secrets.length > 0) ?? outcomes[0];
}
