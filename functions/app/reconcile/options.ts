import type { IndexEntry } from '../../domain/index/entries';
import type { SecretLedger } from '../../domain/ledger/record';
import type { Origin, Report, Scope } from '../../domain/report/report';
import type { Deadline } from '../../domain/rollout/deadline';
import type { BucketState, SharedBucket } from '../../domain/rollout/rate-limiter';
import type { Rollout } from '../../domain/rollout/rollout';
import type { OnProgress } from '../progress';
import type { Redeployer } from '../redeploy';

/** How a reconcile runs. */
export interface ReconcileOptions {
  dryRun: boolean;
  /** Redeploy every eligible consumer, even one already running the current versions. */
  force: boolean;
  /** False (`--no-ledger`): live scan, no exactly-once guard, every eligible consumer redeployed, no waves. */
  useLedger: boolean;
  /** Why there is no ledger, for the report (`--no-ledger`). */
  noLedgerNote?: string;
  /** `index`: the state table's index (a live scan only while it was never built); `scan`: a live scan. */
  inventory: 'index' | 'scan';
  /** Who asked for the run. */
  origin: Origin;
  /** What runs: one secret, or every indexed secret (drift, the deployments' poll, busy claims left to their run). */
  scope: Scope;
  /** In a run that continues another past its deadline: its place in the chain. */
  hop?: number;
  deadline: Deadline;
  /** Release every wave at once (a manual emergency), halted or not. */
  allWaves?: boolean;
  /** Redeploy every consumer behind now, whatever its restart window (`--ignore-windows`: a leaked credential). */
  ignoreWindows?: boolean;
  /** The UpdateService bucket handed over by the run this one continues. */
  bucket?: BucketState;
  /** The UpdateService bucket this process's runs share (RunContext.updateBucket). */
  sharedBucket?: SharedBucket;
  /** A redeployer shared with other reconciles of the same run (one bucket, one deadline). */
  redeployer?: Redeployer;
  /** Hears how a live scan and the redeploys advance (the CLI's progress display). */
  onProgress?: OnProgress;
  /** The rollout as a dry run of `resume` would leave it (resumed, nothing written). */
  resuming?: Rollout;
  /** For a replica: its primary as read at or after this time will do (the event's run read it just before). */
  primaryReadSince?: Date;
  /** The secret's index entries and ledger, already read (a scheduled run reads every secret's at once). */
  preloaded?: { entries: IndexEntry[]; ledger: SecretLedger };
}

/** A reconcile's report, and what a continuation needs. */
export interface ReconcileResult {
  report: Report;
  /** The secret's full ARN, once described. */
  secretArn?: string;
  /** Work is left for a new run (the deadline came first). */
  unfinished: boolean;
  bucket?: BucketState;
}
