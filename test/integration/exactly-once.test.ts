/**
 * Exactly once against moto_server, through the real SDK and adapters: a process killed between
 * its claim and UpdateService (and after it), answers lost after DynamoDB or ECS applied the call,
 * a rotation whose events were never delivered, a roll-back, UpdateSecret answered with only
 * {aRN}, and a handler whose deadline runs out.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { PutSecretValueCommand, UpdateSecretCommand, UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import { withOneUseTokens } from '../../functions/app/continuation-tokens';
import { handleEvent } from '../../functions/app/handle-event';
import type { ReconcileAllSummary } from '../../functions/app/reconcile-all';
import { rebuildIndex } from '../../functions/app/refresh-index';
import type { Instrument } from '../../functions/aws/clients';
import { lambdaContinuation } from '../../functions/aws/continuation';
import { createStateTable } from '../../functions/aws/state-table/admin';
import { decodeEvent } from '../../functions/domain/decode/events';
import { continuationPayload, type RunRequest } from '../../functions/domain/decode/run-request';
import type { Report } from '../../functions/domain/report/report';
import { deadlineIn, NO_DEADLINE } from '../../functions/domain/rollout/deadline';
import { type Emulator, handle, MOTO_ACCOUNT, secretEvents, startEmulator } from '../kit/emulator';
import { currentVersion, type DemoAccount, seedDemoAccount } from '../kit/simulated-account';

let emulator: Emulator;
let account: DemoAccount;
const ROOT = resolve(__dirname, '../..');
const WEB = ['orders-api', 'orders-worker', 'orders-ledger'];

beforeAll(async () => {
  emulator = await startEmulator();
  account = await seedDemoAccount(emulator.ecs, emulator.sm);
  await createStateTable(emulator.ports().table);
  await rebuildIndex(emulator.ports());
}, 60_000);

afterAll(async () => {
  await emulator?.moto.stop();
});

type Middleware = (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => (args: unknown) => Promise<unknown>;

/** Adds a middleware to every SDK client the adapters build. */
function instrument(step: 'initialize' | 'deserialize', middleware: Middleware): { instrument: Instrument } {
  return {
    instrument: (client) =>
      (client.middlewareStack as { add: (m: Middleware, o: object) => void }).add(middleware, { step, name: `test-${step}` }),
  };
}

/** How many new deployments each web service got between two readings of its deployment history. */
async function deploymentCounts(run: () => Promise<unknown>): Promise<Record<string, number>> {
  const history = async () => {
    const out = await emulator.ecs.send(
      new (await import('@aws-sdk/client-ecs')).DescribeServicesCommand({ cluster: account.clusters.web, services: WEB }),
    );
    return new Map((out.services ?? []).map((s) => [s.serviceName as string, new Set((s.deployments ?? []).map((d) => d.id as string))]));
  };
  const before = await history();
  await run();
  const after = await history();
  return Object.fromEntries(WEB.map((name) => [name, [...(after.get(name) ?? [])].filter((id) => !before.get(name)?.has(id)).length]));
}

async function rotate(): Promise<string> {
  const out = await emulator.sm.send(
    new PutSecretValueCommand({ SecretId: account.secrets.ordersDb.arn, SecretString: `v-${Date.now()}-${Math.random()}` }),
  );
  return out.VersionId as string;
}

const ordersDbEvent = () => decodeEvent(secretEvents(account.secrets.ordersDb.arn).putSecretValue());

/**
 * Runs a redeploy of prod/orders-db in a node process of its own (the compiled code, one
 * UpdateService at a time, 1 s leases) that SIGKILLs itself at the second service: just before
 * its UpdateService, or just after it, before the write that records it.
 */
function crashingRun(when: 'before-update' | 'after-update'): number | null {
  const script = `
    const { awsPorts } = require(${JSON.stringify(`${ROOT}/dist/functions/aws/compose.js`)});
    const { loadConfig } = require(${JSON.stringify(`${ROOT}/dist/functions/config.js`)});
    const { handleSignal } = require(${JSON.stringify(`${ROOT}/dist/functions/app/handle-event.js`)});
    const { manualSignal } = require(${JSON.stringify(`${ROOT}/dist/functions/domain/decode/manual-request.js`)});
    const { NO_DEADLINE } = require(${JSON.stringify(`${ROOT}/dist/functions/domain/rollout/deadline.js`)});
    let updates = 0;
    let updated = false;
    const instrument = (client) => client.middlewareStack.add((next, context) => async (args) => {
      if (context.commandName === 'UpdateServiceCommand' && ++updates === 2 && ${JSON.stringify(when)} === 'before-update') process.kill(process.pid, 'SIGKILL');
      if (context.commandName === 'PutItemCommand' && updated) process.kill(process.pid, 'SIGKILL');
      const out = await next(args);
      if (context.commandName === 'UpdateServiceCommand' && updates === 2) updated = true;
      return out;
    }, { step: 'initialize', name: 'crash' });
    const ports = awsPorts(loadConfig(), { accountId: ${JSON.stringify(MOTO_ACCOUNT)}, instrument });
    const target = { kind: 'secret', secretId: ${JSON.stringify(account.secrets.ordersDb.arn)} };
    handleSignal(ports, manualSignal(target), { deadline: NO_DEADLINE, dryRun: false }, 'manual').then(() => process.exit(0));
  `;
  const env = {
    ...process.env,
    ...emulator.env,
    MAX_CONCURRENCY: '1',
    CLAIM_LEASE_SECONDS: '1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  return spawnSync(process.execPath, ['-e', script], { env, encoding: 'utf8', timeout: 60_000 }).status;
}

describe('exactly once against moto_server', () => {
  it.each([
    ['between its claim and UpdateService', 'before-update' as const],
    ['after UpdateService, before recording it', 'after-update' as const],
  ])('deploys each service exactly once after a process killed %s is retried', async (_label, when) => {
    await rotate();
    const counts = await deploymentCounts(async () => {
      expect(crashingRun(when)).toBeNull(); // killed by a signal
      await new Promise((r) => setTimeout(r, 1500)); // the dead run's lease ends
      const retry = await handle(emulator.ports(), ordersDbEvent());
      expect(retry.services.filter((s) => s.outcome === 'failed')).toEqual([]);
    });
    expect(counts).toEqual({ 'orders-api': 1, 'orders-worker': 1, 'orders-ledger': 1 });
  });

  it('neither loses nor repeats a redeploy when DynamoDB applies a write and its answer is lost (the SDK retries it)', async () => {
    await rotate();
    let puts = 0;
    const loseEveryOtherPut = instrument('deserialize', (next, context) => async (args) => {
      const out = await next(args);
      // The document client's PutCommand is PutItem on the client underneath.
      if (context.commandName === 'PutItemCommand' && puts++ % 2 === 0)
        throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
      return out;
    });
    let report: Report | undefined;
    const counts = await deploymentCounts(async () => {
      report = await handle(emulator.ports({}, loseEveryOtherPut), ordersDbEvent());
    });
    expect(puts).toBeGreaterThan(6);
    expect(counts).toEqual({ 'orders-api': 1, 'orders-worker': 1, 'orders-ledger': 1 });
    expect(report?.services.filter((s) => s.outcome === 'redeployed').length).toBe(3);
    expect((await handle(emulator.ports(), ordersDbEvent())).services.filter((s) => s.outcome === 'redeployed')).toEqual([]);
  });

  it('records a deployment instead of sending UpdateService again when ECS applied it and its answer was lost', async () => {
    await rotate();
    const loseUpdateAnswers = instrument('deserialize', (next, context) => async (args) => {
      const out = await next(args);
      if (context.commandName === 'UpdateServiceCommand') throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
      return out;
    });
    let report: Report | undefined;
    const counts = await deploymentCounts(async () => {
      report = await handle(emulator.ports({}, loseUpdateAnswers), ordersDbEvent());
    });
    expect(counts).toEqual({ 'orders-api': 1, 'orders-worker': 1, 'orders-ledger': 1 });
    expect(report?.services.find((s) => s.serviceName === 'orders-api')?.reason).toMatch(/answer was lost; ECS shows deployment/);
  });

  it('redeploys exactly the consumers on a reconcile after a rotation whose events never arrived, and nothing on the next', async () => {
    await rotate();
    const run = () =>
      handleEvent(
        emulator.ports(),
        { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} },
        { deadline: NO_DEADLINE, dryRun: false },
      );
    let first: ReconcileAllSummary | undefined;
    const counts = await deploymentCounts(async () => {
      const outcome = await run();
      if (outcome.kind === 'schedule') first = outcome.summary;
    });
    const second = await run();

    expect(counts).toEqual({ 'orders-api': 1, 'orders-worker': 1, 'orders-ledger': 1 });
    expect(first?.drift).toEqual([
      { secret: account.secrets.ordersDb.arn, services: expect.arrayContaining([expect.stringContaining('orders-api')]) },
    ]);
    expect(second.kind === 'schedule' && second.summary).toMatchObject({ outcomes: { redeployed: 0 }, drift: [] });
  });

  it('decides an UpdateSecret whose record carries only {aRN} from the state: a new value redeploys, a description edit does not', async () => {
    const arn = account.secrets.ordersDb.arn;
    const legacyEvent = () => decodeEvent(secretEvents(arn).updateSecret({ aRN: arn }));
    await emulator.sm.send(new UpdateSecretCommand({ SecretId: arn, Description: 'the orders database' }));
    const description = await deploymentCounts(() => handle(emulator.ports(), legacyEvent()));
    await emulator.sm.send(new UpdateSecretCommand({ SecretId: arn, SecretString: `new-${Date.now()}` }));
    const value = await deploymentCounts(() => handle(emulator.ports(), legacyEvent()));

    expect(description).toEqual({ 'orders-api': 0, 'orders-worker': 0, 'orders-ledger': 0 });
    expect(value).toEqual({ 'orders-api': 1, 'orders-worker': 1, 'orders-ledger': 1 });
  });

  it("stops claiming when the handler's deadline runs out and a continuation through Lambda finishes the rest, once each", async () => {
    await rotate();
    const invoked: RunRequest[] = [];
    const captureInvokes = instrument('initialize', (next, context) => async (args) => {
      if (context.commandName !== 'InvokeCommand') return next(args);
      const payload = JSON.parse(String((args as { input: { Payload: string } }).input.Payload));
      invoked.push(payload['ecs-secret-redeploy:continuation']);
      return { output: { StatusCode: 202, $metadata: {} } };
    });
    const ports = emulator.ports({ updateRate: 1, updateBurst: 1, maxConcurrency: 1, deadlineMarginSeconds: 1 }, captureInvokes);
    const continuation = withOneUseTokens(ports, lambdaContinuation(ports.clients, 'ecs-secret-redeploy-test-on-secret-change'));
    const invocation = () => ({ deadline: deadlineIn(Date.now(), 1800, 1000), dryRun: false, continuation });

    const counts = await deploymentCounts(async () => {
      const first = await handleEvent(ports, secretEvents(account.secrets.ordersDb.arn).putSecretValue(), invocation());
      expect(first.kind === 'report' && first.report.continued).toBeDefined();
      while (invoked.length > 0) await handleEvent(ports, continuationPayload(invoked.shift() as RunRequest), invocation());
    });
    expect(counts).toEqual({ 'orders-api': 1, 'orders-worker': 1, 'orders-ledger': 1 });
  });
  // Last: after UpdateSecretVersionStage, moto's PutSecretValue leaves AWSCURRENT on two versions.
  it('redeploys after a roll-back moves AWSCURRENT back to the previous version', async () => {
    const previous = await currentVersion(emulator.sm, account.secrets.ordersDb.arn);
    const latest = await rotate();
    await handle(emulator.ports(), ordersDbEvent());
    await emulator.sm.send(
      new UpdateSecretVersionStageCommand({
        SecretId: account.secrets.ordersDb.arn,
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: previous,
        RemoveFromVersionId: latest,
      }),
    );
    const counts = await deploymentCounts(() =>
      handle(
        emulator.ports(),
        decodeEvent(secretEvents(account.secrets.ordersDb.arn).updateSecretVersionStage('AWSCURRENT', previous as string)),
      ),
    );
    expect(counts).toEqual({ 'orders-api': 1, 'orders-worker': 1, 'orders-ledger': 1 });
  });
});
