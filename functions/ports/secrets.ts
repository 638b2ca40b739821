import type { SecretsManagerRef } from '../domain/identity/arn';
import type { Target } from '../domain/identity/target';
import type { SecretState } from '../domain/plan/secret-state';

/** How fresh a state `describe` must be. */
export interface DescribeOptions {
  /** A state read at or after this time will do. */
  readSince?: Date;
}

/**
 * Secrets Manager and SSM Parameter Store, metadata only: which version holds which stage, never
 * a value (the service has no GetSecretValue or GetParameter permission).
 */
export interface SecretStore {
  /**
   * The secret's or parameter's state now. Throws UnknownSecretError when it does not exist.
   * With `readSince`, a state this store read at or after that time (by `describe`, or while
   * resolving a reference) may answer instead of a new call: for a caller that needs the state
   * as of some moment no later than its own start. A secret found missing is never remembered.
   */
  describe(target: Target, options?: DescribeOptions): Promise<SecretState>;
  /**
   * The full ARN of the secret a task definition reference names, undefined when no such secret
   * exists. Implementations cache answers under every spelling of the secret.
   */
  resolve(ref: SecretsManagerRef): Promise<string | undefined>;
  /**
   * When each version the secret's stages hold was created, by version id: Secrets Manager's
   * ListSecretVersionIds (CreatedDate; it returns no value), a parameter's LastModifiedDate
   * (its current version's, already in the state: no call).
   */
  versionDates(secret: SecretState): Promise<Record<string, string>>;
  /** Seeds the resolution cache with a secret just described. */
  remember(state: SecretState): void;
}
