import { randomUUID } from 'node:crypto';
import { errorLine, OutcomeUnknownError } from '../domain/errors';
import type { LedgerRecord, SecretRecord } from '../domain/ledger/record';
import type { Ledger, Written } from '../ports/ledger';
import type { Logger } from '../ports/logger';

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

/**
 * Records a change of the secret's own row (`row`: as read, undefined when it has none) by
 * compare-and-set: true when this run's write is the one recorded. False on a conflict (another
 * run changed the row meanwhile, and announces what it recorded itself) or a failure (logged):
 * what this run did not record, a later run finds unrecorded.
 */
export async function recordSecretChange(
  ports: { ledger: Ledger; log: Logger },
  secretArn: string,
  row: SecretRecord | undefined,
  change: Partial<Pick<SecretRecord, 'rollout' | 'deletionNoticeFor' | 'replicationNoticeFor'>>,
): Promise<boolean> {
  const next: SecretRecord = { ...row, ...change, secretArn, rev: (row?.rev ?? 0) + 1, writeId: randomUUID() };
  try {
    return (await commitSecret(ports.ledger, next, row?.rev)).written;
  } catch (error) {
    ports.log.warn('secret row not recorded', { secret: secretArn, change: Object.keys(change), error: errorLine(error) });
    return false;
  }
}
