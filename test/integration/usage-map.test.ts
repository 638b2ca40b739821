import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { CreateServiceCommand } from '@aws-sdk/client-ecs';
import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { DeleteSecretCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { rebuildIndex } from '../../functions/app/refresh-index';
import { buildUsageMap } from '../../functions/app/usage-map';
import { awsScheduledTasks } from '../../functions/aws/schedules';
import { createStateTable } from '../../functions/aws/state-table/admin';
import type { SecretUsage, UsageMap } from '../../functions/domain/usage/usage';
import { type Emulator, MOTO_ACCOUNT, startEmulator } from '../kit/emulator';
import { type DemoAccount, emulatorClientConfig, registerTaskDefinition, seedDemoAccount } from '../kit/simulated-account';
import { REGION } from '../kit/test-account';

const BIN = resolve(__dirname, '../../bin/ecs-secret-redeploy.js');
const ROLE = `arn:aws:iam::${MOTO_ACCOUNT}:role/scheduled-tasks`;
let emulator: Emulator;
let account: DemoAccount;

/**
 * The demo's account, then what a platform team finds before turning on rotation: a rotated
 * secret that one service still pins by version id, a secret scheduled for deletion, references to
 * a secret and a parameter that do not exist, a parameter pinned to an old version, a secret in
 * another region, and tasks started by an EventBridge rule and an EventBridge Scheduler schedule.
 */
beforeAll(async () => {
  emulator = await startEmulator();
  account = await seedDemoAccount(emulator.ecs, emulator.sm);
  const config = emulatorClientConfig(emulator.moto.endpoint, REGION);
  await emulator.sm.send(new PutSecretValueCommand({ SecretId: account.secrets.ordersDb.arn, SecretString: '{"password":"rotated"}' }));
  await emulator.sm.send(new DeleteSecretCommand({ SecretId: account.secrets.ordersDbCreds.arn, RecoveryWindowInDays: 7 }));
  const ssm = new SSMClient(config);
  await ssm.send(new PutParameterCommand({ Name: '/prod/token', Value: 'one', Type: 'SecureString' }));
  await ssm.send(new PutParameterCommand({ Name: '/prod/token', Value: 'two', Type: 'SecureString', Overwrite: true }));
  const tokens = await registerTaskDefinition(emulator.ecs, 'tokens', [
    {
      name: 'app',
      secrets: [
        { name: 'TOKEN', valueFrom: '/prod/token:1' },
        { name: 'GONE', valueFrom: '/prod/gone' },
        { name: 'REMOTE', valueFrom: `arn:aws:secretsmanager:us-east-1:${MOTO_ACCOUNT}:secret:prod/remote-AbCdEf` },
      ],
      repositoryCredentials: 'registry/missing',
    },
  ]);
  await emulator.ecs.send(
    new CreateServiceCommand({ cluster: account.clusters.web, serviceName: 'tokens', taskDefinition: tokens, desiredCount: 1 }),
  );
  const payments = account.world.taskDefinitionArns.get('payments') as string;
  const events = new EventBridgeClient(config);
  await events.send(new PutRuleCommand({ Name: 'nightly-payments', ScheduleExpression: 'cron(0 3 * * ? *)' }));
  await events.send(
    new PutTargetsCommand({
      Rule: 'nightly-payments',
      Targets: [{ Id: 'task', Arn: account.clusters.batch, RoleArn: ROLE, EcsParameters: { TaskDefinitionArn: payments } }],
    }),
  );
  await new SchedulerClient(config).send(
    new CreateScheduleCommand({
      Name: 'hourly-payments',
      ScheduleExpression: 'rate(1 hour)',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: { Arn: account.clusters.batch, RoleArn: ROLE, EcsParameters: { TaskDefinitionArn: payments } },
    }),
  );
}, 60_000);

afterAll(async () => {
  await emulator?.moto.stop();
});

function mapOf(inventory: 'index' | 'scan'): Promise<UsageMap> {
  const ports = emulator.ports();
  return buildUsageMap({ ...ports, schedules: awsScheduledTasks(ports.config, ports.clients) }, { inventory });
}

const byName = (map: UsageMap, name: string) => map.secrets.find((s) => s.name === name) as SecretUsage;

describe('the secret-usage map against moto_server', () => {
  let map: UsageMap;
  beforeAll(async () => {
    map = await mapOf('scan');
  }, 60_000);

  it('lists every referenced secret and parameter with its consumers, scheduled tasks included', () => {
    expect(map.secrets.map((s) => s.name).sort()).toEqual([
      '/prod/gone',
      '/prod/token',
      'prod/orders-db',
      'prod/orders-db-creds',
      'prod/payments-api-key',
      'prod/remote-AbCdEf',
      'registry/missing',
    ]);
    expect(byName(map, 'prod/orders-db').consumers.map((c) => c.name)).toEqual([
      'orders-api',
      'orders-archiver',
      'orders-ledger',
      'orders-reports',
      'orders-worker',
    ]);
    expect(byName(map, 'prod/payments-api-key').consumers.map((c) => [c.kind, c.name, c.schedule])).toEqual([
      ['service', 'payments', undefined],
      ['scheduled-task', 'default/hourly-payments', 'rate(1 hour)'],
      ['scheduled-task', 'nightly-payments', 'cron(0 3 * * ? *)'],
    ]);
  });

  it('says what needs attention', () => {
    const kinds = Object.fromEntries(map.secrets.map((s) => [s.name, s.attention.map((a) => a.kind)]));
    expect(kinds).toEqual({
      '/prod/gone': ['missing'],
      '/prod/token': ['stale-pin'],
      'prod/orders-db': ['stale-pin'],
      'prod/orders-db-creds': ['scheduled-for-deletion'],
      'prod/payments-api-key': [],
      'prod/remote-AbCdEf': ['missing', 'other-region'],
      'registry/missing': ['missing'],
    });
    expect(byName(map, 'prod/orders-db').attention[0]).toEqual({
      kind: 'stale-pin',
      message: `pinned to version id ${account.secrets.ordersDb.versionId}, which is not current (it holds AWSPREVIOUS)`,
      consumers: ['orders-reports'],
    });
    expect(byName(map, '/prod/token').attention[0].message).toBe('pinned to version 1; the current version is 2');
  });

  it('finds the same consumers through the index, with a note on what the index cannot know', async () => {
    await createStateTable(emulator.ports().table);
    await rebuildIndex(emulator.ports());
    const indexed = await mapOf('index');
    expect(indexed.source).toBe('index');
    expect(byName(indexed, 'prod/orders-db').consumers.map((c) => c.name)).toEqual(
      byName(map, 'prod/orders-db').consumers.map((c) => c.name),
    );
    expect(indexed.notes[0]).toContain('--scan reads the task definitions as they are now');
  }, 60_000);

  it('prints the map as a Mermaid graph from the CLI', () => {
    const run = spawnSync(process.execPath, [BIN, 'secrets', '--scan', '--output', 'mermaid', '--no-fence'], {
      env: { ...process.env, ...emulator.env },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^flowchart LR\n/);
    expect(run.stdout).toContain('["nightly-payments (scheduled task, cron(0 3 #42; #42; ? #42;))"]');
    expect(run.stdout).toMatch(/class (s\d+,)*s\d+ attention\n$/);
  });
});
