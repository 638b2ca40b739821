import type { SecretsManagerRef } from '../domain/identity/arn';
import type { Target } from '../domain/identity/target';
import type { SecretState } from '../domain/plan/secret-state';

/**
 * Secrets Manager and SSM Parameter Store, metadata only: which version holds which stage, never
 * a value (the service has no GetSecretValue or GetParameter permission).
 */
export interface SecretStore {
  /** The secret's or parameter's state now. Throws UnknownSecretError when it does not exist. */
  describe(target: Target): Promise<SecretState>;
  /**
   * The full ARN of the secret a task definition reference names, undefined when no such secret
   * exists. Implementations cache answers under every spelling of the secret.
   */
  resolve(ref: SecretsManagerRef): Promise<string | undefined>;
  /** Seeds the resolution cache with a secret just described. */
  remember(state: SecretState): void;
}
