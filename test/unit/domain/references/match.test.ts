import type { SecretsManagerRef } from '../../../../functions/domain/identity/arn';
import { type ArnResolver, referencesTo } from '../../../../functions/domain/references/match';
import { HOME, secretArn, smReference, ssmReference } from '../../../kit/factories';
import { ACCOUNT } from '../../../kit/test-account';

/** The account's secrets: full ARN by name. */
const DB = { arn: secretArn('prod/db-AbCdEf'), name: 'prod/db' };
const DB_CREDS = { arn: secretArn('prod/db-creds-Q1w2E3'), name: 'prod/db-creds' };
/** A secret whose NAME ends in "-" plus six characters, equal to DB's full-ARN name part. */
const LOOKALIKE = { arn: secretArn('prod/db-AbCdEf-Zz9Yy8'), name: 'prod/db-AbCdEf' };
const SECRETS = [DB, DB_CREDS, LOOKALIKE];

/**
 * A resolver that behaves like DescribeSecret: a full ARN names its secret first; otherwise a
 * name or partial ARN names the secret of exactly that name.
 */
function fakeResolver(): jest.MockedFunction<ArnResolver> {
  return jest.fn(async (ref: SecretsManagerRef) => {
    const byArn = SECRETS.find((s) => s.arn === ref.secretId);
    if (byArn) return byArn.arn;
    return SECRETS.find((s) => s.name === ref.namePart && s.arn.split(':')[4] === ref.location.account)?.arn;
  });
}

describe('referencesTo', () => {
  it('matches a reference written as the full ARN, with trailing fields', async () => {
    const resolve = fakeResolver();
    const ref = smReference(`${DB.arn}:password::`);
    expect(await referencesTo([ref], DB, resolve)).toEqual([ref]);
    expect(resolve).toHaveBeenCalledWith(ref.secret);
  });

  it('matches a partial ARN and a plain name that resolve to the secret', async () => {
    const refs = [smReference(secretArn('prod/db')), smReference('prod/db', { field: 'repositoryCredentials' })];
    expect(await referencesTo(refs, DB, fakeResolver())).toEqual(refs);
  });

  it('resolves only the references the name prefilter allows', async () => {
    const resolve = fakeResolver();
    const refs = [
      smReference(DB.arn),
      smReference(DB_CREDS.arn),
      smReference(secretArn('prod/db-creds')),
      smReference(secretArn('other/api-key-X1y2Z3')),
      smReference(`arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:prod/db-AbCdEf`),
      ssmReference(`arn:aws:ssm:eu-west-1:${ACCOUNT}:parameter/prod/db`),
    ];
    const found = await referencesTo(refs, DB, resolve);
    expect(found).toEqual([refs[0]]);
    expect(resolve).toHaveBeenCalledTimes(1);
    expect(resolve).toHaveBeenCalledWith(refs[0].secret);
  });

  it('does not match "prod/db-creds" when the secret is "prod/db", and makes no DescribeSecret for it', async () => {
    const resolve = fakeResolver();
    expect(await referencesTo([smReference(secretArn('prod/db-creds'))], DB, resolve)).toEqual([]);
    expect(resolve).not.toHaveBeenCalled();
  });

  it('does not match a reference that passes the prefilter but resolves to another secret', async () => {
    const resolve = fakeResolver();
    // "prod/db-AbCdEf" is LOOKALIKE's name, but as an ARN it is DB's full ARN: it names DB.
    const ambiguous = smReference(secretArn('prod/db-AbCdEf'));
    expect(await referencesTo([ambiguous], LOOKALIKE, resolve)).toEqual([]);
    expect(resolve).toHaveBeenCalledTimes(1);
    expect(await referencesTo([ambiguous], DB, resolve)).toEqual([ambiguous]);
  });

  it('does not match a partial ARN the resolver maps to a different full ARN than the secret', async () => {
    const resolve = jest.fn<Promise<string | undefined>, [SecretsManagerRef]>(async () => LOOKALIKE.arn);
    const partial = smReference(secretArn('prod/db'));
    expect(await referencesTo([partial], DB, resolve)).toEqual([]);
    expect(resolve).toHaveBeenCalledWith(partial.secret);
  });

  it('matches the secret whose name ends in "-" plus six characters through its full ARN', async () => {
    const ref = smReference(`${LOOKALIKE.arn}:password::`);
    expect(await referencesTo([ref], LOOKALIKE, fakeResolver())).toEqual([ref]);
  });

  it('does not match a reference the resolver cannot resolve (no such secret)', async () => {
    const resolve = jest.fn<Promise<string | undefined>, [SecretsManagerRef]>(async () => undefined);
    expect(await referencesTo([smReference('prod/db', { field: 'repositoryCredentials' })], DB, resolve)).toEqual([]);
    expect(resolve).toHaveBeenCalledTimes(1);
  });

  it('never matches a same-named secret of another partition', async () => {
    const resolve = fakeResolver();
    const cn = smReference('prod/db', { field: 'repositoryCredentials' }, { ...HOME, partition: 'aws-cn', region: 'cn-north-1' });
    expect(await referencesTo([cn], DB, resolve)).toEqual([]);
    expect(resolve).not.toHaveBeenCalled();
  });

  it('keeps the matching references in their original order and identity', async () => {
    const refs = [smReference(`${DB.arn}::AWSPREVIOUS:`), smReference(DB_CREDS.arn), smReference(`${DB.arn}:password::`)];
    const found = await referencesTo(refs, DB, fakeResolver());
    expect(found).toHaveLength(2);
    expect(found[0]).toBe(refs[0]);
    expect(found[1]).toBe(refs[2]);
  });

  it('matches SSM parameter references by their full parameter ARN, without resolving anything', async () => {
    const token = { arn: `arn:aws:ssm:eu-west-1:${ACCOUNT}:parameter/prod/token`, name: '/prod/token' };
    const refs = [ssmReference(token.arn), ssmReference(`arn:aws:ssm:eu-west-1:${ACCOUNT}:parameter/prod/token-old`), smReference(DB.arn)];
    const resolve = fakeResolver();
    expect(await referencesTo(refs, token, resolve)).toEqual([refs[0]]);
    expect(resolve).not.toHaveBeenCalled();
  });

  it('returns nothing and resolves nothing for no references', async () => {
    const resolve = fakeResolver();
    expect(await referencesTo([], DB, resolve)).toEqual([]);
    expect(resolve).not.toHaveBeenCalled();
  });

  it('propagates a resolver failure instead of reporting "no match"', async () => {
    const resolve = jest.fn<Promise<string | undefined>, [SecretsManagerRef]>(async () => {
      throw new Error('ThrottlingException');
    });
    await expect(referencesTo([smReference(DB.arn)], DB, resolve)).rejects.toThrow('ThrottlingException');
  });
});
