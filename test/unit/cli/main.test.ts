import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  ListClustersCommand,
  ListServicesCommand,
  ListTasksCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { type Io, main } from '../../../functions/cli/main';
import { clusterArn, ecsService, secretArn, serviceArn, taskDefinitionUsing } from '../../support/factories';
import { ACCOUNT, REGION } from '../../support/ports';

const ecs = mockClient(ECSClient);
const sm = mockClient(SecretsManagerClient);
// The state table is reached through the document client, which must be mocked itself.
const dynamo = mockClient(DynamoDBDocumentClient);
const sts = mockClient(STSClient);
const SECRET = secretArn('prod/db-AbCdEf');

function io(): Io & { out: string; err: string } {
  const streams = { out: '', err: '' };
  return Object.assign(streams, {
    stdout: (t: string) => {
      streams.out += t;
    },
    stderr: (t: string) => {
      streams.err += t;
    },
    stdin: () => '',
    isTty: false,
    env: { AWS_REGION: REGION, AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x', AWS_MAX_ATTEMPTS: '1' },
  });
}

beforeEach(() => {
  for (const mock of [ecs, sm, dynamo, sts]) mock.reset();
  sts.on(GetCallerIdentityCommand).resolves({ Account: ACCOUNT });
  sm.on(DescribeSecretCommand).resolves({ ARN: SECRET, Name: 'prod/db', VersionIdsToStages: { v1: ['AWSCURRENT'] } });
  dynamo.on(DescribeTableCommand).rejects(Object.assign(new Error('not found'), { name: 'ResourceNotFoundException' }));
  ecs.on(ListClustersCommand).resolves({ clusterArns: [clusterArn('web')] });
  ecs.on(ListServicesCommand).resolves({ serviceArns: [serviceArn('web', 'a'), serviceArn('web', 'b')] });
  ecs.on(ListTasksCommand).resolves({ taskArns: [] });
  ecs.on(DescribeServicesCommand).resolves({ services: [ecsService('web', 'a'), ecsService('web', 'b')] });
  ecs.on(DescribeTaskDefinitionCommand).callsFake(async (input: { taskDefinition: string }) => ({
    taskDefinition: taskDefinitionUsing(input.taskDefinition.split('/').pop()!.split(':')[0], [SECRET]),
  }));
});

describe('cli main', () => {
  it('exits 1 and still reports every service when some UpdateService calls fail', async () => {
    ecs.on(UpdateServiceCommand).resolves({ service: {} });
    ecs
      .on(UpdateServiceCommand, { service: serviceArn('web', 'b') })
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    const streams = io();
    const code = await main(['redeploy', 'prod/db', '--json'], streams);
    expect(code).toBe(1);
    const report = JSON.parse(streams.out);
    expect(report.services.map((s: { serviceName: string; outcome: string }) => [s.serviceName, s.outcome])).toEqual([
      ['a', 'redeployed'],
      ['b', 'failed'],
    ]);
  });

  it('exits 0 when every service was redeployed', async () => {
    ecs.on(UpdateServiceCommand).resolves({ service: {} });
    const streams = io();
    expect(await main(['redeploy', 'prod/db'], streams)).toBe(0);
    expect(streams.out).toContain('2 redeployed');
  });

  it('exits 1 with a one-line error when an AWS call fails outright', async () => {
    ecs
      .on(ListClustersCommand)
      .rejects(Object.assign(new Error('User is not authorized to perform: ecs:ListClusters'), { name: 'AccessDeniedException' }));
    const streams = io();
    expect(await main(['plan', 'prod/db'], streams)).toBe(1);
    expect(streams.err.split('\n').filter((l) => l.startsWith('error:'))).toEqual([
      'error: User is not authorized to perform: ecs:ListClusters',
    ]);
  });

  it('exits 2 for a concurrency outside 1-50', async () => {
    const streams = io();
    expect(await main(['plan', 'prod/db', '--concurrency', '0'], streams)).toBe(2);
    expect(streams.err).toContain('max concurrency must be an integer from 1 to 50');
  });
});
