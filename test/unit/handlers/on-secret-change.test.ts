import { DescribeServicesCommand, ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { MalformedEventError, StateTableMissingError } from '../../../functions/domain/errors';
import { handler } from '../../../functions/handlers/on-secret-change';
import { ecsService, secretArn, serviceArn, taskDefinitionArn } from '../../support/factories';
import { lambdaContext, useLambdaEnvironment } from '../../support/lambda';
import { RAW_UNSAFE } from '../../support/unsafe';

const ecs = mockClient(ECSClient);
const sm = mockClient(SecretsManagerClient);
const dynamo = mockClient(DynamoDBDocumentClient);
const SECRET = secretArn('prod/db-AbCdEf');

function putSecretValue(versionStages?: string[]) {
  return {
    version: '0',
    id: 'e1',
    'detail-type': 'AWS API Call via CloudTrail',
    source: 'aws.secretsmanager',
    account: '111122223333',
    time: '2026-11-20T08:15:02Z',
    region: 'eu-west-1',
    resources: [],
    detail: {
      eventName: 'PutSecretValue',
      requestParameters: { secretId: SECRET, ...(versionStages ? { versionStages } : {}) },
      responseElements: { arn: SECRET },
    },
  };
}

function indexEntry(name: string) {
  return {
    pk: `SECRET#${SECRET}`,
    sk: `SERVICE#${serviceArn('web', name)}`,
    secretArn: SECRET,
    kind: 'service',
    resourceArn: serviceArn('web', name),
    clusterArn: 'arn:aws:ecs:eu-west-1:111122223333:cluster/web',
    name,
    taskDefinition: taskDefinitionArn(`${name}:1`),
    references: [
      {
        field: 'secrets',
        container: 'app',
        name: 'DB',
        valueFrom: SECRET,
        store: 'secretsmanager',
        secret: {
          secretId: SECRET,
          namePart: 'prod/db-AbCdEf',
          isArn: true,
          location: { partition: 'aws', region: 'eu-west-1', account: '111122223333' },
        },
      },
    ],
  };
}

beforeAll(() => useLambdaEnvironment());

beforeEach(() => {
  for (const mock of [ecs, sm, dynamo]) mock.reset();
  sm.on(DescribeSecretCommand).resolves({ ARN: SECRET, Name: 'prod/db', VersionIdsToStages: { v2: ['AWSCURRENT'], v1: ['AWSPREVIOUS'] } });
  dynamo.on(QueryCommand).resolves({ Items: [indexEntry('a'), indexEntry('b')] });
  dynamo.on(PutCommand).resolves({});
  ecs.on(DescribeServicesCommand).resolves({ services: [ecsService('web', 'a'), ecsService('web', 'b')] });
});

describe('on-secret-change handler', () => {
  it('returns the report of a redeploy through the index', async () => {
    ecs.on(UpdateServiceCommand).resolves({ service: { deployments: [{ id: 'ecs-svc/2', status: 'PRIMARY' }] } });
    const report = await handler(putSecretValue() as never, lambdaContext);
    expect(report.inventory).toEqual({ source: 'index' });
    expect(report.services.map((s) => [s.serviceName, s.outcome, s.deploymentId])).toEqual([
      ['a', 'redeployed', 'ecs-svc/2'],
      ['b', 'redeployed', 'ecs-svc/2'],
    ]);
  });

  it('throws after a partial failure so that the async retry redeploys what failed', async () => {
    ecs.on(UpdateServiceCommand).resolves({ service: {} });
    ecs.on(UpdateServiceCommand, { service: serviceArn('web', 'b') }).rejects(new Error('Rate exceeded'));
    await expect(handler(putSecretValue() as never, lambdaContext)).rejects.toThrow(
      '1 of 2 services failed to redeploy: b (UpdateService failed: Rate exceeded)',
    );
  });

  it('escapes control and bidi characters of a failure message, whatever raised it, and keeps its class', async () => {
    sm.on(DescribeSecretCommand).rejects(Object.assign(new Error('denied for \u202enimda\u001b[2J'), { name: 'AccessDeniedException' }));
    const failure = (await handler(putSecretValue() as never, lambdaContext).catch((error: Error) => error)) as Error;
    expect(failure.name).toBe('AccessDeniedException');
    expect(failure.message).toBe('denied for \\u202enimda\\u001b[2J');
    expect(failure.message).not.toMatch(RAW_UNSAFE);
  });

  it('ignores the start of a rotation without calling AWS', async () => {
    const report = await handler(putSecretValue(['AWSPENDING']) as never, lambdaContext);
    expect(report.action).toBe('ignore');
    expect(sm.calls()).toHaveLength(0);
    expect(ecs.calls()).toHaveLength(0);
  });

  it('fails loudly when the state table does not exist, instead of scanning', async () => {
    dynamo.on(QueryCommand).rejects(Object.assign(new Error('Requested resource not found'), { name: 'ResourceNotFoundException' }));
    await expect(handler(putSecretValue() as never, lambdaContext)).rejects.toThrow(StateTableMissingError);
    expect(ecs).not.toHaveReceivedCommand(UpdateServiceCommand);
  });

  it('rejects an input that is not an EventBridge event', async () => {
    await expect(handler({ hello: 'world' } as never, lambdaContext)).rejects.toThrow(MalformedEventError);
  });
});
