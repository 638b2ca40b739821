import { ConfigError } from './domain/errors';

/** Everything the service can be told from outside. Built once per process by {@link loadConfig}. */
export interface Config {
  /** AWS region; undefined lets the SDK use its own chain (profile, AWS_REGION). */
  region?: string;
  /** Endpoint of a local emulator (AWS_ENDPOINT_URL); undefined in AWS. */
  endpoint?: string;
  /** DynamoDB state table holding the index and the idempotency records. */
  stateTable: string;
  /** Cluster names or ARNs to manage; empty means every cluster of the account. */
  clusters: string[];
  /** How many UpdateService calls run at once (ECS refills UpdateService at 5/s per account). */
  maxConcurrency: number;
  /** Our sustained UpdateService rate per second, below ECS's 5/s refill that the account's own deploys share. */
  updateRate: number;
  /** How many UpdateService calls may go at once before the rate applies (ECS's bucket holds 50). */
  updateBurst: number;
  /** The wave of a service without an `ecs-secret-redeploy:wave` tag. */
  defaultWave: number;
  /** How long a claim keeps other runs away before they may ask ECS what became of it. */
  claimLeaseSeconds: number;
  /** Time kept before a Lambda deadline for the calls in flight to finish: no claim starts after it. */
  deadlineMarginSeconds: number;
  /** Plan and report only; never call UpdateService. */
  dryRun: boolean;
  /** The Lambda function that continues work a run left at its deadline (the reconciler, on-secret-change). */
  reconcilerFunction?: string;
  /** EventBridge bus that receives one event per completed run; undefined disables publishing. */
  notificationBus?: string;
  /** Maximum attempts per AWS call, with the SDK's adaptive retry mode. */
  maxAttempts: number;
  /** `info` logs every report; `silent` logs nothing (the demo prints reports itself). */
  logLevel: 'info' | 'silent';
  /**
   * CloudWatch namespace of the Lambda functions' metrics. Read from POWERTOOLS_METRICS_NAMESPACE,
   * the variable Powertools reads, so that the stack sets it in one place.
   */
  metricsNamespace: string;
}

export const DEFAULT_STATE_TABLE = 'ecs-secret-redeploy';
export const DEFAULT_METRICS_NAMESPACE = 'ecs-secret-redeploy';

type Env = Record<string, string | undefined>;

/**
 * Reads the configuration from the environment. This is the only place that reads `process.env`;
 * the CLI passes its options as `overrides`.
 */
export function loadConfig(env: Env = process.env, overrides: Partial<Config> = {}): Config {
  const config: Config = {
    region: nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION),
    endpoint: nonEmpty(env.AWS_ENDPOINT_URL),
    stateTable: nonEmpty(env.STATE_TABLE) ?? DEFAULT_STATE_TABLE,
    clusters: (env.CLUSTERS ?? '')
      .split(',')
      .map((c) => c.trim())
      .filter((c) => c !== ''),
    maxConcurrency: positiveInteger('MAX_CONCURRENCY', env.MAX_CONCURRENCY, 5),
    updateRate: positiveNumber('UPDATE_SERVICE_RATE', env.UPDATE_SERVICE_RATE, 2),
    updateBurst: positiveInteger('UPDATE_SERVICE_BURST', env.UPDATE_SERVICE_BURST, 10),
    defaultWave: integer('DEFAULT_WAVE', env.DEFAULT_WAVE, 1),
    claimLeaseSeconds: positiveInteger('CLAIM_LEASE_SECONDS', env.CLAIM_LEASE_SECONDS, 60),
    deadlineMarginSeconds: positiveInteger('DEADLINE_MARGIN_SECONDS', env.DEADLINE_MARGIN_SECONDS, 10),
    dryRun: booleanValue('DRY_RUN', env.DRY_RUN, false),
    notificationBus: nonEmpty(env.EVENT_BUS_NAME),
    reconcilerFunction: nonEmpty(env.RECONCILER_FUNCTION),
    maxAttempts: positiveInteger('AWS_MAX_ATTEMPTS', env.AWS_MAX_ATTEMPTS, 8),
    logLevel: logLevel(env.LOG_LEVEL),
    metricsNamespace: nonEmpty(env.POWERTOOLS_METRICS_NAMESPACE) ?? DEFAULT_METRICS_NAMESPACE,
  };
  const merged = { ...config, ...definedOnly(overrides) };
  if (!Number.isInteger(merged.maxConcurrency) || merged.maxConcurrency < 1 || merged.maxConcurrency > 50) {
    throw new ConfigError(`max concurrency must be an integer from 1 to 50, got ${merged.maxConcurrency}`);
  }
  return merged;
}

function logLevel(raw: string | undefined): Config['logLevel'] {
  const value = nonEmpty(raw)?.toLowerCase() ?? 'info';
  if (value !== 'info' && value !== 'silent') throw new ConfigError(`LOG_LEVEL must be info or silent, got "${raw}"`);
  return value;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function positiveInteger(name: string, raw: string | undefined, fallback: number): number {
  if (nonEmpty(raw) === undefined) return fallback;
  const value = Number(raw);
  if (!/^\s*\d+\s*$/.test(raw as string) || value < 1) {
    throw new ConfigError(`${name} must be a positive integer, got "${raw}"`);
  }
  return value;
}

function integer(name: string, raw: string | undefined, fallback: number): number {
  if (nonEmpty(raw) === undefined) return fallback;
  if (!/^\s*-?\d{1,9}\s*$/.test(raw as string)) throw new ConfigError(`${name} must be an integer, got "${raw}"`);
  return Number(raw);
}

function positiveNumber(name: string, raw: string | undefined, fallback: number): number {
  if (nonEmpty(raw) === undefined) return fallback;
  const value = Number(raw);
  if (!/^\s*\d+(\.\d+)?\s*$/.test(raw as string) || value <= 0) throw new ConfigError(`${name} must be a positive number, got "${raw}"`);
  return value;
}

function booleanValue(name: string, raw: string | undefined, fallback: boolean): boolean {
  const value = nonEmpty(raw)?.toLowerCase();
  if (value === undefined) return fallback;
  if (['true', '1', 'yes'].includes(value)) return true;
  if (['false', '0', 'no'].includes(value)) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

function definedOnly<T extends object>(values: Partial<T>): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Partial<T>;
}
