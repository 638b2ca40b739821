import {
  ApplicationDoesNotExistException,
  BatchGetApplicationsCommand,
  BatchGetDeploymentGroupsCommand,
  BatchGetDeploymentsCommand,
  CodeDeployClient,
  CreateDeploymentCommand,
  type DeploymentInfo,
  DeploymentLimitExceededException,
  ListApplicationsCommand,
  ListDeploymentGroupsCommand,
  ListDeploymentsCommand,
} from '@aws-sdk/client-codedeploy';
import { DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { GroupBusyError, OutcomeUnknownError, ThrottledError } from '../../../functions/domain/errors';
import { clusterArn, ecsService, serviceArn } from '../../kit/factories';
import { testPorts } from '../../kit/ports';

/*
 * The CodeDeploy adapter on the SDK's models (aws-sdk-client-mock plays CodeDeploy), for what moto
 * does not model: deployments Ready, Stopped and Failed with their error information, paging,
 * errors classed for the claim protocol. And the ECS adapter's side: a CODE_DEPLOY service's task
 * sets and load balancers.
 */

const codeDeploy = mockClient(CodeDeployClient);
const ecs = mockClient(ECSClient);
beforeEach(() => {
  codeDeploy.reset();
  ecs.reset();
});

const at = (iso: string) => new Date(iso);

describe('finding deployment groups', () => {
  it("reads every page of applications, the ECS applications' groups only, 100 per BatchGetDeploymentGroups", async () => {
    codeDeploy
      .on(ListApplicationsCommand)
      .resolvesOnce({ applications: ['AppECS-prod-api', 'server-app'], nextToken: 'p2' })
      .resolvesOnce({ applications: ['lambda-app'] });
    codeDeploy.on(BatchGetApplicationsCommand).resolves({
      applicationsInfo: [
        { applicationName: 'AppECS-prod-api', computePlatform: 'ECS' },
        { applicationName: 'server-app', computePlatform: 'Server' },
        { applicationName: 'lambda-app', computePlatform: 'Lambda' },
      ],
    });
    const names = Array.from({ length: 150 }, (_, i) => `group-${i}`);
    codeDeploy
      .on(ListDeploymentGroupsCommand)
      .resolvesOnce({ deploymentGroups: names.slice(0, 100), nextToken: 'g2' })
      .resolvesOnce({ deploymentGroups: names.slice(100) });
    codeDeploy.on(BatchGetDeploymentGroupsCommand).callsFake(async (input: { deploymentGroupNames: string[] }) => ({
      deploymentGroupsInfo: input.deploymentGroupNames.map((name) => ({
        applicationName: 'AppECS-prod-api',
        deploymentGroupName: name,
        computePlatform: 'ECS',
        ecsServices: [{ clusterName: 'prod', serviceName: name === 'group-7' ? 'api' : `svc-${name}` }],
      })),
    }));

    const groups = await testPorts().codeDeploy.ecsGroups();

    expect(groups).toHaveLength(150);
    expect(codeDeploy.commandCalls(ListApplicationsCommand)).toHaveLength(2);
    expect(codeDeploy.commandCalls(BatchGetApplicationsCommand)).toHaveLength(1);
    expect(codeDeploy.commandCalls(ListDeploymentGroupsCommand).map((c) => c.args[0].input.applicationName)).toEqual([
      'AppECS-prod-api',
      'AppECS-prod-api',
    ]);
    expect(codeDeploy.commandCalls(BatchGetDeploymentGroupsCommand).map((c) => c.args[0].input.deploymentGroupNames?.length)).toEqual([
      100, 50,
    ]);
    expect(groups.find((g) => g.name === 'group-7')?.ecsServices).toEqual([{ clusterName: 'prod', serviceName: 'api' }]);
  });

  it("reads a group's target groups, blue/green waits, configuration and last deployment", async () => {
    codeDeploy.on(BatchGetDeploymentGroupsCommand).resolves({
      deploymentGroupsInfo: [
        {
          applicationName: 'AppECS-prod-api',
          deploymentGroupName: 'DgpECS-prod-api',
          computePlatform: 'ECS',
          deploymentConfigName: 'CodeDeployDefault.ECSLinear10PercentEvery1Minutes',
          ecsServices: [{ clusterName: 'prod', serviceName: 'api' }],
          loadBalancerInfo: { targetGroupPairInfoList: [{ targetGroups: [{ name: 'blue' }, { name: 'green' }] }] },
          blueGreenDeploymentConfiguration: {
            deploymentReadyOption: { actionOnTimeout: 'STOP_DEPLOYMENT', waitTimeInMinutes: 30 },
            terminateBlueInstancesOnDeploymentSuccess: { action: 'TERMINATE', terminationWaitTimeInMinutes: 60 },
          },
          lastAttemptedDeployment: { deploymentId: 'd-LAST00001', status: 'InProgress', createTime: at('2026-11-20T08:00:00Z') },
        },
        // Not an ECS group: never one a CODE_DEPLOY service is deployed by.
        { applicationName: 'AppECS-prod-api', deploymentGroupName: 'other', computePlatform: 'Server' },
      ],
    });

    expect(await testPorts().codeDeploy.groups('AppECS-prod-api', ['DgpECS-prod-api', 'other'])).toEqual([
      {
        application: 'AppECS-prod-api',
        name: 'DgpECS-prod-api',
        ecsServices: [{ clusterName: 'prod', serviceName: 'api' }],
        targetGroups: ['blue', 'green'],
        deploymentConfigName: 'CodeDeployDefault.ECSLinear10PercentEvery1Minutes',
        ready: { action: 'STOP_DEPLOYMENT', minutes: 30 },
        termination: { action: 'TERMINATE', minutes: 60 },
        lastAttempted: { deploymentId: 'd-LAST00001', status: 'InProgress', createTime: '2026-11-20T08:00:00.000Z' },
      },
    ]);
  });

  it('finds no group of an application CodeDeploy does not know (deleted meanwhile)', async () => {
    codeDeploy.on(BatchGetDeploymentGroupsCommand).rejects(new ApplicationDoesNotExistException({ message: 'gone', $metadata: {} }));
    expect(await testPorts().codeDeploy.groups('gone', ['g'])).toEqual([]);
  });
});

describe('CreateDeployment: sent once, its failures classed for the claim protocol', () => {
  const input = { application: 'App', group: 'Dg', appSpec: '{"version":"0.0"}', description: 'ecs-secret-redeploy: ...' };

  it('sends an AppSpecContent revision and answers the deployment id', async () => {
    codeDeploy.on(CreateDeploymentCommand).resolves({ deploymentId: 'd-NEW000001' });

    expect(await testPorts().codeDeploy.createDeployment(input)).toEqual({ deploymentId: 'd-NEW000001' });
    expect(codeDeploy.commandCalls(CreateDeploymentCommand)[0].args[0].input).toEqual({
      applicationName: 'App',
      deploymentGroupName: 'Dg',
      revision: { revisionType: 'AppSpecContent', appSpecContent: { content: '{"version":"0.0"}' } },
      description: 'ecs-secret-redeploy: ...',
    });
  });

  it.each<[string, Error & { $metadata?: object }, new (...args: never[]) => Error]>([
    [
      'the group runs another deployment: GroupBusyError (nothing was created)',
      new DeploymentLimitExceededException({
        message: "The Deployment Group 'Dg' already has an active Deployment 'd-TEAMS0001'",
        $metadata: { httpStatusCode: 400 },
      }),
      GroupBusyError,
    ],
    [
      'throttled: ThrottledError',
      Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }),
      ThrottledError,
    ],
    [
      'a server error: OutcomeUnknownError (maybe applied)',
      Object.assign(new Error('oops'), { name: 'InternalFailure', $fault: 'server', $metadata: { httpStatusCode: 500 } }),
      OutcomeUnknownError,
    ],
    [
      'a dropped connection: OutcomeUnknownError',
      Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }),
      OutcomeUnknownError,
    ],
  ])('%s', async (_label, error, kind) => {
    codeDeploy.on(CreateDeploymentCommand).rejects(error);
    await expect(testPorts({ maxAttempts: 8 }).codeDeploy.createDeployment(input)).rejects.toBeInstanceOf(kind);
    // Never retried by the SDK: CreateDeployment is not idempotent.
    expect(codeDeploy.commandCalls(CreateDeploymentCommand)).toHaveLength(1);
  });
});

describe('deployments', () => {
  it('lists the group deployments created since the claim, every page', async () => {
    codeDeploy
      .on(ListDeploymentsCommand)
      .resolvesOnce({ deployments: ['d-A00000001'], nextToken: 'n' })
      .resolvesOnce({ deployments: ['d-B00000001'] });

    expect(await testPorts().codeDeploy.deploymentsSince('App', 'Dg', '2026-11-20T08:00:00.000Z')).toEqual(['d-A00000001', 'd-B00000001']);
    // (The paginator sends one input object, nextToken added for the next page.)
    expect(codeDeploy.commandCalls(ListDeploymentsCommand)).toHaveLength(2);
    expect(codeDeploy.commandCalls(ListDeploymentsCommand)[0].args[0].input).toMatchObject({
      applicationName: 'App',
      deploymentGroupName: 'Dg',
      createTimeRange: { start: at('2026-11-20T08:00:00.000Z') },
    });
  });

  it('reads Ready, Stopped and Failed deployments with their error information, 25 per BatchGetDeployments', async () => {
    const infos: Record<string, DeploymentInfo> = {
      'd-READY0001': {
        deploymentId: 'd-READY0001',
        applicationName: 'App',
        deploymentGroupName: 'Dg',
        status: 'Ready',
        createTime: at('2026-11-20T08:00:00Z'),
        blueGreenDeploymentConfiguration: { deploymentReadyOption: { actionOnTimeout: 'STOP_DEPLOYMENT', waitTimeInMinutes: 30 } },
      },
      'd-STOP00001': {
        deploymentId: 'd-STOP00001',
        status: 'Stopped',
        errorInformation: { code: 'MANUAL_STOP', message: 'stopped\u202e by a user' },
        rollbackInfo: { rollbackMessage: 'rolled back' },
        completeTime: at('2026-11-20T08:30:00Z'),
      },
      'd-FAIL00001': {
        deploymentId: 'd-FAIL00001',
        status: 'Failed',
        errorInformation: { code: 'ECS_UPDATE_ERROR', message: 'The ECS service cannot be updated' },
      },
      'd-TERM00001': {
        deploymentId: 'd-TERM00001',
        status: 'InProgress',
        instanceTerminationWaitTimeStarted: true,
        deploymentConfigName: 'CodeDeployDefault.ECSAllAtOnce',
        blueGreenDeploymentConfiguration: {
          terminateBlueInstancesOnDeploymentSuccess: { action: 'TERMINATE', terminationWaitTimeInMinutes: 60 },
        },
      },
    };
    codeDeploy.on(BatchGetDeploymentsCommand).callsFake(async (input: { deploymentIds: string[] }) => ({
      deploymentsInfo: input.deploymentIds.flatMap((id) => (infos[id] ? [infos[id]] : [])),
    }));
    const ids = [...Object.keys(infos), ...Array.from({ length: 26 }, (_, i) => `d-UNKNOWN${i}`)];

    const found = await testPorts().codeDeploy.deployments(ids);

    expect(codeDeploy.commandCalls(BatchGetDeploymentsCommand).map((c) => c.args[0].input.deploymentIds?.length)).toEqual([25, 5]);
    expect(found).toEqual([
      {
        id: 'd-READY0001',
        application: 'App',
        group: 'Dg',
        status: 'Ready',
        createTime: '2026-11-20T08:00:00.000Z',
        waits: { ready: { action: 'STOP_DEPLOYMENT', minutes: 30 } },
      },
      {
        id: 'd-STOP00001',
        status: 'Stopped',
        completeTime: '2026-11-20T08:30:00.000Z',
        // CodeDeploy's words end up in reports and logs: escaped.
        error: { code: 'MANUAL_STOP', message: 'stopped\\u202e by a user' },
        waits: {},
        rollbackMessage: 'rolled back',
      },
      { id: 'd-FAIL00001', status: 'Failed', error: { code: 'ECS_UPDATE_ERROR', message: 'The ECS service cannot be updated' }, waits: {} },
      {
        id: 'd-TERM00001',
        status: 'InProgress',
        waits: { termination: { action: 'TERMINATE', minutes: 60 }, deploymentConfigName: 'CodeDeployDefault.ECSAllAtOnce' },
        terminationWaitStarted: true,
      },
    ]);
  });
});

describe('the ECS adapter: a service deployed by task sets', () => {
  it('keeps the task sets and load balancers of a CODE_DEPLOY service, none of an ECS one', async () => {
    const loadBalancers = [
      { targetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/blue/1', containerName: 'web', containerPort: 8080 },
    ];
    ecs.on(DescribeServicesCommand).resolves({
      services: [
        ecsService('prod', 'blue-green', {
          deploymentController: { type: 'CODE_DEPLOY' },
          deployments: [],
          loadBalancers,
          taskSets: [
            { id: 'ecs-svc/1', status: 'PRIMARY', taskDefinition: 'arn:td:7', createdAt: at('2026-11-20T07:00:00Z'), loadBalancers },
            { id: 'ecs-svc/2', status: 'ACTIVE', taskDefinition: 'arn:td:8' },
          ],
        }),
        ecsService('prod', 'rolling', { loadBalancers }),
      ],
    });

    const [blueGreen, rolling] = await testPorts().ecs.describeServices(clusterArn('prod'), [
      serviceArn('prod', 'blue-green'),
      serviceArn('prod', 'rolling'),
    ]);

    expect(blueGreen).toMatchObject({
      deploymentController: 'CODE_DEPLOY',
      loadBalancers,
      taskSets: [
        { id: 'ecs-svc/1', status: 'PRIMARY', taskDefinition: 'arn:td:7', createdAt: '2026-11-20T07:00:00.000Z', loadBalancers },
        { id: 'ecs-svc/2', status: 'ACTIVE', taskDefinition: 'arn:td:8' },
      ],
    });
    expect(rolling.taskSets).toBeUndefined();
    expect(rolling.loadBalancers).toBeUndefined();
  });
});
