import type { ConsumerStatus, SecretStatus } from '../../../functions/app/status';
import { statusRendering } from '../../../functions/cli/status-format';

const ACCOUNT = '111122223333';
const VERSION = '74d09f4f-0963-42e8-99e9-e409a6959d93';
const OLD = '0c4b2a41-9d1e-4f43-8a63-51c1f0e2d7aa';
const cluster = (name: string) => `arn:aws:ecs:eu-west-1:${ACCOUNT}:cluster/${name}`;

function consumer(name: string, clusterName: string, fields: Partial<ConsumerStatus>): ConsumerStatus {
  return {
    service: `arn:aws:ecs:eu-west-1:${ACCOUNT}:service/${clusterName}/${name}`,
    serviceName: name,
    cluster: cluster(clusterName),
    state: 'up-to-date',
    current: { AWSCURRENT: VERSION },
    runs: { AWSCURRENT: VERSION },
    fullyOnCurrent: false,
    now: 'deploying',
    ...fields,
  };
}

/** The demo's account after a rotation: one service on current, three deploying, one pinned; long names too. */
const status: SecretStatus = {
  secret: { arn: `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:prod/orders-db-uUvAHy`, name: 'prod/orders-db', versionId: VERSION },
  rollout: {
    key: `AWSCURRENT=${VERSION}`,
    status: 'in-progress',
    startedAt: '2026-12-03T08:39:27.240Z',
    changedAt: '2026-12-03T08:39:27.172Z',
  },
  consumers: [
    consumer('orders-api', 'prod-web', {
      wave: 1,
      deploymentId: 'ecs-svc/100354355923782633',
      deploymentState: 'IN_PROGRESS',
      tasks: { running: 4, onOlderVersions: 2 },
    }),
    consumer('orders-archiver', 'prod-batch', { fullyOnCurrent: true, now: 'current', tasks: { running: 0, onOlderVersions: 0 } }),
    consumer('orders-ledger-reconciliation-worker-eu-central', 'payments-production-cluster', {
      wave: 12,
      deploymentId: 'ecs-svc/346662055813964250',
      deploymentState: 'IN_PROGRESS',
      tasks: { running: 120, onOlderVersions: 60 },
    }),
    consumer('orders-reports', 'prod-batch', { state: 'pinned', now: 'pinned', current: undefined, runs: undefined }),
    consumer('orders-worker', 'prod-web', {
      state: 'behind',
      now: 'waiting',
      reason: 'wave 2: waits for wave 1 (2 deployment(s) in progress: orders-api, orders-ledger-reconciliation-worker-eu-central)',
      runs: { AWSCURRENT: OLD },
      tasks: { running: 2, onOlderVersions: 2 },
    }),
  ],
  standaloneTasks: 0,
  counts: { 'up-to-date': 3, behind: 1, claimed: 0, pinned: 1, unattached: 0, 'no-record': 0 },
  now: { waiting: 1, deploying: 2, current: 1, pinned: 1 },
  summary: `5 service(s) on AWSCURRENT=${VERSION}: 1 waiting, 2 deploying, 1 current, 1 pinned; 64 task(s) on older versions`,
  done: false,
};

describe('status as a table', () => {
  const text = statusRendering(status).table({ color: false });

  it('fits 80 columns by default, long names cut with "…"', () => {
    expect(Math.max(...text.split('\n').map((line) => line.length))).toBeLessThanOrEqual(80);
    expect(text).toMatchSnapshot();
  });

  it('says per consumer what is true now, and a summary whose counts are those of the rows', () => {
    const rows = text.split('\n').filter((line) => line.startsWith('orders-'));
    expect(rows.map((row) => row.split(/\s{2,}/)[3])).toEqual(['deploying', 'current', 'deploying', 'pinned', 'waiting']);
    expect(text).toContain('\n1 waiting, 2 deploying, 1 current, 1 pinned; 64 tasks on older versions\n');
  });

  it('shows every detail with --wide: versions, deployment, the full names', () => {
    const wide = statusRendering(status, { wide: true }).table({ color: false });
    expect(wide).toMatch(/SERVICE\s+CLUSTER\s+WAVE\s+NOW\s+RUNS\s+CURRENT\s+DEPLOYMENT\s+TASKS ON CURRENT\s+WHY/);
    expect(wide).toContain('wave 2: waits for wave 1');
    expect(wide).toContain('orders-ledger-reconciliation-worker-eu-central  payments-production-cluster');
    expect(wide).toContain('ecs-svc/346662055813964250 IN_PROGRESS');
    expect(wide).toContain(`AWSCURRENT=${OLD}`);
  });

  it.each([
    ['first-sight', '(first seen)'],
    ['baseline', '(since indexed)'],
    ['no-tasks', '-'],
  ] as const)('names where a record of kind %s without a deployment of ours came from, with --wide', (via, shown) => {
    const one = { ...status, consumers: [consumer('orders-archiver', 'prod-batch', { via, now: 'current' })] };
    const row = statusRendering(one, { wide: true })
      .table({ color: false })
      .split('\n')
      .find((line) => line.startsWith('orders-archiver'));
    expect(row?.split(/\s{2,}/)).toContain(shown);
  });
});

describe('status of a replicated secret', () => {
  const replica = (replication: SecretStatus['replication'], warnings?: string[]): SecretStatus => ({
    ...status,
    replication,
    ...(warnings ? { warnings } : {}),
  });
  const heading = (s: SecretStatus) => statusRendering(s).table({ color: false }).split('\n\n')[0];

  it("names a replica's primary region and how replication stands, under the secret", () => {
    expect(heading(replica({ role: 'replica', primaryRegion: 'us-east-1', status: 'InSync' }))).toMatch(
      /\nreplica: of us-east-1 \(InSync\)\nrollout:/,
    );
  });

  it('says what its consumers wait for while the change is not here yet', () => {
    const waiting = replica({
      role: 'replica',
      primaryRegion: 'us-east-1',
      status: 'InProgress',
      holds: 'replication from us-east-1 to eu-west-1 is InProgress: the replica does not hold AWSCURRENT v3 yet',
    });
    expect(heading(waiting)).toContain(
      'replica: of us-east-1 (InProgress)\nwaiting: replication from us-east-1 to eu-west-1 is InProgress: the replica does not hold AWSCURRENT v3 yet',
    );
  });

  it('shows a failed replication and its warning', () => {
    const failed = replica({ role: 'replica', primaryRegion: 'us-east-1', status: 'Failed', statusMessage: 'KMS key disabled' }, [
      'replication of prod/orders-db from us-east-1 to eu-west-1 failed: KMS key disabled',
    ]);
    expect(heading(failed)).toContain(
      'replica: of us-east-1 (Failed: KMS key disabled)\nwarning: replication of prod/orders-db from us-east-1 to eu-west-1 failed: KMS key disabled',
    );
    expect(statusRendering(failed).text()).toContain('REPLICA\tus-east-1\tFailed\tKMS key disabled\t\n');
  });

  it("lists a primary's replicas", () => {
    const primary = replica({
      role: 'primary',
      replicas: [
        { region: 'eu-west-1', status: 'InSync' },
        { region: 'ap-south-1', status: 'InProgress' },
      ],
    });
    expect(heading(primary)).toContain('\nreplicas: eu-west-1 InSync, ap-south-1 InProgress\n');
    expect(statusRendering(primary).text()).toContain('REPLICATED\tap-south-1\tInProgress\t\n');
  });
});

describe('a CODE_DEPLOY consumer', () => {
  const blueGreen: SecretStatus = {
    ...status,
    consumers: [
      consumer('checkout', 'prod-web', {
        wave: 1,
        deploymentId: 'd-KD7CW5ZZ1',
        deploymentState: 'IN_PROGRESS',
        strategy: 'CODE_DEPLOY',
        codeDeployment: {
          id: 'd-KD7CW5ZZ1',
          application: 'AppECS-prod-web-checkout',
          group: 'DgpECS-prod-web-checkout',
          status: 'Ready',
          text: 'Ready: the replacement task set waits for traffic to be rerouted',
          waits: 'ECSAllAtOnce, ready wait 30 min, termination wait 60 min',
          waitsEndAt: '2026-12-03T10:09:27.240Z',
        },
      }),
    ],
  };

  it('has its CodeDeploy deployment (id, status) and when its waits end under the table, within 80 columns', () => {
    const table = statusRendering(blueGreen).table({ color: false });
    expect(table).toContain(
      [
        'checkout: CODE_DEPLOY',
        '  CodeDeploy deployment d-KD7CW5ZZ1 Ready: the replacement task set waits for traffic to be rerouted',
        '  waits end 2026-12-03T10:09:27Z (ECSAllAtOnce, ready wait 30 min, termination wait 60 min)',
      ].join('\n'),
    );
    expect(statusRendering(blueGreen, { wide: true }).table({ color: false })).toContain('  CodeDeploy deployment d-KD7CW5ZZ1 Ready');
  });

  it('has a CODEDEPLOY record in text, and the deployment in JSON', () => {
    expect(statusRendering(blueGreen).text()).toContain(
      'CODEDEPLOY\tcheckout\td-KD7CW5ZZ1\tReady\tAppECS-prod-web-checkout\tDgpECS-prod-web-checkout\t2026-12-03T10:09:27.240Z\t',
    );
    expect(statusRendering(blueGreen).json).toMatchObject({ consumers: [{ codeDeployment: { id: 'd-KD7CW5ZZ1', status: 'Ready' } }] });
  });
});
