import type { Context } from 'aws-lambda';
import { type AwsPorts, awsPorts } from '../aws/compose';
import { loadConfig } from '../config';

let ports: AwsPorts | undefined;

/**
 * The adapters, built once per Lambda container and reused by every invocation. The account id
 * comes from the function's own ARN, so no STS permission is needed.
 */
export function lambdaPorts(context: Pick<Context, 'invokedFunctionArn'>): AwsPorts {
  ports ??= awsPorts(loadConfig(), { accountId: context.invokedFunctionArn.split(':')[4] });
  return ports;
}
