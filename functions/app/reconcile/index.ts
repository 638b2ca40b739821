import type { Trigger } from '../../domain/decode/events';
import { locationOf } from '../../domain/identity/arn';
import { assertAllowedOwner } from '../../domain/identity/owners';
import { accountOf, type Target, targetText } from '../../domain/identity/target';
import { busyRow, planReconcile } from '../../domain/plan/reconcile-plan';
import { type Report, runFields, type ServiceReport, secretIdentity } from '../../domain/report/report';
import type { Ports } from '../../ports/ports';
import { Redeployer } from '../redeploy';
import { planContext } from '../run-context';
import { warnDeletion } from '../warnings';
import { announce, type RolloutOutcome } from './announce';
import { applier, previewer } from './apply';
import { findConsumers } from './consumers';
import { gather } from './gather';
import type { ReconcileOptions, ReconcileResult } from './options';

export type { ReconcileOptions, ReconcileResult } from './options';

/** While a claim of another run is in flight, look again this often. */
const BUSY_POLL_MS = 5000;

/**
 * Level-triggered reconciliation of one secret: the versions its stages point to now, against
 * the versions each consumer's running deployment was started with (the ledger). Whatever
 * started it (an event of any shape, duplicated, late or out of order; the schedule; a person),
 * the same state gives the same answer: the consumers behind are redeployed once, in waves, the
 * others not. Each pass gathers what the decision needs, plans it (pure), and applies the plan
 * (a dry run previews it); consumers another run's claim holds are looked at again once the
 * claim ends. Throws only for bad input (an unknown secret, a secret of another account) and a
 * missing state table; every per-service problem is an outcome in the report.
 */
export async function reconcile(ports: Ports, target: Target, trigger: Trigger, options: ReconcileOptions): Promise<ReconcileResult> {
  const account = await ports.accountId();
  assertAllowedOwner(targetText(target), accountOf(target), account, ports.config.secretOwners);
  const secret = await ports.secrets.describe(target);
  assertAllowedOwner(secret.arn, locationOf(secret.arn)?.account, account, ports.config.secretOwners);
  if (secret.deletedDate) {
    return { report: await warnDeletion(ports, target, trigger, { ...options, secret }), secretArn: secret.arn, unfinished: false };
  }
  if (secret.kind === 'secret') ports.secrets.remember(secret);

  const found = await findConsumers(ports, secret, options);
  const redeployer = options.redeployer ?? new Redeployer(ports, options.deadline, options.bucket, options.sharedBucket);
  const executor = options.dryRun ? previewer(secret) : applier(ports, secret, redeployer, options);
  const contextNow = () => planContext(ports, redeployer, trigger, options);

  const rows: ServiceReport[] = [];
  const drift = new Set<string>();
  const warnings: string[] = [];
  const outcome: RolloutOutcome = { key: '', announced: [] };
  let unfinished = false;
  let only: Set<string> | undefined;
  for (;;) {
    const ctx = contextNow();
    const gathered = await gather(ports, secret, found, options, ctx, redeployer.groups, only);
    const plan = planReconcile(gathered.snapshot, ctx);
    const applied = await executor.apply(plan, gathered);
    rows.push(...applied.rows);
    for (const arn of plan.drift) drift.add(arn);
    warnings.push(...plan.warnings, ...applied.warnings);
    Object.assign(outcome, { key: plan.key, ...(plan.rollout ? { rollout: plan.rollout } : {}) });
    outcome.announced.push(...applied.announced);
    unfinished ||= applied.unfinished;
    const { busy } = applied;
    if (busy.length === 0) break;
    const now = ports.clock.now().getTime();
    const wait = Math.min(BUSY_POLL_MS, Math.max(0, Math.min(...busy.map((b) => Date.parse(b.until))) - now) + 1000);
    // The reconcile of every secret leaves them to the run that holds the claim (or, if it died, to the next one).
    const leave = !executor.waits || options.scope === 'every-secret';
    if (leave || !redeployer.canStart() || now + wait > options.deadline.stopAt) {
      rows.push(...busy.map(busyRow));
      unfinished ||= !leave;
      break;
    }
    await ports.clock.sleep(wait);
    only = new Set(busy.map((b) => b.consumer.serviceArn));
  }

  const report: Report = {
    ...runFields(trigger, options),
    secret: secretIdentity(secret),
    action: 'redeploy',
    inventory: found.inventory,
    services: rows.sort((a, b) => a.serviceName.localeCompare(b.serviceName) || a.service.localeCompare(b.service)),
    standaloneTasks: found.standaloneTasks,
    warnings,
    ...(options.scope === 'every-secret' && drift.size > 0 ? { drift: { services: [...drift].sort() } } : {}),
    ...(unfinished ? { continued: { reason: 'this run reached its deadline; a new run continues the rest' } } : {}),
  };
  if (executor.announces) await announce(ports, report, outcome, trigger);
  return { report, secretArn: secret.arn, unfinished, bucket: redeployer.bucketState() };
}
