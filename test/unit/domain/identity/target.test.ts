import { accountOf, checkTarget, parseTarget, regionOf, targetText } from '../../../../functions/domain/identity/target';

const SECRET = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/db-AbCdEf';
const PARAMETER = 'arn:aws:ssm:eu-west-1:111122223333:parameter/prod/orders/api-token';

describe('parseTarget', () => {
  it.each([
    ['a secret name', 'prod/db', { kind: 'secret', secretId: 'prod/db' }],
    ['a service-owned secret name', 'rds!cluster-2f4e6a8c', { kind: 'secret', secretId: 'rds!cluster-2f4e6a8c' }],
    ['a name with surrounding whitespace', '  prod/db\n', { kind: 'secret', secretId: 'prod/db' }],
  ])('reads %s', (_label, text, expected) => {
    expect(parseTarget(text)).toEqual(expected);
  });

  it('reads a full secret ARN with its fields', () => {
    expect(parseTarget(SECRET)).toMatchObject({ kind: 'secret', secretId: SECRET, arn: { region: 'eu-west-1', account: '111122223333' } });
  });

  it('reads an SSM parameter ARN with its name and location', () => {
    expect(parseTarget(PARAMETER)).toEqual({
      kind: 'parameter',
      arn: PARAMETER,
      name: '/prod/orders/api-token',
      location: { partition: 'aws', region: 'eu-west-1', account: '111122223333' },
    });
  });

  it.each(['aws-iso', 'aws-iso-b', 'aws-iso-e', 'aws-iso-f', 'aws-eusc'])('reads a secret ARN of the %s partition', (partition) => {
    expect(parseTarget(`arn:${partition}:secretsmanager:us-iso-east-1:111122223333:secret:prod/db`)?.kind).toBe('secret');
  });
});

describe('checkTarget', () => {
  it.each([
    ['an empty id', '  ', 'an empty secret id'],
    ['a name with a space', 'prod db', '"prod db", which is not a secret name'],
    ['a name of 513 characters', 'x'.repeat(513), 'which is not a secret name'],
    ['a region with spaces', 'arn:aws:secretsmanager:us east 1:111122223333:secret:x', 'not a valid ARN: invalid region "us east 1"'],
    ['a region that is a path', 'arn:aws:secretsmanager:../../etc:111122223333:secret:x', 'invalid region "../../etc"'],
    ['an unknown partition', 'arn:aws-moon:secretsmanager:eu-west-1:111122223333:secret:x', 'unknown partition "aws-moon"'],
    ['an empty account', 'arn:aws:secretsmanager:eu-west-1::secret:x', 'invalid account ""'],
    ['a secret ARN with reference fields', `${SECRET}:password::`, 'which is not a secret ARN'],
    ['a secret ARN without a name', 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:', 'which is not a secret ARN'],
    ['a parameter ARN with a version selector', `${PARAMETER}:3`, 'which is not an SSM parameter ARN'],
    ['an SSM document ARN', 'arn:aws:ssm:eu-west-1:111122223333:document/x', 'which is not an SSM parameter ARN'],
    [
      'an ARN of another service',
      'arn:aws:kms:eu-west-1:111122223333:key/x',
      'names neither a Secrets Manager secret nor an SSM parameter',
    ],
  ])('says why %s names no target', (_label, text, problem) => {
    expect(checkTarget(text)).toEqual({ problem: expect.stringContaining(problem) });
  });

  it('escapes control and bidi characters of the id in the problem', () => {
    const checked = checkTarget('prod/\u202edb\u0007');
    expect(checked).toEqual({
      problem: '"prod/\\u202edb\\u0007", which is not a secret name (at most 512 letters, digits and / _ + = . @ -)',
    });
  });
});

describe('accountOf, regionOf and targetText', () => {
  it('name the account and region of an ARN, and nothing for a plain name', () => {
    const arn = parseTarget(SECRET)!;
    const name = parseTarget('prod/db')!;
    expect([accountOf(arn), regionOf(arn), targetText(arn)]).toEqual(['111122223333', 'eu-west-1', SECRET]);
    expect([accountOf(name), regionOf(name), targetText(name)]).toEqual([undefined, undefined, 'prod/db']);
  });

  it("name the region a plain name is read in when it came with one (an event's), and an ARN's own region whatever came with it", () => {
    const name = parseTarget('prod/db', 'us-east-1')!;
    expect(name).toEqual({ kind: 'secret', secretId: 'prod/db', region: 'us-east-1' });
    expect([accountOf(name), regionOf(name), targetText(name)]).toEqual([undefined, 'us-east-1', 'prod/db']);
    expect(regionOf(parseTarget(SECRET, 'us-east-1')!)).toBe('eu-west-1');
    expect(regionOf(parseTarget('arn:aws:ssm:eu-west-1:111122223333:parameter/prod/token', 'us-east-1')!)).toBe('eu-west-1');
  });

  it('refuse a plain name that comes with a region that is none, before any AWS call builds a hostname of it', () => {
    expect(checkTarget('prod/db', 'us east 1')).toEqual({ problem: '"prod/db" in "us east 1", which is not a region name' });
    expect(checkTarget('prod/db', '../../etc')).toMatchObject({ problem: expect.stringContaining('not a region name') });
  });
});
