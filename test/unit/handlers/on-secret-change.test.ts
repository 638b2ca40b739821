import { ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { DescribeServicesCommand, ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import type { ReconcileAllSummary } from '../../../functions/app/reconcile-all';
import { MalformedEventError, StateTableMissingError } from '../../../functions/domain/errors';
import type { Report } from '../../../functions/domain/report/report';
import { handler } from '../../../functions/handlers/on-secret-change';
import { lambdaPorts } from '../../../functions/handlers/runtime';
import { deploymentChange } from '../../kit/events';
import { ecsService, serviceArn } from '../../kit/factories';
import { indexItem, lambdaContext, ledgerItem, SECRET, useLambdaEnvironment } from '../../kit/lambda';
import { type CapturedOutput, captureOutput } from '../../kit/output';
import { RAW_UNSAFE } from '../../kit/unsafe';

const ecs = mockClient(ECSClient);
const sm = mockClient(SecretsManagerClient);
const dynamo = mockClient(DynamoDBDocumentClient);
const lambda = mockClient(LambdaClient);
const LEDGER_QUERY = { KeyConditionExpression: 'pk = :pk AND begins_with(sk, :ledger)' };

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

beforeAll(() => useLambdaEnvironment());

const A = serviceArn('web', 'a');
const B = serviceArn('web', 'b');
let output: CapturedOutput;

beforeEach(() => {
  output = captureOutput();
  for (const mock of [ecs, sm, dynamo, lambda]) mock.reset();
  sm.on(DescribeSecretCommand).resolves({ ARN: SECRET, Name: 'prod/db', VersionIdsToStages: { v2: ['AWSCURRENT'], v1: ['AWSPREVIOUS'] } });
  // Both services run v1; v2 is current.
  dynamo.on(QueryCommand).resolves({ Items: [indexItem(A, 'a'), indexItem(B, 'b')] });
  dynamo.on(QueryCommand, LEDGER_QUERY).resolves({ Items: [ledgerItem(A, 'v1'), ledgerItem(B, 'v1')] });
  dynamo.on(PutCommand).resolves({});
  ecs.on(DescribeServicesCommand).resolves({ services: [ecsService('web', 'a'), ecsService('web', 'b')] });
});

afterEach(() => output.restore());

const reportOf = async (event: unknown, context: Context = lambdaContext) => (await handler(event, context)) as Report;

describe('on-secret-change handler', () => {
  it('returns the report of a redeploy through the index', async () => {
    ecs.on(UpdateServiceCommand).resolves({ service: { deployments: [{ id: 'ecs-svc/2', status: 'PRIMARY' }] } });
    const report = await reportOf(putSecretValue());
    expect(report.inventory).toEqual({ source: 'index' });
    expect(report.services.map((s) => [s.serviceName, s.outcome, s.deploymentId])).toEqual([
      ['a', 'redeployed', 'ecs-svc/2'],
      ['b', 'redeployed', 'ecs-svc/2'],
    ]);
  });

  it('logs the report as a Powertools JSON line carrying the Lambda request id', async () => {
    ecs.on(UpdateServiceCommand).resolves({ service: { deployments: [{ id: 'ecs-svc/2', status: 'PRIMARY' }] } });
    await reportOf(putSecretValue());
    const reports = output.logs().filter((line) => line.message === 'report');
    expect(reports).toEqual([
      expect.objectContaining({
        level: 'INFO',
        service: 'ecs-secret-redeploy',
        function_name: 'ecs-secret-redeploy-test',
        function_request_id: lambdaContext.awsRequestId,
        cold_start: expect.any(Boolean),
        report: expect.objectContaining({ secret: expect.objectContaining({ arn: SECRET }) }),
      }),
    ]);
  });

  it('throws after a partial failure so that the async retry redeploys what failed', async () => {
    ecs.on(UpdateServiceCommand).resolves({ service: {} });
    const draining = Object.assign(new Error('service is draining'), {
      name: 'InvalidParameterException',
      $metadata: { httpStatusCode: 400 },
    });
    ecs.on(UpdateServiceCommand, { service: B }).rejects(draining);
    await expect(handler(putSecretValue(), lambdaContext)).rejects.toThrow(
      '1 of 2 services failed to redeploy: b (UpdateService failed: InvalidParameterException: service is draining)',
    );
  });

  it('logs a failed invocation in one line and still publishes the metrics it added', async () => {
    ecs.on(UpdateServiceCommand).resolves({ service: {} });
    ecs.on(UpdateServiceCommand, { service: B }).callsFake(() => {
      lambdaPorts(lambdaContext).metrics.add('DriftFound', 7);
      throw Object.assign(new Error('service is draining'), { name: 'InvalidParameterException', $metadata: { httpStatusCode: 400 } });
    });
    await expect(handler(putSecretValue(), lambdaContext)).rejects.toThrow('1 of 2 services failed to redeploy');

    expect(output.logs().filter((line) => line.level === 'ERROR')).toEqual([
      expect.objectContaining({
        message: 'invocation failed',
        function_request_id: lambdaContext.awsRequestId,
        error: { name: 'Error', message: expect.stringContaining('b (UpdateService failed: InvalidParameterException') },
      }),
    ]);
    expect(output.emf()).toContainEqual(
      expect.objectContaining({
        _aws: expect.objectContaining({ CloudWatchMetrics: [expect.objectContaining({ Namespace: 'ecs-secret-redeploy' })] }),
        service: 'ecs-secret-redeploy',
        DriftFound: 7,
      }),
    );
  });

  it('escapes control and bidi characters of a failure message, whatever raised it, and keeps its class', async () => {
    sm.on(DescribeSecretCommand).rejects(Object.assign(new Error('denied for \u202enimda\u001b[2J'), { name: 'AccessDeniedException' }));
    const failure = (await handler(putSecretValue() as never, lambdaContext).catch((error: Error) => error)) as Error;
    expect(failure.name).toBe('AccessDeniedException');
    expect(failure.message).toBe('denied for \\u202enimda\\u001b[2J');
    expect(failure.message).not.toMatch(RAW_UNSAFE);
    // Lambda logs the stack too: its head reads as the message now does, no frame raw.
    expect(failure.stack?.split('\n')[0]).toBe('AccessDeniedException: denied for \\u202enimda\\u001b[2J');
    expect(failure.stack).not.toMatch(RAW_UNSAFE);
    // The "invocation failed" line escaped it before it was thrown.
    const logged = output.logs().find((line) => line.message === 'invocation failed');
    expect(logged?.error).toEqual({ name: 'AccessDeniedException', message: 'denied for \\u202enimda\\u001b[2J' });
  });

  it('keeps a line break of a failure message out of the stack frames Lambda logs', async () => {
    sm.on(DescribeSecretCommand).rejects(
      Object.assign(new Error('denied\n    at forged (fake.js:1:1)'), { name: 'AccessDeniedException' }),
    );
    const failure = (await handler(putSecretValue() as never, lambdaContext).catch((error: Error) => error)) as Error;
    const frames = failure.stack?.split('\n') ?? [];
    expect(frames[0]).toBe('AccessDeniedException: denied\\n    at forged (fake.js:1:1)');
    expect(frames.slice(1).some((line) => line.includes('forged'))).toBe(false);
  });

  it('finds nothing due when a rotation has only started (the new version is AWSPENDING)', async () => {
    sm.on(DescribeSecretCommand).resolves({ ARN: SECRET, Name: 'prod/db', VersionIdsToStages: { v1: ['AWSCURRENT'], v2: ['AWSPENDING'] } });
    const report = await reportOf(putSecretValue(['AWSPENDING']));
    expect(report.services.map((s) => s.outcome)).toEqual(['skipped', 'skipped']);
    expect(ecs).not.toHaveReceivedCommand(UpdateServiceCommand);
  });

  it('ignores a call that failed without calling AWS', async () => {
    const failed = putSecretValue();
    Object.assign(failed.detail, { errorCode: 'AccessDenied' });
    const report = await reportOf(failed);
    expect(report.action).toBe('ignore');
    expect(sm.calls()).toHaveLength(0);
    expect(ecs.calls()).toHaveLength(0);
  });

  it('claims nothing past its deadline and continues at once in a new invocation of the reconciler', async () => {
    const nearlyOut = { ...lambdaContext, getRemainingTimeInMillis: () => 5_000 } as Context;
    const report = await reportOf(putSecretValue(), nearlyOut);
    expect(report.services.map((s) => s.outcome)).toEqual(['waiting', 'waiting']);
    expect(report.continued?.reason).toMatch(/continuation/);
    expect(ecs).not.toHaveReceivedCommand(UpdateServiceCommand);
    expect(lambda).toHaveReceivedCommandWith(InvokeCommand, { FunctionName: 'ecs-secret-redeploy-test', InvocationType: 'Event' });
    const payload = JSON.parse(String(lambda.commandCalls(InvokeCommand)[0].args[0].input.Payload));
    expect(payload['ecs-secret-redeploy:continuation']).toMatchObject({
      kind: 'continue-secret',
      secretArn: SECRET,
      origin: 'event',
      hop: 1,
    });
  });

  it('reconciles every indexed secret on the schedule, from one scan of the index and one of the ledger', async () => {
    dynamo.on(ScanCommand).resolves({ Items: [indexItem(A, 'a'), indexItem(B, 'b')] });
    dynamo
      .on(ScanCommand, { FilterExpression: 'begins_with(sk, :ledger)' })
      .resolves({ Items: [ledgerItem(A, 'v2'), ledgerItem(B, 'v1')] });
    ecs.on(UpdateServiceCommand).resolves({ service: { deployments: [{ id: 'ecs-svc/3', status: 'PRIMARY' }] } });
    const scheduled = {
      version: '0',
      id: 't',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '111122223333',
      time: '2026-11-23T10:00:00Z',
      region: 'eu-west-1',
      resources: [],
      detail: {},
    };

    const summary = (await handler(scheduled, lambdaContext)) as ReconcileAllSummary;

    expect(summary).toMatchObject({ secrets: 1, reconciled: 1, outcomes: { redeployed: 1 }, drift: [{ secret: SECRET, services: [B] }] });
    expect(dynamo).not.toHaveReceivedCommand(QueryCommand);
  });

  it('fails loudly when the state table does not exist, instead of scanning', async () => {
    dynamo.on(QueryCommand).rejects(new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: {} }));
    await expect(handler(putSecretValue(), lambdaContext)).rejects.toThrow(StateTableMissingError);
    expect(ecs).not.toHaveReceivedCommand(UpdateServiceCommand);
  });

  it("returns an ECS deployment's progress, logged as such, for a deployment of a service no rollout made", async () => {
    dynamo.on(GetCommand).resolves({});
    const event = deploymentChange(A, 'SERVICE_DEPLOYMENT_COMPLETED', 'ecs-svc/9', { account: '111122223333', region: 'eu-west-1' });

    const progress = await handler(event, lambdaContext);

    expect(progress).toEqual({
      service: A,
      deploymentId: 'ecs-svc/9',
      state: 'COMPLETED',
      secrets: [],
      reason: 'not a deployment this service made for a rollout',
    });
    expect(output.logs().filter((line) => line.message === 'deployment progress')).toHaveLength(1);
    expect(ecs).not.toHaveReceivedCommand(UpdateServiceCommand);
  });

  it('rejects an input that is not an EventBridge event', async () => {
    await expect(handler({ hello: 'world' }, lambdaContext)).rejects.toThrow(MalformedEventError);
  });
});
