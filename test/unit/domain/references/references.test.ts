import type { ContainerDefinition, Volume } from '@aws-sdk/client-ecs';
import type { Location } from '../../../../functions/domain/identity/arn';
import { extractReferences, followedStage, pinOf } from '../../../../functions/domain/references/references';
import { HOME, secretArn, smReference, ssmReference, taskDefinition, taskDefinitionArn } from '../../../kit/factories';
import { ACCOUNT } from '../../../kit/test-account';

const DB = secretArn('prod/db-AbCdEf');
const PARAM = `arn:aws:ssm:eu-west-1:${ACCOUNT}:parameter/prod/orders/api-token`;
const V1 = '8c1f4e2a-9b3d-4c5e-a6f7-0b1c2d3e4f5a';

function container(name: string, parts: Partial<ContainerDefinition> = {}): ContainerDefinition {
  return { name, image: `public.ecr.aws/docker/library/${name}:latest`, essential: true, ...parts };
}

function withSecrets(...valueFroms: string[]): ContainerDefinition {
  return container('app', { secrets: valueFroms.map((valueFrom, i) => ({ name: `VAR_${i}`, valueFrom })) });
}

function fsxVolume(name: string, credentialsParameter: string): Volume {
  return {
    name,
    fsxWindowsFileServerVolumeConfiguration: {
      fileSystemId: 'fs-0123456789abcdef0',
      rootDirectory: 'share',
      authorizationConfig: { credentialsParameter, domain: 'corp.example.com' },
    },
  };
}

describe('extractReferences', () => {
  it('finds nothing in a task definition without an ARN (its location is unknown)', () => {
    expect(extractReferences({ containerDefinitions: [withSecrets(DB)] })).toEqual([]);
  });

  it('finds nothing in a task definition without secrets', () => {
    expect(
      extractReferences(taskDefinition({ containerDefinitions: [container('app', { environment: [{ name: 'A', value: DB }] })] })),
    ).toEqual([]);
  });

  describe('containerDefinitions[].secrets', () => {
    it('reads a full Secrets Manager ARN with its container and variable name', () => {
      const [ref] = extractReferences(
        taskDefinition({ containerDefinitions: [container('web', { secrets: [{ name: 'DB_PASSWORD', valueFrom: DB }] })] }),
      );
      expect(ref).toEqual({
        field: 'secrets',
        container: 'web',
        name: 'DB_PASSWORD',
        valueFrom: DB,
        store: 'secretsmanager',
        secret: { secretId: DB, namePart: 'prod/db-AbCdEf', isArn: true, location: HOME },
      });
    });

    it('reads a partial ARN and trailing json-key / stage / id fields', () => {
      const refs = extractReferences(
        taskDefinition({
          containerDefinitions: [
            withSecrets(secretArn('prod/db'), `${DB}:password::`, `${DB}::AWSPREVIOUS:`, `${DB}:::8c1f4e2a-9b3d-4c5e-a6f7-0b1c2d3e4f5a`),
          ],
        }),
      );
      expect(refs.map((r) => r.secret)).toEqual([
        { secretId: secretArn('prod/db'), namePart: 'prod/db', isArn: true, location: HOME },
        { secretId: DB, namePart: 'prod/db-AbCdEf', isArn: true, location: HOME, jsonKey: 'password' },
        { secretId: DB, namePart: 'prod/db-AbCdEf', isArn: true, location: HOME, versionStage: 'AWSPREVIOUS' },
        { secretId: DB, namePart: 'prod/db-AbCdEf', isArn: true, location: HOME, versionId: '8c1f4e2a-9b3d-4c5e-a6f7-0b1c2d3e4f5a' },
      ]);
      expect(refs.map((r) => r.valueFrom)).toEqual([
        secretArn('prod/db'),
        `${DB}:password::`,
        `${DB}::AWSPREVIOUS:`,
        `${DB}:::8c1f4e2a-9b3d-4c5e-a6f7-0b1c2d3e4f5a`,
      ]);
    });

    it('reads an SSM parameter ARN as an SSM reference', () => {
      const [ref] = extractReferences(taskDefinition({ containerDefinitions: [withSecrets(PARAM)] }));
      expect(ref).toMatchObject({ field: 'secrets', store: 'ssm', parameterArn: PARAM, valueFrom: PARAM });
      expect(ref.secret).toBeUndefined();
    });

    it('reads plain names as SSM parameters of the task definition region: "/a/b" and "a/b" are the same', () => {
      const refs = extractReferences(
        taskDefinition({ containerDefinitions: [withSecrets('/prod/orders/api-token', 'prod/orders/api-token')] }),
      );
      expect(refs.map((r) => [r.store, r.parameterArn])).toEqual([
        ['ssm', PARAM],
        ['ssm', PARAM],
      ]);
    });

    it('reads a plain name that looks like a secret name as an SSM parameter, not a secret', () => {
      const [ref] = extractReferences(taskDefinition({ containerDefinitions: [withSecrets('prod/db-AbCdEf')] }));
      expect(ref.store).toBe('ssm');
      expect(ref.secret).toBeUndefined();
    });

    it('reads a secret of another region with that region', () => {
      const other = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:prod/db-AbCdEf`;
      const [ref] = extractReferences(taskDefinition({ containerDefinitions: [withSecrets(other)] }));
      expect(ref.secret?.location).toEqual({ partition: 'aws', region: 'us-east-1', account: ACCOUNT });
    });

    it('reads names with / _ + = . @ - and service-owned rds! names', () => {
      const names = ['team/app_db+x=y.z@corp-1-AbCdEf', 'rds!db-2f4e6a8c-1b3d-4e5f-9a7b-0c1d2e3f4a5b-Xy12Zq'];
      const refs = extractReferences(
        taskDefinition({ containerDefinitions: [withSecrets(...names.map((n) => `${secretArn(n)}:password::`))] }),
      );
      expect(refs.map((r) => r.secret?.namePart)).toEqual(names);
    });
  });

  describe('containerDefinitions[].logConfiguration.secretOptions', () => {
    it('reads Secrets Manager ARNs, SSM ARNs and plain SSM names with the option name', () => {
      const refs = extractReferences(
        taskDefinition({
          containerDefinitions: [
            container('log_router', {
              logConfiguration: {
                logDriver: 'awsfirelens',
                secretOptions: [
                  { name: 'apikey', valueFrom: `${DB}:apikey::` },
                  { name: 'token', valueFrom: PARAM },
                  { name: 'license', valueFrom: 'prod/orders/api-token' },
                ],
              },
            }),
          ],
        }),
      );
      expect(refs.map((r) => [r.field, r.container, r.name, r.store])).toEqual([
        ['logConfiguration.secretOptions', 'log_router', 'apikey', 'secretsmanager'],
        ['logConfiguration.secretOptions', 'log_router', 'token', 'ssm'],
        ['logConfiguration.secretOptions', 'log_router', 'license', 'ssm'],
      ]);
      expect(refs[0].secret?.jsonKey).toBe('apikey');
      expect(refs[2].parameterArn).toBe(PARAM);
    });
  });

  describe('containerDefinitions[].repositoryCredentials', () => {
    it('reads a plain name as a Secrets Manager secret in the task definition location', () => {
      const [ref] = extractReferences(
        taskDefinition({
          containerDefinitions: [container('app', { repositoryCredentials: { credentialsParameter: 'registry/dockerhub' } })],
        }),
      );
      expect(ref).toEqual({
        field: 'repositoryCredentials',
        container: 'app',
        valueFrom: 'registry/dockerhub',
        store: 'secretsmanager',
        secret: { secretId: 'registry/dockerhub', namePart: 'registry/dockerhub', isArn: false, location: HOME },
      });
    });

    it('reads a full ARN', () => {
      const arn = secretArn('registry/dockerhub-Qw3rTy');
      const [ref] = extractReferences(
        taskDefinition({ containerDefinitions: [container('app', { repositoryCredentials: { credentialsParameter: arn } })] }),
      );
      expect(ref.secret).toMatchObject({ secretId: arn, namePart: 'registry/dockerhub-Qw3rTy', isArn: true });
    });
  });

  describe('volumes[].fsxWindowsFileServerVolumeConfiguration', () => {
    it('reads authorizationConfig.credentialsParameter with the volume name', () => {
      const [ref] = extractReferences(taskDefinition({ containerDefinitions: [container('app')], volumes: [fsxVolume('share', DB)] }));
      expect(ref).toMatchObject({
        field: 'fsxWindowsFileServerVolumeConfiguration',
        volume: 'share',
        valueFrom: DB,
        store: 'secretsmanager',
      });
      expect(ref.container).toBeUndefined();
      expect(ref.secret?.secretId).toBe(DB);
    });

    it('reads an SSM parameter ARN there too', () => {
      const [ref] = extractReferences(taskDefinition({ volumes: [fsxVolume('share', PARAM)] }));
      expect(ref).toMatchObject({ store: 'ssm', parameterArn: PARAM });
    });

    it('ignores volumes of other kinds', () => {
      expect(extractReferences(taskDefinition({ volumes: [{ name: 'scratch', host: { sourcePath: '/tmp' } }] }))).toEqual([]);
    });
  });

  it('finds every reference of every container and volume, in order', () => {
    const refs = extractReferences(
      taskDefinition({
        containerDefinitions: [
          container('web', {
            secrets: [{ name: 'A', valueFrom: DB }],
            repositoryCredentials: { credentialsParameter: 'registry/dockerhub' },
          }),
          container('worker', {
            secrets: [{ name: 'B', valueFrom: PARAM }],
            logConfiguration: { logDriver: 'splunk', secretOptions: [{ name: 'splunk-token', valueFrom: `${DB}:splunk::` }] },
          }),
        ],
        volumes: [fsxVolume('share', DB)],
      }),
    );
    expect(refs.map((r) => [r.field, r.container ?? r.volume])).toEqual([
      ['secrets', 'web'],
      ['repositoryCredentials', 'web'],
      ['secrets', 'worker'],
      ['logConfiguration.secretOptions', 'worker'],
      ['fsxWindowsFileServerVolumeConfiguration', 'share'],
    ]);
  });

  it.each([
    ['trailing fields that do not come as three', `${DB}:password`],
    ['an ARN of another service', `arn:aws:s3:::my-bucket/secret.env`],
    ['an ARN of an unknown partition', `arn:aws-mars:secretsmanager:eu-west-1:${ACCOUNT}:secret:prod/db`],
    ['an ARN with a malformed region', `arn:aws:secretsmanager:us east 1:${ACCOUNT}:secret:prod/db`],
    ['an SSM name with an invalid selector', '/prod/orders/api-token:awsLatest'],
  ])('leaves out a reference ECS could not resolve: %s', (_label, valueFrom) => {
    expect(extractReferences(taskDefinition({ containerDefinitions: [withSecrets(valueFrom, DB)] })).map((r) => r.valueFrom)).toEqual([DB]);
  });

  it('skips an empty valueFrom', () => {
    expect(extractReferences(taskDefinition({ containerDefinitions: [withSecrets('')] }))).toEqual([]);
  });

  it('leaves out a plain repositoryCredentials name containing ":"', () => {
    expect(
      extractReferences(
        taskDefinition({
          containerDefinitions: [container('app', { repositoryCredentials: { credentialsParameter: 'registry:dockerhub' } })],
        }),
      ),
    ).toEqual([]);
  });

  // Regression: a secret reference with both a stage and a version id was dropped. The ECS agent
  // accepts it (amazon-ecs-agent, agent/taskresource/asmsecret, getASMParametersFromInput).
  it('keeps a Secrets Manager reference with a stage and a version id, pinned by the id', () => {
    const [ref] = extractReferences(taskDefinition({ containerDefinitions: [withSecrets(`${DB}:password:AWSCURRENT:${V1}`)] }));
    expect(ref.secret).toMatchObject({ secretId: DB, jsonKey: 'password', versionStage: 'AWSCURRENT', versionId: V1 });
    expect(followedStage(ref)).toBeUndefined();
  });

  // Regression: the selector stayed in the parameter name, so the reference named a parameter that
  // does not exist. GetParameters reads "name:version" and "name:label" (SSM API reference,
  // GetParameters, Names); ECS passes valueFrom to it (amazon-ecs-agent, agent/taskresource/ssmsecret).
  describe('SSM references with a version or label selector', () => {
    it.each([
      ['a name with a version', '/prod/orders/api-token:3', { parameterVersion: '3' }],
      ['a name with a label', 'prod/orders/api-token:my-label', { parameterLabel: 'my-label' }],
      ['an ARN with a version', `${PARAM}:3`, { parameterVersion: '3' }],
      ['an ARN with a label', `${PARAM}:my-label`, { parameterLabel: 'my-label' }],
    ])('reads %s as the parameter itself, pinned', (_label, valueFrom, pin) => {
      const [ref] = extractReferences(taskDefinition({ containerDefinitions: [withSecrets(valueFrom)] }));
      expect(ref).toEqual({ field: 'secrets', container: 'app', name: 'VAR_0', valueFrom, store: 'ssm', parameterArn: PARAM, ...pin });
      expect(followedStage(ref)).toBeUndefined();
    });
  });

  // Regression: task definitions of the ISO partitions and of aws-eusc yielded no references at all
  // (their partitions were unknown). The list is the SDK's partitions data (@aws-sdk/core, util-endpoints).
  describe.each<[string, Location]>([
    ['aws-cn', { partition: 'aws-cn', region: 'cn-north-1', account: ACCOUNT }],
    ['aws-us-gov', { partition: 'aws-us-gov', region: 'us-gov-west-1', account: ACCOUNT }],
    ['aws-iso', { partition: 'aws-iso', region: 'us-iso-east-1', account: ACCOUNT }],
    ['aws-iso-b', { partition: 'aws-iso-b', region: 'us-isob-east-1', account: ACCOUNT }],
    ['aws-iso-e', { partition: 'aws-iso-e', region: 'eu-isoe-west-1', account: ACCOUNT }],
    ['aws-iso-f', { partition: 'aws-iso-f', region: 'us-isof-south-1', account: ACCOUNT }],
    ['aws-eusc', { partition: 'aws-eusc', region: 'eusc-de-east-1', account: ACCOUNT }],
  ])('in the %s partition', (partition, location) => {
    const arn = taskDefinitionArn('orders-api:7', location);

    it('reads plain SSM names in the task definition partition and region', () => {
      const [ref] = extractReferences(taskDefinition({ containerDefinitions: [withSecrets('/a/b')] }, arn));
      expect(ref.parameterArn).toBe(`arn:${partition}:ssm:${location.region}:${ACCOUNT}:parameter/a/b`);
    });

    it('reads plain repositoryCredentials names in the task definition location', () => {
      const [ref] = extractReferences(
        taskDefinition(
          { containerDefinitions: [container('app', { repositoryCredentials: { credentialsParameter: 'registry/dockerhub' } })] },
          arn,
        ),
      );
      expect(ref.secret?.location).toEqual(location);
    });

    it('reads secret ARNs of that partition', () => {
      const [ref] = extractReferences(taskDefinition({ containerDefinitions: [withSecrets(secretArn('prod/db-AbCdEf', location))] }, arn));
      expect(ref).toMatchObject({ store: 'secretsmanager', secret: { location } });
    });
  });
});

describe('followedStage', () => {
  it('follows AWSCURRENT by default', () => {
    expect(followedStage(smReference(DB))).toBe('AWSCURRENT');
  });

  it('follows AWSCURRENT when only a json key is given', () => {
    expect(followedStage(smReference(`${DB}:password::`))).toBe('AWSCURRENT');
  });

  it('follows AWSPREVIOUS when the reference names it', () => {
    expect(followedStage(smReference(`${DB}::AWSPREVIOUS:`))).toBe('AWSPREVIOUS');
  });

  it('follows a custom stage', () => {
    expect(followedStage(smReference(`${DB}:password:BLUE:`))).toBe('BLUE');
  });

  it('follows nothing when pinned to a version id', () => {
    expect(followedStage(smReference(`${DB}:password::8c1f4e2a-9b3d-4c5e-a6f7-0b1c2d3e4f5a`))).toBeUndefined();
  });

  it('follows nothing when pinned to a version id, even with a stage beside it', () => {
    expect(followedStage(smReference(`${DB}::AWSCURRENT:${V1}`))).toBeUndefined();
  });

  it('treats a plain name reference like the default stage', () => {
    expect(followedStage(smReference('registry/dockerhub', { field: 'repositoryCredentials' }))).toBe('AWSCURRENT');
  });
});

describe('pinOf', () => {
  it.each([
    ['a version id', smReference(`${DB}:::${V1}`), `version id ${V1}`],
    ['a parameter version', { ...ssmReference(PARAM), parameterVersion: '3' }, 'version 3'],
    ['a parameter label', { ...ssmReference(PARAM), parameterLabel: 'blue' }, 'label blue'],
    ['nothing for a stage', smReference(`${DB}::AWSPREVIOUS:`), undefined],
    ['nothing for an unpinned parameter', ssmReference(PARAM), undefined],
  ])('names %s', (_label, reference, expected) => {
    expect(pinOf(reference)).toBe(expected);
  });
});
