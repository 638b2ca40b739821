import { OutcomeUnknownError } from '../domain/errors';
import type { LedgerRecord, SecretRecord } from '../domain/ledger/record';
import type { Ledger, Written } from '../ports/ledger';

/** Times one write is sent while its answers are lost. */
const ATTEMPTS = 3;

/**
 * The one compare-and-set of the ledger, for every row kind: `next` is written if the stored
 * row is still at `expectedRev`, otherwise the stored row comes back. A write whose answer was
 * lost may have been applied: it is sent again, and a condition that then fails on a row
 * carrying this write's own `writeId` means the first one was applied (the SDK's own retry after
 * a lost answer ends the same way), so no read is needed to tell.
 */
async function compareAndSet<R extends { writeId: string }>(
  write: (row: R, expectedRev: number | undefined) => Promise<Written<R>>,
  next: R,
  expectedRev: number | undefined,
): Promise<Written<R>> {
  let lost: unknown;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    try {
      const result = await write(next, expectedRev);
      return !result.written && result.stored?.writeId === next.writeId ? { written: true } : result;
    } catch (error) {
      if (!(error instanceof OutcomeUnknownError)) throw error;
      lost = error;
    }
  }
  throw lost;
}

/** Compare-and-set of a consumer's record. */
export function commitRecord(ledger: Ledger, next: LedgerRecord, expectedRev: number | undefined): Promise<Written<LedgerRecord>> {
  return compareAndSet((row, rev) => ledger.write(row, rev), next, expectedRev);
}

/** Compare-and-set of the secret's own row (its rollout, the deletion announced). */
export function commitSecret(ledger: Ledger, next: SecretRecord, expectedRev: number | undefined): Promise<Written<SecretRecord>> {
  return compareAndSet((row, rev) => ledger.writeSecret(row, rev), next, expectedRev);
}
