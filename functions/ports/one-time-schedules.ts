import type { ContinuationRequest } from '../domain/decode/run-request';

/**
 * Runs asked for at a later time: each one EventBridge Scheduler one-time schedule (`at()`), which
 * invokes the reconciler with the request at that time and then deletes itself. For a wait that
 * time ends (a replica not yet holding a change), without a run kept waiting meanwhile.
 */
export interface OneTimeSchedules {
  /**
   * Asks for one run of `request` at `at`, under `name` (letters, digits, `-`, `_` and `.`, at
   * most 64): `exists` when a schedule of that name waits already, i.e. the same run was asked
   * for (names are made from what the run is for, so that duplicate events ask once).
   */
  runAt(name: string, at: Date, request: ContinuationRequest): Promise<'scheduled' | 'exists'>;
}
