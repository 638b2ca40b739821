import type { Context } from 'aws-lambda';
import { ACCOUNT, REGION } from './ports';

/** The part of a Lambda context the handlers read: their own ARN, which names the account. */
export const lambdaContext = { invokedFunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:ecs-secret-redeploy-test` } as Context;

/** Environment of a deployed function; the handlers read it once through loadConfig. */
export function useLambdaEnvironment(extra: Record<string, string> = {}): void {
  Object.assign(process.env, { AWS_REGION: REGION, AWS_MAX_ATTEMPTS: '1', STATE_TABLE: 'state', LOG_LEVEL: 'silent', ...extra });
  delete process.env.AWS_ENDPOINT_URL;
}
