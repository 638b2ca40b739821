import { randomUUID } from 'node:crypto';
import { BadInputError } from '../domain/errors';
import type { Target } from '../domain/identity/target';
import type { SecretRecord } from '../domain/ledger/record';
import type { Report } from '../domain/report/report';
import { resumeRollout } from '../domain/rollout/rollout';
import type { Ports } from '../ports/ports';
import { commitSecret } from './compare-and-set';
import { reconcile } from './reconcile';
import { type RunContext, reconcileOptions } from './run-context';

/**
 * Continues a halted rollout after a fix: the rollout is in progress again, the deployments that
 * failed before now are made again (in their wave), and the waves go on. Refuses (bad input) a
 * secret whose current rollout is not halted: there is nothing to resume.
 */
export async function resume(ports: Ports, target: Target, run: RunContext): Promise<Report> {
  const secret = await ports.secrets.describe(target);
  const record = await ports.ledger.readSecret(secret.arn);
  const rollout = record?.rollout;
  if (!record || rollout?.status !== 'halted') {
    throw new BadInputError(`no halted rollout of ${secret.name}: ${rollout ? `its rollout is ${rollout.status}` : 'it has no rollout'}`);
  }
  const resumed: SecretRecord = {
    ...record,
    rollout: resumeRollout(rollout, ports.clock.now()),
    rev: record.rev + 1,
    writeId: randomUUID(),
  };
  if (!run.dryRun && !(await commitSecret(ports.ledger, resumed, record.rev)).written) {
    throw new BadInputError(`the rollout of ${secret.name} changed meanwhile (resumed or superseded): look at its status again`);
  }
  const result = await reconcile(
    ports,
    target,
    { source: 'manual', eventName: 'resume' },
    reconcileOptions(run, 'manual', run.dryRun ? { resuming: resumed.rollout } : {}),
  );
  if (result.unfinished && run.continuation && result.secretArn) {
    await run.continuation.continueWith({
      kind: 'continue-secret',
      secretArn: result.secretArn,
      origin: 'manual',
      trigger: { source: 'manual', eventName: 'resume' },
      ...(result.bucket ? { bucket: result.bucket } : {}),
      hop: 1,
    });
  }
  return result.report;
}
