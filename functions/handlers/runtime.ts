import type { Context } from 'aws-lambda';
import { type AwsPorts, awsPorts } from '../aws/compose';
import { loadConfig } from '../config';
import { escapeControl } from '../domain/text';

let ports: AwsPorts | undefined;

/**
 * The adapters, built once per Lambda container and reused by every invocation. The account id
 * comes from the function's own ARN, so no STS permission is needed.
 */
export function lambdaPorts(context: Pick<Context, 'invokedFunctionArn'>): AwsPorts {
  ports ??= awsPorts(loadConfig(), { accountId: context.invokedFunctionArn.split(':')[4] });
  return ports;
}

/**
 * A handler whose failures leave with their message escaped (Lambda logs it, and it may end in the
 * dead-letter queue): outside text in an SDK or plain error never reaches the log raw. The error
 * keeps its class, so the function's error type still says what went wrong.
 */
export function escapingFailures<A extends unknown[], T>(handle: (...args: A) => Promise<T>): (...args: A) => Promise<T> {
  return async (...args) => {
    try {
      return await handle(...args);
    } catch (error) {
      if (error instanceof Error) error.message = escapeControl(error.message);
      throw error;
    }
  };
}
