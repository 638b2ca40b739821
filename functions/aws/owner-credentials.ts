import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';
import { EnvironmentError } from '../domain/errors';

/** An account whose secrets are read with its read role's credentials, and its partition. */
export interface OwnerAccount {
  account: string;
  partition: string;
}

/** Temporary credentials, in the shape the SDK takes as `credentials`. */
export interface OwnerCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

/** What reads an owner account's secrets: a credential provider per owner, shared by its regional clients. */
export type OwnerCredentialProvider = (owner: OwnerAccount) => () => Promise<OwnerCredentials>;

/** Credentials are assumed again this long before they expire (no call signed with expiring credentials). */
export const REFRESH_MARGIN_MS = 5 * 60 * 1000;

/** The session name the owner account's CloudTrail shows for every read. */
export const OWNER_SESSION_NAME = 'ecs-secret-redeploy';

/** The ARN of the read role in an owner account. */
export function ownerRoleArn(owner: OwnerAccount, roleName: string): string {
  return `arn:${owner.partition}:iam::${owner.account}:role/${roleName}`;
}

/**
 * Assumes the read role of each owner account once and keeps its credentials until shortly
 * before they expire: a scheduled reconcile of a thousand owner secrets costs one AssumeRole
 * per owner account, not one per secret. Callers waiting for the same owner share one call; a
 * failed call is not kept (the next read tries again).
 */
export function assumedOwnerCredentials(sts: STSClient, roleName: string, now: () => number = Date.now): OwnerCredentialProvider {
  const cache = new Map<string, Promise<OwnerCredentials>>();
  const assume = async (owner: OwnerAccount): Promise<OwnerCredentials> => {
    const roleArn = ownerRoleArn(owner, roleName);
    const out = await sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: OWNER_SESSION_NAME }));
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
      throw new EnvironmentError(`STS AssumeRole of ${roleArn} answered without credentials: is the endpoint an AWS API?`);
    }
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration: c.Expiration };
  };
  return (owner) => {
    const key = `${owner.partition}:${owner.account}`;
    return async () => {
      const cached = cache.get(key);
      if (cached) {
        const credentials = await cached.catch(() => undefined);
        if (credentials && credentials.expiration.getTime() - REFRESH_MARGIN_MS > now()) return credentials;
        // Expiring (or failed): the first caller to get here assumes again; the others share its call.
        const current = cache.get(key);
        if (current && current !== cached) return current;
      }
      const fresh = assume(owner);
      cache.set(key, fresh);
      fresh.catch(() => {
        if (cache.get(key) === fresh) cache.delete(key);
      });
      return fresh;
    };
  };
}
