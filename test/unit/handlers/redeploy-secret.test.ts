import { DescribeServicesCommand, ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { ForeignAccountError, MalformedEventError } from '../../../functions/domain/errors';
import { handler } from '../../../functions/handlers/redeploy-secret';
import { ecsService, serviceArn } from '../../kit/factories';
import { indexItem, lambdaContext, ledgerItem, SECRET, useLambdaEnvironment } from '../../kit/lambda';
import { type CapturedOutput, captureOutput } from '../../kit/output';

const ecs = mockClient(ECSClient);
const sm = mockClient(SecretsManagerClient);
const dynamo = mockClient(DynamoDBDocumentClient);

beforeAll(() => useLambdaEnvironment());

let output: CapturedOutput;

beforeEach(() => {
  output = captureOutput();
  for (const mock of [ecs, sm, dynamo]) mock.reset();
  sm.on(DescribeSecretCommand).resolves({ ARN: SECRET, Name: 'prod/db', VersionIdsToStages: { v2: ['AWSCURRENT'] } });
  dynamo.on(QueryCommand).resolves({ Items: [indexItem(serviceArn('web', 'a'), 'a')] });
  dynamo
    .on(QueryCommand, { KeyConditionExpression: 'pk = :pk AND begins_with(sk, :ledger)' })
    .resolves({ Items: [ledgerItem(serviceArn('web', 'a'), 'v1')] });
  dynamo.on(GetCommand).resolves({});
  ecs.on(DescribeServicesCommand).resolves({ services: [ecsService('web', 'a')] });
});

afterEach(() => output.restore());

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

  it('logs the report as a Powertools JSON line carrying the Lambda request id', async () => {
    await handler({ secretId: 'prod/db', dryRun: true }, lambdaContext);
    expect(output.logs()).toEqual([
      expect.objectContaining({
        level: 'INFO',
        message: 'report',
        service: 'ecs-secret-redeploy',
        function_request_id: lambdaContext.awsRequestId,
        report: expect.objectContaining({ dryRun: true }),
      }),
    ]);
  });

  it('refuses "dryRun": false on a stack deployed with dryRun=true, before any AWS call', async () => {
    const previous = process.env.DRY_RUN;
    process.env.DRY_RUN = 'true';
    try {
      // A container of its own: the configuration is read once per container (the SDK mocks do not reach it: it must fail first).
      await jest.isolateModulesAsync(async () => {
        const { handler: dryHandler } = await import('../../../functions/handlers/redeploy-secret');
        await expect(dryHandler({ secretId: 'prod/db', dryRun: false }, lambdaContext)).rejects.toThrow(
          /dryRun=true, which a request cannot undo/,
        );
      });
    } finally {
      if (previous === undefined) delete process.env.DRY_RUN;
      else process.env.DRY_RUN = previous;
    }
    expect(ecs).not.toHaveReceivedCommand(UpdateServiceCommand);
  });

  it('refuses a request without a secret id, and logs why in one line', async () => {
    await expect(handler({ dryRun: true }, lambdaContext)).rejects.toThrow(MalformedEventError);
    expect(output.logs()).toEqual([
      expect.objectContaining({
        level: 'ERROR',
        message: 'invocation failed',
        function_request_id: lambdaContext.awsRequestId,
        error: { name: 'MalformedEventError', message: expect.stringContaining('secretId') },
      }),
    ]);
  });

  it('refuses a secret of another account before calling AWS', async () => {
    await expect(handler({ secretId: 'arn:aws:secretsmanager:eu-west-1:999999999999:secret:x-AbCdEf' }, lambdaContext)).rejects.toThrow(
      ForeignAccountError,
    );
    expect(sm.calls()).toHaveLength(0);
  });
});
