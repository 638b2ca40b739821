import type { Trigger } from '../../domain/decode/events';
import { locationOf } from '../../domain/identity/arn';
import { assertAllowedOwner } from '../../domain/identity/owners';
import { accountOf, type Target, targetText } from '../../domain/identity/target';
import { type Report, secretIdentity } from '../../domain/report/report';
import type { Ports } from '../../ports/ports';
import { Redeployer } from '../redeploy';
import { warnDeletion } from '../warnings';
import { findConsumers } from './consumers';
import type { ReconcileOptions, ReconcileResult } from './options';
import { announce } from './outcome';
import { Run } from './run';

export type { ReconcileOptions, ReconcileResult } from './options';

/**
 * Level-triggered reconciliation of one secret: the versions its stages point to now, against
 * the versions each consumer's running deployment was started with (the ledger). Whatever
 * started it (an event of any shape, duplicated, late or out of order; the schedule; a person),
 * the same state gives the same answer: the consumers behind are redeployed once, in waves, the
 * others not. Throws only for bad input (an unknown secret, a secret of another account) and a
 * missing state table; every per-service problem is an outcome in the report.
 */
export async function reconcile(ports: Ports, target: Target, trigger: Trigger, options: ReconcileOptions): Promise<ReconcileResult> {
  const base = { trigger, origin: options.origin, dryRun: options.dryRun, services: [], standaloneTasks: [], warnings: [] };
  const account = await ports.accountId();
  assertAllowedOwner(targetText(target), accountOf(target), account, ports.config.secretOwners);
  const secret = await ports.secrets.describe(target);
  assertAllowedOwner(secret.arn, locationOf(secret.arn)?.account, account, ports.config.secretOwners);
  if (secret.deletedDate) {
    const report = await warnDeletion(ports, target, trigger, {
      dryRun: options.dryRun || !options.useLedger,
      origin: options.origin,
      secret,
      ...(options.preloaded
        ? { entries: options.preloaded.entries.filter((e) => e.secretArn === secret.arn), record: options.preloaded.ledger.secret }
        : {}),
    });
    return { report, secretArn: secret.arn, unfinished: false };
  }
  if (secret.kind === 'secret') ports.secrets.remember(secret);

  const found = await findConsumers(ports, secret, options);
  const redeployer = options.redeployer ?? new Redeployer(ports, options.deadline, options.bucket, options.force, options.sharedBucket);
  const secretRecord =
    found.ledger.secret && options.resuming ? { ...found.ledger.secret, rollout: options.resuming } : found.ledger.secret;
  const run = new Run(ports, secret, trigger, options, redeployer, secretRecord);
  const services = await run.reconcile(found.consumers, found.ledger.services);
  const report: Report = {
    ...base,
    secret: secretIdentity(secret),
    action: 'redeploy',
    inventory: found.inventory,
    services: services.sort((a, b) => a.serviceName.localeCompare(b.serviceName) || a.service.localeCompare(b.service)),
    standaloneTasks: found.standaloneTasks,
    warnings: run.warnings,
  };
  if (options.origin === 'schedule' && run.rollout.drift.length > 0) report.drift = { services: run.rollout.drift.sort() };
  if (run.unfinished) report.continued = { reason: 'this run reached its deadline; a new run continues the rest' };
  if (!options.dryRun) await announce(ports, report, run.rollout, trigger, options.origin);
  return { report, secretArn: secret.arn, unfinished: run.unfinished, bucket: redeployer.bucketState() };
}
