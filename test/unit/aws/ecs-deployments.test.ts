import {
  DescribeServiceDeploymentsCommand,
  DescribeServicesCommand,
  ECSClient,
  ListServiceDeploymentsCommand,
  type ServiceDeployment,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { notOfferedBecause } from '../../../functions/aws/ecs';
import { clusterArn, ecsService, serviceArn } from '../../kit/factories';
import { testPorts } from '../../kit/ports';

/*
 * The ECS adapter's side of ECS's own deployments (2025): the strategy DescribeServices shows,
 * and the deployment records (ListServiceDeployments, DescribeServiceDeployments) in the shapes
 * the SDK's models give them. moto has none of these: aws-sdk-client-mock plays ECS.
 */

const ecs = mockClient(ECSClient);
beforeEach(() => ecs.reset());

const CLUSTER = clusterArn('prod');
const SERVICE = serviceArn('prod', 'orders-api');
const deploymentArn = (id: string) => `arn:aws:ecs:eu-west-1:123456789012:service-deployment/prod/orders-api/${id}`;

describe('the strategy of a service (DescribeServices deploymentConfiguration)', () => {
  const described = async (deploymentConfiguration: object | undefined) => {
    ecs.on(DescribeServicesCommand).resolves({ services: [ecsService('prod', 'orders-api', { deploymentConfiguration })] });
    const [service] = await testPorts().ecs.describeServices(CLUSTER, [SERVICE]);
    return service.strategy;
  };

  it('is absent when ECS names none (a rolling update, as before 2025)', async () => {
    expect(await described({ maximumPercent: 200, minimumHealthyPercent: 100 })).toBeUndefined();
    expect(await described(undefined)).toBeUndefined();
  });

  it.each([
    [
      { strategy: 'ROLLING', bakeTimeInMinutes: 0 },
      { name: 'ROLLING', bakeTimeInMinutes: 0 },
    ],
    [
      {
        strategy: 'BLUE_GREEN',
        bakeTimeInMinutes: 90,
        lifecycleHooks: [
          { targetType: 'PAUSE', lifecycleStages: ['POST_TEST_TRAFFIC_SHIFT'] },
          {
            hookTargetArn: 'arn:aws:lambda:eu-west-1:123456789012:function:check',
            lifecycleStages: ['PRE_SCALE_UP', 'POST_TEST_TRAFFIC_SHIFT'],
          },
        ],
      },
      { name: 'BLUE_GREEN', bakeTimeInMinutes: 90, hookStages: ['POST_TEST_TRAFFIC_SHIFT', 'PRE_SCALE_UP'] },
    ],
    [
      { strategy: 'LINEAR', bakeTimeInMinutes: 5, linearConfiguration: { stepPercent: 25, stepBakeTimeInMinutes: 10 } },
      { name: 'LINEAR', bakeTimeInMinutes: 5, linear: { stepPercent: 25, stepBakeTimeInMinutes: 10 } },
    ],
    [
      { strategy: 'CANARY', canaryConfiguration: { canaryPercent: 5, canaryBakeTimeInMinutes: 30 } },
      { name: 'CANARY', canary: { canaryPercent: 5, canaryBakeTimeInMinutes: 30 } },
    ],
  ])('reads %j', async (config, strategy) => {
    expect(await described(config)).toEqual(strategy);
  });
});

describe('forceNewDeployment', () => {
  it("names ECS's record of the deployment it started (the service's currentServiceDeployment), where ECS gives it", async () => {
    ecs.on(UpdateServiceCommand).resolves({
      service: ecsService('prod', 'orders-api', {
        deployments: [{ id: 'ecs-svc/2', status: 'PRIMARY' }],
        currentServiceDeployment: deploymentArn('new'),
      }),
    });
    expect(await testPorts().ecs.forceNewDeployment({ clusterArn: CLUSTER, serviceArn: SERVICE })).toEqual({
      deploymentId: 'ecs-svc/2',
      serviceDeploymentArn: deploymentArn('new'),
    });
    ecs
      .on(UpdateServiceCommand)
      .resolves({ service: ecsService('prod', 'orders-api', { deployments: [{ id: 'ecs-svc/3', status: 'PRIMARY' }] }) });
    expect(await testPorts().ecs.forceNewDeployment({ clusterArn: CLUSTER, serviceArn: SERVICE })).toEqual({ deploymentId: 'ecs-svc/3' });
  });
});

describe('listServiceDeployments', () => {
  it('asks for the service, created after the claim, following nextToken', async () => {
    const after = '2026-03-01T10:00:00.000Z';
    ecs.on(ListServiceDeploymentsCommand).resolves({
      serviceDeployments: [
        {
          serviceDeploymentArn: deploymentArn('a'),
          serviceArn: SERVICE,
          clusterArn: CLUSTER,
          status: 'IN_PROGRESS',
          createdAt: new Date('2026-03-01T10:00:01Z'),
        },
      ],
      nextToken: 'n1',
    });
    ecs.on(ListServiceDeploymentsCommand, { nextToken: 'n1' }).resolves({
      serviceDeployments: [
        {
          serviceDeploymentArn: deploymentArn('b'),
          status: 'SUCCESSFUL',
          statusReason: 'done',
          finishedAt: new Date('2026-03-01T10:30:00Z'),
        },
      ],
    });

    const briefs = await testPorts().ecs.listServiceDeployments({ clusterArn: CLUSTER, serviceArn: SERVICE }, after);

    expect(briefs).toEqual([
      { arn: deploymentArn('a'), serviceArn: SERVICE, status: 'IN_PROGRESS', createdAt: '2026-03-01T10:00:01.000Z' },
      { arn: deploymentArn('b'), status: 'SUCCESSFUL', statusReason: 'done', finishedAt: '2026-03-01T10:30:00.000Z' },
    ]);
    const first = ecs.commandCalls(ListServiceDeploymentsCommand)[0].args[0].input;
    expect(first).toMatchObject({ cluster: CLUSTER, service: SERVICE, createdAt: { after: new Date(after) } });
    expect(ecs).toHaveReceivedCommandTimes(ListServiceDeploymentsCommand, 2);
  });
});

describe('describeServiceDeployments', () => {
  const full: ServiceDeployment = {
    serviceDeploymentArn: deploymentArn('x'),
    serviceArn: SERVICE,
    clusterArn: CLUSTER,
    createdAt: new Date('2026-03-01T10:00:00Z'),
    startedAt: new Date('2026-03-01T10:00:05Z'),
    status: 'ROLLBACK_SUCCESSFUL',
    statusReason: 'Service deployment rolled back because the alarm was triggered.',
    lifecycleStage: 'BAKE_TIME',
    lifecycleHookDetails: [{ hookId: 'h1', targetType: 'PAUSE', status: 'SUCCEEDED', expiresAt: new Date('2026-03-01T11:00:00Z') }],
    deploymentConfiguration: { strategy: 'BLUE_GREEN', bakeTimeInMinutes: 90 },
    rollback: { reason: 'Alarm orders-5xx triggered', startedAt: new Date('2026-03-01T10:40:00Z'), serviceRevisionArn: 'rev' },
    deploymentCircuitBreaker: { status: 'MONITORING', failureCount: 0, threshold: 3 },
    alarms: { status: 'TRIGGERED', alarmNames: ['orders-5xx', 'orders-latency'], triggeredAlarmNames: ['orders-5xx'] },
  };

  it('reads what judging a deployment needs', async () => {
    ecs.on(DescribeServiceDeploymentsCommand).resolves({ serviceDeployments: [full] });
    expect(await testPorts().ecs.describeServiceDeployments([deploymentArn('x')])).toEqual([
      {
        arn: deploymentArn('x'),
        serviceArn: SERVICE,
        status: 'ROLLBACK_SUCCESSFUL',
        statusReason: 'Service deployment rolled back because the alarm was triggered.',
        createdAt: '2026-03-01T10:00:00.000Z',
        startedAt: '2026-03-01T10:00:05.000Z',
        lifecycleStage: 'BAKE_TIME',
        hooks: [{ status: 'SUCCEEDED', targetType: 'PAUSE', expiresAt: '2026-03-01T11:00:00.000Z' }],
        strategy: { name: 'BLUE_GREEN', bakeTimeInMinutes: 90 },
        circuitBreaker: { status: 'MONITORING', failureCount: 0, threshold: 3 },
        alarms: { status: 'TRIGGERED', triggered: ['orders-5xx'] },
        rollbackReason: 'Alarm orders-5xx triggered',
      },
    ]);
  });

  it('asks for at most 20 per call, and leaves out what ECS reports in failures', async () => {
    const arns = Array.from({ length: 45 }, (_, i) => deploymentArn(`d${i}`));
    ecs.on(DescribeServiceDeploymentsCommand).callsFake(async (input: { serviceDeploymentArns: string[] }) => ({
      serviceDeployments: input.serviceDeploymentArns
        .filter((arn) => !arn.endsWith('d7'))
        .map((arn) => ({ serviceDeploymentArn: arn, status: 'IN_PROGRESS' })),
      failures: [{ arn: deploymentArn('d7'), reason: 'MISSING' }],
    }));

    const described = await testPorts().ecs.describeServiceDeployments(arns);

    expect(described).toHaveLength(44);
    const calls = ecs.commandCalls(DescribeServiceDeploymentsCommand);
    expect(calls.map((c) => c.args[0].input.serviceDeploymentArns?.length)).toEqual([20, 20, 5]);
  });
});

describe('where ECS deployment records are not offered', () => {
  const unknownOperation = () =>
    Object.assign(new Error('Unknown operation'), { name: 'UnknownOperationException', $metadata: { httpStatusCode: 400 } });

  it('says so, and asks no more for the life of the adapter', async () => {
    ecs.on(ListServiceDeploymentsCommand).rejects(unknownOperation());
    ecs.on(DescribeServiceDeploymentsCommand).rejects(unknownOperation());
    const port = testPorts().ecs;

    const first = await port.listServiceDeployments({ clusterArn: CLUSTER, serviceArn: SERVICE }, '2026-03-01T10:00:00Z');
    const second = await port.describeServiceDeployments([deploymentArn('x')]);

    expect(first).toEqual({ notOffered: 'the endpoint does not know the operation (UnknownOperationException)' });
    expect(second).toEqual(first);
    expect(ecs).toHaveReceivedCommandTimes(ListServiceDeploymentsCommand, 1);
    expect(ecs).toHaveReceivedCommandTimes(DescribeServiceDeploymentsCommand, 0);
  });

  it('asks once without retries, then again with them after any other error (the reads are idempotent)', async () => {
    ecs
      .on(DescribeServiceDeploymentsCommand)
      .rejectsOnce(
        Object.assign(new Error('We encountered an internal error'), { name: 'ServerException', $metadata: { httpStatusCode: 500 } }),
      )
      .resolves({ serviceDeployments: [{ serviceDeploymentArn: deploymentArn('x'), status: 'SUCCESSFUL' }] });
    expect(await testPorts().ecs.describeServiceDeployments([deploymentArn('x')])).toEqual([
      { arn: deploymentArn('x'), status: 'SUCCESSFUL' },
    ]);
    expect(ecs).toHaveReceivedCommandTimes(DescribeServiceDeploymentsCommand, 2);
  });

  it('throws any other error as it is (throttling is not "not offered")', async () => {
    ecs
      .on(DescribeServiceDeploymentsCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }));
    await expect(testPorts().ecs.describeServiceDeployments([deploymentArn('x')])).rejects.toThrow('Rate exceeded');
  });

  it.each([
    [{ name: 'UnknownOperationException', $metadata: { httpStatusCode: 400 } }, /does not know the operation/],
    [{ name: 'InvalidAction', $metadata: { httpStatusCode: 400 } }, /does not know the operation/],
    [{ name: 'Error', $metadata: { httpStatusCode: 501 } }, /HTTP 501/],
    [{ name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } }, /grant ecs:ListServiceDeployments/],
    // moto: an HTML page "The describe_service_deployments action has not been implemented", HTTP 500.
    [
      {
        name: 'SyntaxError',
        message: 'Unexpected token \'<\', "<!doctype "... is not valid JSON\n  Deserialization error',
        $response: {},
        $metadata: { httpStatusCode: 500 },
      },
      /does not answer it like the ECS API \(HTTP 500\)/,
    ],
  ])('%j is not offered', (error, why) => {
    expect(notOfferedBecause(Object.assign(new Error(String((error as { message?: string }).message ?? 'x')), error))).toMatch(why);
  });

  it.each([
    [{ name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }],
    [{ name: 'ServerException', $metadata: { httpStatusCode: 500 } }],
    [{ name: 'ClusterNotFoundException', $metadata: { httpStatusCode: 400 } }],
    [{ name: 'TimeoutError' }],
  ])('%j is an error', (error) => {
    expect(notOfferedBecause(Object.assign(new Error('x'), error))).toBeUndefined();
  });
});
