import { ConfigError } from './domain/errors';
import { isRegion, parseArn } from './domain/identity/arn';
import { parseSecretOwners, type SecretOwners } from './domain/identity/owners';
import { quoted } from './domain/text';
import { DEFAULT_DEADLINE_MINUTES, parseDeadline, type RestartDefaults } from './domain/windows/restart-policy';
import { parseWindow, type RestartWindow } from './domain/windows/window';

/** Everything the service can be told from outside. Built once per process by {@link loadConfig}. */
export interface Config {
  /** AWS region; undefined lets the SDK use its own chain (profile, AWS_REGION). */
  region?: string;
  /** Named profile of the shared config and credentials files (`--profile`); undefined lets the SDK read AWS_PROFILE. */
  profile?: string;
  /** Endpoint of a local emulator (AWS_ENDPOINT_URL); undefined in AWS. */
  endpoint?: string;
  /** DynamoDB state table: the index, the revision cache and the ledger. */
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
  /** Minutes after which a deployment still in progress counts as failed and halts its rollout (0: never). */
  deploymentTimeoutMinutes: number;
  /** How long a claim keeps other runs away before they may ask ECS what became of it. */
  claimLeaseSeconds: number;
  /** Time kept before a Lambda deadline for the calls in flight to finish: no claim starts after it. */
  deadlineMarginSeconds: number;
  /** Plan and report only; never call UpdateService. */
  dryRun: boolean;
  /**
   * Redeploy CODE_DEPLOY services through CodeDeploy (a deployment of the task definition they
   * run, through their deployment group); false: they are skipped with the reason, for teams that
   * deploy them by hand.
   */
  codeDeployRedeploys: boolean;
  /** The Lambda function that continues work a run left at its deadline (the reconciler, on-secret-change). */
  reconcilerFunction?: string;
  /** EventBridge bus that receives one event per completed run; undefined disables publishing. */
  notificationBus?: string;
  /** SNS topic that a chat channel is configured with (CHAT_TOPIC_ARN): one short message per rollout step; undefined: none. */
  chatTopicArn?: string;
  /** The stack's CloudWatch dashboard (DASHBOARD_NAME), linked from the chat messages. */
  dashboardName?: string;
  /** Maximum attempts per AWS call, with the SDK's adaptive retry mode. */
  maxAttempts: number;
  /**
   * Seconds to wait for a connection to an AWS endpoint, and seconds a connection may stay silent
   * while an answer is awaited (like the AWS CLI's --cli-connect-timeout and --cli-read-timeout);
   * 0 waits for ever. Without them an endpoint that accepts and never answers hangs every call.
   */
  connectTimeoutSeconds: number;
  readTimeoutSeconds: number;
  /** `info` logs every report; `silent` logs nothing (the demo prints reports itself). */
  logLevel: 'info' | 'silent';
  /**
   * CloudWatch namespace of the Lambda functions' metrics. Read from POWERTOOLS_METRICS_NAMESPACE,
   * the variable Powertools reads, so that the stack sets it in one place.
   */
  metricsNamespace: string;
  /**
   * The accounts whose secrets this deployment manages besides its own (SECRET_OWNERS: account
   * ids, or `organization`); a secret of any other account is refused.
   */
  secretOwners: SecretOwners;
  /** The read-only role each owner account holds for this tool (OWNER_READ_ROLE), assumed to read its secrets' state. */
  ownerReadRole: string;
  /**
   * The restart window of a service without window tags (DEFAULT_RESTART_WINDOW, windows
   * separated by `;`; none by default: at once) and the deadline of one without a deadline tag
   * (DEFAULT_RESTART_DEADLINE: 30m, 24h, 7d; a day by default).
   */
  restartDefaults: RestartDefaults;
  /**
   * Where one-time reconciles go when a held consumer may go (WAKEUP_SCHEDULE_GROUP,
   * WAKEUP_ROLE_ARN, WAKEUP_TARGET_ARN, all three or none): the Scheduler group, the execution
   * role it assumes, the reconciler it invokes. None: the scheduled reconcile catches them.
   */
  wakeups?: { group: string; roleArn: string; functionArn: string };
}

export const DEFAULT_STATE_TABLE = 'ecs-secret-redeploy';
export const DEFAULT_METRICS_NAMESPACE = 'ecs-secret-redeploy';
export const DEFAULT_OWNER_READ_ROLE = 'ecs-secret-redeploy-owner-read';

/** Defaults a caller may set differently (the CLI makes fewer attempts than a Lambda). */
export type ConfigDefaults = Partial<Pick<Config, 'maxAttempts'>>;

type Env = Record<string, string | undefined>;

/**
 * Reads the configuration from the environment. This is the only place that reads `process.env`;
 * the CLI passes its options as `overrides`.
 */
export function loadConfig(env: Env = process.env, overrides: Partial<Config> = {}, defaults: ConfigDefaults = {}): Config {
  const config: Config = {
    region: region(env),
    endpoint: endpoint(env.AWS_ENDPOINT_URL),
    stateTable: nonEmpty(env.STATE_TABLE) ?? DEFAULT_STATE_TABLE,
    clusters: (env.CLUSTERS ?? '')
      .split(',')
      .map((c) => c.trim())
      .filter((c) => c !== ''),
    maxConcurrency: positiveInteger('MAX_CONCURRENCY', env.MAX_CONCURRENCY, 5),
    updateRate: positiveNumber('UPDATE_SERVICE_RATE', env.UPDATE_SERVICE_RATE, 2),
    updateBurst: positiveInteger('UPDATE_SERVICE_BURST', env.UPDATE_SERVICE_BURST, 10),
    defaultWave: integer('DEFAULT_WAVE', env.DEFAULT_WAVE, 1),
    deploymentTimeoutMinutes: wholeMinutes('DEPLOYMENT_TIMEOUT_MINUTES', env.DEPLOYMENT_TIMEOUT_MINUTES, 60),
    claimLeaseSeconds: positiveInteger('CLAIM_LEASE_SECONDS', env.CLAIM_LEASE_SECONDS, 60),
    deadlineMarginSeconds: positiveInteger('DEADLINE_MARGIN_SECONDS', env.DEADLINE_MARGIN_SECONDS, 10),
    dryRun: booleanValue('DRY_RUN', env.DRY_RUN, false),
    codeDeployRedeploys: booleanValue('CODEDEPLOY_REDEPLOYS', env.CODEDEPLOY_REDEPLOYS, true),
    notificationBus: nonEmpty(env.EVENT_BUS_NAME),
    chatTopicArn: snsTopicArn(env.CHAT_TOPIC_ARN),
    dashboardName: nonEmpty(env.DASHBOARD_NAME),
    reconcilerFunction: nonEmpty(env.RECONCILER_FUNCTION),
    maxAttempts: positiveInteger('AWS_MAX_ATTEMPTS', env.AWS_MAX_ATTEMPTS, defaults.maxAttempts ?? 8),
    connectTimeoutSeconds: wholeNumber('CONNECT_TIMEOUT_SECONDS', env.CONNECT_TIMEOUT_SECONDS, 5),
    readTimeoutSeconds: wholeNumber('READ_TIMEOUT_SECONDS', env.READ_TIMEOUT_SECONDS, 10),
    logLevel: logLevel(env.LOG_LEVEL),
    metricsNamespace: nonEmpty(env.POWERTOOLS_METRICS_NAMESPACE) ?? DEFAULT_METRICS_NAMESPACE,
    secretOwners: secretOwners(env.SECRET_OWNERS),
    ownerReadRole: roleName(env.OWNER_READ_ROLE),
    restartDefaults: {
      windows: restartWindows(env.DEFAULT_RESTART_WINDOW),
      deadlineMinutes: restartDeadline(env.DEFAULT_RESTART_DEADLINE),
    },
    wakeups: wakeupTarget(env),
  };
  const merged = { ...config, ...definedOnly(overrides) };
  if (!Number.isInteger(merged.maxConcurrency) || merged.maxConcurrency < 1 || merged.maxConcurrency > 50) {
    throw new ConfigError(`max concurrency must be an integer from 1 to 50, got ${merged.maxConcurrency}`);
  }
  return merged;
}

/** The region from the environment, checked: the SDK builds hostnames from it. */
function region(env: Env): string | undefined {
  for (const name of ['AWS_REGION', 'AWS_DEFAULT_REGION'] as const) {
    const value = nonEmpty(env[name]);
    if (value === undefined) continue;
    if (!isRegion(value)) throw new ConfigError(`${name} must be a region name such as eu-west-1, got ${quoted(value, 60)}`);
    return value;
  }
  return undefined;
}

function secretOwners(raw: string | undefined): SecretOwners {
  try {
    return parseSecretOwners(raw);
  } catch (error) {
    throw new ConfigError(`SECRET_OWNERS ${(error as Error).message}`);
  }
}

/** The stack's default windows: none, or windows separated by `;`, each `DAYS HH:MM-HH:MM ZONE`. */
function restartWindows(raw: string | undefined): RestartWindow[] {
  const value = nonEmpty(raw);
  if (value === undefined) return [];
  return value.split(';').map((text) => {
    const parsed = parseWindow(text);
    if ('problem' in parsed) throw new ConfigError(`DEFAULT_RESTART_WINDOW ${quoted(text.trim(), 80)} does not parse: ${parsed.problem}`);
    return parsed;
  });
}

function restartDeadline(raw: string | undefined): number {
  const value = nonEmpty(raw);
  if (value === undefined) return DEFAULT_DEADLINE_MINUTES;
  const parsed = parseDeadline(value);
  if (typeof parsed !== 'number') throw new ConfigError(`DEFAULT_RESTART_DEADLINE ${parsed.problem}`);
  return parsed;
}

/** The wakeups' Scheduler group, role and target: all three, or none. */
function wakeupTarget(env: Env): Config['wakeups'] {
  const group = nonEmpty(env.WAKEUP_SCHEDULE_GROUP);
  const roleArn = nonEmpty(env.WAKEUP_ROLE_ARN);
  const functionArn = nonEmpty(env.WAKEUP_TARGET_ARN);
  if (group === undefined && roleArn === undefined && functionArn === undefined) return undefined;
  if (group === undefined || roleArn === undefined || functionArn === undefined)
    throw new ConfigError('WAKEUP_SCHEDULE_GROUP, WAKEUP_ROLE_ARN and WAKEUP_TARGET_ARN go together: set all three or none');
  if (!/^[0-9a-zA-Z_.-]{1,64}$/.test(group))
    throw new ConfigError(`WAKEUP_SCHEDULE_GROUP must be a schedule group name, got ${quoted(group, 80)}`);
  if (!/^arn:[\w-]+:iam::\d{12}:role\/[\w+=,.@/-]+$/.test(roleArn))
    throw new ConfigError(`WAKEUP_ROLE_ARN must be an IAM role ARN, got ${quoted(roleArn, 120)}`);
  if (!/^arn:[\w-]+:lambda:[a-z0-9-]+:\d{12}:function:[\w-]+$/.test(functionArn))
    throw new ConfigError(`WAKEUP_TARGET_ARN must be a Lambda function ARN, got ${quoted(functionArn, 120)}`);
  return { group, roleArn, functionArn };
}

/** An IAM role name (path-less): what the owner accounts' read role is called. */
function roleName(raw: string | undefined): string {
  const value = nonEmpty(raw) ?? DEFAULT_OWNER_READ_ROLE;
  if (!/^[\w+=,.@-]{1,64}$/.test(value)) throw new ConfigError(`OWNER_READ_ROLE must be an IAM role name, got ${quoted(value, 80)}`);
  return value;
}

/** An SNS topic's ARN, checked: a typo must fail at start, not at the first rollout. */
function snsTopicArn(raw: string | undefined): string | undefined {
  const value = nonEmpty(raw);
  if (value === undefined) return undefined;
  const arn = parseArn(value);
  if (arn?.service !== 'sns' || !/^[\w-]{1,256}(\.fifo)?$/.test(arn.resource))
    throw new ConfigError(`CHAT_TOPIC_ARN must be an SNS topic ARN, got ${quoted(value, 100)}`);
  return value;
}

/** An http(s) URL, as the SDK takes it for every client. */
function endpoint(raw: string | undefined): string | undefined {
  const value = nonEmpty(raw);
  if (value === undefined) return undefined;
  if (!isHttpUrl(value)) throw new ConfigError(`AWS_ENDPOINT_URL must be an http:// or https:// URL, got ${quoted(value, 100)}`);
  return value;
}

/** True when the environment asks for no colours (NO_COLOR set and not empty, as no-color.org says). */
export function colorDisabled(env: Env = process.env): boolean {
  return nonEmpty(env.NO_COLOR) !== undefined;
}

/** True for an absolute http or https URL. */
export function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
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

function wholeMinutes(name: string, raw: string | undefined, fallback: number): number {
  if (nonEmpty(raw) === undefined) return fallback;
  if (!/^\s*\d{1,6}\s*$/.test(raw as string)) throw new ConfigError(`${name} must be a whole number of minutes (0: never), got "${raw}"`);
  return Number(raw);
}

function wholeNumber(name: string, raw: string | undefined, fallback: number): number {
  if (nonEmpty(raw) === undefined) return fallback;
  if (!/^\s*\d+\s*$/.test(raw as string))
    throw new ConfigError(`${name} must be a whole number of seconds (0 waits for ever), got "${raw}"`);
  return Number(raw);
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
