import type { ContinuationRequest } from '../domain/decode/run-request';

/** Starts a new run at once for the work a run could not finish before its deadline. */
export interface Continuation {
  continueWith(request: ContinuationRequest): Promise<void>;
}

/**
 * The one-use tokens of the reconciler's continuations (the state table's `CONTINUATION`
 * partition in AWS): a run issues one for the request it hands over, before it sends it; the run
 * that receives it uses it once. A payload whose token was never issued for that very request, or
 * was used by another invocation, does not run.
 */
export interface ContinuationTokens {
  /**
   * Records `token` for the request (its canonical form, see canonicalRequest) until `expiresAt`.
   * A retried call after a lost answer finds its own token and succeeds.
   */
  issue(token: string, request: string, expiresAt: Date): Promise<void>;
  /**
   * Uses the token for the request, by `invocation` (the same for Lambda's retries of one
   * invocation): `used` the first time, and again for that same invocation (a retry, or a lost
   * answer); otherwise why not: never issued for this request (or expired), or used by another.
   */
  use(token: string, request: string, invocation: string, now: Date): Promise<TokenUse>;
}

export type TokenUse = { used: true } | { used: false; why: 'unknown' | 'used-by-another'; by?: string };
