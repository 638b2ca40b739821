import { couldReferTo, type SecretsManagerRef } from '../identity/arn';
import type { SecretReference } from './references';

/** Resolves a reference to its secret's full ARN (DescribeSecret, cached), undefined if none. */
export type ArnResolver = (ref: SecretsManagerRef) => Promise<string | undefined>;

/**
 * The references that name `secret` (a Secrets Manager secret, or an SSM parameter by its ARN). Only references whose name part could be the secret's are
 * resolved, so a scan costs no DescribeSecret for unrelated secrets; the match itself compares
 * full ARNs, never names with a suffix stripped (`prod/db` is not `prod/db-creds`).
 */
export async function referencesTo(
  references: SecretReference[],
  secret: { arn: string; name: string },
  resolve: ArnResolver,
): Promise<SecretReference[]> {
  const matches = await Promise.all(
    references.map(async (reference) => {
      if (reference.parameterArn) return reference.parameterArn === secret.arn;
      if (!reference.secret || !couldReferTo(reference.secret, secret)) return false;
      return (await resolve(reference.secret)) === secret.arn;
    }),
  );
  return references.filter((_, i) => matches[i]);
}
