import type { Context } from 'aws-lambda';
import { withOneUseTokens } from '../app/continuation-tokens';
import type { RunContext } from '../app/run-context';
import { type AwsPorts, awsPorts } from '../aws/compose';
import { lambdaContinuation } from '../aws/continuation';
import { type LambdaTelemetry, powertoolsTelemetry } from '../aws/powertools';
import { loadConfig } from '../config';
import { deadlineIn } from '../domain/rollout/deadline';
import type { SharedBucket } from '../domain/rollout/rate-limiter';
import { escapeControl } from '../domain/text';

/** What a Lambda container builds once and reuses for every invocation. */
interface Container {
  ports: AwsPorts;
  telemetry: LambdaTelemetry;
  /** The UpdateService bucket its invocations share (one at a time: the reconciler's reserved concurrency is 1). */
  updateBucket: SharedBucket;
}

let container: Container | undefined;

function containerOf(context: Pick<Context, 'invokedFunctionArn'>): Container {
  if (container === undefined) {
    const config = loadConfig();
    const telemetry = powertoolsTelemetry({ namespace: config.metricsNamespace, silent: config.logLevel === 'silent' });
    const ports = awsPorts(config, {
      accountId: context.invokedFunctionArn.split(':')[4],
      log: telemetry.log,
      metrics: telemetry.metrics,
    });
    container = { ports, telemetry, updateBucket: {} };
  }
  return container;
}

/**
 * The adapters, with Powertools' logger and EMF metrics, built once per Lambda container and
 * reused by every invocation (the ones {@link lambdaInvocation} runs on). The account id comes
 * from the function's own ARN, so no STS permission is needed.
 */
export function lambdaPorts(context: Pick<Context, 'invokedFunctionArn'>): AwsPorts {
  return containerOf(context).ports;
}

/**
 * One invocation of a handler on the container's ports: its logs carry the Lambda context, a
 * failure is logged before it is rethrown, and the metrics it added are published at its end,
 * whether it returns or throws. A configuration error throws before any logger exists; Lambda's
 * runtime logs it (and the Errors alarm counts it).
 */
export function lambdaInvocation<R>(context: Context, run: (ports: AwsPorts) => Promise<R>): Promise<R> {
  const { ports, telemetry } = containerOf(context);
  return telemetry.invocation(context, () => run(ports));
}

/**
 * One invocation's bounds: no claim starts later than the configured margin before Lambda's
 * deadline, and the rest continues in the reconciler (this function itself, when it is the
 * reconciler, else the one RECONCILER_FUNCTION names).
 */
export function lambdaRun(
  ports: AwsPorts,
  context: Pick<Context, 'getRemainingTimeInMillis' | 'functionName' | 'awsRequestId'>,
  dryRun: boolean,
): RunContext {
  const reconciler = ports.config.reconcilerFunction ?? context.functionName;
  return {
    deadline: deadlineIn(ports.clock.now().getTime(), context.getRemainingTimeInMillis(), ports.config.deadlineMarginSeconds * 1000),
    dryRun,
    invocationId: context.awsRequestId,
    continuation: withOneUseTokens(ports, lambdaContinuation(ports.clients, reconciler)),
    updateBucket: container?.updateBucket,
  };
}

/**
 * A handler whose failures leave with their message escaped, and their stack too (Lambda logs
 * both, and the error may end in the dead-letter queue): outside text in an SDK or plain error
 * never reaches the log raw, nor a line break in a message that would pass for a stack frame. The
 * error keeps its class, so the function's error type still says what went wrong.
 */
export function escapingFailures<A extends unknown[], T>(handle: (...args: A) => Promise<T>): (...args: A) => Promise<T> {
  return async (...args) => {
    try {
      return await handle(...args);
    } catch (error) {
      if (error instanceof Error) escapeError(error);
      throw error;
    }
  };
}

/** The error's message escaped, and its stack: the message at its head as the message now reads, each frame escaped. */
function escapeError(error: Error): void {
  const raw = error.message;
  error.message = escapeControl(raw);
  if (typeof error.stack !== 'string') return;
  const head = `${error.name}: ${raw}`;
  const frames = (text: string) => text.split('\n').map(escapeControl).join('\n');
  error.stack = error.stack.startsWith(head)
    ? `${error.name}: ${error.message}${frames(error.stack.slice(head.length))}`
    : frames(error.stack);
}
