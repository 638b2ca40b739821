import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { type Emulator, secretEvents, startEmulator } from '../support/emulator';
import { type DemoAccount, seedDemoAccount } from '../support/world';

const BIN = resolve(__dirname, '../../bin/ecs-secret-redeploy.js');
let emulator: Emulator;
let account: DemoAccount;
const dir = mkdtempSync(join(tmpdir(), 'esr-cli-'));

beforeAll(async () => {
  emulator = await startEmulator();
  account = await seedDemoAccount(emulator.ecs, emulator.sm);
}, 60_000);

afterAll(async () => {
  await emulator?.moto.stop();
});

/** Runs the installed CLI (bin -> dist, built by `npm ci`/`npm test`) against the emulator. */
function cli(args: string[], input?: string) {
  const out = spawnSync(process.execPath, [BIN, ...args], {
    env: { ...process.env, ...emulator.env },
    input,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: out.status, stdout: out.stdout, stderr: out.stderr };
}

describe('ecs-secret-redeploy CLI', () => {
  it('prints help and exits 0', () => {
    const run = cli(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('plan SECRET');
    expect(run.stdout).toContain('Exit codes');
  });

  it('plans by live scan without a state table and says so on stderr', () => {
    const run = cli(['plan', 'prod/orders-db', '--json']);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('live scan without the exactly-once guard');
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({
      secret: { arn: account.secrets.ordersDb.arn, name: 'prod/orders-db', versionId: account.secrets.ordersDb.versionId },
      trigger: { source: 'manual' },
      action: 'redeploy',
      dryRun: true,
      standaloneTasks: [],
    });
    const api = report.services.find((s: { serviceName: string }) => s.serviceName === 'orders-api');
    expect(api).toMatchObject({
      cluster: account.clusters.web,
      service: expect.stringContaining(':service/prod-web/orders-api'),
      taskDefinition: expect.stringContaining('task-definition/orders-api:1'),
      outcome: 'would-redeploy',
      references: [
        {
          field: 'secrets',
          container: 'app',
          name: 'DB_PASSWORD',
          jsonKey: 'password',
          valueFrom: `${account.secrets.ordersDb.arn}:password::`,
        },
      ],
    });
  });

  it('creates the state table once, builds and shows the index', () => {
    expect(cli(['init']).stdout).toContain('created');
    expect(cli(['init']).stdout).toContain('already exists');
    const rebuild = cli(['index', 'rebuild', '--json']);
    expect(rebuild.code).toBe(0);
    expect(JSON.parse(rebuild.stdout)).toMatchObject({ clusters: 2, services: 7, secrets: 3 });
    const show = JSON.parse(cli(['index', 'show', 'prod/orders-db', '--json']).stdout);
    expect(show.entries.map((e: { name: string }) => e.name).sort()).toEqual([
      'orders-api',
      'orders-archiver',
      'orders-ledger',
      'orders-reports',
      'orders-worker',
    ]);
  });

  it('finds nothing to do right after indexing: every consumer runs the current version', () => {
    const run = cli(['redeploy', account.secrets.ordersDb.arn]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/orders-api\s+prod-web\s+skipped\s+up to date: runs AWSCURRENT=/);
    expect(run.stdout).toContain('0 redeployed');
  });

  it('redeploys once after the secret changed, then reports the services as up to date', async () => {
    await emulator.sm.send(new PutSecretValueCommand({ SecretId: account.secrets.ordersDb.arn, SecretString: '{"password":"rotated"}' }));
    const first = cli(['redeploy', account.secrets.ordersDb.arn]);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/orders-api\s+prod-web\s+redeployed/);
    expect(first.stdout).toContain('3 redeployed');
    const second = cli(['redeploy', account.secrets.ordersDb.arn]);
    expect(second.stdout).toMatch(/orders-api\s+prod-web\s+skipped\s+up to date: runs AWSCURRENT=\S+, by deployment/);
    expect(second.stdout).toContain('0 redeployed');
  });

  it('handles an EventBridge event from a file and from standard input', async () => {
    // The start of a rotation: the new version is only AWSPENDING, so nothing is due.
    const event = secretEvents(account.secrets.paymentsKey.arn).putSecretValue(['AWSPENDING']);
    const file = join(dir, 'event.json');
    writeFileSync(file, JSON.stringify(event));
    const fromFile = cli(['handle-event', file, '--json']);
    expect(fromFile.code).toBe(0);
    expect(JSON.parse(fromFile.stdout).services).toEqual([expect.objectContaining({ serviceName: 'payments', outcome: 'skipped' })]);
    await emulator.sm.send(new PutSecretValueCommand({ SecretId: account.secrets.paymentsKey.arn, SecretString: 'rotated' }));
    const fromStdin = cli(
      ['handle-event', '-', '--dry-run'],
      JSON.stringify(secretEvents(account.secrets.paymentsKey.arn).putSecretValue()),
    );
    expect(fromStdin.code).toBe(0);
    expect(fromStdin.stdout).toMatch(/payments\s+prod-batch\s+would-redeploy/);
  });

  it.each([
    ['an unknown secret', ['plan', 'prod/no-such-secret'], 'secret not found: prod/no-such-secret'],
    [
      'a secret of another account',
      ['redeploy', 'arn:aws:secretsmanager:eu-west-1:999999999999:secret:prod/db-AbCdEf'],
      'belongs to account 999999999999',
    ],
    ['an unknown option', ['plan', 'prod/orders-db', '--bogus'], "Unknown option '--bogus'"],
    ['a missing argument', ['redeploy'], 'usage: ecs-secret-redeploy redeploy SECRET'],
    ['an unknown command', ['rotate', 'x'], 'unknown command "rotate"'],
    ['an event file that does not exist', ['handle-event', '/nonexistent/event.json'], 'cannot read /nonexistent/event.json: ENOENT'],
  ])('exits 2 with a one-line error for %s', (_, args, message) => {
    const run = cli(args);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain(message);
    expect(run.stdout).toBe('');
  });

  it.each([
    ['not JSON', '{"source": '],
    ['JSON without the event fields', '{"hello": "world"}'],
    [
      'a CloudTrail call that names no secret',
      JSON.stringify({
        source: 'aws.secretsmanager',
        'detail-type': 'AWS API Call via CloudTrail',
        detail: { eventName: 'PutSecretValue' },
      }),
    ],
  ])('exits 2 for a malformed event file: %s', (_, text) => {
    const file = join(dir, `bad-${Math.random()}.json`);
    writeFileSync(file, text);
    const run = cli(['handle-event', file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^error: .+\n$/);
  });
});
