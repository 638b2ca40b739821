import {
  checkArn,
  clusterOfService,
  couldReferTo,
  isServiceArn,
  type Location,
  lastPathSegment,
  locationOf,
  parameterNameOf,
  parseArn,
  parseParameterRef,
  parseSecretsManagerRef,
  partialSecretArn,
  sameCluster,
  secretNamePartOf,
} from '../../../../functions/domain/identity/arn';
import { clusterArn, HOME, secretArn, serviceArn, taskDefinitionArn } from '../../../kit/factories';
import { ACCOUNT } from '../../../kit/test-account';

const SM = `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret`;

describe('parseArn', () => {
  it('splits an ARN into partition, service, region, account and resource', () => {
    expect(parseArn(`arn:aws:ecs:eu-west-1:${ACCOUNT}:service/prod/orders-api`)).toEqual({
      partition: 'aws',
      service: 'ecs',
      region: 'eu-west-1',
      account: ACCOUNT,
      resource: 'service/prod/orders-api',
    });
  });

  it('keeps colons inside the resource (secret ARN with trailing fields)', () => {
    expect(parseArn(`${SM}:prod/db-AbCdEf:password::`)?.resource).toBe('secret:prod/db-AbCdEf:password::');
  });

  // Partitions and region names as the SDK's partitions data lists them (@aws-sdk/core, util-endpoints).
  it.each([
    ['aws', 'eu-west-1'],
    ['aws-cn', 'cn-north-1'],
    ['aws-us-gov', 'us-gov-west-1'],
    ['aws-iso', 'us-iso-east-1'],
    ['aws-iso-b', 'us-isob-east-1'],
    ['aws-iso-e', 'eu-isoe-west-1'],
    ['aws-iso-f', 'us-isof-south-1'],
    ['aws-eusc', 'eusc-de-east-1'],
  ])('accepts the %s partition (region %s)', (partition, region) => {
    expect(parseArn(`arn:${partition}:ssm:${region}:${ACCOUNT}:parameter/a`)).toMatchObject({ partition, region });
  });

  it.each([
    ['plain text', 'prod/db'],
    ['an empty string', ''],
    ['an unknown partition', `arn:aws-mars:secretsmanager:eu-west-1:${ACCOUNT}:secret:x`],
    ['too few fields', 'arn:aws:secretsmanager:eu-west-1:secret'],
    ['an empty service', `arn:aws::eu-west-1:${ACCOUNT}:thing`],
    ['a prefix other than arn', `urn:aws:ssm:eu-west-1:${ACCOUNT}:parameter/a`],
    ['a region with spaces', `arn:aws:secretsmanager:us east 1:${ACCOUNT}:secret:x`],
    ['a region that is a path', `arn:aws:secretsmanager:../../etc:${ACCOUNT}:secret:x`],
    ['an upper-case region', `arn:aws:secretsmanager:EU-WEST-1:${ACCOUNT}:secret:x`],
    ['an empty region', `arn:aws:secretsmanager::${ACCOUNT}:secret:x`],
    ['an empty account', 'arn:aws:secretsmanager:eu-west-1::secret:x'],
    ['an account of 11 digits', 'arn:aws:secretsmanager:eu-west-1:11112222333:secret:x'],
    ['an account that is not digits', 'arn:aws:secretsmanager:eu-west-1:aws:secret:x'],
    ['an empty resource', `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:`],
    ['a service with a control character', `arn:aws:secrets\u202emanager:eu-west-1:${ACCOUNT}:secret:x`],
  ])('returns undefined for %s', (_label, text) => {
    expect(parseArn(text)).toBeUndefined();
  });
});

describe('checkArn', () => {
  it.each([
    ['the partition', `arn:aws-mars:ecs:eu-west-1:${ACCOUNT}:cluster/a`, 'unknown partition "aws-mars"'],
    ['the region', `arn:aws:ecs:us east 1:${ACCOUNT}:cluster/a`, 'invalid region "us east 1"'],
    ['the account', 'arn:aws:ecs:eu-west-1::cluster/a', 'invalid account ""'],
    ['the form', 'arn:aws:ecs', 'arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE'],
  ])('says which part is wrong: %s', (_label, text, problem) => {
    expect(checkArn(text)).toEqual({ problem: expect.stringContaining(problem) });
  });

  it('escapes control and bidi characters of the part it quotes', () => {
    expect(checkArn(`arn:aws:ecs:eu\u202e-1:${ACCOUNT}:cluster/a`)).toEqual({ problem: expect.stringContaining('"eu\\u202e-1"') });
  });
});

describe('isServiceArn', () => {
  it.each([
    ['a new-format service ARN', serviceArn('web', 'api'), true],
    ['an old-format service ARN', `arn:aws:ecs:eu-west-1:${ACCOUNT}:service/api`, true],
    ['a cluster ARN', clusterArn('web'), false],
    ['a service ARN with a path in its name', `arn:aws:ecs:eu-west-1:${ACCOUNT}:service/web/../../etc`, false],
    ['a service ARN with a malformed region', `arn:aws:ecs:eu west 1:${ACCOUNT}:service/web/api`, false],
  ])('%s: %s', (_label, text, expected) => {
    expect(isServiceArn(text)).toBe(expected);
  });
});

describe('locationOf', () => {
  it('gives partition, region and account of any ARN', () => {
    expect(locationOf(`arn:aws-us-gov:ecs:us-gov-west-1:${ACCOUNT}:task-definition/web:3`)).toEqual({
      partition: 'aws-us-gov',
      region: 'us-gov-west-1',
      account: ACCOUNT,
    });
  });

  it('returns undefined for text that is not an ARN', () => {
    expect(locationOf('web:3')).toBeUndefined();
  });
});

describe('parseSecretsManagerRef', () => {
  it('parses a full ARN with the 6-character suffix', () => {
    expect(parseSecretsManagerRef(`${SM}:prod/db-AbCdEf`, HOME)).toEqual({
      secretId: `${SM}:prod/db-AbCdEf`,
      namePart: 'prod/db-AbCdEf',
      isArn: true,
      location: HOME,
    });
  });

  it('parses a partial ARN (no suffix) without inventing or stripping anything', () => {
    const ref = parseSecretsManagerRef(`${SM}:prod/db`, HOME);
    expect(ref?.secretId).toBe(`${SM}:prod/db`);
    expect(ref?.namePart).toBe('prod/db');
    expect(ref?.isArn).toBe(true);
  });

  it('keeps a plain name that itself ends in "-" and six characters whole', () => {
    expect(parseSecretsManagerRef('prod/db-abcdef', HOME)).toEqual({
      secretId: 'prod/db-abcdef',
      namePart: 'prod/db-abcdef',
      isArn: false,
      location: HOME,
    });
  });

  it('keeps the suffix-like ending of a partial ARN in the name part', () => {
    expect(parseSecretsManagerRef(`${SM}:prod/db-abcdef`, HOME)?.namePart).toBe('prod/db-abcdef');
  });

  it('reads a plain name in the location of the task definition', () => {
    const elsewhere: Location = { partition: 'aws-cn', region: 'cn-north-1', account: '444455556666' };
    expect(parseSecretsManagerRef('prod/db', elsewhere)?.location).toEqual(elsewhere);
  });

  it('takes the location of an ARN from the ARN, not from the task definition', () => {
    const ref = parseSecretsManagerRef(`arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:prod/db-AbCdEf`, HOME);
    expect(ref?.location).toEqual({ partition: 'aws', region: 'us-east-1', account: ACCOUNT });
  });

  it.each([
    ['aws-cn', 'cn-northwest-1'],
    ['aws-us-gov', 'us-gov-east-1'],
    ['aws-iso', 'us-iso-east-1'],
    ['aws-iso-b', 'us-isob-east-1'],
    ['aws-iso-e', 'eu-isoe-west-1'],
    ['aws-iso-f', 'us-isof-south-1'],
    ['aws-eusc', 'eusc-de-east-1'],
  ])('parses a secret ARN of the %s partition', (partition, region) => {
    const ref = parseSecretsManagerRef(`arn:${partition}:secretsmanager:${region}:${ACCOUNT}:secret:prod/db-AbCdEf`, HOME);
    expect(ref?.location).toEqual({ partition, region, account: ACCOUNT });
    expect(ref?.namePart).toBe('prod/db-AbCdEf');
  });

  describe('trailing json-key:version-stage:version-id fields', () => {
    it('reads a json key with empty stage and id (":password::")', () => {
      const ref = parseSecretsManagerRef(`${SM}:prod/db-AbCdEf:password::`, HOME);
      expect(ref).toMatchObject({ secretId: `${SM}:prod/db-AbCdEf`, namePart: 'prod/db-AbCdEf', jsonKey: 'password' });
      expect(ref?.versionStage).toBeUndefined();
      expect(ref?.versionId).toBeUndefined();
    });

    it('reads a version stage alone ("::AWSPREVIOUS:")', () => {
      const ref = parseSecretsManagerRef(`${SM}:prod/db-AbCdEf::AWSPREVIOUS:`, HOME);
      expect(ref?.versionStage).toBe('AWSPREVIOUS');
      expect(ref?.jsonKey).toBeUndefined();
      expect(ref?.versionId).toBeUndefined();
    });

    it('reads a version id alone (":::<version-id>")', () => {
      const ref = parseSecretsManagerRef(`${SM}:prod/db-AbCdEf:::8c1f4e2a-9b3d-4c5e-a6f7-0b1c2d3e4f5a`, HOME);
      expect(ref?.versionId).toBe('8c1f4e2a-9b3d-4c5e-a6f7-0b1c2d3e4f5a');
      expect(ref?.versionStage).toBeUndefined();
    });

    it('reads a json key together with a custom stage', () => {
      expect(parseSecretsManagerRef(`${SM}:prod/db:username:BLUE:`, HOME)).toMatchObject({
        secretId: `${SM}:prod/db`,
        jsonKey: 'username',
        versionStage: 'BLUE',
      });
    });

    it('treats three empty trailing fields as no key, stage or id', () => {
      const ref = parseSecretsManagerRef(`${SM}:prod/db-AbCdEf:::`, HOME);
      expect(ref).toEqual({ secretId: `${SM}:prod/db-AbCdEf`, namePart: 'prod/db-AbCdEf', isArn: true, location: HOME });
    });

    // Regression: such references were dropped, so their services were never found. The ECS agent
    // accepts them (amazon-ecs-agent, agent/taskresource/asmsecret, getASMParametersFromInput sets
    // both VersionStage and VersionId).
    it('keeps a stage and a version id given together', () => {
      expect(parseSecretsManagerRef(`${SM}:prod/db-AbCdEf::AWSCURRENT:8c1f4e2a-9b3d-4c5e-a6f7-0b1c2d3e4f5a`, HOME)).toMatchObject({
        secretId: `${SM}:prod/db-AbCdEf`,
        versionStage: 'AWSCURRENT',
        versionId: '8c1f4e2a-9b3d-4c5e-a6f7-0b1c2d3e4f5a',
      });
    });

    it.each([
      ['only a json key', `${SM}:prod/db-AbCdEf:password`],
      ['a json key and a stage', `${SM}:prod/db-AbCdEf:password:AWSCURRENT`],
      ['four trailing fields', `${SM}:prod/db-AbCdEf:password:AWSCURRENT::`],
    ])('rejects trailing fields that do not come as three (%s)', (_label, text) => {
      expect(parseSecretsManagerRef(text, HOME)).toBeUndefined();
    });
  });

  describe('names with every allowed character', () => {
    it.each(['team/app_db+x=y.z@corp-1', 'rds!cluster-2f4e6a8c-1b3d-4e5f-9a7b-0c1d2e3f4a5b', 'a', 'with-six-abcdef'])(
      'parses %s as a plain name',
      (name) => {
        expect(parseSecretsManagerRef(name, HOME)).toEqual({ secretId: name, namePart: name, isArn: false, location: HOME });
      },
    );

    it.each(['team/app_db+x=y.z@corp-1-AbCdEf', 'rds!cluster-2f4e6a8c-1b3d-4e5f-9a7b-0c1d2e3f4a5b-Xy12Zq'])(
      'parses %s inside an ARN',
      (namePart) => {
        const ref = parseSecretsManagerRef(`${SM}:${namePart}:password::`, HOME);
        expect(ref?.namePart).toBe(namePart);
        expect(ref?.secretId).toBe(`${SM}:${namePart}`);
        expect(ref?.jsonKey).toBe('password');
      },
    );
  });

  it.each([
    ['an SSM parameter ARN', `arn:aws:ssm:eu-west-1:${ACCOUNT}:parameter/prod/db`],
    ['a KMS key ARN', `arn:aws:kms:eu-west-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`],
    ['a secretsmanager ARN of another resource type', `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:notasecret:prod/db`],
    ['an ARN with an empty secret name', `${SM}:`],
    ['an ARN ending at "secret"', SM],
    ['an ARN of an unknown partition', `arn:aws-mars:secretsmanager:eu-west-1:${ACCOUNT}:secret:prod/db`],
    ['a plain name containing ":"', 'prod:db'],
    ['a plain name with a space', 'prod db'],
    ['a plain name with a control character', 'prod/db\u0000'],
    ['a plain name of 513 characters', 'x'.repeat(513)],
    ['an ARN with a malformed region', `arn:aws:secretsmanager:us east 1:${ACCOUNT}:secret:prod/db`],
    ['an ARN with an empty account', 'arn:aws:secretsmanager:eu-west-1::secret:prod/db'],
    ['an empty string', ''],
  ])('returns undefined for %s', (_label, text) => {
    expect(parseSecretsManagerRef(text, HOME)).toBeUndefined();
  });
});

describe('parseParameterRef', () => {
  const arnOf = (text: string, home: Location = HOME) => parseParameterRef(text, home)?.arn;

  it('gives "/a/b" and "a/b" the same parameter ARN in the home location', () => {
    const expected = `arn:aws:ssm:eu-west-1:${ACCOUNT}:parameter/prod/orders/api-token`;
    expect(arnOf('/prod/orders/api-token')).toBe(expected);
    expect(arnOf('prod/orders/api-token')).toBe(expected);
  });

  it('gives a top-level name a single slash', () => {
    expect(arnOf('api-token')).toBe(`arn:aws:ssm:eu-west-1:${ACCOUNT}:parameter/api-token`);
  });

  it('builds the ARN in the partition of the home location', () => {
    const home: Location = { partition: 'aws-us-gov', region: 'us-gov-west-1', account: ACCOUNT };
    expect(arnOf('/a/b', home)).toBe(`arn:aws-us-gov:ssm:us-gov-west-1:${ACCOUNT}:parameter/a/b`);
  });

  it('returns a parameter ARN as written, even of another region', () => {
    const arn = `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/prod/orders/api-token`;
    expect(parseParameterRef(arn, HOME)).toEqual({ arn });
  });

  // GetParameters takes "name:version" and "name:label" (SSM API reference, GetParameters, Names),
  // and ECS hands valueFrom to it as written: the parameter is the name, pinned by the selector.
  describe('version and label selectors', () => {
    const PARAM = `arn:aws:ssm:eu-west-1:${ACCOUNT}:parameter/prod/orders/api-token`;
    it.each([
      ['a name with a version', '/prod/orders/api-token:3', { arn: PARAM, version: '3' }],
      ['a name with a label', '/prod/orders/api-token:my-label', { arn: PARAM, label: 'my-label' }],
      ['an ARN with a version', `${PARAM}:12`, { arn: PARAM, version: '12' }],
      ['an ARN with a label', `${PARAM}:Blue_2.x`, { arn: PARAM, label: 'Blue_2.x' }],
      [
        'a name with dots inside its segments',
        '/app.v2/.env-x:1',
        { arn: `arn:aws:ssm:eu-west-1:${ACCOUNT}:parameter/app.v2/.env-x`, version: '1' },
      ],
      ['a top-level name with a version', 'api-token:1', { arn: `arn:aws:ssm:eu-west-1:${ACCOUNT}:parameter/api-token`, version: '1' }],
    ])('reads %s as the parameter, pinned', (_label, text, expected) => {
      expect(parseParameterRef(text, HOME)).toEqual(expected);
    });

    it.each([
      ['an empty selector', '/a/b:'],
      ['version 0 (versions start at 1)', '/a/b:0'],
      ['a label starting with a digit that is not a version', '/a/b:3rd'],
      ['a label starting with "aws" (reserved)', '/a/b:awsLatest'],
      ['a label starting with "ssm" (reserved)', '/a/b:SSM-x'],
      ['a label of 101 characters', `/a/b:${'x'.repeat(101)}`],
      ['a label with a space', '/a/b:my label'],
      ['two selectors', '/a/b:3:blue'],
    ])('rejects %s', (_label, text) => {
      expect(parseParameterRef(text, HOME)).toBeUndefined();
    });
  });

  it.each([
    ['a Secrets Manager ARN', `${SM}:prod/db-AbCdEf`],
    ['an SSM ARN that is not a parameter', `arn:aws:ssm:eu-west-1:${ACCOUNT}:document/Deploy`],
    ['an ARN of an unknown partition', `arn:aws-mars:ssm:eu-west-1:${ACCOUNT}:parameter/a`],
    ['an ARN with a malformed region', `arn:aws:ssm:eu west 1:${ACCOUNT}:parameter/a`],
    ['a name with a space', 'prod/api token'],
    ['a name with an empty segment', 'prod//token'],
    // Found by the handler fuzz test: "../../etc" passed as a hierarchy of three levels.
    ['a name with ".." segments', '../../etc'],
    ['an ARN whose name climbs a hierarchy', `arn:aws:ssm:eu-west-1:${ACCOUNT}:parameter/prod/../token`],
    ['a name with a control character', 'prod/token\u0007'],
    ['an empty string', ''],
  ])('returns undefined for %s', (_label, text) => {
    expect(parseParameterRef(text, HOME)).toBeUndefined();
  });
});

describe('secretNamePartOf', () => {
  it('gives the name with its 6-character suffix from a full ARN', () => {
    expect(secretNamePartOf(`${SM}:prod/db-AbCdEf`)).toBe('prod/db-AbCdEf');
  });

  it('gives an empty string for text that is not an ARN', () => {
    expect(secretNamePartOf('prod/db')).toBe('');
  });
});

describe('couldReferTo', () => {
  const secret = { arn: secretArn('prod/db-AbCdEf'), name: 'prod/db' };
  const ref = (text: string, home: Location = HOME) => {
    const parsed = parseSecretsManagerRef(text, home);
    if (!parsed) throw new Error(`test setup: unparseable ${text}`);
    return parsed;
  };

  it('allows a plain name equal to the secret name', () => {
    expect(couldReferTo(ref('prod/db'), secret)).toBe(true);
  });

  it('allows a partial ARN with the secret name', () => {
    expect(couldReferTo(ref(`${SM}:prod/db`), secret)).toBe(true);
  });

  it('allows the full ARN (name part with suffix), with or without trailing fields', () => {
    expect(couldReferTo(ref(`${SM}:prod/db-AbCdEf`), secret)).toBe(true);
    expect(couldReferTo(ref(`${SM}:prod/db-AbCdEf:password:AWSPREVIOUS:`), secret)).toBe(true);
  });

  it('refuses a reference to "prod/db-creds" for the secret "prod/db"', () => {
    expect(couldReferTo(ref(`${SM}:prod/db-creds`), secret)).toBe(false);
    expect(couldReferTo(ref('prod/db-creds'), secret)).toBe(false);
  });

  it('refuses a reference to "prod/db" for the secret "prod/db-creds"', () => {
    const creds = { arn: secretArn('prod/db-creds-Q1w2E3'), name: 'prod/db-creds' };
    expect(couldReferTo(ref(`${SM}:prod/db`), creds)).toBe(false);
  });

  it('allows both secrets for an ARN that is either the full ARN of "prod/db" or a partial ARN of a secret named "prod/db-AbCdEf"', () => {
    const lookalike = { arn: secretArn('prod/db-AbCdEf-Zz9Yy8'), name: 'prod/db-AbCdEf' };
    const ambiguous = ref(`${SM}:prod/db-AbCdEf`);
    expect(couldReferTo(ambiguous, secret)).toBe(true);
    expect(couldReferTo(ambiguous, lookalike)).toBe(true);
  });

  it('refuses a full ARN with another suffix (a secret of the same name, deleted and re-created)', () => {
    expect(couldReferTo(ref(`${SM}:prod/db-ZzYyXx`), secret)).toBe(false);
  });

  it('refuses a reference with the same name in another region', () => {
    expect(couldReferTo(ref(`arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:prod/db-AbCdEf`), secret)).toBe(false);
  });

  it('refuses a plain name read in another region than the secret', () => {
    expect(couldReferTo(ref('prod/db', { ...HOME, region: 'us-east-1' }), secret)).toBe(false);
  });

  it('refuses a reference with the same name in another account', () => {
    expect(couldReferTo(ref(`arn:aws:secretsmanager:eu-west-1:444455556666:secret:prod/db-AbCdEf`), secret)).toBe(false);
  });

  it('refuses a reference with the same name in another partition', () => {
    expect(couldReferTo(ref(`arn:aws-cn:secretsmanager:eu-west-1:${ACCOUNT}:secret:prod/db-AbCdEf`), secret)).toBe(false);
  });

  it('matches within the aws-cn partition', () => {
    const cn: Location = { partition: 'aws-cn', region: 'cn-north-1', account: ACCOUNT };
    const cnSecret = { arn: secretArn('prod/db-AbCdEf', cn), name: 'prod/db' };
    expect(couldReferTo(ref('prod/db', cn), cnSecret)).toBe(true);
    expect(couldReferTo(ref('prod/db'), cnSecret)).toBe(false);
  });

  it('refuses anything when the secret ARN is not an ARN', () => {
    expect(couldReferTo(ref('prod/db'), { arn: 'prod/db', name: 'prod/db' })).toBe(false);
  });
});

describe('lastPathSegment', () => {
  it.each([
    ['family:revision of a task definition ARN', taskDefinitionArn('orders-api:12'), 'orders-api:12'],
    ['a family:revision as it is', 'orders-api:12', 'orders-api:12'],
    ['the name of a service', serviceArn('web', 'api'), 'api'],
    ['the name of a cluster', clusterArn('web'), 'web'],
  ])('gives %s', (_label, arn, expected) => {
    expect(lastPathSegment(arn)).toBe(expected);
  });
});

describe('clusterOfService', () => {
  it.each([
    ['a new-format service ARN names its cluster', serviceArn('web', 'api'), 'web'],
    ['an old-format service ARN lives in default', 'arn:aws:ecs:eu-west-1:111122223333:service/api', 'default'],
  ])('%s', (_label, arn, expected) => {
    expect(clusterOfService(arn)).toBe(expected);
  });
});

describe('sameCluster', () => {
  it.each([
    ['a cluster ARN and its name', clusterArn('web'), 'web', true],
    ['a cluster ARN and itself', clusterArn('web'), clusterArn('web'), true],
    ['a cluster and another whose name ends the same', clusterArn('prod-web'), 'web', false],
  ])('%s: %s', (_label, arn, cluster, expected) => {
    expect(sameCluster(arn, cluster)).toBe(expected);
  });
});

describe('partialSecretArn and parameterNameOf', () => {
  it('drops the 6-character suffix from a full ARN by the secret name, never by pattern', () => {
    expect(partialSecretArn(secretArn('prod/db-creds-AbCdEf'), 'prod/db-creds')).toBe(secretArn('prod/db-creds'));
  });

  it.each([
    ['a path', 'arn:aws:ssm:eu-west-1:111122223333:parameter/prod/db/password', '/prod/db/password'],
    ['a top-level name', 'arn:aws:ssm:eu-west-1:111122223333:parameter/token', 'token'],
  ])('names the parameter of %s', (_label, arn, expected) => {
    expect(parameterNameOf(arn)).toBe(expected);
  });
});
