import { ForeignAccountError } from '../errors';
import { quoted } from '../text';
import { accountOf, parseTarget, type Target, targetText } from './target';

/**
 * The accounts whose secrets (and shared SSM parameters) this deployment manages besides its own:
 * none (the default: its own account only), a list of account ids, or every account of its AWS
 * Organization. In `organization` mode, membership is enforced by AWS rather than here: the
 * consumer's bus accepts events only from the organization (`aws:PrincipalOrgID`), and the
 * owner-read role can be assumed only in the organization's accounts (`aws:ResourceOrgID` on
 * sts:AssumeRole, and the role's trust).
 */
export type SecretOwners = { kind: 'accounts'; accounts: string[] } | { kind: 'organization' };

export const OWN_ACCOUNT_ONLY: SecretOwners = { kind: 'accounts', accounts: [] };

const ACCOUNT_ID = /^\d{12}$/;

/**
 * Parses the setting: empty (own account only), `organization`, or account ids separated by
 * commas (or spaces). Throws a plain Error with a phrase on anything else: the caller says where
 * the setting came from.
 */
export function parseSecretOwners(text: string | undefined): SecretOwners {
  const value = (text ?? '').trim();
  if (value === '') return OWN_ACCOUNT_ONLY;
  if (value.toLowerCase() === 'organization') return { kind: 'organization' };
  const accounts = value.split(/[\s,]+/).filter((a) => a !== '');
  const bad = accounts.find((a) => !ACCOUNT_ID.test(a));
  if (bad !== undefined) {
    throw new Error(`must be "organization" or 12-digit account ids separated by commas, got ${quoted(bad, 40)}`);
  }
  return { kind: 'accounts', accounts: [...new Set(accounts)].sort() };
}

/** The setting as text, for messages and the usage map. */
export function describeOwners(owners: SecretOwners): string {
  if (owners.kind === 'organization') return 'the accounts of the organization';
  return owners.accounts.length === 0 ? 'none' : owners.accounts.join(', ');
}

/** How a secret's account relates to the deployment: its own, an allowed owner, or not allowed. */
export type Ownership = 'own' | 'allowed-owner' | 'not-allowed';

/** The ownership of a secret in `secretAccount`, seen from `self`. */
export function ownershipOf(secretAccount: string, self: string, owners: SecretOwners): Ownership {
  if (secretAccount === self) return 'own';
  if (owners.kind === 'organization') return ACCOUNT_ID.test(secretAccount) ? 'allowed-owner' : 'not-allowed';
  return owners.accounts.includes(secretAccount) ? 'allowed-owner' : 'not-allowed';
}

/**
 * The owner account whose read role must be assumed to read a secret of `secretAccount`, or
 * undefined when the deployment's own credentials read it (its own account, or an account not
 * allowed: that one is refused before anything is read, and the usage map reads it as before).
 */
export function ownerToAssume(secretAccount: string | undefined, self: string, owners: SecretOwners): string | undefined {
  if (secretAccount === undefined) return undefined;
  return ownershipOf(secretAccount, self, owners) === 'allowed-owner' ? secretAccount : undefined;
}

/**
 * Refuses a secret of an account that is neither this one nor an allowed owner, with the message a
 * person can act on. Nothing of it is read or redeployed.
 */
export function assertAllowedOwner(secretId: string, secretAccount: string | undefined, self: string, owners: SecretOwners): void {
  if (secretAccount === undefined || ownershipOf(secretAccount, self, owners) !== 'not-allowed') return;
  const allowed = owners.kind === 'accounts' && owners.accounts.length === 0 ? '' : `, nor an allowed owner (${describeOwners(owners)})`;
  throw new ForeignAccountError(`secret ${secretId} belongs to account ${secretAccount}, not to this account (${self})${allowed}`);
}

/** The partition of a region: the one every account that shares secrets with this one is in. */
export function partitionOfRegion(region: string | undefined): string {
  if (region === undefined) return 'aws';
  const prefixes: Array<[string, string]> = [
    ['cn-', 'aws-cn'],
    ['us-gov-', 'aws-us-gov'],
    ['us-isob-', 'aws-iso-b'],
    ['us-isof-', 'aws-iso-f'],
    ['eu-isoe-', 'aws-iso-e'],
    ['us-iso-', 'aws-iso'],
    ['eusc-', 'aws-eusc'],
  ];
  return prefixes.find(([prefix]) => region.startsWith(prefix))?.[1] ?? 'aws';
}

/**
 * The target of an event an owner account sent, read in that account: a secret the event names by
 * name alone (a CloudTrail `requestParameters.secretId`) becomes a partial ARN in the sender's
 * account and the event's region, so that the consumer never reads a namesake of its own. A
 * target that names another account than the sender's is refused: an `aws.*` event reports on its
 * own account's resources only. Undefined when the name's region is not known.
 */
export function targetOfSender(target: Target, sender: string, homeRegion: string | undefined): Target | undefined {
  const named = accountOf(target);
  if (named !== undefined) {
    if (named !== sender) {
      throw new ForeignAccountError(`an event of account ${sender} names ${targetText(target)}, a resource of account ${named}`);
    }
    return target;
  }
  if (target.kind !== 'secret') return target;
  const region = target.region ?? homeRegion;
  if (region === undefined) return undefined;
  return parseTarget(`arn:${partitionOfRegion(region)}:secretsmanager:${region}:${sender}:secret:${target.secretId}`);
}
