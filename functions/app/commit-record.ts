import type { LedgerRecord } from '../domain/ledger/record';
import type { Ledger } from '../ports/ledger';

/**
 * Compare-and-set of one ledger record. A write whose answer was lost may have been applied: the
 * SDK's retry then fails on our own write's condition, so a failed write is read back, and counts
 * as written when the stored record is ours.
 */
export async function commitRecord(ledger: Ledger, next: LedgerRecord, expectedRev: number | undefined): Promise<boolean> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      if (await ledger.write(next, expectedRev)) return true;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    const stored = await ledger.read(next.secretArn, next.serviceArn);
    if (stored?.writeId === next.writeId) return true;
    if (lastError === undefined || stored?.rev !== expectedRev) return false;
  }
  throw lastError;
}
