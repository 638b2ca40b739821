import type { ReconcileAllRequest } from '../domain/decode/run-request';
import { errorLine } from '../domain/errors';
import { parseTarget } from '../domain/identity/target';
import { countOutcomes, type Outcome, type Report } from '../domain/report/report';
import type { Deadline } from '../domain/rollout/deadline';
import type { BucketState, SharedBucket } from '../domain/rollout/rate-limiter';
import type { Ports } from '../ports/ports';
import { mapWithConcurrency } from '../util/concurrency';
import type { OnProgress } from './progress';
import { reconcile } from './reconcile';
import { Redeployer } from './redeploy';
import { reconcileOptions } from './run-context';

/** What a reconcile of every indexed secret found and did. */
export interface ReconcileAllSummary {
  /** Who asked (the schedule, or a person), and what ran: the same in every report of the run. */
  origin: ReconcileAllRequest['origin'];
  scope: 'every-secret';
  secrets: number;
  reconciled: number;
  /** Services by outcome, over every secret. */
  outcomes: Record<Outcome, number>;
  /** Per secret: the services found behind the current versions that no run had claimed (missed events). */
  drift: Array<{ secret: string; services: string[] }>;
  /** Per secret: why it could not be reconciled (e.g. it was deleted). */
  errors: Array<{ secret: string; error: string }>;
  /** Set when the deadline came first: where the next run starts. */
  continueFrom?: string;
  bucket: BucketState;
}

/** Secrets reconciled at once: DescribeSecret is cheap; ECS calls go through the one shared bucket. */
const SECRET_CONCURRENCY = 4;

/**
 * Reconciles every secret the index knows (for the schedule, or a person's `reconcile`) (from `request.from` on, in ARN order): what events
 * missed, the schedule catches. The index and the ledger are read once (two scans), so a secret
 * with nothing due costs one DescribeSecret. One secret's failure never stops the others.
 */
export async function reconcileAll(
  ports: Ports,
  request: ReconcileAllRequest,
  deadline: Deadline,
  dryRun: boolean,
  options: { allWaves?: boolean; onProgress?: OnProgress; sharedBucket?: SharedBucket; onReport?: (report: Report) => void } = {},
): Promise<ReconcileAllSummary> {
  const [entries, ledgers] = await Promise.all([ports.index.allEntries(), ports.ledger.allRecords()]);
  const all = [...new Set(entries.map((e) => e.secretArn))].sort();
  const secrets = request.from ? all.filter((arn) => arn >= (request.from as string)) : all;
  const redeployer = new Redeployer(ports, deadline, request.bucket, options.sharedBucket);
  const summary: ReconcileAllSummary = {
    origin: request.origin,
    scope: 'every-secret',
    secrets: all.length,
    reconciled: 0,
    outcomes: countOutcomes({ services: [] }),
    drift: [],
    errors: [],
    bucket: redeployer.bucketState(),
  };
  const unfinished: string[] = [];
  const onDone = (done: number) => options.onProgress?.({ phase: 'reconcile', done, total: secrets.length });
  await mapWithConcurrency(secrets, { limit: SECRET_CONCURRENCY, onDone }, async (secretArn) => {
    if (!redeployer.canStart()) {
      unfinished.push(secretArn);
      return;
    }
    const target = parseTarget(secretArn);
    if (!target) return;
    try {
      const { report, unfinished: cut } = await reconcile(
        ports,
        target,
        request.trigger,
        reconcileOptions({ deadline, dryRun }, request.origin, {
          scope: 'every-secret',
          ...(request.hop > 0 ? { hop: request.hop } : {}),
          allWaves: options.allWaves === true,
          redeployer,
          preloaded: { entries, ledger: ledgers.get(secretArn) ?? { services: [] } },
        }),
      );
      summary.reconciled += 1;
      options.onReport?.(report);
      for (const [outcome, n] of Object.entries(countOutcomes(report))) summary.outcomes[outcome as Outcome] += n;
      if (report.drift) summary.drift.push({ secret: secretArn, services: report.drift.services });
      if (cut) unfinished.push(secretArn);
    } catch (error) {
      summary.errors.push({ secret: secretArn, error: errorLine(error) });
    }
  });
  if (unfinished.length > 0) summary.continueFrom = unfinished.sort()[0];
  summary.bucket = redeployer.bucketState();
  return summary;
}
