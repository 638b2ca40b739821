import { CreateServiceCommand, DeleteServiceCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { PutSecretValueCommand, UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { rebuildIndex } from '../../functions/app/refresh-index';
import { createStateTable } from '../../functions/aws/state-table/admin';
import { decodeEvent } from '../../functions/domain/decode/events';
import { manualSignal } from '../../functions/domain/decode/manual-request';
import { parseTarget, type Target } from '../../functions/domain/identity/target';
import { CallCounter } from '../kit/call-counter';
import { type Emulator, handle, MOTO_ACCOUNT, secretEvents, startEmulator } from '../kit/emulator';
import { type MetricsSink, metricsSink } from '../kit/output';
import { currentVersion, type DemoAccount, primaryDeployments, registerTaskDefinition, seedDemoAccount } from '../kit/simulated-account';
import { REGION } from '../kit/test-account';

let emulator: Emulator;
let account: DemoAccount;

// The handlers' metrics go to the test sink, not to the test output.
let sink: MetricsSink;
beforeAll(async () => {
  sink = metricsSink();
  emulator = await startEmulator();
  account = await seedDemoAccount(emulator.ecs, emulator.sm);
}, 60_000);

afterAll(async () => {
  sink.restore();
  await emulator?.moto.stop();
});

async function deploymentsOf(cluster: string, names: string[]) {
  return primaryDeployments(emulator.ecs, cluster, names);
}

async function rotate(secretArn: string): Promise<string> {
  const out = await emulator.sm.send(new PutSecretValueCommand({ SecretId: secretArn, SecretString: `v-${Math.random()}` }));
  return out.VersionId as string;
}

describe('index and exactly-once redeploys against moto_server', () => {
  it('falls back to a live scan, and says so, while the index has never been built', async () => {
    const ports = emulator.ports();
    await createStateTable(ports.table);
    const report = await handle(ports, manualSignal(parseTarget(account.secrets.ordersDb.name) as Target), { dryRun: true });
    expect(report.inventory).toEqual({ source: 'scan', note: expect.stringContaining('never built') });
    // Every consumer that follows a stage found, each judged from evidence: deployed after the
    // current version, none is behind (orders-archiver runs no task, orders-reports is pinned).
    const upToDate = report.services.filter((s) => s.reason?.startsWith('up to date')).map((s) => s.serviceName);
    expect(upToDate.sort()).toEqual([...account.affectedByOrdersDb, 'orders-archiver'].sort());
    expect(report.services.filter((s) => s.outcome === 'would-redeploy')).toEqual([]);
  });

  // Regression (found by the benchmark): the first rebuild described every secret a second time
  // to baseline its consumers' ledger records, though resolving the references had just read it.
  it('describes each secret once in a first rebuild, baselines included', async () => {
    const counter = new CallCounter();
    const summary = await rebuildIndex(emulator.ports({}, { instrument: counter.instrument }));
    const counts = counter.take();
    expect(summary.secrets).toBe(3);
    // prod/orders-db's partial and full ARN in one task definition may resolve side by side
    expect(counts.get('DescribeSecret')).toBeLessThanOrEqual(4);
    // one baseline per (secret, service) pair that follows a stage, and the rebuild's own record;
    // the build's progress and lease taken, and checked before the index is switched to it
    expect(counts.get('PutItem')).toBe(6 + 1 + 2);
  });

  it('handles a rotation with one DescribeSecret, two queries, batched DescribeServices and one UpdateService per affected service', async () => {
    await rebuildIndex(emulator.ports());
    const counter = new CallCounter();
    const ports = emulator.ports({}, { instrument: counter.instrument });
    await rotate(account.secrets.ordersDb.arn);

    const report = await handle(ports, decodeEvent(secretEvents(account.secrets.ordersDb.arn).putSecretValue()));

    const k = report.services.filter((s) => s.outcome === 'redeployed').length;
    expect(k).toBe(3);
    // Per service redeployed: its claim and its record (two PutItems) and UpdateService; the
    // index entries and the ledger records come from one Query each. orders-archiver runs no task:
    // its record moves to the new version (one PutItem) without a redeploy. The rollout of the new
    // version is recorded once, on the secret's own ledger row (one PutItem).
    expect(Object.fromEntries(counter.take())).toEqual({
      DescribeSecret: 1,
      Query: 2,
      // the candidates live in two clusters: one batch each
      DescribeServices: 2,
      UpdateService: k,
      PutItem: 2 * k + 2,
    });
  });

  it('does not redeploy a service switched to a task definition without the reference after indexing', async () => {
    const ports = emulator.ports();
    const plain = await registerTaskDefinition(emulator.ecs, 'orders-api', [{ name: 'app' }]);
    await emulator.ecs.send(new UpdateServiceCommand({ cluster: account.clusters.web, service: 'orders-api', taskDefinition: plain }));
    const before = await deploymentsOf(account.clusters.web, ['orders-api']);
    await rotate(account.secrets.ordersDb.arn);

    const report = await handle(ports, decodeEvent(secretEvents(account.secrets.ordersDb.arn).putSecretValue()));

    const api = report.services.find((s) => s.serviceName === 'orders-api');
    expect(api).toMatchObject({ outcome: 'skipped', reason: expect.stringContaining('does not reference the secret') });
    expect(await deploymentsOf(account.clusters.web, ['orders-api'])).toEqual(before);
    const indexed = await ports.index.entriesOf(account.secrets.ordersDb.arn);
    expect(indexed.map((e) => e.name)).not.toContain('orders-api');
  });

  it('picks up a new service from its ECS deployment event and drops a deleted one', async () => {
    Object.assign(process.env, emulator.env);
    const { handler } = await import('../../functions/handlers/refresh-index');
    const context = { invokedFunctionArn: `arn:aws:lambda:${REGION}:${MOTO_ACCOUNT}:function:refresh-index` } as Context;
    const taskDefinition = await registerTaskDefinition(emulator.ecs, 'orders-notifier', [
      { name: 'n', secrets: [{ name: 'DB', valueFrom: account.secrets.ordersDb.arn }] },
    ]);
    const created = await emulator.ecs.send(
      new CreateServiceCommand({ cluster: account.clusters.batch, serviceName: 'orders-notifier', taskDefinition, desiredCount: 1 }),
    );
    const deploymentEvent = (serviceArn: string) => ({
      version: '0',
      id: `ecs-${Math.random()}`,
      'detail-type': 'ECS Deployment State Change',
      source: 'aws.ecs',
      account: MOTO_ACCOUNT,
      region: REGION,
      resources: [serviceArn],
      detail: {
        eventType: 'INFO',
        eventName: 'SERVICE_DEPLOYMENT_IN_PROGRESS',
        deploymentId: 'ecs-svc/1',
        reason: 'ECS deployment ecs-svc/1 in progress.',
      },
    });

    await handler(deploymentEvent(created.service?.serviceArn as string), context);
    let names = (await emulator.ports().index.entriesOf(account.secrets.ordersDb.arn)).map((e) => e.name);
    expect(names).toContain('orders-notifier');

    await rotate(account.secrets.ordersDb.arn);
    const report = await handle(emulator.ports(), decodeEvent(secretEvents(account.secrets.ordersDb.arn).putSecretValue()));
    expect(report.services.find((s) => s.serviceName === 'orders-notifier')?.outcome).toBe('redeployed');

    await emulator.ecs.send(new DeleteServiceCommand({ cluster: account.clusters.batch, service: 'orders-notifier', force: true }));
    await handler(deploymentEvent(created.service?.serviceArn as string), context);
    names = (await emulator.ports().index.entriesOf(account.secrets.ordersDb.arn)).map((e) => e.name);
    expect(names).not.toContain('orders-notifier');
  });

  // Runs before the rotation test below: after UpdateSecretVersionStage, moto's PutSecretValue leaves
  // AWSCURRENT on two versions, so this test's PutSecretValue must come first.
  it('after a partial failure, a retry redeploys only the service that failed', async () => {
    const secret = account.secrets.ordersDb.arn;
    await rotate(secret);
    let failures = 0;
    const failLedgerOnce = {
      instrument(client: { middlewareStack: unknown }) {
        (client.middlewareStack as { add: (mw: unknown, o: unknown) => void }).add(
          (next: (a: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: { input: { service?: string } }) => {
            if (context.commandName === 'UpdateServiceCommand' && args.input.service?.endsWith('/orders-ledger') && failures++ === 0) {
              // ECS refusing it (a throttle would only be waited out and retried within the run).
              throw Object.assign(new Error('service is updating'), {
                name: 'InvalidParameterException',
                $metadata: { httpStatusCode: 400 },
              });
            }
            return next(args);
          },
          { step: 'initialize', name: 'failOnce' },
        );
      },
    };
    const event = decodeEvent(secretEvents(secret).putSecretValue());
    const first = await handle(emulator.ports({}, failLedgerOnce), event);
    expect(first.services.filter((s) => s.outcome === 'failed').map((s) => s.serviceName)).toEqual(['orders-ledger']);
    expect(
      first.services
        .filter((s) => s.outcome === 'redeployed')
        .map((s) => s.serviceName)
        .sort(),
    ).toEqual(['orders-worker']);

    const before = await deploymentsOf(account.clusters.web, ['orders-worker', 'orders-ledger']);
    const retry = await handle(emulator.ports(), event);
    expect(retry.services.filter((s) => s.outcome === 'redeployed').map((s) => s.serviceName)).toEqual(['orders-ledger']);
    const after = await deploymentsOf(account.clusters.web, ['orders-worker', 'orders-ledger']);
    expect(after.get('orders-worker')).toBe(before.get('orders-worker'));
    expect(after.get('orders-ledger')).not.toBe(before.get('orders-ledger'));
  });

  it('redeploys each service once for all the events of one rotation, delivered twice each in any order', async () => {
    const secret = account.secrets.ordersDb.arn;
    const web = ['orders-worker', 'orders-ledger'];
    const before = await deploymentsOf(account.clusters.web, web);
    const previous = await currentVersion(emulator.sm, secret);
    const pending = await emulator.sm.send(
      new PutSecretValueCommand({ SecretId: secret, SecretString: 'rotated', VersionStages: ['AWSPENDING'] }),
    );
    await emulator.sm.send(
      new UpdateSecretVersionStageCommand({
        SecretId: secret,
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: pending.VersionId,
        RemoveFromVersionId: previous,
      }),
    );
    await emulator.sm.send(
      new UpdateSecretVersionStageCommand({ SecretId: secret, VersionStage: 'AWSPENDING', RemoveFromVersionId: pending.VersionId }),
    );
    const e = secretEvents(secret);
    const rotation = [
      e.rotateSecret(),
      e.putSecretValue(['AWSPENDING']),
      e.updateSecretVersionStage('AWSCURRENT', pending.VersionId as string),
      e.rotationSucceeded(),
      e.labelUpdated('AWSCURRENT', pending.VersionId as string),
    ];
    const deliveries = [...rotation, ...rotation].sort(() => Math.random() - 0.5);
    const counter = new CallCounter();
    const ports = emulator.ports({}, { instrument: counter.instrument });

    const reports = await Promise.all(deliveries.map((event) => handle(ports, decodeEvent(event))));

    const redeployed = reports.flatMap((r) => r.services.filter((s) => s.outcome === 'redeployed').map((s) => s.serviceName));
    expect(redeployed.sort()).toEqual(web.sort());
    expect(counter.take().get('UpdateService')).toBe(web.length);
    const after = await deploymentsOf(account.clusters.web, web);
    for (const name of web) expect(after.get(name)).not.toBe(before.get(name));
  });

  it('redeploys nothing for a second manual redeploy of an unchanged secret, unless forced', async () => {
    const decision = manualSignal(parseTarget(account.secrets.ordersDb.name) as Target);
    const again = await handle(emulator.ports(), decision);
    expect(again.services.filter((s) => s.outcome === 'redeployed')).toEqual([]);
    const forced = await handle(emulator.ports(), decision, { force: true });
    expect(
      forced.services
        .filter((s) => s.outcome === 'redeployed')
        .map((s) => s.serviceName)
        .sort(),
    ).toEqual(['orders-ledger', 'orders-worker']);
  });

  it('removes stale entries when the index is rebuilt', async () => {
    const ports = emulator.ports();
    const summary = await rebuildIndex(ports);
    expect(summary.services).toBeGreaterThanOrEqual(7);
    const names = (await ports.index.entriesOf(account.secrets.ordersDb.arn)).map((e) => e.name).sort();
    expect(names).toEqual(['orders-archiver', 'orders-ledger', 'orders-reports', 'orders-worker']);
  });

  // Regression (found by the benchmark): a rebuild rewrote every service's SERVICE# item, and a
  // secret spelled three ways (name, partial ARN, full ARN) cost three DescribeSecret calls.
  it('writes nothing but its summary (and its own progress) when rebuilding an index that is already current', async () => {
    await rebuildIndex(emulator.ports());
    const counter = new CallCounter();
    const summary = await rebuildIndex(emulator.ports({}, { instrument: counter.instrument }));
    expect(summary).toMatchObject({ entriesWritten: 0, entriesRemoved: 0 });
    const counts = counter.take();
    // the build's progress: taken (PutItem), checked at the end (PutItem), deleted (Query, BatchWriteItem)
    expect(counts.get('BatchWriteItem')).toBe(1);
    expect(counts.get('Query')).toBe(1);
    expect(counts.get('PutItem')).toBe(1 + 2);
    // three secrets; prod/orders-db's partial and full ARN in one task definition may resolve side by side
    expect(counts.get('DescribeSecret')).toBeLessThanOrEqual(4);
  });
});
