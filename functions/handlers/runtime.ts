import type { Context } from 'aws-lambda';
import type { RunContext } from '../app/handle-event';
import { type AwsPorts, awsPorts } from '../aws/compose';
import { lambdaContinuation } from '../aws/continuation';
import { loadConfig } from '../config';
import { deadlineIn } from '../domain/rollout/deadline';

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
 * One invocation's bounds: no claim starts later than the configured margin before Lambda's
 * deadline, and the rest continues in the reconciler (this function itself, when it is the
 * reconciler, else the one RECONCILER_FUNCTION names).
 */
export function lambdaRun(
  ports: AwsPorts,
  context: Pick<Context, 'getRemainingTimeInMillis' | 'functionName'>,
  dryRun: boolean,
): RunContext {
  const reconciler = ports.config.reconcilerFunction ?? context.functionName;
  return {
    deadline: deadlineIn(ports.clock.now().getTime(), context.getRemainingTimeInMillis(), ports.config.deadlineMarginSeconds * 1000),
    dryRun,
    continuation: lambdaContinuation(ports.clients, reconciler),
  };
}
