import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  ListClustersCommand,
  ListServicesCommand,
  ListTasksCommand,
} from '@aws-sdk/client-ecs';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { BatchWriteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { ForeignAccountError, MalformedEventError } from '../../../functions/domain/errors';
import { handler } from '../../../functions/handlers/refresh-index';
import { ecsService, secretArn, serviceArn, taskDefinitionUsing } from '../../kit/factories';
import { lambdaContext, useLambdaEnvironment } from '../../kit/lambda';
import { type CapturedOutput, captureOutput } from '../../kit/output';

const ecs = mockClient(ECSClient);
const sm = mockClient(SecretsManagerClient);
const dynamo = mockClient(DynamoDBDocumentClient);
const lambda = mockClient(LambdaClient);
const SECRET = secretArn('prod/db-AbCdEf');
const OLD_SECRET = secretArn('prod/old-AbCdEf');

function deploymentEvent(resources: string[], detailType = 'ECS Deployment State Change') {
  return {
    version: '0',
    id: 'x',
    'detail-type': detailType,
    source: 'aws.ecs',
    account: '111122223333',
    region: 'eu-west-1',
    resources,
    detail: { eventName: 'SERVICE_DEPLOYMENT_IN_PROGRESS' },
  };
}

beforeAll(() => useLambdaEnvironment());

let output: CapturedOutput;

beforeEach(() => {
  output = captureOutput();
  for (const mock of [ecs, sm, dynamo, lambda]) mock.reset();
  sm.on(DescribeSecretCommand).resolves({ ARN: SECRET, Name: 'prod/db', VersionIdsToStages: {} });
  dynamo.on(BatchWriteCommand).resolves({});
  dynamo.on(PutCommand).resolves({});
});

afterEach(() => output.restore());

describe('refresh-index handler', () => {
  it('re-indexes the one service of an ECS deployment event, dropping the secrets it no longer uses', async () => {
    ecs.on(DescribeServicesCommand).resolves({ services: [ecsService('web', 'api')] });
    ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: taskDefinitionUsing('api', [SECRET]) });
    dynamo.on(GetCommand).resolves({ Item: { secrets: [OLD_SECRET] } });

    const result = await handler(deploymentEvent([serviceArn('web', 'api')]), lambdaContext);

    expect(result).toEqual({ action: 'reindexed', service: serviceArn('web', 'api'), active: true });
    // Powertools keeps `service` for the function's own name: the service ARN is logged beside it.
    expect(output.logs()).toEqual([
      expect.objectContaining({
        level: 'INFO',
        message: 'service re-indexed',
        service: 'ecs-secret-redeploy',
        function_request_id: lambdaContext.awsRequestId,
        action: 'reindexed',
        field_service: serviceArn('web', 'api'),
        active: true,
      }),
    ]);
    expect(ecs).toHaveReceivedCommandWith(DescribeServicesCommand, { cluster: 'web', services: [serviceArn('web', 'api')] });
    expect(ecs).not.toHaveReceivedCommand(ListClustersCommand);
    const writes = dynamo
      .commandCalls(BatchWriteCommand)
      .flatMap((c) => Object.values(c.args[0].input.RequestItems ?? {}).flat()) as Record<string, any>[];
    expect(writes.some((w) => w.PutRequest?.Item.pk === `SECRET#${SECRET}`)).toBe(true);
    expect(writes.some((w) => w.DeleteRequest?.Key.pk === `SECRET#${OLD_SECRET}`)).toBe(true);
  });

  it('removes a deleted service from the index', async () => {
    ecs.on(DescribeServicesCommand).resolves({ services: [ecsService('web', 'api', { status: 'INACTIVE' })] });
    dynamo.on(GetCommand).resolves({ Item: { secrets: [SECRET] } });
    const result = await handler(deploymentEvent([serviceArn('web', 'api')]), lambdaContext);
    expect(result).toMatchObject({ action: 'reindexed', active: false });
    const writes = dynamo
      .commandCalls(BatchWriteCommand)
      .flatMap((c) => Object.values(c.args[0].input.RequestItems ?? {}).flat()) as Record<string, any>[];
    expect(writes.filter((w) => w.PutRequest)).toEqual([]);
    expect(writes.map((w) => w.DeleteRequest?.Key.pk).sort()).toEqual([`SECRET#${SECRET}`, `SERVICE#${serviceArn('web', 'api')}`]);
  });

  it('rebuilds the whole index on a schedule', async () => {
    ecs.on(ListClustersCommand).resolves({ clusterArns: [] });
    dynamo.on(ScanCommand).resolves({ Items: [] });
    dynamo.on(GetCommand).resolves({});
    dynamo.on(QueryCommand).resolves({ Items: [] });
    const result = await handler({ source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} }, lambdaContext);
    expect(result).toMatchObject({ action: 'rebuilt', summary: { clusters: 0, services: 0 } });
  });

  it('refuses a scheduled rebuild while another invocation holds the rebuild in flight, and does nothing', async () => {
    const progress = {
      buildId: 'b-1',
      startedAt: '2026-01-01T00:00:00.000Z',
      clusters: ['web'],
      cluster: 0,
      pages: 0,
      services: 0,
      described: 0,
      runs: 1,
    };
    dynamo
      .on(GetCommand)
      .resolves({ Item: { pk: 'REBUILD', sk: 'STATE', progress, lease: { owner: 'other', until: Date.now() + 60_000 } } });
    const result = await handler({ source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} }, lambdaContext);
    expect(result).toMatchObject({ action: 'refused', reason: expect.stringContaining('an index rebuild is in flight') });
    expect(ecs.calls()).toEqual([]);
    expect(dynamo).not.toHaveReceivedCommand(BatchWriteCommand);
  });

  it('hands a rebuild near its deadline to a new invocation of itself, which goes on with the build', async () => {
    ecs.on(ListClustersCommand).resolves({ clusterArns: ['web', 'batch'] });
    ecs.on(ListServicesCommand).resolves({ serviceArns: [serviceArn('web', 'api')] });
    ecs.on(DescribeServicesCommand).resolves({ services: [ecsService('web', 'api')] });
    ecs.on(ListTasksCommand).resolves({ taskArns: [] });
    ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: taskDefinitionUsing('api', [SECRET]) });
    dynamo.on(ScanCommand).resolves({ Items: [] });
    dynamo.on(GetCommand).resolves({});
    dynamo.on(QueryCommand).resolves({ Items: [] });
    lambda.on(InvokeCommand).resolves({ StatusCode: 202 });
    // Less time left than the stack's margin: one page, then the rest in a new invocation.
    const nearEnd = { ...lambdaContext, getRemainingTimeInMillis: () => 5_000 };

    const result = await handler({ source: 'aws.events', 'detail-type': 'Scheduled Event', id: 'e-1', detail: {} }, nearEnd);

    expect(result).toMatchObject({ action: 'rebuilding', status: 'continued', progress: { cluster: 1, pages: 1, runs: 1 } });
    const [invoke] = lambda.commandCalls(InvokeCommand);
    expect(invoke.args[0].input).toMatchObject({ FunctionName: lambdaContext.functionName, InvocationType: 'Event' });
    const payload = JSON.parse(String(invoke.args[0].input.Payload));
    expect(payload['ecs-secret-redeploy:continuation']).toMatchObject({ kind: 'rebuild-index', hop: 1, trigger: { source: 'schedule' } });
    // No index entry written before the build completes.
    const writes = dynamo
      .commandCalls(BatchWriteCommand)
      .flatMap((c) => Object.values(c.args[0].input.RequestItems ?? {}).flat()) as Record<string, any>[];
    expect(writes.filter((w) => String(w.PutRequest?.Item.pk).startsWith('SECRET#'))).toEqual([]);
    expect(writes.some((w) => String(w.PutRequest?.Item.pk).startsWith('REVISION#'))).toBe(true);
  });

  it('refuses a continuation payload of a rebuild without a build id', async () => {
    const payload = { 'ecs-secret-redeploy:continuation': { kind: 'rebuild-index', trigger: { source: 'schedule' }, hop: 1 } };
    await expect(handler(payload, lambdaContext)).rejects.toThrow(MalformedEventError);
  });

  it.each([
    ['from another account', { ...deploymentEvent([serviceArn('web', 'api')]), account: '999999999999' }],
    ["about another account's service", deploymentEvent([serviceArn('web', 'api').replace('111122223333', '999999999999')])],
  ])('refuses an ECS deployment event %s, reading nothing', async (_label, event) => {
    await expect(handler(event, lambdaContext)).rejects.toThrow(ForeignAccountError);
    expect(ecs).not.toHaveReceivedCommand(DescribeServicesCommand);
    expect(dynamo).not.toHaveReceivedCommand(PutCommand);
  });

  it('refuses an ECS event of another kind', async () => {
    await expect(handler(deploymentEvent([serviceArn('web', 'api')], 'ECS Task State Change'), lambdaContext)).rejects.toThrow(
      MalformedEventError,
    );
  });
});
