import { PutSecretValueCommand, RotateSecretCommand, UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { rebuildIndex } from '../../functions/app/refresh-index';
import { createStateTable } from '../../functions/aws/state-table/admin';
import { decodeEvent } from '../../functions/domain/decode/events';
import type { Report } from '../../functions/domain/report/report';
import { type Emulator, handle, MOTO_ACCOUNT, secretEvents, startEmulator } from '../kit/emulator';
import { lambdaContext } from '../kit/lambda';
import { type MetricsSink, metricsSink } from '../kit/output';
import { currentVersion, type DemoAccount, primaryDeployments, seedDemoAccount } from '../kit/simulated-account';
import { REGION } from '../kit/test-account';

let emulator: Emulator;
let account: DemoAccount;

// The handlers' metrics go to the test sink, not to the test output.
let sink: MetricsSink;
beforeAll(async () => {
  sink = metricsSink();
  emulator = await startEmulator();
  account = await seedDemoAccount(emulator.ecs, emulator.sm);
  const ports = emulator.ports();
  await createStateTable(ports.table);
  await rebuildIndex(ports);
}, 60_000);

afterAll(async () => {
  sink.restore();
  await emulator?.moto.stop();
});

async function deployments(): Promise<Map<string, string>> {
  const all = new Map<string, string>();
  for (const cluster of Object.values(account.clusters)) {
    const names = Object.entries(account.services)
      .filter(([, c]) => c === cluster)
      .map(([n]) => n);
    for (const [name, id] of await primaryDeployments(emulator.ecs, cluster, names)) all.set(name, id);
  }
  return all;
}

/** Names of the services whose PRIMARY deployment changed between two readings. */
function changed(before: Map<string, string>, after: Map<string, string>): string[] {
  return [...after.keys()].filter((name) => before.get(name) !== after.get(name)).sort();
}

const affected = () => [...account.affectedByOrdersDb].sort();

async function handleEvent(event: unknown) {
  return handle(emulator.ports(), decodeEvent(event));
}

describe('redeploy pipeline against moto_server', () => {
  it('gives exactly the services using the secret a new deployment after PutSecretValue, through the Lambda handler', async () => {
    Object.assign(process.env, emulator.env);
    const { handler } = await import('../../functions/handlers/on-secret-change');
    const secret = account.secrets.ordersDb;
    const before = await deployments();
    await emulator.sm.send(new PutSecretValueCommand({ SecretId: secret.arn, SecretString: '{"password":"two"}' }));

    const context = {
      ...lambdaContext,
      invokedFunctionArn: `arn:aws:lambda:${REGION}:${MOTO_ACCOUNT}:function:on-secret-change`,
    } as Context;
    const report = (await handler(secretEvents(secret.arn).putSecretValue(), context)) as Report;

    expect(changed(before, await deployments())).toEqual(affected());
    const outcomes = Object.fromEntries(report.services.map((s) => [s.serviceName, s.outcome]));
    expect(outcomes).toEqual({
      'orders-api': 'redeployed',
      'orders-worker': 'redeployed',
      'orders-ledger': 'redeployed',
      'orders-reports': 'skipped',
      'orders-archiver': 'skipped',
    });
    expect(report.secret.versionId).toBe(await currentVersion(emulator.sm, secret.arn));
  });

  it('does nothing for a version staged AWSPENDING, then redeploys when UpdateSecretVersionStage makes it current', async () => {
    const secret = account.secrets.ordersDb;
    const events = secretEvents(secret.arn);
    const before = await deployments();
    const pending = await emulator.sm.send(
      new PutSecretValueCommand({ SecretId: secret.arn, SecretString: '{"password":"three"}', VersionStages: ['AWSPENDING'] }),
    );
    // Nothing is due: AWSCURRENT has not moved. No rule about AWSPENDING is needed for that.
    const nothing = await handleEvent(events.putSecretValue(['AWSPENDING']));
    expect(nothing.services.filter((s) => s.outcome === 'redeployed')).toEqual([]);
    expect(changed(before, await deployments())).toEqual([]);

    const current = await currentVersion(emulator.sm, secret.arn);
    await emulator.sm.send(
      new UpdateSecretVersionStageCommand({
        SecretId: secret.arn,
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: pending.VersionId,
        RemoveFromVersionId: current,
      }),
    );
    await handleEvent(events.updateSecretVersionStage('AWSCURRENT', pending.VersionId as string));
    expect(changed(before, await deployments())).toEqual(affected());
  });

  it('redeploys after RotateSecret once the rotation has made a new version current', async () => {
    // moto rotates a secret without a rotation Lambda at once; a fresh secret keeps its stages simple.
    const secret = account.secrets.paymentsKey;
    const before = await deployments();
    const rotated = await emulator.sm.send(new RotateSecretCommand({ SecretId: secret.arn }));
    expect(await currentVersion(emulator.sm, secret.arn)).toBe(rotated.VersionId);

    const report = await handleEvent(secretEvents(secret.arn).rotateSecret());

    expect(report.services.map((s) => [s.serviceName, s.outcome])).toEqual([['payments', 'redeployed']]);
    expect(changed(before, await deployments())).toEqual(['payments']);
  });

  it('never touches services of a secret whose name extends the changed one', async () => {
    const before = await deployments();
    const secret = account.secrets.ordersDbCreds;
    await emulator.sm.send(new PutSecretValueCommand({ SecretId: secret.arn, SecretString: 'x' }));
    await handleEvent(secretEvents(secret.arn).putSecretValue());
    expect(changed(before, await deployments())).toEqual(['creds-sync']);
  });
});
