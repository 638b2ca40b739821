import type { Wakeup } from '../domain/decode/wakeup-request';

/**
 * One-time reconciles of a secret at an instant (a held consumer's window opens, or its deadline
 * falls): EventBridge Scheduler in AWS. Absent where none can be made (the CLI, a stack without
 * them): the scheduled reconcile then catches the moment, up to its period late.
 */
export interface Wakeups {
  /** Creates the wakeup's schedule: `created`, or `exists` when one of its name already does (made by an earlier run). */
  schedule(wakeup: Wakeup): Promise<'created' | 'exists'>;
}
