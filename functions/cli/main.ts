import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { handleSignal, type RunOptions } from '../app/handle-change';
import { rebuildIndex } from '../app/refresh-index';
import { type AwsPorts, awsPorts } from '../aws/compose';
import { consoleLogger } from '../aws/logger';
import { createStateTable, stateTableExists } from '../aws/state-table/admin';
import { type Config, loadConfig } from '../config';
import { decodeEvent, type Signal } from '../domain/decode/events';
import { manualSignal } from '../domain/decode/manual-request';
import { BadInputError, EnvironmentError, MalformedEventError } from '../domain/errors';
import { lastPathSegment } from '../domain/identity/arn';
import { parseTarget, type Target } from '../domain/identity/target';
import type { IndexEntry } from '../domain/index/entries';
import { exitCodeOf } from '../domain/report/report';
import { silentLogger } from '../ports/logger';
import { formatReport } from './format';

export const HELP = `ecs-secret-redeploy: force a new deployment of every ECS service that uses a secret

Usage:
  ecs-secret-redeploy plan SECRET              what would be redeployed and why; changes nothing
  ecs-secret-redeploy redeploy SECRET          redeploy every service using SECRET's current version
  ecs-secret-redeploy handle-event FILE|-      process one EventBridge event exactly as the Lambda does
  ecs-secret-redeploy init                     create the state table if missing
  ecs-secret-redeploy index rebuild            rebuild the index from a full scan of the account
  ecs-secret-redeploy index show [SECRET]      what the index holds (everything, or one secret)

SECRET is a secret name, partial ARN or full ARN, or the ARN of an SSM parameter.

Options:
  --dry-run            plan and report only (redeploy, handle-event)
  --force              redeploy even services already redeployed for this version
  --scan               find services by a live scan of the account instead of the index
  --json               print the report as JSON on stdout
  --region REGION      AWS region (default: AWS_REGION or your profile's)
  --table NAME         state table (default: STATE_TABLE or "ecs-secret-redeploy")
  --clusters A,B       only these clusters (default: CLUSTERS or all)
  --concurrency N      UpdateService calls at once, 1-50 (default: MAX_CONCURRENCY or 5)
  --verbose            log progress as JSON lines on stderr
  -h, --help           show this help

Environment: standard AWS configuration (AWS_PROFILE, AWS_REGION, credentials);
AWS_ENDPOINT_URL points every client at a local emulator such as moto_server.

Exit codes: 0 done (including nothing to do), 1 some services failed,
2 bad input (unknown secret, malformed event, foreign account, bad arguments).
`;

/** Output streams, injectable for tests. */
export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  stdin: () => string;
  isTty: boolean;
  /** Environment for the configuration; the process environment when absent. */
  env?: Record<string, string | undefined>;
}

const processIo: Io = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  stdin: () => readFileSync(0, 'utf8'),
  isTty: Boolean(process.stderr.isTTY),
};

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  try {
    return await run(argv, io);
  } catch (error) {
    const message = (error as Error).message?.split('\n')[0] ?? String(error);
    io.stderr(`error: ${message}\n`);
    return error instanceof BadInputError ? 2 : error instanceof EnvironmentError ? 3 : 1;
  }
}

async function run(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCli(argv);
  if (values.help || positionals.length === 0) {
    (values.help ? io.stdout : io.stderr)(HELP);
    return values.help ? 0 : 2;
  }
  const concurrency = values.concurrency === undefined ? undefined : Number(values.concurrency);
  if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= 50)) {
    throw new BadInputError(`max concurrency must be an integer from 1 to 50, got ${values.concurrency}`);
  }
  const config = loadConfig(io.env ?? undefined, {
    region: values.region,
    stateTable: values.table,
    clusters: values.clusters
      ?.split(',')
      .map((c) => c.trim())
      .filter(Boolean),
    maxConcurrency: concurrency,
  });
  const ports = awsPorts(config, { log: values.verbose ? consoleLogger() : silentLogger });
  const [command, ...args] = positionals;
  const expect = (count: number, usage: string) => {
    if (args.length !== count) throw new BadInputError(`usage: ecs-secret-redeploy ${usage}`);
  };

  switch (command) {
    case 'plan':
      expect(1, 'plan SECRET');
      return runSignal(ports, manualSignal(targetArgument(args[0])), { ...values, 'dry-run': true }, io);
    case 'redeploy':
      expect(1, 'redeploy SECRET [--dry-run] [--force] [--scan]');
      return runSignal(ports, manualSignal(targetArgument(args[0])), values, io);
    case 'handle-event': {
      expect(1, 'handle-event FILE|-');
      return runSignal(ports, decodeEvent(readEvent(args[0], io)), values, io);
    }
    case 'init': {
      expect(0, 'init');
      const created = await createStateTable(ports.table);
      const message = `state table "${config.stateTable}" ${created ? 'created' : 'already exists'}`;
      io.stdout(values.json ? `${JSON.stringify({ table: config.stateTable, created })}\n` : `${message}\n`);
      return 0;
    }
    case 'index':
      return runIndex(ports, config, args, values, io);
    default:
      throw new BadInputError(`unknown command "${command}" (see --help)`);
  }
}

type Values = ReturnType<typeof parseCli>['values'];

function parseCli(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        'dry-run': { type: 'boolean' },
        force: { type: 'boolean' },
        scan: { type: 'boolean' },
        json: { type: 'boolean' },
        verbose: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        region: { type: 'string' },
        table: { type: 'string' },
        clusters: { type: 'string' },
        concurrency: { type: 'string' },
      },
    });
  } catch (error) {
    throw new BadInputError((error as Error).message, { cause: error });
  }
}

/** A SECRET argument: a secret name or ARN, or an SSM parameter ARN. */
function targetArgument(text: string): Target {
  const target = parseTarget(text);
  if (!target) throw new BadInputError(`"${text}" is neither a secret name or ARN nor an SSM parameter ARN`);
  return target;
}

function readEvent(file: string, io: Io): unknown {
  let text: string;
  try {
    text = file === '-' ? io.stdin() : readFileSync(file, 'utf8');
  } catch (error) {
    throw new BadInputError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new MalformedEventError(`${file === '-' ? 'standard input' : file} is not JSON: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Without a state table the CLI still works, by live scan and without the exactly-once guard,
 * and says so; Lambda handlers never take this path.
 */
async function stateOptions(ports: AwsPorts, io: Io): Promise<Pick<RunOptions, 'useState' | 'stateNote'>> {
  if (await stateTableExists(ports.table)) return { useState: true };
  const note = `state table "${ports.config.stateTable}" not found: live scan without the exactly-once guard (run "ecs-secret-redeploy init")`;
  io.stderr(`note: ${note}\n`);
  return { useState: false, stateNote: 'no state table: live scan, no exactly-once guard' };
}

async function runSignal(ports: AwsPorts, signal: Signal, values: Values, io: Io): Promise<number> {
  const report = await handleSignal(ports, signal, {
    dryRun: Boolean(values['dry-run']) || ports.config.dryRun,
    force: Boolean(values.force),
    inventory: values.scan ? 'scan' : 'index',
    ...(signal.action === 'check' ? await stateOptions(ports, io) : { useState: false }),
  });
  io.stdout(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
  return exitCodeOf(report);
}

async function runIndex(ports: AwsPorts, config: Config, args: string[], values: Values, io: Io): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'rebuild' && rest.length === 0) {
    const progress =
      io.isTty && !values.json
        ? (p: { clustersDone: number; clusters: number; services: number; taskDefinitions: number }) =>
            io.stderr(`\rclusters ${p.clustersDone}/${p.clusters}  services ${p.services}  task definitions ${p.taskDefinitions}`)
        : undefined;
    const summary = await rebuildIndex(ports, progress);
    if (progress) io.stderr('\n');
    if (values.json) {
      io.stdout(`${JSON.stringify(summary, null, 2)}\n`);
    } else {
      io.stdout(
        `index rebuilt in "${config.stateTable}": ${summary.clusters} clusters, ${summary.services} services, ` +
          `${summary.taskDefinitions} task definitions, ${summary.secrets} secrets referenced, ${summary.standaloneTasks} standalone tasks; ` +
          `${summary.entriesWritten} entries written, ${summary.entriesRemoved} removed\n`,
      );
      for (const ref of summary.unresolvedReferences) io.stdout(`warning: reference to a missing secret: ${ref}\n`);
    }
    return 0;
  }
  if (sub === 'show' && rest.length <= 1) {
    const entries =
      rest.length === 1
        ? await ports.index.entriesOf((await ports.secrets.describe(targetArgument(rest[0]))).arn)
        : await ports.index.allEntries();
    const meta = await ports.index.meta();
    if (values.json) {
      io.stdout(`${JSON.stringify({ builtAt: meta?.builtAt ?? null, entries }, null, 2)}\n`);
    } else {
      io.stdout(formatIndex(entries, meta?.builtAt));
    }
    return 0;
  }
  throw new BadInputError('usage: ecs-secret-redeploy index rebuild | index show [SECRET]');
}

function formatIndex(entries: IndexEntry[], builtAt: string | undefined): string {
  const lines = [`index built: ${builtAt ?? 'never (run "ecs-secret-redeploy index rebuild")'}`];
  const bySecret = new Map<string, IndexEntry[]>();
  for (const e of entries) bySecret.set(e.secretArn, [...(bySecret.get(e.secretArn) ?? []), e]);
  for (const [secret, list] of [...bySecret.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    lines.push('', secret);
    for (const e of list.sort((a, b) => a.name.localeCompare(b.name))) {
      const where = e.references.map((r) => `${r.container ?? r.volume ?? ''}:${r.name ?? r.field}`).join(', ');
      lines.push(
        `  ${e.kind === 'task' ? 'task   ' : 'service'} ${e.name}  cluster ${lastPathSegment(e.clusterArn)}  ${lastPathSegment(e.taskDefinition)}  [${where}]`,
      );
    }
  }
  if (entries.length === 0) lines.push('', 'no entries');
  return `${lines.join('\n')}\n`;
}
