import type { LedgerRecord, SecretLedger, SecretRecord } from '../domain/ledger/record';

/**
 * The deployed-version ledger (the state table in AWS). Records change only by compare-and-set
 * on their revision; the transitions themselves are the domain's (domain/ledger/record.ts).
 */
export interface Ledger {
  /** One secret's ledger (its consumers' records and its own), read consistently. */
  records(secretArn: string): Promise<SecretLedger>;
  /** Every secret's ledger, by secret ARN. */
  allRecords(): Promise<Map<string, SecretLedger>>;
  /** One record, read consistently. */
  read(secretArn: string, serviceArn: string): Promise<LedgerRecord | undefined>;
  /**
   * Writes the record if the stored one is still at `expectedRev` (undefined: there is none).
   * False on a conflict. A write whose answer was lost may have been applied: the caller reads
   * back and recognises its own `writeId`.
   */
  write(record: LedgerRecord, expectedRev: number | undefined): Promise<boolean>;
  /** Forgets a pair: the service no longer uses the secret. */
  remove(secretArn: string, serviceArn: string): Promise<void>;
  /** The secret's own record, read consistently. */
  readSecret(secretArn: string): Promise<SecretRecord | undefined>;
  /** Writes the secret's own record if the stored one is still at `expectedRev`, like `write`. */
  writeSecret(record: SecretRecord, expectedRev: number | undefined): Promise<boolean>;
}
