/**
 * Several accounts of one moto_server: STS AssumeRole into a role ARN of another account answers
 * credentials of that account, and every client signed with them acts in it (moto keeps each
 * account's resources apart). The owner-account tests and the benchmark act as a central secrets
 * account and its consumer accounts this way.
 */
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { DEFAULT_OWNER_READ_ROLE } from '../../functions/config';
import { emulatorClientConfig } from './simulated-account';

/** The credentials a client needs to act in one account. */
export interface AccountCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

/** Credentials of `account` in the emulator at `endpoint` (moto answers any role ARN). */
export async function actAs(endpoint: string, account: string): Promise<AccountCredentials> {
  const sts = new STSClient(emulatorClientConfig(endpoint));
  const out = await sts.send(
    new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/test-setup`, RoleSessionName: `setup-${account}` }),
  );
  const c = out.Credentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) throw new Error(`moto gave no credentials for ${account}`);
  return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
}

/** A client config acting in the account of `credentials`. */
export function accountClientConfig(endpoint: string, credentials: AccountCredentials, region?: string) {
  return { ...emulatorClientConfig(endpoint, region), credentials };
}

/** The environment of the CLI acting in an account (the SDK's default chain reads these). */
export function accountEnv(credentials: AccountCredentials): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_SESSION_TOKEN: credentials.sessionToken,
  };
}

/**
 * The owner account's read role, as infra/organization/owner-account.yml names it (moto enforces
 * no policy: the role is there so that AssumeRole names a role that exists).
 */
export async function createOwnerReadRole(endpoint: string, owner: AccountCredentials, consumers: string[]): Promise<void> {
  const iam = new IAMClient({ ...accountClientConfig(endpoint, owner), region: 'us-east-1' });
  await iam.send(
    new CreateRoleCommand({
      RoleName: DEFAULT_OWNER_READ_ROLE,
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { AWS: consumers.map((a) => `arn:aws:iam::${a}:root`) }, Action: 'sts:AssumeRole' }],
      }),
    }),
  );
}
