import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type EventOutcome, handleEvent, handleSignal, type RunContext } from '../app/handle-event';
import type { ReconcileOptions } from '../app/reconcile';
import { type ReconcileAllSummary, reconcileAll } from '../app/reconcile-all';
import { rebuildIndex, reindexService } from '../app/refresh-index';
import { resume } from '../app/resume';
import { secretStatus } from '../app/status';
import { type AwsPorts, awsPorts } from '../aws/compose';
import { consoleLogger } from '../aws/logger';
import { createStateTable, stateTableExists } from '../aws/state-table/admin';
import { type Config, loadConfig } from '../config';
import { decodeDeploymentEvent, isEcsEvent } from '../domain/decode/deployment-event';
import type { Signal } from '../domain/decode/events';
import { manualSignal } from '../domain/decode/manual-request';
import { BadInputError, MalformedEventError } from '../domain/errors';
import { clusterOfService, lastPathSegment } from '../domain/identity/arn';
import { parseTarget, type Target } from '../domain/identity/target';
import type { IndexEntry } from '../domain/index/entries';
import { exitCodeOf, type Report } from '../domain/report/report';
import { NO_DEADLINE } from '../domain/rollout/deadline';
import { silentLogger } from '../ports/logger';
import { formatProgress, formatReport, formatSchedule, formatStatus } from './format';

export const HELP = `ecs-secret-redeploy: force a new deployment of every ECS service that uses a secret

Usage:
  ecs-secret-redeploy plan SECRET              what would be redeployed and why; changes nothing
  ecs-secret-redeploy redeploy SECRET          redeploy every service using SECRET's current version
  ecs-secret-redeploy handle-event FILE|-      process one EventBridge event exactly as the Lambda does
  ecs-secret-redeploy reconcile [SECRET...]    bring every consumer to the current versions (every indexed secret when none)
  ecs-secret-redeploy status SECRET            each consumer: the versions it runs, its deployment, its tasks on old versions
  ecs-secret-redeploy resume SECRET            continue a rollout halted by a failed deployment, once fixed
  ecs-secret-redeploy init                     create the state table if missing
  ecs-secret-redeploy index rebuild            rebuild the index from a full scan of the account
  ecs-secret-redeploy index show [SECRET]      what the index holds (everything, or one secret)

SECRET is a secret name, partial ARN or full ARN, or the ARN of an SSM parameter.

Options:
  --dry-run            plan and report only (redeploy, handle-event, reconcile)
  --force              redeploy even services already running the current version
  --all-waves          redeploy every wave at once, halted or not (redeploy, reconcile): an emergency
  --watch              status: refresh until every consumer runs the current version, or the rollout halts
  --interval SECONDS   status --watch: seconds between refreshes (default 10)
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
    return error instanceof BadInputError ? 2 : 1;
  }
}

async function run(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCli(argv);
  if (values.help || positionals.length === 0) {
    (values.help ? io.stdout : io.stderr)(HELP);
    return values.help ? 0 : 2;
  }
  const config = loadConfig(io.env ?? undefined, {
    region: values.region,
    stateTable: values.table,
    clusters: values.clusters
      ?.split(',')
      .map((c) => c.trim())
      .filter(Boolean),
    maxConcurrency: values.concurrency === undefined ? undefined : Number(values.concurrency),
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
      const ledger = await stateOptions(ports, io);
      if (!ledger.useLedger)
        throw new BadInputError('handle-event needs the state table, as the Lambda does (run "ecs-secret-redeploy init")');
      const event = readEvent(args[0], io);
      // Both functions receive an ECS deployment event: refresh-index re-indexes the service, the reconciler moves its rollout on.
      if (isEcsEvent(event)) {
        const { serviceArn } = decodeDeploymentEvent(event);
        await reindexService(ports, clusterOfService(serviceArn), serviceArn);
      }
      return printOutcome(await handleEvent(ports, event, cliRun(ports, values)), values, io);
    }
    case 'reconcile': {
      const ledger = await stateOptions(ports, io);
      if (!ledger.useLedger) throw new BadInputError('reconcile needs the state table (run "ecs-secret-redeploy init")');
      if (args.length === 0) {
        const summary = await reconcileAll(
          ports,
          { kind: 'reconcile-all', trigger: { source: 'manual' }, hop: 0 },
          NO_DEADLINE,
          cliRun(ports, values).dryRun,
        );
        return printOutcome({ kind: 'schedule', summary }, values, io);
      }
      let code = 0;
      for (const arg of args) code = Math.max(code, await runSignal(ports, manualSignal(targetArgument(arg)), values, io));
      return code;
    }
    case 'status': {
      expect(1, 'status SECRET [--watch] [--interval SECONDS]');
      const target = targetArgument(args[0]);
      const interval = values.interval === undefined ? 10 : Number(values.interval);
      if (!Number.isFinite(interval) || interval < 1)
        throw new BadInputError(`--interval must be a number of seconds, at least 1, got "${values.interval}"`);
      for (;;) {
        const status = await secretStatus(ports, target);
        io.stdout(values.json ? `${JSON.stringify(status, null, 2)}\n` : formatStatus(status));
        if (!values.watch || status.done || status.rollout?.status === 'halted') return 0;
        await new Promise((r) => setTimeout(r, interval * 1000));
      }
    }
    case 'resume': {
      expect(1, 'resume SECRET');
      const report = await resume(ports, targetArgument(args[0]), cliRun(ports, values));
      return printOutcome({ kind: 'report', report }, values, io);
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
        'all-waves': { type: 'boolean' },
        watch: { type: 'boolean' },
        interval: { type: 'string' },
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
async function stateOptions(ports: AwsPorts, io: Io): Promise<Pick<ReconcileOptions, 'useLedger'>> {
  if (await stateTableExists(ports.table)) return { useLedger: true };
  const note = `state table "${ports.config.stateTable}" not found: live scan without the exactly-once guard (run "ecs-secret-redeploy init")`;
  io.stderr(`note: ${note}\n`);
  return { useLedger: false };
}

/** The CLI runs without a deadline: it finishes what it starts, so it needs no continuation. */
function cliRun(ports: AwsPorts, values: Values): RunContext {
  return { deadline: NO_DEADLINE, dryRun: Boolean(values['dry-run']) || ports.config.dryRun };
}

async function runSignal(ports: AwsPorts, signal: Signal, values: Values, io: Io): Promise<number> {
  const ledger = signal.action === 'check' ? await stateOptions(ports, io) : { useLedger: true };
  const report = await handleSignal(ports, signal, cliRun(ports, values), 'manual', {
    force: Boolean(values.force),
    allWaves: Boolean(values['all-waves']),
    inventory: values.scan ? 'scan' : 'index',
    ...ledger,
  });
  return printOutcome({ kind: 'report', report }, values, io);
}

function printOutcome(outcome: EventOutcome, values: Values, io: Io): number {
  if (outcome.kind === 'deployment') {
    const reports = outcome.progress.secrets.flatMap((s) => (s.report ? [s.report] : []));
    if (values.json) io.stdout(`${JSON.stringify(outcome.progress, null, 2)}\n`);
    else io.stdout([formatProgress(outcome.progress), ...reports.map(formatReport)].join('\n'));
    return reports.some((r) => exitCodeOf(r) === 1) ? 1 : 0;
  }
  const value: Report | ReconcileAllSummary = outcome.kind === 'report' ? outcome.report : outcome.summary;
  if (values.json) io.stdout(`${JSON.stringify(value, null, 2)}\n`);
  else io.stdout(outcome.kind === 'report' ? formatReport(outcome.report) : formatSchedule(outcome.summary));
  if (outcome.kind === 'report') return exitCodeOf(outcome.report);
  return outcome.summary.outcomes.failed > 0 || outcome.summary.errors.length > 0 ? 1 : 0;
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
