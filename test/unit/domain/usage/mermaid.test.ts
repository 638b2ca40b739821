import { how, label, usageMermaid } from '../../../../functions/domain/usage/mermaid';
import type { SecretUsage, UsageMap } from '../../../../functions/domain/usage/usage';

function secret(name: string, consumers: SecretUsage['consumers'], overrides: Partial<SecretUsage> = {}): SecretUsage {
  return {
    arn: `arn:aws:secretsmanager:eu-west-1:111122223333:secret:${name}-AbCdEf`,
    name,
    kind: 'secret',
    region: 'eu-west-1',
    account: '111122223333',
    ownership: 'own',
    found: true,
    consumers,
    attention: [],
    ...overrides,
  };
}

function consumer(
  name: string,
  cluster: string,
  overrides: Partial<SecretUsage['consumers'][number]> = {},
): SecretUsage['consumers'][number] {
  return {
    kind: 'service',
    name,
    arn: `arn:aws:ecs:eu-west-1:111122223333:service/${cluster}/${name}`,
    clusterArn: `arn:aws:ecs:eu-west-1:111122223333:cluster/${cluster}`,
    taskDefinition: `arn:aws:ecs:eu-west-1:111122223333:task-definition/${name}:1`,
    references: [{ field: 'secrets', container: 'app', name: 'DB', valueFrom: 'x', jsonKey: 'password' }],
    now: 'follows',
    ...overrides,
  };
}

const map = (secrets: SecretUsage[]): UsageMap => ({ generatedAt: 't', source: 'scan', notes: [], secrets, unresolved: [] });

describe('usageMermaid', () => {
  it('draws secrets, consumers grouped by cluster, and one labelled arrow per use', () => {
    const api = consumer('api', 'web');
    const text = usageMermaid(map([secret('prod/db', [api, consumer('batch', 'jobs')]), secret('prod/key', [api])]));
    expect(text.split('\n')).toEqual([
      'flowchart LR',
      '  subgraph g0["secrets and parameters"]',
      '    s1["prod/db (secret, eu-west-1)"]',
      '    s2["prod/key (secret, eu-west-1)"]',
      '  end',
      '  subgraph g1["cluster web"]',
      '    c1["api (service)"]',
      '  end',
      '  subgraph g2["cluster jobs"]',
      '    c2["batch (service)"]',
      '  end',
      '  s1 -->|"secrets DB, key password"| c1',
      '  s1 -->|"secrets DB, key password"| c2',
      '  s2 -->|"secrets DB, key password"| c1',
      '',
    ]);
  });

  it('names the account of a secret that another account owns', () => {
    const shared = secret('shared/db', [consumer('api', 'web')], { account: '444455556666', ownership: 'allowed-owner' });
    expect(usageMermaid(map([shared]))).toContain('    s1["shared/db (secret, eu-west-1, account 444455556666)"]');
  });

  it('puts scheduled tasks apart with their schedule, and marks secrets that need attention', () => {
    const nightly = consumer('nightly', 'jobs', {
      kind: 'scheduled-task',
      arn: 'arn:aws:events:eu-west-1:111122223333:rule/nightly',
      schedule: 'cron(0 3 * * ? *)',
    });
    const text = usageMermaid(
      map([secret('prod/db', [nightly], { attention: [{ kind: 'missing', message: 'm', consumers: ['nightly'] }] })]),
    );
    expect(text).toContain('  subgraph g1["scheduled tasks"]');
    expect(text).toContain('    c1["nightly (scheduled task, cron(0 3 #42; #42; ? #42;))"]');
    expect(text).toContain('  classDef attention fill:#fde2e2,stroke:#c00000,color:#000000\n  class s1 attention');
  });

  // Names come from the account: a crafted one must not end a label, add a node or a click handler.
  it('never lets a name end its label or add a statement', () => {
    const evil = 'x"] --> s1\n  click s1 "javascript:alert(1)" %%';
    const text = usageMermaid(map([secret(evil, [consumer('a|b', 'web\u202e')])]));
    const lines = text.split('\n');
    expect(lines.filter((l) => l.includes('click'))).toEqual([expect.stringMatching(/^ {4}s1\["x#34;#93; --#62; s1#92;n {2}click/)]);
    expect(lines).toContain('  subgraph g1["cluster web#92;u202e"]');
    expect(text).toContain('c1["a#124;b (service)"]');
  });
});

describe('label', () => {
  it.each([
    ['plain words', 'prod/db-1 (secret, eu-west-1)', 'prod/db-1 (secret, eu-west-1)'],
    ['quotes, brackets, pipes and hashes', '"[]{}|#<>', '#34;#91;#93;#123;#125;#124;#35;#60;#62;'],
    ['a newline and a bidi override, escaped first', 'a\n\u202eb', 'a#92;n#92;u202eb'],
    ['letters outside ASCII', 'clé', 'cl#233;'],
  ])('writes %s safely', (_label, text, expected) => {
    expect(label(text)).toBe(expected);
  });
});

describe('how', () => {
  it.each([
    [
      { field: 'secrets' as const, name: 'DB', valueFrom: 'x', jsonKey: 'k', versionStage: 'AWSPREVIOUS' },
      'secrets DB, key k, stage AWSPREVIOUS',
    ],
    [{ field: 'repositoryCredentials' as const, container: 'app', valueFrom: 'x' }, 'repositoryCredentials app'],
    [
      { field: 'fsxWindowsFileServerVolumeConfiguration' as const, volume: 'share', valueFrom: 'x', versionId: 'v1' },
      'fsxWindowsFileServerVolumeConfiguration share, version id v1',
    ],
    [{ field: 'secrets' as const, name: 'T', valueFrom: 'x', parameterVersion: '3' }, 'secrets T, version 3'],
    [{ field: 'secrets' as const, name: 'T', valueFrom: 'x', parameterLabel: 'blue' }, 'secrets T, label blue'],
  ])('says how %j reads its secret', (reference, expected) => {
    expect(how(reference)).toBe(expected);
  });
});
