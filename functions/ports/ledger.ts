import type { LedgerRecord, SecretLedger, SecretRecord } from '../domain/ledger/record';

/**
 * What a conditional write did: written, or not because the stored row was no longer at the
 * revision expected, with that row as it is (absent: there is none).
 */
export type Written<R> = { written: true } | { written: false; stored: R | undefined };

/** A consumer's record in a secret's ledger. */
export interface Pair {
  secretArn: string;
  serviceArn: string;
}

/** One pair's key in a map or set. */
export function pairId(pair: Pair): string {
  return `${pair.secretArn}|${pair.serviceArn}`;
}

/**
 * The deployed-version ledger (the state table in AWS). Rows change only by compare-and-set on
 * their revision (app/compare-and-set.ts), but for `remove`: the transitions themselves are the domain's
 * (domain/ledger/record.ts, domain/rollout/rollout.ts).
 */
export interface Ledger {
  /** One secret's ledger (its consumers' records and its own), read consistently. */
  records(secretArn: string): Promise<SecretLedger>;
  /** Every secret's ledger, by secret ARN. */
  allRecords(): Promise<Map<string, SecretLedger>>;
  /** One record, read consistently. */
  read(secretArn: string, serviceArn: string): Promise<LedgerRecord | undefined>;
  /** These records, read consistently (in batches); pairs without a record are left out. */
  readMany(pairs: Pair[]): Promise<LedgerRecord[]>;
  /**
   * Writes the record if the stored one is still at `expectedRev` (undefined: there is none);
   * otherwise returns the stored one. Throws OutcomeUnknownError when no answer came: the write
   * may have been applied.
   */
  write(record: LedgerRecord, expectedRev: number | undefined): Promise<Written<LedgerRecord>>;
  /**
   * Forgets a pair, unconditionally: the service no longer uses the secret, so whatever its record
   * says (a claim in flight included: its done write then finds no record) no longer applies.
   */
  remove(secretArn: string, serviceArn: string): Promise<void>;
  /** The secret's own record, read consistently. */
  readSecret(secretArn: string): Promise<SecretRecord | undefined>;
  /** Writes the secret's own record if the stored one is still at `expectedRev`, like `write`. */
  writeSecret(record: SecretRecord, expectedRev: number | undefined): Promise<Written<SecretRecord>>;
}
