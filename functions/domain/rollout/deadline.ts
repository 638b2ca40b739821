/**
 * When a run must stop starting new work: a Lambda invocation's end less a margin for the calls
 * already in flight to finish, or never (the CLI).
 */
export interface Deadline {
  /** Epoch milliseconds after which nothing new may start; Infinity for none. */
  stopAt: number;
}

export const NO_DEADLINE: Deadline = { stopAt: Number.POSITIVE_INFINITY };

/** A deadline `remainingMs` from `nowMs`, keeping `marginMs` for what is in flight. */
export function deadlineIn(nowMs: number, remainingMs: number, marginMs: number): Deadline {
  return { stopAt: nowMs + remainingMs - marginMs };
}

/** True while work that takes `takesMs` (0: just starting it) may still start at `nowMs`. */
export function canStart(deadline: Deadline, nowMs: number, takesMs = 0): boolean {
  return nowMs + takesMs < deadline.stopAt;
}
