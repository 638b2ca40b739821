import { createHash } from 'node:crypto';
import type { Trigger } from '../domain/decode/events';
import type { RecheckReplicaRequest } from '../domain/decode/run-request';
import { errorLine } from '../domain/errors';
import type { ReconcilePlan } from '../domain/plan/reconcile-plan';
import type { OneTimeSchedules } from '../ports/one-time-schedules';
import type { Ports } from '../ports/ports';

/**
 * Asks for the re-check a replica's wait planned: a one-time schedule that reconciles the
 * replica again at the planned time. Its name is made from the replica, the versions it waits
 * for and the attempt, so that the several events of one change (and their duplicates) ask for
 * each re-check once. A schedule that cannot be made is a warning, not a failure: the scheduled
 * reconcile looks again.
 */
export async function askRecheck(
  ports: Pick<Ports, 'log'>,
  schedules: OneTimeSchedules,
  secretArn: string,
  recheck: NonNullable<NonNullable<ReconcilePlan['replica']>['recheck']>,
  trigger: Trigger,
): Promise<string[]> {
  const request: RecheckReplicaRequest = { kind: 'recheck-replica', secretArn, attempt: recheck.attempt, trigger, hop: recheck.attempt };
  const name = recheckName(secretArn, recheck.key, recheck.attempt);
  try {
    const outcome = await schedules.runAt(name, new Date(recheck.at), request);
    ports.log.info('replica re-check', { secret: secretArn, schedule: name, at: recheck.at, attempt: recheck.attempt, outcome });
    return [];
  } catch (error) {
    ports.log.warn('replica re-check not scheduled', { secret: secretArn, schedule: name, error: errorLine(error) });
    return [
      `the re-check of the replica at ${recheck.at} could not be scheduled (${errorLine(error)}): the scheduled reconcile looks again`,
    ];
  }
}

/** `replica-<digest>-<attempt>`: 50 characters of those a schedule name allows, the same for the same wait and attempt. */
export function recheckName(secretArn: string, key: string, attempt: number): string {
  const digest = createHash('sha256').update(`${secretArn}\n${key}`).digest('hex').slice(0, 40);
  return `replica-${digest}-${attempt}`;
}
