import { arnInRegion, checkArnInRegion, isFullSecretArnOf } from '../../../../functions/domain/identity/replica';
import { ACCOUNT } from '../../../kit/test-account';

const sm = (partition: string, region: string, namePart: string) =>
  `arn:${partition}:secretsmanager:${region}:${ACCOUNT}:secret:${namePart}`;

describe('the ARN of a replica', () => {
  it.each([
    ['a plain name', 'prod/db', 'prod/db-AbCdEf', 'eu-west-1', 'us-east-1'],
    // The name itself ends in "-" and six characters: only the last six are the suffix.
    ['a name ending in -XXXXXX', 'prod/db-AbCdEf', 'prod/db-AbCdEf-Gh1jK2', 'eu-west-1', 'us-east-1'],
    ['a name that contains a region name', 'us-east-1/eu-west-1/db', 'us-east-1/eu-west-1/db-Zz9Yy8', 'eu-west-1', 'us-east-1'],
    ['a name with every allowed character', 'a_b+c=d.e@f-g/h', 'a_b+c=d.e@f-g/h-123456', 'eu-west-1', 'ap-southeast-2'],
    ['a service-owned name', 'rds!cluster-1234', 'rds!cluster-1234-q1W2e3', 'eu-west-1', 'eu-central-1'],
  ])('keeps the name and its suffix, replacing only the region (%s)', (_, name, namePart, from, to) => {
    expect(arnInRegion({ arn: sm('aws', from, namePart), name }, to)).toBe(sm('aws', to, namePart));
  });

  it.each([
    ['aws-cn', 'cn-north-1', 'cn-northwest-1'],
    ['aws-us-gov', 'us-gov-west-1', 'us-gov-east-1'],
    ['aws-iso', 'us-iso-east-1', 'us-iso-west-1'],
    ['aws-iso-b', 'us-isob-east-1', 'us-isob-west-1'],
    ['aws-eusc', 'eusc-de-east-1', 'eusc-de-west-1'],
  ])('keeps the %s partition (%s to %s)', (partition, from, to) => {
    expect(arnInRegion({ arn: sm(partition, from, 'db-AbCdEf'), name: 'db' }, to)).toBe(sm(partition, to, 'db-AbCdEf'));
  });

  it('gives the primary back from the replica (the same rule, the other way)', () => {
    const replica = { arn: sm('aws', 'eu-west-1', 'prod/db-AbCdEf'), name: 'prod/db' };
    expect(arnInRegion(replica, 'us-east-1')).toBe(sm('aws', 'us-east-1', 'prod/db-AbCdEf'));
  });

  it.each([
    // Partial ARNs are not "fixed": without the suffix the text could be a name ending in -XXXXXX.
    ['a partial ARN (no suffix)', sm('aws', 'eu-west-1', 'prod/db'), 'prod/db', 'not the full ARN'],
    ['a partial ARN of a name that looks suffixed', sm('aws', 'eu-west-1', 'prod/db-AbCdEf'), 'prod/db-AbCdEf', 'not the full ARN'],
    ['the full ARN of another secret', sm('aws', 'eu-west-1', 'prod/db-creds-AbCdEf'), 'prod/db', 'not the full ARN'],
    ['a suffix of five characters', sm('aws', 'eu-west-1', 'prod/db-AbCdE'), 'prod/db', 'not the full ARN'],
    ['a suffix with a symbol', sm('aws', 'eu-west-1', 'prod/db-AbC_Ef'), 'prod/db', 'not the full ARN'],
    ['a reference with trailing fields', `${sm('aws', 'eu-west-1', 'prod/db-AbCdEf')}:password::`, 'prod/db', 'not a secret ARN'],
    ['an SSM parameter ARN', `arn:aws:ssm:eu-west-1:${ACCOUNT}:parameter/prod/db`, 'prod/db', 'not a secret ARN'],
    ['a plain name', 'prod/db', 'prod/db', 'not a valid ARN'],
  ])('refuses %s', (_, arn, name, problem) => {
    const checked = checkArnInRegion({ arn, name }, 'us-east-1');
    expect(checked).toEqual({ problem: expect.stringContaining(problem) });
  });

  it.each([
    ['a region of another partition', 'cn-north-1', 'not in the aws partition'],
    ['a region of GovCloud', 'us-gov-west-1', 'not in the aws partition'],
    ['text that is no region', 'us east 1', 'not a region name'],
    ['a path', '../../etc', 'not a region name'],
  ])('refuses %s as the other region', (_, region, problem) => {
    const checked = checkArnInRegion({ arn: sm('aws', 'eu-west-1', 'prod/db-AbCdEf'), name: 'prod/db' }, region);
    expect(checked).toEqual({ problem: expect.stringContaining(problem) });
  });

  it('gives undefined where checkArnInRegion gives a problem', () => {
    expect(arnInRegion({ arn: sm('aws', 'eu-west-1', 'prod/db'), name: 'prod/db' }, 'us-east-1')).toBeUndefined();
  });
});

describe('isFullSecretArnOf', () => {
  it.each([
    ['prod/db-AbCdEf', 'prod/db', true],
    ['prod/db-AbCdEf-123456', 'prod/db-AbCdEf', true],
    ['prod/db-AbCdEf', 'prod/db-AbCdEf', false],
    ['prod/db-AbCdEf', 'prod', false],
    ['prod/dbXAbCdEf', 'prod/db', false],
  ])('%s is the full ARN of %s: %s', (namePart, name, expected) => {
    expect(isFullSecretArnOf(sm('aws', 'eu-west-1', namePart), name)).toBe(expected);
  });
});
