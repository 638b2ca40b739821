import { errorLine } from '../../domain/errors';
import { type Announcement, preview, type ReconcilePlan, redeployExtra, reportRow } from '../../domain/plan/reconcile-plan';
import type { SecretState } from '../../domain/plan/secret-state';
import type { ServiceReport } from '../../domain/report/report';
import type { Ports } from '../../ports/ports';
import { mapWithConcurrency } from '../../util/concurrency';
import { commitRecord, recordSecretChange } from '../compare-and-set';
import { applyReindex } from '../index-writes';
import type { Redeployer } from '../redeploy';
import { scheduleWakeups } from '../wakeups';
import type { Gathered } from './gather';
import type { ReconcileOptions } from './options';

/** What applying one pass's plan came to. */
export interface Applied {
  rows: ServiceReport[];
  /** Consumers another run's claim still holds: looked at again once it ends. */
  busy: ReconcilePlan['busy'];
  /** Work was left for a new run (the deadline came first). */
  unfinished: boolean;
  /** The changes this run recorded in the secret's row, to announce. */
  announced: Announcement[];
  /** What could not be done and only costs time (a wakeup not scheduled). */
  warnings: string[];
}

/** Carries plans out: for real, or, in a dry run, as a preview that changes nothing. */
export interface Executor {
  apply(plan: ReconcilePlan, gathered: Gathered): Promise<Applied>;
  /** True when consumers another run's claim holds are waited for (a preview reports them at once). */
  waits: boolean;
  /** True when the run's notifications and metrics are published. */
  announces: boolean;
}

/** A dry run: the plan's redeploys as the rows they would be, nothing written, nothing sent. */
export function previewer(secret: SecretState): Executor {
  return {
    apply: async (plan) => ({
      rows: [...plan.rows, ...preview(plan, secret)],
      busy: plan.busy,
      unfinished: false,
      announced: [],
      warnings: [],
    }),
    waits: false,
    announces: false,
  };
}

/**
 * The plan applied: what was learnt recorded (first records, services without tasks, how the
 * deployments polled stand), the index repaired, the rollout's change (and a failed replication
 * to announce) recorded, a replica's re-check asked for, then the redeploys through the claim
 * protocol (with the other secrets of their services read first, so that each deployment
 * settles them).
 */
export function applier(ports: Ports, secret: SecretState, redeployer: Redeployer, options: ReconcileOptions): Executor {
  return {
    waits: true,
    announces: true,
    async apply(plan, gathered) {
      await mapWithConcurrency([...gathered.polled, ...plan.writes], 8, async ({ next, expectedRev }) => {
        // What was learnt without redeploying: a conflict or a failure only means the next run looks again.
        await commitRecord(ports.ledger, next, expectedRev).catch((error: unknown) => {
          ports.log.warn('ledger record not written', { service: next.serviceArn, error: errorLine(error) });
        });
      });
      await mapWithConcurrency(plan.reindex, 4, (reindex) => applyReindex(ports, reindex));
      const notice = plan.replica?.notice;
      const change = { ...(plan.change ? { rollout: plan.change.next } : {}), ...(notice ? { replicationNoticeFor: notice.key } : {}) };
      const recorded = (plan.change || notice) && (await recordSecretChange(ports, secret.arn, gathered.secretRow, change));
      const announced = recorded ? [...(plan.change?.announce ?? []), ...(notice ? [notice.announce] : [])] : [];
      const warnings = await scheduleWakeups(ports, plan.wakeups);

      const others = options.useLedger && plan.redeploys.length > 0 ? await redeployer.readOthers(secret.arn, plan.redeploys) : new Map();
      const onDone = (done: number) => options.onProgress?.({ phase: 'redeploy', done, total: plan.redeploys.length });
      const results = await mapWithConcurrency(plan.redeploys, { limit: ports.config.maxConcurrency, onDone }, async (redeploy) => ({
        redeploy,
        result: options.useLedger
          ? await redeployer.redeploy(redeploy, secret.arn, others.get(redeploy.service.serviceArn))
          : await redeployer.redeployUnguarded(redeploy, secret.arn),
      }));
      const applied: Applied = { rows: [...plan.rows], busy: [...plan.busy], unfinished: false, announced, warnings };
      for (const { redeploy, result } of results) {
        const { consumer, slot } = redeploy;
        const extra = redeployExtra(redeploy);
        if (result.outcome === 'busy') applied.busy.push({ consumer, until: result.until, ...(slot ? { wave: slot.wave } : {}) });
        else if (result.outcome === 'group-busy')
          applied.rows.push(reportRow(consumer, { outcome: 'waiting', kind: 'group' }, result.reason, extra));
        else if (result.outcome === 'deferred') {
          applied.unfinished = true;
          applied.rows.push(reportRow(consumer, { outcome: 'waiting', kind: 'continuation' }, result.reason, extra));
        } else if (result.outcome === 'skipped')
          applied.rows.push(reportRow(consumer, { outcome: 'skipped', kind: 'up-to-date' }, result.reason, extra));
        else {
          const deploymentId = result.outcome === 'redeployed' ? result.deploymentId : undefined;
          applied.rows.push(reportRow(consumer, { outcome: result.outcome }, result.reason, redeployExtra(redeploy, deploymentId)));
        }
      }
      return applied;
    },
  };
}
