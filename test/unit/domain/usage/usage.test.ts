import type { SecretState } from '../../../../functions/domain/plan/secret-state';
import type { SecretReference } from '../../../../functions/domain/references/references';
import { type Consumer, type Lookup, nameInArn, type Use, usageMap } from '../../../../functions/domain/usage/usage';
import { clusterArn, secretArn, serviceArn, smReference, ssmReference, taskDefinitionArn } from '../../../kit/factories';
import { ACCOUNT } from '../../../kit/test-account';

const DB = secretArn('prod/db-AbCdEf');
const PARAM = `arn:aws:ssm:eu-west-1:${ACCOUNT}:parameter/prod/token`;
const V1 = '8c1f4e2a-9b3d-4c5e-a6f7-0b1c2d3e4f5a';
const V2 = '5e7a9c1b-2d3f-4a5b-8c6d-7e8f9a0b1c2d';
const META = { generatedAt: '2026-11-20T08:00:00.000Z', source: 'scan' as const, notes: [] };

function service(name: string, overrides: Partial<Consumer> = {}): Consumer {
  return {
    kind: 'service',
    name,
    arn: serviceArn('web', name),
    clusterArn: clusterArn('web'),
    taskDefinition: taskDefinitionArn(`${name}:1`),
    ...overrides,
  };
}

function found(state: Partial<SecretState> = {}): Lookup {
  return {
    found: true,
    state: { kind: 'secret', arn: DB, name: 'prod/db', versionIdsToStages: { [V2]: ['AWSCURRENT'], [V1]: ['AWSPREVIOUS'] }, ...state },
  };
}

function use(consumer: Consumer, reference: SecretReference, lookup: Lookup = found()): Use {
  return { consumer, reference, lookup };
}

const attentionOf = (uses: Use[]) => usageMap(uses, META).secrets[0].attention;

describe('usageMap', () => {
  it('groups the references of every consumer under the secret they resolve to, however spelled', () => {
    const map = usageMap(
      [
        use(service('web'), smReference(DB)),
        use(service('web'), smReference(`${DB}:password::`, { name: 'DB_PASSWORD' })),
        use(service('api'), smReference('prod/db', { field: 'repositoryCredentials', name: undefined })),
      ],
      META,
    );
    expect(map.secrets).toHaveLength(1);
    expect(map.secrets[0]).toMatchObject({
      arn: DB,
      name: 'prod/db',
      kind: 'secret',
      region: 'eu-west-1',
      account: ACCOUNT,
      found: true,
      currentVersion: V2,
    });
    expect(map.secrets[0].consumers.map((c) => [c.name, c.references.length])).toEqual([
      ['api', 1],
      ['web', 2],
    ]);
    expect(map.secrets[0].consumers[1].references[1]).toMatchObject({ jsonKey: 'password', name: 'DB_PASSWORD' });
  });

  it('lists services, then standalone tasks, then scheduled tasks, and secrets by name', () => {
    const other = {
      found: true as const,
      state: { kind: 'secret' as const, arn: secretArn('a/first-Zz9Yy8'), name: 'a/first', versionIdsToStages: {} },
    };
    const map = usageMap(
      [
        use(service('nightly', { kind: 'scheduled-task', arn: 'arn:aws:events:eu-west-1:111122223333:rule/nightly' }), smReference(DB)),
        use(service('0123abcd', { kind: 'task', arn: 'arn:aws:ecs:eu-west-1:111122223333:task/web/0123abcd' }), smReference(DB)),
        use(service('web'), smReference(DB)),
        use(service('web'), smReference(secretArn('a/first-Zz9Yy8')), other),
      ],
      META,
    );
    expect(map.secrets.map((s) => s.name)).toEqual(['a/first', 'prod/db']);
    expect(map.secrets[1].consumers.map((c) => c.kind)).toEqual(['service', 'task', 'scheduled-task']);
  });

  it('keeps the meta: when, how found, notes', () => {
    expect(usageMap([], { ...META, notes: ['n'] })).toEqual({ ...META, notes: ['n'], secrets: [], unresolved: [] });
  });

  describe('attention', () => {
    it.each<[string, Use[], { kind: string; message: string; consumers: string[] }[]]>([
      ['nothing for references that follow the current version', [use(service('web'), smReference(DB))], []],
      [
        'a secret that does not exist',
        [
          use(service('web'), smReference('prod/gone'), {
            found: false,
            arn: secretArn('prod/gone'),
            name: 'prod/gone',
            kind: 'secret',
            problem: 'missing',
          }),
        ],
        [{ kind: 'missing', message: 'does not exist: tasks that start cannot read it', consumers: ['web'] }],
      ],
      [
        'a secret that could not be described',
        [
          use(service('web'), smReference(DB), {
            found: false,
            arn: DB,
            name: 'prod/db-AbCdEf',
            kind: 'secret',
            problem: 'unreadable',
            detail: 'AccessDeniedException: no',
          }),
        ],
        [{ kind: 'unreadable', message: 'could not be described (AccessDeniedException: no)', consumers: ['web'] }],
      ],
      [
        'a secret scheduled for deletion',
        [use(service('web'), smReference(DB), found({ deletedDate: '2026-12-01T00:00:00.000Z' }))],
        [
          {
            kind: 'scheduled-for-deletion',
            message: 'scheduled for deletion (2026-12-01T00:00:00.000Z): tasks that start cannot read it',
            consumers: ['web'],
          },
        ],
      ],
      [
        'a pin to a version that is no longer current',
        [use(service('web'), smReference(`${DB}:::${V1}`))],
        [{ kind: 'stale-pin', message: `pinned to version id ${V1}, which is not current (it holds AWSPREVIOUS)`, consumers: ['web'] }],
      ],
      [
        'a pin to a version that has no stage left',
        [use(service('web'), smReference(`${DB}:::0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d`))],
        [
          {
            kind: 'stale-pin',
            message: 'pinned to version id 0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d, which has no stage left (deprecated or deleted)',
            consumers: ['web'],
          },
        ],
      ],
      ['nothing for a pin to the current version', [use(service('web'), smReference(`${DB}::AWSCURRENT:${V2}`))], []],
      [
        'a stage that no version holds',
        [use(service('web'), smReference(`${DB}::BLUE:`))],
        [
          {
            kind: 'unheld-stage',
            message: 'follows stage BLUE, which no version holds: tasks that start cannot read it',
            consumers: ['web'],
          },
        ],
      ],
      [
        'a parameter pinned to an old version',
        [
          use(
            service('web'),
            { ...ssmReference(PARAM), parameterVersion: '3' },
            {
              found: true,
              state: { kind: 'parameter', arn: PARAM, name: '/prod/token', versionIdsToStages: { '5': ['AWSCURRENT'] } },
            },
          ),
        ],
        [{ kind: 'stale-pin', message: 'pinned to version 3; the current version is 5', consumers: ['web'] }],
      ],
      [
        'a secret in another region',
        [
          use(
            service('web'),
            smReference('arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db-AbCdEf'),
            found({ arn: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db-AbCdEf' }),
          ),
        ],
        [
          {
            kind: 'other-region',
            message:
              "in us-east-1, not in the consumers' region (eu-west-1): a change reaches them at the next scheduled reconcile in eu-west-1, " +
              'at once if the deployment in us-east-1 forwards its secret events to eu-west-1 (forwardSecretEventsTo)',
            consumers: ['web'],
          },
        ],
      ],
      [
        'a secret of another account',
        [
          use(
            service('web'),
            smReference('arn:aws:secretsmanager:eu-west-1:444455556666:secret:shared/key-AbCdEf'),
            found({ arn: 'arn:aws:secretsmanager:eu-west-1:444455556666:secret:shared/key-AbCdEf' }),
          ),
        ],
        [
          {
            kind: 'other-account',
            message:
              "in account 444455556666, not the consumers' (111122223333): its changes are not handled (a secret of another account is refused)",
            consumers: ['web'],
          },
        ],
      ],
    ])('%s', (_label, uses, expected) => {
      expect(attentionOf(uses)).toEqual(expected);
    });

    it("handles an allowed owner's secret as the consumers' own, and says which account owns each secret", () => {
      const shared = 'arn:aws:secretsmanager:eu-west-1:444455556666:secret:shared/key-AbCdEf';
      const other = 'arn:aws:secretsmanager:eu-west-1:777788889999:secret:other/key-AbCdEf';
      const uses = [
        use(service('web'), smReference(shared), found({ arn: shared })),
        use(service('web'), smReference(other), found({ arn: other, name: 'other/key' })),
        use(service('web'), smReference(DB)),
      ];
      const secrets = usageMap(uses, META, { kind: 'accounts', accounts: ['444455556666'] }).secrets;
      const of = (arn: string) => secrets.find((s) => s.arn === arn);
      expect(of(shared)).toMatchObject({ account: '444455556666', ownership: 'allowed-owner', attention: [] });
      expect(of(DB)).toMatchObject({ account: ACCOUNT, ownership: 'own' });
      expect(of(other)).toMatchObject({ account: '777788889999', ownership: 'not-allowed' });
      expect(of(other)?.attention.map((a) => a.message)).toEqual([
        `in account 777788889999, not the consumers' (${ACCOUNT}) nor an allowed owner (444455556666): its changes are not handled (a secret of another account is refused)`,
      ]);
      const organization = usageMap(uses, META, { kind: 'organization' }).secrets;
      expect(organization.map((s) => s.ownership).sort()).toEqual(['allowed-owner', 'allowed-owner', 'own']);
    });

    it('names every consumer a finding concerns, once', () => {
      const pinned = smReference(`${DB}:::${V1}`);
      expect(attentionOf([use(service('b'), pinned), use(service('a'), pinned), use(service('a'), { ...pinned, name: 'OTHER' })])).toEqual([
        { kind: 'stale-pin', message: `pinned to version id ${V1}, which is not current (it holds AWSPREVIOUS)`, consumers: ['a', 'b'] },
      ]);
    });

    it('places a scheduled task by its cluster when its task definition is a bare family', () => {
      const task = service('nightly', {
        kind: 'scheduled-task',
        taskDefinition: 'nightly-export',
        clusterArn: 'arn:aws:ecs:us-east-1:111122223333:cluster/batch',
      });
      expect(attentionOf([use(task, smReference(DB))]).map((a) => a.kind)).toEqual(['other-region']);
    });
  });
});

describe('nameInArn', () => {
  it.each([
    [secretArn('prod/gone'), 'prod/gone'],
    [PARAM, '/prod/token'],
    [`arn:aws:ssm:eu-west-1:${ACCOUNT}:parameter/top`, 'top'],
  ])('names %s as %s', (arn, name) => {
    expect(nameInArn(arn)).toBe(name);
  });
});

describe('usageMap: replicated secrets shown as such', () => {
  const PRIMARY = DB.replace(':eu-west-1:', ':us-east-1:');
  const primary = (status: string, statusMessage?: string): SecretState => ({
    kind: 'secret',
    arn: PRIMARY,
    name: 'prod/db',
    versionIdsToStages: { [V2]: ['AWSCURRENT'] },
    replicationStatus: [{ region: 'eu-west-1', status, ...(statusMessage ? { statusMessage } : {}) }],
  });
  const replicaUse = use(service('web'), smReference(DB), found({ primaryRegion: 'us-east-1' }));

  it("shows a replica with its primary's region and its replication status as the primary reports it", () => {
    const map = usageMap([replicaUse], META, undefined, new Map([[PRIMARY, primary('InSync')]]));
    expect(map.secrets[0].replication).toEqual({ role: 'replica', primaryRegion: 'us-east-1', status: 'InSync' });
    expect(map.secrets[0].attention).toEqual([]);
  });

  it('shows a primary with its replicas', () => {
    const map = usageMap([use(service('web'), smReference(PRIMARY), { found: true, state: primary('InProgress') })], META);
    expect(map.secrets[0].replication).toEqual({ role: 'primary', replicas: [{ region: 'eu-west-1', status: 'InProgress' }] });
  });

  it('needs attention for a replica whose replication failed: the primary’s changes no longer reach its consumers', () => {
    const map = usageMap([replicaUse], META, undefined, new Map([[PRIMARY, primary('Failed', 'KMS key disabled')]]));
    expect(map.secrets[0].attention).toEqual([
      {
        kind: 'replication-failed',
        message:
          "a replica whose replication from us-east-1 failed (KMS key disabled): the primary's changes do not reach its consumers until it is repaired",
        consumers: ['web'],
      },
    ]);
  });

  it('shows a replica whose primary was not read without a status, and a secret never replicated without any', () => {
    expect(usageMap([replicaUse], META).secrets[0].replication).toEqual({ role: 'replica', primaryRegion: 'us-east-1' });
    expect(usageMap([use(service('web'), smReference(DB))], META).secrets[0].replication).toBeUndefined();
  });
});
