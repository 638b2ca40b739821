import { type Command, Option } from 'commander';
import { type Config, colorDisabled, isHttpUrl } from '../config';
import { BadInputError } from '../domain/errors';
import { isRegion, parseArn } from '../domain/identity/arn';
import { parseSecretOwners, type SecretOwners } from '../domain/identity/owners';
import { quoted } from '../domain/text';
import { FORMATS, type Format } from './output';

/**
 * Options every command takes, named as in the AWS CLI. They may come before or after the
 * command (`ecs-secret-redeploy --region eu-west-1 plan ...` or `plan ... --region eu-west-1`).
 */
export function addGlobalOptions(program: Command): void {
  program
    .option('--region <region>', "AWS region (default: AWS_REGION, or your profile's)")
    .option('--profile <name>', 'named profile of your AWS config and credentials files (default: AWS_PROFILE)')
    .option('--endpoint-url <url>', 'send every AWS call to this URL, e.g. a local emulator (default: AWS_ENDPOINT_URL)')
    .addOption(new Option('--output <format>', 'json, table or text; secrets also takes mermaid (default: table)'))
    .option('--json', 'the same as --output json')
    .option('--table <name>', 'state table: index and exactly-once ledger (default: STATE_TABLE, or "ecs-secret-redeploy")')
    .option(
      '--secret-owners <accounts>',
      'other accounts whose secrets are managed too: account ids, comma-separated, or "organization" (default: SECRET_OWNERS, or none)',
    )
    .option('--connect-timeout <seconds>', 'how long to wait for a connection to AWS; 0 waits for ever (default: 5)')
    .option('--read-timeout <seconds>', 'how long a connection may stay silent; 0 waits for ever (default: 10)')
    .option('--no-color', 'no colours in tables (also: NO_COLOR set)')
    .option('--verbose', 'progress and log lines as JSON on stderr');
}

/** Options some commands take, each defined once. */
export const commandOption = {
  wide: () => new Option('--wide', 'every reason whole, with full version ids and names (wider than 80 columns)'),
  dryRun: () => new Option('--dry-run', 'plan and report only: UpdateService is not called'),
  force: () => new Option('--force', 'redeploy even services the ledger has already redeployed for this version'),
  scan: () => new Option('--scan', 'find services by a live scan of the account instead of the index'),
  clusters: () => new Option('--clusters <names>', 'only these clusters, comma-separated names or ARNs (default: CLUSTERS, or all)'),
  concurrency: () => new Option('--concurrency <n>', 'UpdateService calls at once, 1 to 50 (default: MAX_CONCURRENCY, or 5)'),
  allWaves: () => new Option('--all-waves', 'redeploy every wave at once, halted or not: an emergency (default: one wave at a time)'),
  ignoreWindows: () =>
    new Option('--ignore-windows', 'redeploy now, whatever the restart windows: a leaked credential (default: each inside its window)'),
  noLedger: () =>
    new Option('--no-ledger', 'run without the state table: live scan, no exactly-once guard (said on stderr and in the report)'),
  noCodeDeploy: () =>
    new Option(
      '--no-codedeploy',
      'do not redeploy CODE_DEPLOY services through CodeDeploy: they are skipped with the reason (default: CODEDEPLOY_REDEPLOYS, or on)',
    ),
};

/** Everything a command may be given, as commander hands it over (strings, unchecked). */
export interface RawOptions {
  region?: string;
  profile?: string;
  endpointUrl?: string;
  output?: string;
  json?: boolean;
  table?: string;
  secretOwners?: string;
  connectTimeout?: string;
  readTimeout?: string;
  color?: boolean;
  verbose?: boolean;
  clusters?: string;
  concurrency?: string;
  /** False with --no-codedeploy (commander sets it true when a command takes the option and it is not given). */
  codedeploy?: boolean;
}

/** The options, checked: how to print, and what they change in the configuration. */
export interface Settings {
  format: Format;
  color: boolean;
  verbose: boolean;
  overrides: Partial<Config>;
}

/**
 * Checks every option value; a bad one is bad input (exit 2), named with the option, before any
 * AWS call. `formats` are those the command offers.
 */
export function settingsOf(
  raw: RawOptions,
  command: { name: string; formats: readonly Format[] },
  env: Record<string, string | undefined> | undefined,
  stdoutIsTty: boolean,
): Settings {
  return {
    format: formatOf(raw, command),
    color: raw.color !== false && !colorDisabled(env) && stdoutIsTty,
    verbose: raw.verbose === true,
    overrides: {
      region: checked('--region', raw.region, isRegion, 'a region name such as eu-west-1'),
      profile: checked('--profile', raw.profile, (p) => /^[\w.@+=,:/-]+$/.test(p), 'a profile name'),
      endpoint: checked('--endpoint-url', raw.endpointUrl, isHttpUrl, 'an http:// or https:// URL'),
      stateTable: checked(
        '--table',
        raw.table,
        (t) => /^[A-Za-z0-9_.-]{3,255}$/.test(t),
        'a DynamoDB table name (3 to 255 of A-Z a-z 0-9 _ - .)',
      ),
      secretOwners: raw.secretOwners === undefined ? undefined : secretOwners(raw.secretOwners),
      connectTimeoutSeconds: seconds('--connect-timeout', raw.connectTimeout),
      readTimeoutSeconds: seconds('--read-timeout', raw.readTimeout),
      clusters: raw.clusters === undefined ? undefined : clusters(raw.clusters),
      maxConcurrency: raw.concurrency === undefined ? undefined : concurrency(raw.concurrency),
      // Only the option turns it off: given nothing, the environment's setting stands.
      codeDeployRedeploys: raw.codedeploy === false ? false : undefined,
    },
  };
}

function formatOf(raw: RawOptions, { name, formats }: { name: string; formats: readonly Format[] }): Format {
  if (raw.json && raw.output !== undefined && raw.output !== 'json') {
    throw new BadInputError(`--json and --output ${quoted(raw.output, 20)} contradict each other`);
  }
  const format = raw.json ? 'json' : (raw.output ?? 'table');
  if (!(FORMATS as readonly string[]).includes(format)) {
    throw new BadInputError(`--output must be one of ${formats.join(', ')}, got ${quoted(format, 20)}`);
  }
  if (!formats.includes(format as Format)) {
    throw new BadInputError(`--output ${format} does not apply to ${name} (it prints ${formats.join(', ')})`);
  }
  return format as Format;
}

function checked(option: string, value: string | undefined, valid: (v: string) => boolean, what: string): string | undefined {
  if (value === undefined) return undefined;
  if (!valid(value)) throw new BadInputError(`${option} must be ${what}, got ${quoted(value, 100)}`);
  return value;
}

function seconds(option: string, value: string | undefined): number | undefined {
  return value === undefined ? undefined : Number(checked(option, value, (v) => /^\d{1,6}$/.test(v), 'a whole number of seconds'));
}

function secretOwners(value: string): SecretOwners {
  try {
    return parseSecretOwners(value);
  } catch (error) {
    throw new BadInputError(`--secret-owners ${(error as Error).message}`);
  }
}

function concurrency(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 50)
    throw new BadInputError(`--concurrency must be an integer from 1 to 50, got ${quoted(value, 20)}`);
  return n;
}

/** Cluster names (letters, digits, `_`, `-`) or cluster ARNs, comma-separated. */
function clusters(value: string): string[] {
  const names = value
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c !== '');
  for (const name of names) {
    const arn = name.startsWith('arn:') ? parseArn(name) : undefined;
    const valid = arn ? arn.service === 'ecs' && /^cluster\/[A-Za-z0-9_-]{1,255}$/.test(arn.resource) : /^[A-Za-z0-9_-]{1,255}$/.test(name);
    if (!valid) throw new BadInputError(`--clusters: ${quoted(name, 100)} is neither a cluster name nor a cluster ARN`);
  }
  if (names.length === 0) throw new BadInputError('--clusters names no cluster');
  return names;
}
