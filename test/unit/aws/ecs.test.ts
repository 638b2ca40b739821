import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  ListClustersCommand,
  ListServicesCommand,
  ListTasksCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { OutcomeUnknownError, ThrottledError } from '../../../functions/domain/errors';
import { lastPathSegment } from '../../../functions/domain/identity/arn';
import { clusterArn, ecsService, serviceArn, taskDefinitionArn, taskDefinitionUsing } from '../../kit/factories';
import { testPorts } from '../../kit/ports';

const ecs = mockClient(ECSClient);

beforeEach(() => {
  ecs.reset();
  ecs.on(ListTasksCommand).resolves({ taskArns: [] });
});

/** Mocks DescribeServices to answer for whatever services it is asked about. */
function describeAnything(overrides: (name: string) => object = () => ({})) {
  ecs.on(DescribeServicesCommand).callsFake(async (input: { cluster: string; services: string[] }) => ({
    services: input.services.map((arn) => {
      const name = lastPathSegment(arn);
      return ecsService(lastPathSegment(input.cluster), name, overrides(name));
    }),
  }));
}

describe('listClusters', () => {
  it('follows nextToken across every page of ListClusters', async () => {
    ecs.on(ListClustersCommand).resolves({ clusterArns: [clusterArn('a')], nextToken: 't1' });
    ecs.on(ListClustersCommand, { nextToken: 't1' }).resolves({ clusterArns: [clusterArn('b')], nextToken: 't2' });
    ecs.on(ListClustersCommand, { nextToken: 't2' }).resolves({ clusterArns: [clusterArn('c')] });
    expect(await testPorts().ecs.listClusters()).toEqual([clusterArn('a'), clusterArn('b'), clusterArn('c')]);
    expect(ecs).toHaveReceivedCommandTimes(ListClustersCommand, 3);
  });
});

describe('listServices', () => {
  it('reads every page of ListServices and never describes more than 10 services per call', async () => {
    const names = Array.from({ length: 35 }, (_, i) => `svc-${i}`);
    const pages = [names.slice(0, 10), names.slice(10, 20), names.slice(20, 30), names.slice(30)];
    pages.forEach((page, i) => {
      ecs
        .on(ListServicesCommand, { cluster: 'web', ...(i > 0 ? { nextToken: `p${i}` } : {}) })
        .resolves({ serviceArns: page.map((n) => serviceArn('web', n)), ...(i < pages.length - 1 ? { nextToken: `p${i + 1}` } : {}) });
    });
    describeAnything();

    const services = await testPorts().ecs.listServices('web');

    expect(services.map((s) => s.serviceName).sort()).toEqual([...names].sort());
    expect(ecs).toHaveReceivedCommandTimes(ListServicesCommand, 4);
    const describeCalls = ecs.commandCalls(DescribeServicesCommand);
    expect(describeCalls).toHaveLength(4);
    for (const call of describeCalls) expect(call.args[0].input.services?.length).toBeLessThanOrEqual(10);
    expect(describeCalls[0].args[0].input.include).toEqual(['TAGS']);
  });

  it('drops services of another cluster that a listing leaks', async () => {
    ecs.on(ListServicesCommand).resolves({ serviceArns: [serviceArn('web', 'a'), serviceArn('web-2', 'b')] });
    ecs.on(DescribeServicesCommand).resolves({ services: [ecsService('web', 'a'), ecsService('web-2', 'b')] });
    const services = await testPorts().ecs.listServices(clusterArn('web'));
    expect(services.map((s) => s.serviceName)).toEqual(['a']);
  });
});

describe('describeServices', () => {
  // Regression: the task definition was read from the PRIMARY deployment, so a service moved off a
  // secret (its next deployment starts a task definition without it) was still redeployed.
  it("takes the task definition the next deployment starts (the service's own), not the PRIMARY deployment's", async () => {
    ecs.on(DescribeServicesCommand).resolves({
      services: [
        ecsService('web', 'api', {
          taskDefinition: taskDefinitionArn('api:2'),
          deployments: [{ id: 'old', status: 'PRIMARY', taskDefinition: taskDefinitionArn('api:1') }],
        }),
      ],
    });
    const [api] = await testPorts().ecs.describeServices('web', [serviceArn('web', 'api')]);
    expect(api.taskDefinition).toBe(taskDefinitionArn('api:2'));
  });

  it("falls back to the PRIMARY deployment's task definition when the service names none", async () => {
    ecs.on(DescribeServicesCommand).resolves({
      services: [
        ecsService('web', 'api', {
          taskDefinition: undefined,
          deployments: [{ id: 'd1', status: 'PRIMARY', taskDefinition: taskDefinitionArn('api:3') }],
        }),
      ],
    });
    const [api] = await testPorts().ecs.describeServices('web', [serviceArn('web', 'api')]);
    expect(api.taskDefinition).toBe(taskDefinitionArn('api:3'));
  });

  it('reads the deployments with their rollout state, and the running count', async () => {
    const createdAt = new Date('2026-11-20T08:15:00Z');
    ecs.on(DescribeServicesCommand).resolves({
      services: [
        ecsService('web', 'api', {
          runningCount: 3,
          deployments: [
            { id: 'd2', status: 'PRIMARY', rolloutState: 'IN_PROGRESS', createdAt, taskDefinition: taskDefinitionArn('api:1') },
          ],
        }),
      ],
    });
    const [api] = await testPorts().ecs.describeServices('web', [serviceArn('web', 'api')]);
    expect(api).toMatchObject({
      runningCount: 3,
      deployments: [
        {
          id: 'd2',
          status: 'PRIMARY',
          rolloutState: 'IN_PROGRESS',
          createdAt: createdAt.toISOString(),
          taskDefinition: taskDefinitionArn('api:1'),
        },
      ],
    });
  });

  it('reads the deployment controller and tags', async () => {
    ecs.on(DescribeServicesCommand).resolves({
      services: [ecsService('web', 'api', { deploymentController: { type: 'CODE_DEPLOY' }, tags: [{ key: 'team', value: 'orders' }] })],
    });
    const [api] = await testPorts().ecs.describeServices('web', [serviceArn('web', 'api')]);
    expect(api.deploymentController).toBe('CODE_DEPLOY');
    expect(api.tags).toEqual({ team: 'orders' });
  });
});

describe('taskDefinitionReferences', () => {
  it('describes each task definition revision once for the life of the adapter', async () => {
    ecs.on(DescribeTaskDefinitionCommand).callsFake(async (input: { taskDefinition: string }) => ({
      taskDefinition: taskDefinitionUsing(lastPathSegment(input.taskDefinition).split(':')[0], [
        'arn:aws:ssm:eu-west-1:111122223333:parameter/x',
      ]),
    }));
    const { ecs: port } = testPorts();
    await Promise.all(
      [taskDefinitionArn('a:1'), taskDefinitionArn('a:1'), taskDefinitionArn('b:1')].map((arn) => port.taskDefinitionReferences(arn)),
    );
    await port.taskDefinitionReferences(taskDefinitionArn('a:1'));
    expect(ecs).toHaveReceivedCommandTimes(DescribeTaskDefinitionCommand, 2);
  });

  it('describes a task definition again after a failed attempt', async () => {
    ecs
      .on(DescribeTaskDefinitionCommand)
      .rejectsOnce(new Error('throttled'))
      .resolves({ taskDefinition: taskDefinitionUsing('a', []) });
    const { ecs: port } = testPorts();
    await expect(port.taskDefinitionReferences(taskDefinitionArn('a:1'))).rejects.toThrow('throttled');
    await expect(port.taskDefinitionReferences(taskDefinitionArn('a:1'))).resolves.toEqual([]);
  });
});

describe('forceNewDeployment', () => {
  const service = { clusterArn: clusterArn('web'), serviceArn: serviceArn('web', 'api') };
  const fault = (name: string, fields: object) => Object.assign(new Error(`${name} happened`), { name, ...fields });

  it('returns the id of the new PRIMARY deployment', async () => {
    ecs.on(UpdateServiceCommand).resolves({
      service: ecsService('web', 'api', {
        deployments: [
          { id: 'new', status: 'PRIMARY' },
          { id: 'old', status: 'ACTIVE' },
        ],
      }),
    });
    expect(await testPorts().ecs.forceNewDeployment(service)).toEqual({ deploymentId: 'new' });
    expect(ecs).toHaveReceivedCommandWith(UpdateServiceCommand, {
      cluster: clusterArn('web'),
      service: serviceArn('web', 'api'),
      forceNewDeployment: true,
    });
  });

  // UpdateService is not idempotent: an SDK retry after a lost answer would start a second deployment.
  it.each([
    ['throttling', fault('ThrottlingException', { $metadata: { httpStatusCode: 400 }, $retryable: { throttling: true } }), ThrottledError],
    ['a server error', fault('ServerException', { $metadata: { httpStatusCode: 500 }, $fault: 'server' }), OutcomeUnknownError],
    ['a dropped connection (no HTTP answer)', fault('Error', { code: 'ECONNRESET' }), OutcomeUnknownError],
    ['a timeout', fault('TimeoutError', {}), OutcomeUnknownError],
  ])('is sent once and reports %s as what it means for a retry', async (_label, error, expected) => {
    ecs.on(UpdateServiceCommand).rejects(error);
    await expect(testPorts({ maxAttempts: 8 }).ecs.forceNewDeployment(service)).rejects.toBeInstanceOf(expected);
    expect(ecs).toHaveReceivedCommandTimes(UpdateServiceCommand, 1);
  });

  it('passes a rejection by ECS through as it is (not applied, not worth retrying)', async () => {
    const rejected = fault('InvalidParameterException', { $metadata: { httpStatusCode: 400 }, $fault: 'client' });
    ecs.on(UpdateServiceCommand).rejects(rejected);
    await expect(testPorts().ecs.forceNewDeployment(service)).rejects.toMatchObject({ name: 'InvalidParameterException' });
  });
});
