import { randomUUID } from 'node:crypto';
import {
  type ContinuationRequest,
  canonicalRequest,
  continuationPayload,
  decodeContinuation,
  type RunRequest,
} from '../domain/decode/run-request';
import { MalformedEventError } from '../domain/errors';
import type { Continuation } from '../ports/continuation';
import type { Ports } from '../ports/ports';

/**
 * How long a continuation's token may wait to be used: longer than the reconciler's asynchronous
 * queue keeps an event (maximumEventAge, 6 hours) with its retries, so no genuine continuation
 * outlives its token.
 */
export const CONTINUATION_TOKEN_MS = 24 * 3600 * 1000;

/**
 * The reconciler's continuations, each with a one-use token, as the index rebuild hands its lease
 * over (refresh-index.ts): a fresh token is issued for exactly the request sent (its canonical
 * form, as the receiving run will decode it), then the request goes out with it. A token whose
 * invoke fails is never used and expires; the run's failure is retried as any. The rebuild's own
 * continuations carry its lease token and pass as they are.
 */
export function withOneUseTokens(ports: Pick<Ports, 'continuations' | 'clock'>, next: Continuation): Continuation {
  return {
    async continueWith(request: ContinuationRequest) {
      if (request.kind === 'rebuild-index') return next.continueWith(request);
      const sent: RunRequest = { ...request, token: randomUUID() };
      const expiresAt = new Date(ports.clock.now().getTime() + CONTINUATION_TOKEN_MS);
      await ports.continuations.issue(sent.token as string, canonicalRequest(decodeContinuation(continuationPayload(sent))), expiresAt);
      await next.continueWith(sent);
    },
  };
}

/**
 * Whether a continuation may run: its token was issued for exactly this request and is used now,
 * by this invocation (Lambda's retries of one invocation share its request id, so a retry, or a
 * use whose answer was lost, runs again). A token never issued for this request, or expired, is
 * bad input (a forged or altered payload): MalformedEventError. One used by another invocation
 * (a duplicate delivery, or a replay) runs nothing, with the reason.
 */
export async function admitContinuation(
  ports: Pick<Ports, 'continuations' | 'clock' | 'log' | 'metrics'>,
  request: RunRequest,
  invocation: string = randomUUID(),
): Promise<{ admitted: true } | { admitted: false; reason: string }> {
  const use = await ports.continuations.use(request.token ?? '', canonicalRequest(request), invocation, ports.clock.now());
  if (use.used) return { admitted: true };
  ports.metrics.add('EventsRefused', 1);
  if (use.why === 'unknown') {
    const reason = 'continuation refused: its token was never issued for this request, or has expired';
    ports.log.warn('event refused', { reason, hop: request.hop });
    throw new MalformedEventError(reason);
  }
  const reason = `continuation already run by invocation ${use.by}: not run again`;
  ports.log.warn('continuation not run again', { reason, hop: request.hop });
  return { admitted: false, reason };
}
