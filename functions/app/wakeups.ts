import type { Wakeup } from '../domain/decode/wakeup-request';
import { errorLine } from '../domain/errors';
import type { Ports } from '../ports/ports';
import { mapWithConcurrency } from '../util/concurrency';

/**
 * Creates the plan's wakeups. One that cannot be created (no permission, Scheduler unavailable)
 * only costs time: the scheduled reconcile catches the window or the deadline at its next run.
 * Returns the warnings for the report.
 */
export async function scheduleWakeups(ports: Pick<Ports, 'wakeups' | 'log'>, wakeups: Wakeup[]): Promise<string[]> {
  const { wakeups: port } = ports;
  if (!port || wakeups.length === 0) return [];
  const failed = await mapWithConcurrency(wakeups, 4, async (wakeup) => {
    try {
      const outcome = await port.schedule(wakeup);
      ports.log.info('wakeup scheduled', { name: wakeup.name, at: wakeup.at, cause: wakeup.cause, outcome });
      return [];
    } catch (error) {
      ports.log.warn('wakeup not scheduled', { name: wakeup.name, at: wakeup.at, error: errorLine(error) });
      return [
        `the reconcile at ${wakeup.at} (${wakeup.cause}) could not be scheduled (${errorLine(error)}): the scheduled reconcile catches it`,
      ];
    }
  });
  return failed.flat();
}
