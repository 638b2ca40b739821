import type { Origin } from '../domain/report/report';
import type { Deadline } from '../domain/rollout/deadline';
import type { SharedBucket } from '../domain/rollout/rate-limiter';
import type { Continuation } from '../ports/continuation';
import type { ReconcileOptions } from './reconcile/options';

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
