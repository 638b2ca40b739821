/**
 * A token bucket for our own UpdateService calls: `burst` tokens, refilled at `perSecond`. ECS's
 * bucket for UpdateService (50, 5/s per account) is shared with CreateService, DeleteService and
 * the account's own deploys, so ours is smaller and slower, leaving them headroom.
 * Pure: time comes in as epoch milliseconds.
 */
export interface BucketState {
  /** Tokens at `at`; negative while callers have reserved tokens not yet refilled. */
  tokens: number;
  at: number;
}

export interface RateSettings {
  perSecond: number;
  burst: number;
}

/** A full bucket at `nowMs`. */
export function fullBucket(settings: RateSettings, nowMs: number): BucketState {
  return { tokens: settings.burst, at: nowMs };
}

/** The bucket refilled up to `nowMs`. */
export function refilled(state: BucketState, settings: RateSettings, nowMs: number): BucketState {
  const elapsed = Math.max(0, nowMs - state.at) / 1000;
  return { tokens: Math.min(settings.burst, state.tokens + elapsed * settings.perSecond), at: Math.max(state.at, nowMs) };
}

/**
 * Reserves one token at `nowMs`: the new state, and how long the caller must wait before its call
 * (0 when a token is there). Reservations queue callers fairly: each waits for its own token.
 */
export function reserve(state: BucketState, settings: RateSettings, nowMs: number): { state: BucketState; waitMs: number } {
  const now = refilled(state, settings, nowMs);
  const tokens = now.tokens - 1;
  const waitMs = tokens >= 0 ? 0 : Math.ceil((-tokens / settings.perSecond) * 1000);
  return { state: { tokens, at: now.at }, waitMs };
}

/**
 * A bucket handed over from outside this process (a continuation's payload) as this run may use
 * it: its time no later than `nowMs` (a later one would stop the refill until then), its tokens
 * between minus the burst and the burst (a run hands over at most a few reservations below zero;
 * fewer would make every call of the container wait for ever). A forged bucket can then slow this
 * run by a burst's worth of tokens at the configured rate, no more.
 */
export function admissible(state: BucketState, settings: RateSettings, nowMs: number): BucketState {
  return { tokens: Math.min(settings.burst, Math.max(-settings.burst, state.tokens)), at: Math.min(state.at, nowMs) };
}

/** After ECS throttled us: nothing left in our bucket either, so every caller slows down. */
export function drained(state: BucketState, settings: RateSettings, nowMs: number): BucketState {
  const now = refilled(state, settings, nowMs);
  return { tokens: Math.min(now.tokens, 0), at: now.at };
}

/**
 * The bucket that successive runs of one process share (a Lambda container's invocations, one at
 * a time under the reconciler's reserved concurrency of 1): each run starts from the state the
 * runs before it left, whatever event started it, and leaves its own there.
 */
export interface SharedBucket {
  state?: BucketState;
}

/**
 * Of the states known for one bucket (the one a continuation carried, the one the process kept),
 * the one with fewer tokens once refilled to `nowMs`: whichever run spent last spent from it.
 * Undefined when none is known.
 */
export function leanest(states: Array<BucketState | undefined>, settings: RateSettings, nowMs: number): BucketState | undefined {
  let leanestState: BucketState | undefined;
  for (const state of states) {
    if (!state) continue;
    const now = refilled(state, settings, nowMs);
    if (!leanestState || now.tokens < leanestState.tokens) leanestState = now;
  }
  return leanestState;
}
