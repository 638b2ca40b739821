import { groupName } from '../domain/codedeploy/group';
import { type CodeDeployChange, endOf, foreignCodeDeployEvent } from '../domain/decode/codedeploy-event';
import type { Trigger } from '../domain/decode/events';
import { ForeignAccountError } from '../domain/errors';
import type { Ports } from '../ports/ports';
import { deploymentEnded, type ProgressOutcome } from './deployment-change';
import type { RunContext } from './run-context';

/**
 * A CodeDeploy "Deployment State-change Notification" event: a hint, never the evidence, handled
 * as an ECS deployment event is. It is accepted from this account (and region) only; the group it
 * names is asked which services it deploys (BatchGetDeploymentGroups, then DescribeServices for
 * their ARNs); then, for a deployment the ledger records as one this service made through that
 * group, how it ended is what CodeDeploy reports (BatchGetDeployments), never what the event
 * claims. A SUCCESS, FAILURE or STOP that CodeDeploy does not confirm moves nothing. Missed events
 * are made up by the schedule's poll.
 */
export async function onCodeDeployChange(
  ports: Ports,
  change: CodeDeployChange,
  trigger: Trigger,
  run: RunContext,
): Promise<ProgressOutcome> {
  const foreign = foreignCodeDeployEvent(change, { account: await ports.accountId(), region: ports.config.region });
  if (foreign) {
    ports.metrics.add('EventsRefused', 1);
    ports.log.warn('event refused', { account: change.account, eventId: trigger.eventId, reason: foreign });
    throw new ForeignAccountError(foreign);
  }
  // Until the service is known, the group the event names stands for it.
  const nothing = (reason: string): ProgressOutcome => ({
    service: change.group ?? '(unknown service)',
    deploymentId: change.deploymentId,
    secrets: [],
    reason,
  });
  const state = endOf(change.state);
  if (!state) return nothing(`${change.state ?? 'the event'} does not end a deployment`);
  if (!change.application || !change.group) return nothing('the event names no application and deployment group');
  const codeDeploy = { application: change.application, group: change.group };
  const name = groupName({ application: change.application, name: change.group });
  const [group] = await ports.codeDeploy.groups(change.application, [change.group]);
  // The rule hears every CodeDeploy deployment of the account: those of EC2 and Lambda groups too.
  if (!group) return nothing(`CodeDeploy knows no ECS deployment group ${name} (another compute platform, or none)`);
  const byCluster = new Map<string, string[]>();
  for (const s of group.ecsServices) byCluster.set(s.clusterName, [...(byCluster.get(s.clusterName) ?? []), s.serviceName]);
  const services = (await Promise.all([...byCluster].map(([cluster, names]) => ports.ecs.describeServices(cluster, names)))).flat();
  if (services.length === 0) return nothing(`deployment group ${name} deploys no service ECS knows`);
  const outcomes: ProgressOutcome[] = [];
  for (const service of services)
    outcomes.push(
      await deploymentEnded(ports, { serviceArn: service.serviceArn, deploymentId: change.deploymentId, state, codeDeploy }, trigger, run),
    );
  // CodeDeploy's rule for ECS: a group deploys one service. Its outcome is the event's.
  return outcomes.find((o) => o.secrets.length > 0) ?? outcomes[0];
}
