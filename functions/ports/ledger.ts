/** Identifies one redeploy: a service brought to the secret versions named by `versionKey`. */
export interface LedgerKey {
  serviceArn: string;
  secretArn: string;
  versionKey: string;
}

/** Where redeploys are recorded so that the same change never redeploys a service twice. */
export interface RedeployLedger {
  /** Records the redeploy; false when it was recorded already (unless `force`). */
  claim(key: LedgerKey, force: boolean): Promise<boolean>;
  /** Forgets a claim whose redeploy failed, so that a retry redeploys it. */
  release(key: LedgerKey): Promise<void>;
  /** True when the redeploy is recorded. */
  has(key: LedgerKey): Promise<boolean>;
}
