import type { Trigger } from '../domain/decode/events';
import type { RunRequest } from '../domain/decode/run-request';
import type { PlanContext } from '../domain/plan/reconcile-plan';
import type { Origin, Report } from '../domain/report/report';
import type { Deadline } from '../domain/rollout/deadline';
import type { SharedBucket } from '../domain/rollout/rate-limiter';
import type { Continuation } from '../ports/continuation';
import type { Ports } from '../ports/ports';
import type { ReconcileOptions } from './reconcile/options';
import type { Redeployer } from './redeploy';

/** How a run is bounded, and how it hands over what it could not finish. */
export interface RunContext {
  deadline: Deadline;
  dryRun: boolean;
  /**
   * The invocation this run is (Lambda's request id, the same for Lambda's retries of one
   * invocation): what uses a continuation's one-use token. Absent in the CLI (each run its own).
   */
  invocationId?: string;
  /** Absent where a run has no deadline (the CLI): nothing is ever left over. */
  continuation?: Continuation;
  /**
   * The UpdateService bucket of the process, shared by its successive runs (a Lambda container's
   * invocations): every run takes its tokens from it, whatever started it. Without it a run
   * starts from the bucket its continuation carried, or a full one.
   */
  updateBucket?: SharedBucket;
}

/**
 * The options of a reconcile that a run makes for whoever asked (`origin`: an event, a person,
 * the schedule): the run's deadline, dry run and UpdateService bucket, the index and the ledger,
 * one secret; `more` for what the trigger adds (the reconcile of every secret sets its scope).
 */
export function reconcileOptions(run: RunContext, origin: Origin, more: Partial<ReconcileOptions> = {}): ReconcileOptions {
  return {
    dryRun: run.dryRun,
    force: false,
    useLedger: true,
    inventory: 'index',
    origin,
    scope: 'one-secret',
    deadline: run.deadline,
    ...(run.updateBucket ? { sharedBucket: run.updateBucket } : {}),
    ...more,
  };
}

/** What the plan of a reconcile knows of its run, now: the clock, the claims' token, the options, the configuration. */
export function planContext(ports: Ports, redeployer: Redeployer, trigger: Trigger, options: ReconcileOptions): PlanContext {
  return {
    now: ports.clock.now(),
    token: redeployer.token,
    stamp: () => redeployer.stamp(),
    ledger: options.useLedger,
    force: options.force,
    allWaves: options.allWaves === true,
    origin: options.origin,
    scope: options.scope,
    ...(options.origin === 'event' && trigger.time ? { changedAt: trigger.time } : {}),
    clusters: ports.config.clusters,
    defaultWave: ports.config.defaultWave,
    ...(ports.config.region ? { region: ports.config.region } : {}),
    codeDeploy: ports.config.codeDeployRedeploys,
    restart: { defaults: ports.config.restartDefaults, ignoreWindows: options.ignoreWindows === true },
  };
}

/**
 * Hands the rest of a run to a new one, and says so in its report; without a continuation (the
 * CLI has no deadline) there is never a rest.
 */
export async function continueWith(run: RunContext, request: RunRequest, report?: Report): Promise<void> {
  if (!run.continuation) return;
  await run.continuation.continueWith(request);
  if (report?.continued)
    report.continued.reason = `this run reached its deadline; run ${request.hop} of a continuation chain goes on with the rest`;
}
