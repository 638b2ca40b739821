/**
 * Waves against moto_server, through the real SDK and adapters. moto's deployments never end by
 * themselves, so the test plays ECS's part: it reads the deploymentId that DescribeServices shows,
 * ends that deployment in the emulator as ECS would (rolloutState COMPLETED or FAILED, through the
 * launcher's control: test/kit/moto.ts), and hands the handler the "ECS Deployment State Change"
 * event that ECS then sends. The handler confirms every such event with ECS (DescribeServices'
 * rolloutState here: moto offers no deployment records), so an event ECS does not confirm, or one
 * of another account, moves nothing.
 */
import { DescribeServicesCommand, TagResourceCommand } from '@aws-sdk/client-ecs';
import { PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { handleEvent } from '../../functions/app/handle-event';
import { rebuildIndex } from '../../functions/app/refresh-index';
import { resume } from '../../functions/app/resume';
import type { RunContext } from '../../functions/app/run-context';
import { secretStatus } from '../../functions/app/status';
import { createStateTable } from '../../functions/aws/state-table/admin';
import { ForeignAccountError } from '../../functions/domain/errors';
import { parseTarget, type Target } from '../../functions/domain/identity/target';
import { NO_DEADLINE } from '../../functions/domain/rollout/deadline';
import { WAVE_TAG } from '../../functions/domain/rollout/waves';
import { type Emulator, MOTO_ACCOUNT, startEmulator } from '../kit/emulator';
import { deploymentChange, scheduledEvent, secretEvents } from '../kit/events';
import { endEcsDeployment } from '../kit/moto';
import { type DemoAccount, seedDemoAccount } from '../kit/simulated-account';
import { REGION } from '../kit/test-account';

const ORIGIN = { account: MOTO_ACCOUNT, region: REGION };
const RUN: RunContext = { deadline: NO_DEADLINE, dryRun: false };
const WEB = ['orders-api', 'orders-worker', 'orders-ledger'];

let emulator: Emulator;
let account: DemoAccount;

beforeAll(async () => {
  emulator = await startEmulator();
  account = await seedDemoAccount(emulator.ecs, emulator.sm);
  // orders-api stays in the default wave 1.
  for (const [name, wave] of [
    ['orders-worker', '2'],
    ['orders-ledger', '3'],
  ]) {
    await emulator.ecs.send(new TagResourceCommand({ resourceArn: await serviceArn(name), tags: [{ key: WAVE_TAG, value: wave }] }));
  }
  await createStateTable(emulator.ports().table);
  await rebuildIndex(emulator.ports());
}, 60_000);

afterAll(async () => {
  await emulator?.moto.stop();
});

async function describeWeb() {
  const out = await emulator.ecs.send(new DescribeServicesCommand({ cluster: account.clusters.web, services: WEB }));
  return new Map((out.services ?? []).map((s) => [s.serviceName as string, s]));
}

async function serviceArn(name: string): Promise<string> {
  return (await describeWeb()).get(name)?.serviceArn as string;
}

/** Every deployment id seen per web service, kept by the test: ECS stops listing a deployment once it is replaced and drained. */
const seen = new Map<string, Set<string>>(WEB.map((name) => [name, new Set()]));

/** The deployment ids of each web service, newest (PRIMARY) first. */
async function deployments(): Promise<Record<string, string[]>> {
  const services = await describeWeb();
  const ids = Object.fromEntries(WEB.map((name) => [name, (services.get(name)?.deployments ?? []).map((d) => d.id as string)]));
  for (const name of WEB) for (const id of ids[name]) seen.get(name)?.add(id);
  return ids;
}

/** What DescribeServices shows as the service's PRIMARY deployment. */
async function primary(name: string): Promise<string> {
  return (await deployments())[name][0];
}

/** ECS ends the service's PRIMARY deployment, and tells so with its event. */
async function ecsSays(name: string, state: 'COMPLETED' | 'FAILED', reason?: string) {
  const [service, deploymentId] = [await serviceArn(name), await primary(name)];
  await endEcsDeployment(emulator.moto, { service, deploymentId, rolloutState: state, ...(reason ? { reason } : {}) });
  return handleEvent(emulator.ports(), deploymentChange(service, `SERVICE_DEPLOYMENT_${state}`, deploymentId, ORIGIN, reason), RUN);
}

/** An event that claims the service's PRIMARY deployment ended, while ECS says nothing of the kind. */
async function forged(name: string, state: 'COMPLETED' | 'FAILED', origin = ORIGIN, service?: string) {
  const event = deploymentChange(service ?? (await serviceArn(name)), `SERVICE_DEPLOYMENT_${state}`, await primary(name), origin, 'forged');
  return handleEvent(emulator.ports(), event, RUN);
}

async function rotate(): Promise<void> {
  await emulator.sm.send(new PutSecretValueCommand({ SecretId: account.secrets.ordersDb.arn, SecretString: `v-${Date.now()}` }));
  await handleEvent(emulator.ports(), secretEvents(account.secrets.ordersDb.arn, ORIGIN).putSecretValue(), RUN);
}

/** How many deployments each web service got since `before`. */
async function newDeployments(before: Record<string, string[]>): Promise<Record<string, number>> {
  await deployments();
  return Object.fromEntries(WEB.map((name) => [name, [...(seen.get(name) ?? [])].filter((id) => !before[name].includes(id)).length]));
}

const target = () => parseTarget(account.secrets.ordersDb.arn) as Target;

describe('waves against moto_server', () => {
  it('starts each wave after the one before completed; a failure halts; resume goes on from the failed service', async () => {
    const before = await deployments();

    await rotate();
    expect(await newDeployments(before)).toEqual({ 'orders-api': 1, 'orders-worker': 0, 'orders-ledger': 0 });

    await ecsSays('orders-api', 'COMPLETED');
    expect(await newDeployments(before)).toEqual({ 'orders-api': 1, 'orders-worker': 1, 'orders-ledger': 0 });

    await ecsSays('orders-worker', 'FAILED', 'ECS deployment circuit breaker: tasks failed to start.');
    expect(await newDeployments(before)).toEqual({ 'orders-api': 1, 'orders-worker': 1, 'orders-ledger': 0 });
    const halted = await secretStatus(emulator.ports(), target());
    expect(halted.rollout).toMatchObject({
      status: 'halted',
      halted: { wave: 2, failed: [{ reason: 'ECS deployment circuit breaker: tasks failed to start.' }] },
    });

    // The same event again (EventBridge delivers at least once) changes nothing.
    const duplicate = await handleEvent(
      emulator.ports(),
      deploymentChange(await serviceArn('orders-worker'), 'SERVICE_DEPLOYMENT_FAILED', (await deployments())['orders-worker'][0], ORIGIN),
      RUN,
    );
    expect(duplicate).toMatchObject({ kind: 'deployment', progress: { secrets: [] } });

    const resumed = await resume(emulator.ports(), target(), RUN);
    expect(resumed.services.find((s) => s.serviceName === 'orders-worker')?.outcome).toBe('redeployed');
    expect(await newDeployments(before)).toEqual({ 'orders-api': 1, 'orders-worker': 2, 'orders-ledger': 0 });

    await ecsSays('orders-worker', 'COMPLETED');
    expect(await newDeployments(before)).toEqual({ 'orders-api': 1, 'orders-worker': 2, 'orders-ledger': 1 });

    await ecsSays('orders-ledger', 'COMPLETED');
    const done = await secretStatus(emulator.ports(), target());
    expect(done.rollout).toMatchObject({ status: 'completed' });
    expect(await newDeployments(before)).toEqual({ 'orders-api': 1, 'orders-worker': 2, 'orders-ledger': 1 });
  });

  it('polls rolloutState on the schedule as before: moto offers no ECS deployment records, and the adapter asks for them once', async () => {
    const ports = emulator.ports();
    const service = { clusterArn: account.clusters.web, serviceArn: await serviceArn('orders-api') };
    const listed = await ports.ecs.listServiceDeployments(service, new Date(0).toISOString());
    expect(listed).toEqual({ notOffered: expect.stringMatching(/^the endpoint does not answer it like the ECS API/) });
    expect(await ports.ecs.describeServiceDeployments(['arn:aws:ecs:eu-west-1:123456789012:service-deployment/web/orders-api/x'])).toBe(
      listed,
    );

    // Every deployment seen so far, the first test's included.
    await deployments();
    const before = Object.fromEntries(WEB.map((name) => [name, [...(seen.get(name) ?? [])]]));
    await rotate();
    expect(await newDeployments(before)).toEqual({ 'orders-api': 1, 'orders-worker': 0, 'orders-ledger': 0 });
    // The schedule polls: moto's deployment stays IN_PROGRESS, so the rollout waits, halts nothing, and records no ECS record.
    await handleEvent(emulator.ports(), scheduledEvent(ORIGIN), RUN);
    expect(await newDeployments(before)).toEqual({ 'orders-api': 1, 'orders-worker': 0, 'orders-ledger': 0 });
    const waiting = await secretStatus(emulator.ports(), target());
    expect(waiting.rollout).toMatchObject({ status: 'in-progress' });
    const api = waiting.consumers.find((c) => c.serviceName === 'orders-api');
    expect(api?.deploymentState).toBe('IN_PROGRESS');
    const record = await emulator.ports().ledger.read(account.secrets.ordersDb.arn, service.serviceArn);
    expect(record?.deployment).toMatchObject({ state: 'IN_PROGRESS' });
    expect(record).not.toHaveProperty('serviceDeploymentArn');

    await ecsSays('orders-api', 'COMPLETED');
    expect(await newDeployments(before)).toEqual({ 'orders-api': 1, 'orders-worker': 1, 'orders-ledger': 0 });
  });

  it('a forged deployment event neither releases nor halts a wave: ECS does not confirm it, or it is of another account', async () => {
    await deployments();
    const before = Object.fromEntries(WEB.map((name) => [name, [...(seen.get(name) ?? [])]]));
    await rotate();
    expect(await newDeployments(before)).toEqual({ 'orders-api': 1, 'orders-worker': 0, 'orders-ledger': 0 });
    const api = await serviceArn('orders-api');
    const recorded = () => emulator.ports().ledger.read(account.secrets.ordersDb.arn, api);

    // A COMPLETED or FAILED that ECS does not confirm (DescribeServices shows the deployment in progress).
    for (const state of ['COMPLETED', 'FAILED'] as const) {
      const outcome = await forged('orders-api', state);
      expect(outcome).toMatchObject({
        kind: 'deployment',
        progress: { secrets: [], reason: expect.stringMatching(new RegExp(`still in progress: the event's ${state} is not confirmed`)) },
      });
    }
    // From another account, or about a service of another account: refused as bad input.
    await expect(forged('orders-api', 'COMPLETED', { account: '999999999999', region: REGION })).rejects.toThrow(ForeignAccountError);
    await expect(forged('orders-api', 'FAILED', ORIGIN, api.replace(MOTO_ACCOUNT, '999999999999'))).rejects.toThrow(ForeignAccountError);

    expect(await newDeployments(before)).toEqual({ 'orders-api': 1, 'orders-worker': 0, 'orders-ledger': 0 });
    expect((await recorded())?.deployment).toMatchObject({ state: 'IN_PROGRESS' });
    expect((await secretStatus(emulator.ports(), target())).rollout).toMatchObject({ status: 'in-progress' });

    // The genuine end, confirmed by ECS, releases the next wave as before.
    await ecsSays('orders-api', 'COMPLETED');
    expect(await newDeployments(before)).toEqual({ 'orders-api': 1, 'orders-worker': 1, 'orders-ledger': 0 });
    expect((await recorded())?.deployment).toMatchObject({ state: 'COMPLETED' });
  });
});
