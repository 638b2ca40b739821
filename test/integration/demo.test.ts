import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

const DEMO = resolve(__dirname, '../../dist/scripts/demo.js');
const BIN = resolve(__dirname, '../../bin/ecs-secret-redeploy.js');
let output = '';
let pid: number | undefined;

/** The environment `npm run demo -- --keep` tells its user to export. */
function exported(text: string): Record<string, string> {
  const line = text.split('\n').find((l) => l.trim().startsWith('export AWS_ENDPOINT_URL='));
  if (!line) throw new Error(`the demo printed no export line:\n${text}`);
  return Object.fromEntries(
    line
      .trim()
      .replace(/^export /, '')
      .split(' ')
      .map((pair) => pair.split('=') as [string, string]),
  );
}

function alive(processId: number): boolean {
  try {
    process.kill(processId, 0);
    return true;
  } catch {
    return false;
  }
}

beforeAll(() => {
  // The demo built by `npm test` / `npm run test:integration`, run as `npm run demo -- --keep` runs it.
  const run = spawnSync(process.execPath, [DEMO, '--keep'], {
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    encoding: 'utf8',
    timeout: 90_000,
  });
  output = run.stdout;
  pid = Number(/Stop it with: kill (\d+)/.exec(output)?.[1]) || undefined;
  if (run.status !== 0) throw new Error(`demo --keep failed (${run.status}):\n${run.stdout}\n${run.stderr}`);
}, 120_000);

afterAll(async () => {
  if (pid === undefined) return;
  // The one process the demo left running, by the PID it printed.
  if (alive(pid)) process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
});

describe('npm run demo -- --keep', () => {
  it('leaves the emulator running, and says how to stop it', () => {
    expect(pid).toBeDefined();
    expect(alive(pid as number)).toBe(true);
    const pidFile = /\(also in (\S+)\)/.exec(output)?.[1] as string;
    expect(readFileSync(pidFile, 'utf8').trim()).toBe(String(pid));
  });

  it('prints the report and no metric documents (EMF lines are for CloudWatch, not for a reader)', () => {
    expect(output).toContain('3 redeployed');
    expect(output).not.toContain('"_aws"');
  });

  it('prints the commands to try, each of which names the CLI', () => {
    for (const command of [
      'plan prod/orders-db',
      'redeploy prod/orders-db --dry-run',
      'index show',
      'secrets --output mermaid',
      'status prod/orders-db',
    ]) {
      expect(output).toContain(`  npx ecs-secret-redeploy ${command}\n`);
    }
  });

  it('lets the CLI run on the demo world with the printed environment', () => {
    const env = exported(output);
    expect(Object.keys(env).sort()).toEqual([
      'AWS_ACCESS_KEY_ID',
      'AWS_DEFAULT_REGION',
      'AWS_ENDPOINT_URL',
      'AWS_REGION',
      'AWS_SECRET_ACCESS_KEY',
    ]);
    const run = cliOnDemo(['plan', 'prod/orders-db', '--json']);
    expect(run.status).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report.inventory).toEqual({ source: 'index' });
    expect(report.services.map((s: { serviceName: string; outcome: string }) => [s.serviceName, s.outcome]).sort()).toEqual([
      ['orders-api', 'skipped'],
      ['orders-archiver', 'skipped'],
      ['orders-ledger', 'skipped'],
      ['orders-reports', 'skipped'],
      ['orders-worker', 'skipped'],
    ]);
  });

  it('ends with a command that changes a secret: run as printed, the next reconcile redeploys its services once', async () => {
    const rotate = output
      .split('\n')
      .map((line) => line.trim())
      .find((line) => line.startsWith('aws secretsmanager put-secret-value '));
    if (!rotate) throw new Error(`the demo printed no command that changes a secret:\n${output}`);
    expect(output.indexOf(rotate)).toBeGreaterThan(output.indexOf('  npx ecs-secret-redeploy status prod/orders-db\n'));
    expect(output).toContain('  npx ecs-secret-redeploy reconcile ');
    expect(output).toContain('  npx ecs-secret-redeploy status prod/orders-db --watch');
    await runAsPrinted(rotate);

    const first = cliOnDemo(['reconcile', '--json']);
    expect(first.status).toBe(0);
    const redeployed = (run: ReturnType<typeof cliOnDemo>) =>
      JSON.parse(run.stdout)
        .reports.flatMap((r: { services: Array<{ serviceName: string; outcome: string }> }) => r.services)
        .filter((s: { outcome: string }) => s.outcome === 'redeployed')
        .map((s: { serviceName: string }) => s.serviceName)
        .sort();
    expect(redeployed(first)).toEqual(['orders-api', 'orders-ledger', 'orders-worker']);
    expect(redeployed(cliOnDemo(['reconcile', '--json']))).toEqual([]);
  });
});

/** The CLI on the demo's emulator, with the environment the demo printed. */
function cliOnDemo(args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...exported(output) },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

/**
 * The demo's command, with the environment it printed: through the AWS CLI when it is installed
 * (these machines have v1, which reads AWS_DEFAULT_REGION only), else the same call with the SDK.
 */
async function runAsPrinted(command: string): Promise<void> {
  const printed = exported(output);
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, ...printed };
  if (spawnSync('aws', ['--version'], { env }).status === 0) {
    const run = spawnSync('sh', ['-c', command], { env, encoding: 'utf8', timeout: 60_000 });
    if (run.status !== 0) throw new Error(`"${command}" failed (${run.status}): ${run.stderr}`);
    return;
  }
  const secretId = /--secret-id (\S+)/.exec(command)?.[1];
  const secretString = /--secret-string '([^']*)'/.exec(command)?.[1];
  const sm = new SecretsManagerClient({
    endpoint: printed.AWS_ENDPOINT_URL,
    region: printed.AWS_DEFAULT_REGION,
    credentials: { accessKeyId: printed.AWS_ACCESS_KEY_ID, secretAccessKey: printed.AWS_SECRET_ACCESS_KEY },
  });
  await sm.send(new PutSecretValueCommand({ SecretId: secretId, SecretString: secretString }));
}
