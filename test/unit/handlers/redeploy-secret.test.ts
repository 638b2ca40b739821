import { DescribeServicesCommand, ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { ForeignAccountError, MalformedEventError } from '../../../functions/domain/errors';
import { handler } from '../../../functions/handlers/redeploy-secret';
import { ecsService, serviceArn } from '../../support/factories';
import { indexItem, lambdaContext, ledgerItem, SECRET, useLambdaEnvironment } from '../../support/lambda';

const ecs = mockClient(ECSClient);
const sm = mockClient(SecretsManagerClient);
const dynamo = mockClient(DynamoDBDocumentClient);

beforeAll(() => useLambdaEnvironment());

beforeEach(() => {
  for (const mock of [ecs, sm, dynamo]) mock.reset();
  sm.on(DescribeSecretCommand).resolves({ ARN: SECRET, Name: 'prod/db', VersionIdsToStages: { v2: ['AWSCURRENT'] } });
  dynamo.on(QueryCommand).resolves({ Items: [indexItem(serviceArn('web', 'a'), 'a')] });
  dynamo
    .on(QueryCommand, { KeyConditionExpression: 'pk = :pk AND begins_with(sk, :ledger)' })
    .resolves({ Items: [ledgerItem(serviceArn('web', 'a'), 'v1')] });
  dynamo.on(GetCommand).resolves({});
  ecs.on(DescribeServicesCommand).resolves({ services: [ecsService('web', 'a')] });
});

describe('redeploy-secret handler', () => {
  it('answers a dry run with what would be redeployed and changes nothing', async () => {
    const report = await handler({ secretId: 'prod/db', dryRun: true }, lambdaContext);
    expect(report).toMatchObject({
      dryRun: true,
      trigger: { source: 'manual' },
      services: [{ serviceName: 'a', outcome: 'would-redeploy' }],
    });
    expect(ecs).not.toHaveReceivedCommand(UpdateServiceCommand);
  });

  it('refuses a request without a secret id', async () => {
    await expect(handler({ dryRun: true }, lambdaContext)).rejects.toThrow(MalformedEventError);
  });

  it('refuses a secret of another account before calling AWS', async () => {
    await expect(handler({ secretId: 'arn:aws:secretsmanager:eu-west-1:999999999999:secret:x-AbCdEf' }, lambdaContext)).rejects.toThrow(
      ForeignAccountError,
    );
    expect(sm.calls()).toHaveLength(0);
  });
});
