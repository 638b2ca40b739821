import type { Context } from 'aws-lambda';
import { buildDeps, Deps } from '../aws/clients';
import { loadConfig } from '../config';

let deps: Deps | undefined;

/**
 * The clients, built once per Lambda container and reused by every invocation. The account id
 * comes from the function's own ARN, so no STS permission is needed.
 */
export function lambdaDeps(context: Pick<Context, 'invokedFunctionArn'>): Deps {
  deps ??= buildDeps(loadConfig(), { accountId: context.invokedFunctionArn.split(':')[4] });
  return deps;
}
