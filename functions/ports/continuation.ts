import type { ContinuationRequest } from '../domain/decode/run-request';

/** Starts a new run at once for the work a run could not finish before its deadline. */
export interface Continuation {
  continueWith(request: ContinuationRequest): Promise<void>;
}
