import { appSpecFor } from '../../../../functions/domain/codedeploy/appspec';
import type { LoadBalancer, ServiceSnapshot } from '../../../../functions/domain/inventory/service';
import { taskDefinitionArn } from '../../../kit/factories';

const TG = 'arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup';
const RUNNING = taskDefinitionArn('orders-api:7');
const NEXT = taskDefinitionArn('orders-api:8');
const GROUP = { application: 'AppECS-prod-orders-api', name: 'DgpECS-prod-orders-api', targetGroups: ['blue', 'green'] };
const lb = (group: string, containerName: string, containerPort: number): LoadBalancer => ({
  targetGroupArn: `${TG}/${group}/0123456789abcdef`,
  containerName,
  containerPort,
});

function service(overrides: Partial<ServiceSnapshot> = {}): Pick<ServiceSnapshot, 'taskDefinition' | 'taskSets' | 'loadBalancers'> {
  return {
    taskDefinition: NEXT,
    taskSets: [
      { id: 'ecs-svc/1', status: 'PRIMARY', taskDefinition: RUNNING },
      { id: 'ecs-svc/2', status: 'ACTIVE', taskDefinition: NEXT },
    ],
    loadBalancers: [lb('blue', 'web', 8080), lb('green', 'web', 8080)],
    ...overrides,
  };
}

describe('appSpecFor: a deployment of the service as it runs', () => {
  it("names the PRIMARY task set's task definition (what runs now, not a deployment in flight's) and the load balancer's container and port", () => {
    const outcome = appSpecFor(service(), GROUP);
    expect(outcome).toMatchObject({
      kind: 'ok',
      target: { application: GROUP.application, group: GROUP.name, taskDefinition: RUNNING, containerName: 'web', containerPort: 8080 },
    });
    if (outcome.kind === 'ok')
      expect(JSON.parse(outcome.target.appSpec)).toEqual({
        version: '0.0',
        Resources: [
          {
            TargetService: {
              Type: 'AWS::ECS::Service',
              Properties: { TaskDefinition: RUNNING, LoadBalancerInfo: { ContainerName: 'web', ContainerPort: 8080 } },
            },
          },
        ],
      });
  });

  it.each<[string, Partial<ServiceSnapshot>, RegExp | { containerName: string; containerPort: number; taskDefinition?: string }]>([
    [
      'the service names the task definition when no task set is PRIMARY',
      { taskSets: [] },
      { containerName: 'web', containerPort: 8080, taskDefinition: NEXT },
    ],
    [
      "the PRIMARY task set's own load balancers first",
      { taskSets: [{ id: 'ecs-svc/1', status: 'PRIMARY', taskDefinition: RUNNING, loadBalancers: [lb('blue', 'api', 9000)] }] },
      { containerName: 'api', containerPort: 9000 },
    ],
    [
      "the group's target groups decide between two containers",
      { loadBalancers: [lb('blue', 'web', 8080), lb('admin', 'admin', 9090)] },
      { containerName: 'web', containerPort: 8080 },
    ],
    ['no load balancer: no AppSpec', { loadBalancers: [] }, /name no container and port/],
    [
      'a load balancer without a container port',
      { loadBalancers: [{ targetGroupArn: `${TG}/blue/1`, containerName: 'web' }] },
      /name no container and port/,
    ],
    [
      'two containers behind the group: not guessed',
      { loadBalancers: [lb('blue', 'web', 8080), lb('green', 'api', 9000)] },
      /several containers \(web:8080, api:9000\): not guessed/,
    ],
  ])('%s', (_label, overrides, expected) => {
    const outcome = appSpecFor(service(overrides), GROUP);
    if (expected instanceof RegExp) expect(outcome.kind === 'unusable' && outcome.reason).toMatch(expected);
    else expect(outcome).toMatchObject({ kind: 'ok', target: expected });
  });
});
