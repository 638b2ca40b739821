import { ForeignAccountError } from '../../../../functions/domain/errors';
import {
  assertAllowedOwner,
  describeOwners,
  OWN_ACCOUNT_ONLY,
  ownershipOf,
  ownerToAssume,
  parseSecretOwners,
  partitionOfRegion,
  type SecretOwners,
  targetOfSender,
} from '../../../../functions/domain/identity/owners';
import { parseTarget, type Target } from '../../../../functions/domain/identity/target';

const SELF = '222222222222';
const OWNER = '111111111111';
const OTHER = '444444444444';
const LISTED: SecretOwners = { kind: 'accounts', accounts: [OWNER] };
const ORG: SecretOwners = { kind: 'organization' };

describe('allowed secret owners', () => {
  it('parses none, a list of account ids (sorted, without repeats), or the organization', () => {
    expect(parseSecretOwners(undefined)).toEqual(OWN_ACCOUNT_ONLY);
    expect(parseSecretOwners('  ')).toEqual(OWN_ACCOUNT_ONLY);
    expect(parseSecretOwners('333333333333, 111111111111 111111111111')).toEqual({
      kind: 'accounts',
      accounts: ['111111111111', '333333333333'],
    });
    expect(parseSecretOwners('organization')).toEqual(ORG);
    expect(() => parseSecretOwners('111111111111,o-abcd1234')).toThrow('12-digit account ids');
    expect(() => parseSecretOwners('arn:aws:iam::111111111111:root')).toThrow('12-digit account ids');
  });

  it('tells its own account, an allowed owner and any other account apart', () => {
    expect(ownershipOf(SELF, SELF, OWN_ACCOUNT_ONLY)).toBe('own');
    expect(ownershipOf(OWNER, SELF, OWN_ACCOUNT_ONLY)).toBe('not-allowed');
    expect(ownershipOf(OWNER, SELF, LISTED)).toBe('allowed-owner');
    expect(ownershipOf(OTHER, SELF, LISTED)).toBe('not-allowed');
    expect(ownershipOf(OTHER, SELF, ORG)).toBe('allowed-owner');
    expect(ownershipOf('not-an-account', SELF, ORG)).toBe('not-allowed');
  });

  it("assumes an owner's read role only for an allowed owner, never for its own account", () => {
    expect(ownerToAssume(OWNER, SELF, LISTED)).toBe(OWNER);
    expect(ownerToAssume(SELF, SELF, LISTED)).toBeUndefined();
    expect(ownerToAssume(OTHER, SELF, LISTED)).toBeUndefined();
    expect(ownerToAssume(undefined, SELF, ORG)).toBeUndefined();
  });

  it('refuses a secret of an account not allowed with the same clear message as before, naming the allowed owners when there are any', () => {
    const arn = `arn:aws:secretsmanager:eu-west-1:${OTHER}:secret:db-AbCdEf`;
    expect(() => assertAllowedOwner(arn, OTHER, SELF, OWN_ACCOUNT_ONLY)).toThrow(
      new ForeignAccountError(`secret ${arn} belongs to account ${OTHER}, not to this account (${SELF})`),
    );
    expect(() => assertAllowedOwner(arn, OTHER, SELF, LISTED)).toThrow(
      `secret ${arn} belongs to account ${OTHER}, not to this account (${SELF}), nor an allowed owner (${OWNER})`,
    );
    expect(() => assertAllowedOwner(arn, OWNER, SELF, LISTED)).not.toThrow();
    expect(() => assertAllowedOwner('db', undefined, SELF, OWN_ACCOUNT_ONLY)).not.toThrow();
    expect(describeOwners(ORG)).toBe('the accounts of the organization');
  });

  it("reads a secret an owner's event names by name alone in the owner's account, and refuses one of a third account", () => {
    const named = parseTarget('prod/db', 'us-east-1') as Target;
    expect(targetOfSender(named, OWNER, 'eu-west-1')).toEqual(parseTarget(`arn:aws:secretsmanager:us-east-1:${OWNER}:secret:prod/db`));
    expect(targetOfSender(parseTarget('prod/db') as Target, OWNER, 'cn-north-1')).toEqual(
      parseTarget(`arn:aws-cn:secretsmanager:cn-north-1:${OWNER}:secret:prod/db`),
    );
    const owned = parseTarget(`arn:aws:ssm:eu-west-1:${OWNER}:parameter/prod/token`) as Target;
    expect(targetOfSender(owned, OWNER, 'eu-west-1')).toBe(owned);
    const third = parseTarget(`arn:aws:secretsmanager:eu-west-1:${OTHER}:secret:db`) as Target;
    expect(() => targetOfSender(third, OWNER, 'eu-west-1')).toThrow(ForeignAccountError);
  });

  it('knows the partition of a region', () => {
    expect(['eu-west-1', 'cn-north-1', 'us-gov-west-1', 'us-iso-east-1', 'us-isob-east-1', undefined].map(partitionOfRegion)).toEqual([
      'aws',
      'aws-cn',
      'aws-us-gov',
      'aws-iso',
      'aws-iso-b',
      'aws',
    ]);
  });
});
