/**
 * First sight against moto_server: a (service, secret) pair the ledger has no record of is judged
 * from its deployment's creation time against the versions' (ListSecretVersionIds, corrected by
 * the moto launcher to answer AWS's CreatedDate), wherever it is first seen. moto keeps a
 * version's creation time in whole seconds: a test that needs a version newer than a deployment
 * waits a little over a second first.
 */

import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { CreateServiceCommand } from '@aws-sdk/client-ecs';
import { ListSecretVersionIdsCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { reconcileAll } from '../../functions/app/reconcile-all';
import { rebuildIndex } from '../../functions/app/refresh-index';
import { createStateTable } from '../../functions/aws/state-table/admin';
import { decodeEvent } from '../../functions/domain/decode/events';
import { manualSignal } from '../../functions/domain/decode/manual-request';
import { parseTarget, type Target } from '../../functions/domain/identity/target';
import type { Report } from '../../functions/domain/report/report';
import { NO_DEADLINE } from '../../functions/domain/rollout/deadline';
import type { Ports } from '../../functions/ports/ports';
import { type Emulator, handle, secretEvents, startEmulator } from '../kit/emulator';
import { type DemoAccount, primaryDeployments, registerTaskDefinition, seedDemoAccount } from '../kit/simulated-account';

let emulator: Emulator;
let account: DemoAccount;
let ports: ReturnType<Emulator['ports']>;

beforeEach(async () => {
  emulator = await startEmulator();
  account = await seedDemoAccount(emulator.ecs, emulator.sm);
  ports = emulator.ports();
  await createStateTable(ports.table);
}, 60_000);

afterEach(async () => {
  await emulator?.moto.stop();
});

/** moto stores a version's creation time in whole seconds. */
const pastTheSecond = () => new Promise((resolve) => setTimeout(resolve, 1100));

async function putValue(secretArn: string, versionStages?: string[]): Promise<string> {
  const out = await emulator.sm.send(
    new PutSecretValueCommand({
      SecretId: secretArn,
      SecretString: `v-${Math.random()}`,
      ...(versionStages ? { VersionStages: versionStages } : {}),
    }),
  );
  return out.VersionId as string;
}

const redeployed = (report: Report) =>
  report.services
    .filter((s) => s.outcome === 'redeployed')
    .map((s) => s.serviceName)
    .sort();

const RECONCILE_ALL = { kind: 'reconcile-all' as const, origin: 'manual' as const, trigger: { source: 'manual' }, hop: 0 };

async function scheduledReconcile(p: Ports) {
  return reconcileAll(p, RECONCILE_ALL, NO_DEADLINE, false);
}

async function onRotation(p: Ports, secretArn: string): Promise<Report> {
  return handle(p, decodeEvent(secretEvents(secretArn).putSecretValue()));
}

/** Every service's PRIMARY deployment id, by name. */
async function deployments(): Promise<Map<string, string>> {
  const web = await primaryDeployments(emulator.ecs, account.clusters.web, ['orders-api', 'orders-worker', 'orders-ledger']);
  const batch = await primaryDeployments(emulator.ecs, account.clusters.batch, [
    'orders-reports',
    'orders-archiver',
    'creds-sync',
    'payments',
  ]);
  return new Map([...web, ...batch]);
}

function changed(before: Map<string, string>, after: Map<string, string>): string[] {
  return [...after]
    .filter(([name, id]) => before.get(name) !== id)
    .map(([name]) => name)
    .sort();
}

describe('first sight from evidence, against moto_server', () => {
  it("answers each version's own creation time from ListSecretVersionIds (the launcher corrects moto)", async () => {
    await pastTheSecond();
    const newer = await putValue(account.secrets.ordersDb.arn);
    const out = await emulator.sm.send(new ListSecretVersionIdsCommand({ SecretId: account.secrets.ordersDb.arn }));
    const created = new Map((out.Versions ?? []).map((v) => [v.VersionId, v.CreatedDate?.getTime() ?? 0]));
    expect(created.get(newer)).toBeGreaterThan(created.get(account.secrets.ordersDb.versionId) ?? Number.POSITIVE_INFINITY);
  });

  // Regression: installing after a rotation nobody deployed recorded every stale consumer as
  // running the current version, and nothing was ever redeployed.
  it('installed after a rotation nobody deployed: the rebuild says who is stale, a dry run lists them, the reconcile redeploys each once', async () => {
    await pastTheSecond();
    await putValue(account.secrets.ordersDb.arn);

    const summary = await rebuildIndex(ports);
    expect(summary.stale.map((s) => s.serviceName).sort()).toEqual([...account.affectedByOrdersDb].sort());
    expect(summary.stale[0].reason).toMatch(/is older than AWSCURRENT/);

    const target = parseTarget(account.secrets.ordersDb.arn) as Target;
    const plan = await handle(ports, manualSignal(target), { dryRun: true });
    expect(
      plan.services
        .filter((s) => s.outcome === 'would-redeploy')
        .map((s) => s.serviceName)
        .sort(),
    ).toEqual([...account.affectedByOrdersDb].sort());

    const before = await deployments();
    const first = await scheduledReconcile(ports);
    const second = await scheduledReconcile(ports);
    expect(first.outcomes.redeployed).toBe(account.affectedByOrdersDb.length);
    expect(first.drift).toEqual([{ secret: account.secrets.ordersDb.arn, services: expect.any(Array) }]);
    expect(second.outcomes.redeployed).toBe(0);
    expect(changed(before, await deployments())).toEqual([...account.affectedByOrdersDb].sort());
  });

  // Regression: a service created after the last rebuild, whose deployment event was lost, was
  // recorded as current by the next rebuild although it started before the rotation.
  it('a service created between rebuilds and missed by the rotation is redeployed after the next rebuild', async () => {
    await rebuildIndex(ports);
    const taskDefinition = await registerTaskDefinition(emulator.ecs, 'orders-late', [
      { name: 'late', secrets: [{ name: 'DB', valueFrom: account.secrets.ordersDb.arn }] },
    ]);
    await emulator.ecs.send(
      new CreateServiceCommand({ cluster: account.clusters.web, serviceName: 'orders-late', taskDefinition, desiredCount: 1 }),
    );
    await pastTheSecond();
    await putValue(account.secrets.ordersDb.arn);

    const rotation = await onRotation(ports, account.secrets.ordersDb.arn);
    expect(redeployed(rotation)).toEqual([...account.affectedByOrdersDb].sort());

    const summary = await rebuildIndex(ports);
    expect(summary.stale.map((s) => s.serviceName)).toEqual(['orders-late']);
    const late = await primaryDeployments(emulator.ecs, account.clusters.web, ['orders-late']);
    const caughtUp = await scheduledReconcile(ports);
    expect(caughtUp.outcomes.redeployed).toBe(1);
    expect(await primaryDeployments(emulator.ecs, account.clusters.web, ['orders-late'])).not.toEqual(late);
    expect((await scheduledReconcile(ports)).outcomes.redeployed).toBe(0);
  });

  it('two secrets of one service changed together: one deployment; the second changed again later: another', async () => {
    const taskDefinition = await registerTaskDefinition(emulator.ecs, 'orders-billing', [
      {
        name: 'billing',
        secrets: [
          { name: 'DB', valueFrom: account.secrets.ordersDb.arn },
          { name: 'API_KEY', valueFrom: account.secrets.paymentsKey.arn },
        ],
      },
    ]);
    await emulator.ecs.send(
      new CreateServiceCommand({ cluster: account.clusters.web, serviceName: 'orders-billing', taskDefinition, desiredCount: 1 }),
    );
    await rebuildIndex(ports);
    await pastTheSecond();
    await putValue(account.secrets.ordersDb.arn);
    await putValue(account.secrets.paymentsKey.arn);

    const db = await onRotation(ports, account.secrets.ordersDb.arn);
    const key = await onRotation(ports, account.secrets.paymentsKey.arn);
    expect(redeployed(db)).toContain('orders-billing');
    expect(key.services.find((s) => s.serviceName === 'orders-billing')).toMatchObject({
      outcome: 'skipped',
      reason: expect.stringContaining('up to date'),
    });
    expect(redeployed(key)).toEqual(['payments']);

    await putValue(account.secrets.paymentsKey.arn);
    const again = await onRotation(ports, account.secrets.paymentsKey.arn);
    expect(redeployed(again)).toEqual(['orders-billing', 'payments']);
  });

  // Regression: without an index, the first event of every rotation (a value staged AWSPENDING)
  // redeployed every consumer to the value about to be replaced.
  it('without an index, a value staged AWSPENDING redeploys nothing', async () => {
    await pastTheSecond();
    await putValue(account.secrets.ordersDb.arn, ['AWSPENDING']);
    const before = await deployments();

    const report = await handle(ports, decodeEvent(secretEvents(account.secrets.ordersDb.arn).putSecretValue(['AWSPENDING'])));

    expect(report.inventory).toMatchObject({ source: 'scan' });
    expect(redeployed(report)).toEqual([]);
    expect(changed(before, await deployments())).toEqual([]);
  });

  it('the state table deleted and rebuilt: nothing that runs the current version restarts', async () => {
    await rebuildIndex(ports);
    await pastTheSecond();
    await putValue(account.secrets.ordersDb.arn);
    expect(redeployed(await onRotation(ports, account.secrets.ordersDb.arn))).toEqual([...account.affectedByOrdersDb].sort());

    await ports.table.client.send(new DeleteTableCommand({ TableName: ports.table.name }));
    await createStateTable(ports.table);
    const fresh = emulator.ports();
    const summary = await rebuildIndex(fresh);
    const before = await deployments();
    const reconciled = await scheduledReconcile(fresh);

    expect(summary.stale).toEqual([]);
    expect(reconciled.outcomes.redeployed).toBe(0);
    expect(changed(before, await deployments())).toEqual([]);
  });
});
