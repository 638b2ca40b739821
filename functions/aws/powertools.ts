import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import { MetricUnit, Metrics as PowertoolsMetrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { escapeControl } from '../domain/text';
import type { Logger } from '../ports/logger';
import type { MetricName, Metrics } from '../ports/metrics';

/** Each metric's one unit (ports/metrics.ts); a new metric name does not compile until it has one here. */
const UNITS: Record<MetricName, (typeof MetricUnit)[keyof typeof MetricUnit]> = {
  ServicesRedeployed: MetricUnit.Count,
  RedeployFailed: MetricUnit.Count,
  RolloutHalted: MetricUnit.Count,
  RolloutCompleted: MetricUnit.Count,
  DriftFound: MetricUnit.Count,
  EventsRefused: MetricUnit.Count,
  SecondsFromChangeToDeploy: MetricUnit.Seconds,
  WaitingForWindow: MetricUnit.Count,
  OldestWindowWaitSeconds: MetricUnit.Seconds,
  RestartDeadlinesMissed: MetricUnit.Count,
};

/** The service name of logs and metrics when POWERTOOLS_SERVICE_NAME is not set. */
export const DEFAULT_SERVICE_NAME = 'ecs-secret-redeploy';

/**
 * Keys Powertools writes itself and drops from a log line's fields (with a warning). The port
 * promises every field, so a field of one of these names is written as `field_<name>` instead
 * (refresh-index logs the re-indexed service ARN as `service`).
 */
const RESERVED_KEYS = new Set(['level', 'message', 'sampling_rate', 'service', 'timestamp']);

export interface PowertoolsOptions {
  /** CloudWatch namespace of the metrics (config.metricsNamespace). */
  namespace: string;
  /** Log nothing (LOG_LEVEL=silent); metrics are still emitted. */
  silent: boolean;
}

/** The Lambda functions' logs and metrics on Powertools, and what each invocation does with them. */
export interface LambdaTelemetry {
  log: Logger;
  metrics: Metrics;
  /**
   * Runs one invocation: the Lambda context (request id, function name, cold start) on every log
   * line, the ColdStart metric on a container's first invocation, a failure logged as one line
   * before it is rethrown, and the stored metrics published at the end, whether `run` returns or throws.
   */
  invocation<R>(context: Context, run: () => Promise<R>): Promise<R>;
}

/**
 * Logs as Powertools JSON lines (`level`, `message`, `service` from POWERTOOLS_SERVICE_NAME, the
 * Lambda context, then the fields as top-level keys) and metrics in CloudWatch Embedded Metric
 * Format on stdout (the `service` dimension from POWERTOOLS_SERVICE_NAME too). Build it once per
 * container: Powertools tells a cold start from a warm one by the instance's first use.
 */
export function powertoolsTelemetry(options: PowertoolsOptions): LambdaTelemetry {
  // The stack sets POWERTOOLS_SERVICE_NAME; without it Powertools would write "service_undefined".
  const service = process.env.POWERTOOLS_SERVICE_NAME?.trim() ? {} : { serviceName: DEFAULT_SERVICE_NAME };
  // Every string of every line escaped (the message, each field, nested ones, an error's): text
  // from outside never reaches CloudWatch raw, whoever wrote the line (this code or Powertools).
  const logger = new PowertoolsLogger({
    ...service,
    ...(options.silent ? { logLevel: 'SILENT' } : {}),
    jsonReplacerFn: (_key: string, value: unknown) => (typeof value === 'string' ? escapeControl(value) : value),
  });
  // Its own warnings (a bad dimension, say) become JSON log lines like the rest.
  const metrics = new PowertoolsMetrics({ namespace: options.namespace, logger, ...service });
  const write =
    (level: 'info' | 'warn') =>
    (message: string, fields: Record<string, unknown> = {}) =>
      logger[level](message, unreserved(fields));
  return {
    log: { info: write('info'), warn: write('warn') },
    metrics: {
      add(name, value) {
        // A NaN or infinite value serialises as null and CloudWatch then rejects the whole EMF
        // document, every other metric of the invocation with it.
        if (!Number.isFinite(value)) {
          logger.warn('metric not recorded: its value is not a finite number', { metric: name, value: String(value) });
          return;
        }
        metrics.addMetric(name, UNITS[name], value);
      },
    },
    // Powertools offers this as a decorator (class methods, legacy experimentalDecorators), a
    // middy middleware (one more dependency wrapping every handler), or `using metrics` (Node 24;
    // the functions run on nodejs22.x). For plain async handlers the decorator's own try/finally,
    // written here, is the plainest: nothing more to bundle, and the order of the steps is in sight.
    async invocation(context, run) {
      logger.addContext(context);
      metrics.captureColdStartMetric(context.functionName);
      try {
        return await run();
      } catch (error) {
        // Name and message only: the stack of an SDK error is the SDK's internals, and Lambda's
        // runtime logs the full error after this anyway.
        logger.error('invocation failed', { error: error instanceof Error ? { name: error.name, message: error.message } : String(error) });
        throw error;
      } finally {
        // Publishing nothing would only log Powertools' "No application metrics to publish" warning.
        if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
      }
    },
  };
}

function unreserved(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).map(([key, value]) => [RESERVED_KEYS.has(key) ? `field_${key}` : key, value]));
}
