import { handleSignal } from '../app/handle-event';
import type { ReconcileOptions } from '../app/reconcile';
import type { RunContext } from '../app/run-context';
import { stateTableExists } from '../aws/state-table/admin';
import type { Signal } from '../domain/decode/events';
import { BadInputError, StateTableMissingError } from '../domain/errors';
import { checkTarget, type Target } from '../domain/identity/target';
import { exitCodeOf, type Report } from '../domain/report/report';
import { NO_DEADLINE } from '../domain/rollout/deadline';
import type { CommandContext } from './command';
import { reportRendering } from './format';

/** What finding and judging the services of one secret costs (plan; redeploy and handle-event add their writes). */
export const SIGNAL_CALLS = [
  'STS GetCallerIdentity; Secrets Manager DescribeSecret, or SSM DescribeParameters for a parameter',
  'Secrets Manager ListSecretVersionIds (no value) once when a consumer has no ledger record yet: judged from evidence',
  "for a secret of an allowed owner account: STS AssumeRole of the owner's read role, once per owner while its credentials last",
  'DynamoDB DescribeTable, Query, GetItem (index and ledger); ECS DescribeServices (with tags: the waves), and DescribeTaskDefinition for a service on a new task definition',
  'with --scan or --no-ledger, instead of the index: ECS ListClusters, ListServices, DescribeServices, ListTasks, DescribeTasks, DescribeTaskDefinition',
  'for a CODE_DEPLOY service looked at (unless --no-codedeploy): CodeDeploy BatchGetDeploymentGroups for the group the ledger remembers; else ListApplications, BatchGetApplications, and per ECS application ListDeploymentGroups and BatchGetDeploymentGroups, once per run',
];

/** What a redeploy adds. */
export const REDEPLOY_CALLS = [
  ...SIGNAL_CALLS,
  'ECS UpdateService (forceNewDeployment); DynamoDB PutItem, DeleteItem, BatchWriteItem; EventBridge PutEvents when EVENT_BUS_NAME is set',
  'for a CODE_DEPLOY service due (unless --no-codedeploy): CodeDeploy CreateDeployment; ListDeployments and BatchGetDeployments after a lost answer',
  'EventBridge Scheduler CreateSchedule when a service waits for its restart window and WAKEUP_SCHEDULE_GROUP is set (the functions set it)',
];

/** How plan, redeploy, reconcile and handle-event run what they were given. */
export interface SignalRun {
  dryRun: boolean;
  force: boolean;
  scan: boolean;
  /** False with --no-ledger. */
  ledger: boolean;
  /** Every wave at once (--all-waves). */
  allWaves?: boolean;
  /** Print every reason whole, wider than 80 columns (--wide). */
  wide?: boolean;
  /** Whatever the restart windows (--ignore-windows). */
  ignoreWindows?: boolean;
}

/** Runs one signal through the whole pipeline and prints its report; the exit code says whether a service failed. */
export async function runSignal(
  ctx: CommandContext,
  signal: Signal,
  run: SignalRun,
  origin: 'manual' | 'event' = 'manual',
): Promise<number> {
  const report = await signalReport(ctx, signal, run, origin);
  ctx.print(reportRendering(report, { wide: run.wide === true }));
  return exitCodeOf(report);
}

/** Runs one signal through the whole pipeline and returns its report. */
export async function signalReport(
  ctx: CommandContext,
  signal: Signal,
  run: SignalRun,
  origin: 'manual' | 'event' = 'manual',
): Promise<Report> {
  const ports = ctx.ports();
  return handleSignal(ports, signal, cliRun(ctx, run.dryRun), origin, {
    force: run.force,
    allWaves: run.allWaves === true,
    ignoreWindows: run.ignoreWindows === true,
    inventory: run.scan ? 'scan' : 'index',
    ...(signal.action === 'check' ? await ledgerChoice(ctx, run.ledger) : {}),
    onProgress: ctx.progress.update,
  });
}

/** The CLI runs without a deadline: it finishes what it starts, so it never continues elsewhere. */
export function cliRun(ctx: CommandContext, dryRun: boolean): RunContext {
  return { deadline: NO_DEADLINE, dryRun: dryRun || ctx.config().dryRun };
}

/**
 * The exactly-once guard lives in the state table. A table that does not exist is an error (a
 * mistyped --table once dropped the guard silently and redeployed everything again); running
 * without it is only ever asked for, and said on stderr and in the report.
 */
export async function ledgerChoice(ctx: CommandContext, useLedger: boolean): Promise<Pick<ReconcileOptions, 'useLedger' | 'noLedgerNote'>> {
  if (!useLedger) {
    ctx.note('--no-ledger: live scan of the account, without the exactly-once guard and without waves');
    return { useLedger: false, noLedgerNote: '--no-ledger: live scan, no exactly-once guard, no waves' };
  }
  await requireStateTable(ctx, '--no-ledger to run without the exactly-once guard');
  return { useLedger: true };
}

/** Stops with exit 3 when the state table does not exist, saying how to go on. */
export async function requireStateTable(ctx: CommandContext, alternative?: string): Promise<void> {
  const { table } = ctx.ports();
  if (!(await stateTableExists(table))) {
    // Named with its region: a --region where nothing is deployed must not read as "create a table here".
    const region = await regionOf(ctx);
    const hint = `check --region, or run "ecs-secret-redeploy init" to create it there${alternative ? `, or ${alternative}` : ''}`;
    throw new StateTableMissingError(`state table "${table.name}" does not exist in ${region} (${hint})`);
  }
}

/** The region the calls go to: the configured one, else the one the SDK found (profile). */
export async function regionOf(ctx: CommandContext): Promise<string> {
  const configured = ctx.config().region;
  if (configured) return configured;
  try {
    return await ctx.ports().clients.dynamo.config.region();
  } catch {
    return 'no region';
  }
}

/** A SECRET argument, checked against the grammar before any AWS call. */
export function targetArgument(text: string): Target {
  const checked = checkTarget(text);
  if ('problem' in checked) throw new BadInputError(`SECRET is ${checked.problem}`);
  return checked.target;
}
