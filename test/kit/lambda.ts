import type { Context } from 'aws-lambda';
import { secretArn, smReference, taskDefinitionArn } from './factories';
import { ACCOUNT, REGION } from './test-account';

/**
 * The part of a Lambda context the handlers read: their own ARN (which names the account), their
 * name, the time left (5 minutes, the stack's timeout), and what Powertools puts on every log line.
 */
export const lambdaContext = {
  invokedFunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:ecs-secret-redeploy-test`,
  functionName: 'ecs-secret-redeploy-test',
  functionVersion: '$LATEST',
  memoryLimitInMB: '512',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  getRemainingTimeInMillis: () => 300_000,
} as Context;

/**
 * Environment of a deployed function: what the stack sets (Powertools' service name and metrics
 * namespace among it) and what Lambda sets (an on-demand container, where Powertools counts a
 * cold start). The handlers read it once, at their first invocation.
 */
export function useLambdaEnvironment(extra: Record<string, string> = {}): void {
  Object.assign(process.env, {
    AWS_REGION: REGION,
    AWS_MAX_ATTEMPTS: '1',
    STATE_TABLE: 'state',
    POWERTOOLS_SERVICE_NAME: 'ecs-secret-redeploy',
    POWERTOOLS_METRICS_NAMESPACE: 'ecs-secret-redeploy',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    ...extra,
  });
  delete process.env.AWS_ENDPOINT_URL;
  delete process.env.LOG_LEVEL;
}

/** The secret the handler tests are about. */
export const SECRET = secretArn('prod/db-AbCdEf');

/** An index entry as the state table holds it: service `name` in cluster web uses SECRET. */
export function indexItem(serviceArn: string, name: string): Record<string, unknown> {
  return {
    pk: `SECRET#${SECRET}`,
    sk: `SERVICE#${serviceArn}`,
    secretArn: SECRET,
    kind: 'service',
    resourceArn: serviceArn,
    clusterArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/web`,
    name,
    taskDefinition: taskDefinitionArn(`${name}:1`),
    references: [smReference(SECRET, { name: 'DB' })],
  };
}

/** A ledger record as the state table holds it: the service runs `version` of SECRET. */
export function ledgerItem(serviceArn: string, version: string): Record<string, unknown> {
  return {
    pk: `SECRET#${SECRET}`,
    sk: `LEDGER#${serviceArn}`,
    secretArn: SECRET,
    serviceArn,
    versions: { AWSCURRENT: version },
    via: 'baseline',
    at: '2026-11-20T00:00:00.000Z',
    rev: 1,
    writeId: 'seed',
  };
}
