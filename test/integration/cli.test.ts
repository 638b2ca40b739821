import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { runRebuild } from '../../functions/app/refresh-index';
import { type Emulator, MOTO_ACCOUNT, secretEvents, startEmulator } from '../kit/emulator';
import { deploymentChange } from '../kit/events';
import { endEcsDeployment } from '../kit/moto';
import { startSilentServer } from '../kit/silent-server';
import { type DemoAccount, seedDemoAccount } from '../kit/simulated-account';
import { REGION } from '../kit/test-account';

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

/**
 * Runs the CLI in its own process while this one keeps serving (the silent endpoint lives here).
 */
function cliAsync(args: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...emulator.env, ...env } });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

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
    expect(run.stdout).toContain('plan [options] <SECRET>');
    expect(run.stdout).toContain('Exit codes');
  });

  it('ends quietly, with its own exit code, when its reader goes away (| head)', async () => {
    const child = spawn(process.execPath, [BIN, 'plan', '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  it('prints its version', () => {
    expect(cli(['--version']).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  // Behaviour changed on purpose: without a state table the CLI once scanned silently, without the
  // exactly-once guard. A missing table is now exit 3; --no-ledger asks for the scan.
  it('exits 3 without a state table, and plans by live scan with --no-ledger, saying so on stderr', () => {
    const refused = cli(['plan', 'prod/orders-db', '--json']);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toBe(
      `error: state table "ecs-secret-redeploy" does not exist in ${REGION} (check --region, or run "ecs-secret-redeploy init" to create it there, or --no-ledger to run without the exactly-once guard)\n`,
    );
    expect(refused.stdout).toBe('');

    const run = cli(['plan', 'prod/orders-db', '--json', '--no-ledger']);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('live scan of the account, without the exactly-once guard');
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({
      secret: { arn: account.secrets.ordersDb.arn, name: 'prod/orders-db', versionId: account.secrets.ordersDb.versionId },
      trigger: { source: 'manual' },
      action: 'redeploy',
      dryRun: true,
      inventory: { source: 'scan', note: '--no-ledger: live scan, no exactly-once guard, no waves' },
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
    expect(run.stdout).toMatch(/orders-api\s+prod-web\s+up to date\s+up to date: runs AWSCURRENT=/);
    expect(run.stdout).toContain('\n4 up to date, 1 pinned\n');
  });

  it('redeploys once after the secret changed, then reports the services as up to date', async () => {
    await emulator.sm.send(new PutSecretValueCommand({ SecretId: account.secrets.ordersDb.arn, SecretString: '{"password":"rotated"}' }));
    const first = cli(['redeploy', account.secrets.ordersDb.arn]);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/orders-api\s+prod-web\s+1\s+redeployed/);
    expect(first.stdout).toContain('\n3 redeployed, 1 no tasks, 1 pinned\n');
    const second = cli(['redeploy', account.secrets.ordersDb.arn, '--wide']);
    expect(second.stdout).toMatch(/orders-api\s+prod-web\s+-\s+up to date\s+up to date: runs AWSCURRENT=\S+, by deployment/);
    expect(second.stdout).not.toContain('redeployed');
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
    expect(fromStdin.stdout).toMatch(/payments\s+prod-batch\s+1\s+due/);
  });

  it('shows how far the current version reached, with the deployment and the tasks of each consumer', () => {
    const status = cli(['status', 'prod/orders-db', '--json']);
    expect(status.code).toBe(0);
    const report = JSON.parse(status.stdout);
    expect(report.rollout).toMatchObject({ status: 'in-progress' });
    expect(report.consumers.find((c: { serviceName: string }) => c.serviceName === 'orders-api')).toMatchObject({
      state: 'up-to-date',
      wave: 1,
      deploymentId: expect.stringMatching(/^ecs-svc\//),
    });
    expect(report.summary).toMatch(/^5 service\(s\) on AWSCURRENT=\S+: \d+ [a-z ]+(, \d+ [a-z ]+)*; \d+ task\(s\) on older versions$/);
    const table = cli(['status', 'prod/orders-db']);
    expect(table.stdout).toMatch(/SERVICE\s+CLUSTER\s+WAVE\s+NOW\s+TASKS CUR\/ALL/);
    expect(Math.max(...table.stdout.split('\n').map((line) => line.length))).toBeLessThanOrEqual(80);
    const wide = cli(['status', 'prod/orders-db', '--wide']);
    expect(wide.stdout).toMatch(/SERVICE\s+CLUSTER\s+WAVE\s+NOW\s+RUNS\s+CURRENT\s+DEPLOYMENT\s+TASKS ON CURRENT\s+WHY/);
  });

  it('moves a rollout on from an ECS deployment event, as the Lambda does', async () => {
    const status = JSON.parse(cli(['status', 'prod/orders-db', '--json']).stdout);
    const api = status.consumers.find((c: { serviceName: string }) => c.serviceName === 'orders-api');
    // ECS ends the deployment, then sends the event (the event alone is confirmed with ECS first).
    await endEcsDeployment(emulator.moto, { service: api.service, deploymentId: api.deploymentId, rolloutState: 'COMPLETED' });
    const file = join(dir, 'deployment.json');
    writeFileSync(
      file,
      JSON.stringify(
        deploymentChange(api.service, 'SERVICE_DEPLOYMENT_COMPLETED', api.deploymentId, { account: MOTO_ACCOUNT, region: REGION }),
      ),
    );
    const run = cli(['handle-event', file, '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ service: api.service, state: 'COMPLETED', secrets: [{ recorded: true }] });
    expect(cli(['handle-event', file]).stdout).toContain('already recorded as COMPLETED');
  });

  it('reconciles every indexed secret, and refuses to resume a rollout that is not halted', () => {
    const all = cli(['reconcile', '--json']);
    expect(all.code).toBe(0);
    expect(JSON.parse(all.stdout)).toMatchObject({ secrets: 3, reconciled: 3, outcomes: { failed: 0 } });
    const resume = cli(['resume', 'prod/orders-db']);
    expect(resume.code).toBe(2);
    expect(resume.stderr).toBe('error: no halted rollout of prod/orders-db: its rollout is in-progress\n');
  });

  it.each([
    ['an unknown secret', ['plan', 'prod/no-such-secret'], `secret not found: prod/no-such-secret (in ${REGION}, account ${MOTO_ACCOUNT})`],
    [
      'a secret of another account',
      ['redeploy', 'arn:aws:secretsmanager:eu-west-1:999999999999:secret:prod/db-AbCdEf'],
      'belongs to account 999999999999',
    ],
    ['an unknown option', ['plan', 'prod/orders-db', '--bogus'], "unknown option '--bogus'"],
    ['an option of another command', ['init', '--dry-run'], 'option --dry-run does not apply to init'],
    ['a missing argument', ['redeploy'], "missing required argument 'SECRET'"],
    ['an unknown command', ['rotate', 'x'], "unknown command 'rotate'"],
    ['an event file that does not exist', ['handle-event', '/nonexistent/event.json'], 'cannot read "/nonexistent/event.json": ENOENT'],
    ['an endless event input', ['handle-event', '/dev/zero'], '"/dev/zero" is larger than 1 MiB: refused'],
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

  // Regression: no timeout was set on the SDK clients, so every command hung for ever on an
  // endpoint that accepts the connection and never answers. With the defaults (3 attempts,
  // 10 s read timeout) it must end within a minute, as exit 3 with one line.
  it('ends with exit 3 within a minute against an endpoint that never answers', async () => {
    const silent = await startSilentServer();
    try {
      const started = Date.now();
      const run = await cliAsync(['plan', 'prod/orders-db'], { AWS_ENDPOINT_URL: silent.endpoint });
      expect(Date.now() - started).toBeLessThan(60_000);
      expect(run.code).toBe(3);
      expect(run.stderr).toBe(
        `error: "${silent.endpoint}" did not answer in time after 3 attempts (see --connect-timeout and --read-timeout)\n`,
      );
      expect(silent.connections()).toBe(3);
    } finally {
      await silent.close();
    }
  }, 70_000);

  it('refuses an index rebuild while another holds it (exit 3), goes on with an interrupted one, or starts over with --restart', async () => {
    const ports = emulator.ports();
    // An interrupted rebuild: one cluster listed, its lease given up.
    expect(await runRebuild(ports, { deadline: { stopAt: Date.now() } })).toMatchObject({ status: 'stopped' });
    const stopped = await ports.rebuilds.current();
    if (!stopped) throw new Error('test setup: no rebuild in flight');
    const held = { owner: 'another-run', until: Date.now() + 60_000 };
    await ports.rebuilds.save(stopped.progress, held, stopped.lease);

    const refused = cli(['index', 'rebuild']);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/^error: an index rebuild is in flight \(started .+; its lease runs until .+\n$/);
    expect(cli(['index', 'rebuild', '--restart']).code).toBe(3);

    await ports.rebuilds.save(stopped.progress, { ...held, until: Date.now() - 1 }, held);
    const resumed = cli(['index', 'rebuild', '--json']);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toContain('note: going on with the index rebuild started');
    expect(JSON.parse(resumed.stdout)).toMatchObject({ clusters: 2, entriesWritten: 0, entriesRemoved: 0 });
    expect(await ports.rebuilds.current()).toBeUndefined();

    expect(await runRebuild(ports, { deadline: { stopAt: Date.now() } })).toMatchObject({ status: 'stopped' });
    const restarted = cli(['index', 'rebuild', '--restart']);
    expect(restarted.code).toBe(0);
    expect(restarted.stderr).not.toContain('going on with');
    expect(await ports.rebuilds.current()).toBeUndefined();
  });
});
