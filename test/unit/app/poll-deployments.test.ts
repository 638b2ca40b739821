import { DETAIL_TYPES } from '../../../functions/app/notifications';
import { resetFallbackNotice } from '../../../functions/app/poll-deployments';
import { type ReconcileOptions, reconcile } from '../../../functions/app/reconcile';
import { rebuildIndex } from '../../../functions/app/refresh-index';
import { parseTarget, type Target } from '../../../functions/domain/identity/target';
import type { DeploymentStrategy } from '../../../functions/domain/inventory/service';
import { WAVE_TAG } from '../../../functions/domain/rollout/waves';
import type { Logger } from '../../../functions/ports/logger';
import { type FakeWorld, fakeWorld, reconcileOptions, type SeededFakes, seedFakes } from '../../kit/fakes/fake-world';
import { demoPlan } from '../../kit/simulated-account';

/*
 * The schedule's poll of a rollout's deployments (the fallback for missed ECS deployment events),
 * on the in-memory ECS in virtual time: ECS's deployment records where they are offered, the
 * rolloutState of DescribeServices where not, and the strategies' bake times either way.
 */

const TRIGGER = { source: 'aws.secretsmanager', eventName: 'PutSecretValue' };
const MINUTE = 60_000;
const BLUE_GREEN_90: DeploymentStrategy = { name: 'BLUE_GREEN', bakeTimeInMinutes: 90 };
/** orders-api in the default wave, then orders-worker, then orders-ledger. */
const WAVES: Array<[string, string | undefined]> = [
  ['orders-api', undefined],
  ['orders-worker', '2'],
  ['orders-ledger', '3'],
];

let world: FakeWorld;
let seeded: SeededFakes;
let ordersDb: string;
let logged: Array<{ message: string; fields?: Record<string, unknown> }>;

const arnOf = (name: string) => seeded.serviceArns.get(name) as string;
const run = (overrides: Partial<ReconcileOptions> = {}) =>
  reconcile(world.ports, parseTarget(ordersDb) as Target, TRIGGER, reconcileOptions(overrides));
const record = (name: string) => world.ledger.read(ordersDb, arnOf(name));
const halts = () => world.notifier.published.filter((n) => n.detailType === DETAIL_TYPES.rolloutHalted);

beforeEach(async () => {
  logged = [];
  const log: Logger = {
    info: (message, fields) => logged.push({ message, fields }),
    warn: (message, fields) => logged.push({ message, fields }),
  };
  world = fakeWorld();
  world.ports.log = log;
  seeded = seedFakes(world, demoPlan());
  ordersDb = seeded.secrets.get('prod/orders-db')?.arn as string;
  await rebuildIndex(world.ports);
  for (const [name, wave] of WAVES) {
    const service = world.ecs.services.get(arnOf(name));
    if (service && wave) service.tags = { [WAVE_TAG]: wave };
  }
  resetFallbackNotice();
});

describe.each([
  ['ECS deployment records', true],
  ['rolloutState (records not offered)', false],
])('a blue/green service baking 90 minutes, in a three-wave rollout, polled every 30 minutes: %s', (_, offered) => {
  it('starts each wave after the bake of the one before, never halts, and completes', async () => {
    world.ecs.offersServiceDeployments = offered;
    for (const [name] of WAVES) (world.ecs.services.get(arnOf(name)) as { strategy?: DeploymentStrategy }).strategy = BLUE_GREEN_90;
    // ECS: 10 minutes to scale up and shift traffic, then the 90-minute bake, then SUCCESSFUL.
    const ends = (at: number) => at + 100 * MINUTE;
    const t0 = world.clock.now().getTime();
    world.secrets.rotate(ordersDb);
    await run();

    const started = new Map<string, number>();
    for (let tick = 1; tick <= 24 && world.ledger.secrets.get(ordersDb)?.rollout?.status !== 'completed'; tick++) {
      world.clock.advance(30 * MINUTE);
      for (const u of world.ecs.updates) {
        started.set(u.serviceArn, u.at);
        const service = world.ecs.services.get(u.serviceArn);
        const live = service?.deployments.find((d) => d.id === u.deploymentId);
        if (live?.rolloutState === 'IN_PROGRESS' && ends(u.at) <= world.clock.now().getTime())
          world.ecs.settle(u.deploymentId, 'COMPLETED');
        else if (offered && live?.rolloutState === 'IN_PROGRESS' && u.at + 10 * MINUTE <= world.clock.now().getTime())
          world.ecs.updateServiceDeployment(u.deploymentId, { lifecycleStage: 'BAKE_TIME' });
      }
      await run({ origin: 'schedule' });
    }
    for (const u of world.ecs.updates) started.set(u.serviceArn, u.at);

    expect(halts()).toEqual([]);
    expect(world.ledger.secrets.get(ordersDb)?.rollout?.status).toBe('completed');
    expect([...world.ecs.updatesPerService().values()]).toEqual([1, 1, 1]);
    const at = WAVES.map(([name]) => ((started.get(arnOf(name)) as number) - t0) / MINUTE);
    // Each wave goes at the first scheduled run after the one before has baked (100 minutes).
    expect(at).toEqual([0, 120, 240]);
    for (const [name] of WAVES) expect((await record(name))?.deployment?.state).toBe('COMPLETED');
    // Which of the two told: ECS's records, or rolloutState.
    expect((world.ecs.calls.DescribeServiceDeployments ?? 0) > 0).toBe(offered);
  });
});

describe('ECS deployment records', () => {
  async function firstWaveDeployed(): Promise<string> {
    world.secrets.rotate(ordersDb);
    await run();
    return (await record('orders-api'))?.deploymentId as string;
  }

  it("keep the ARN UpdateService's answer names (currentServiceDeployment) beside the deploymentId: the poll only describes", async () => {
    const id = await firstWaveDeployed();
    const kept = await record('orders-api');
    expect(kept?.serviceDeploymentArn).toBe(world.ecs.serviceDeployments.get(id)?.arn);
    expect(kept?.deploymentId).toBe(id);

    await run({ origin: 'schedule' });
    await run({ origin: 'schedule' });

    expect(world.ecs.calls.ListServiceDeployments).toBeUndefined();
    expect(world.ecs.calls.DescribeServiceDeployments).toBe(2);
  });

  it('find a deployment recorded without its ARN (an answer that named none, a recovered claim) once: the first created after the claim', async () => {
    const id = await firstWaveDeployed();
    const stored = (await record('orders-api')) as NonNullable<Awaited<ReturnType<typeof record>>>;
    const { serviceDeploymentArn: _, ...without } = stored;
    await world.ledger.write({ ...without, rev: stored.rev + 1 }, stored.rev);

    await run({ origin: 'schedule' });
    await run({ origin: 'schedule' });

    expect((await record('orders-api'))?.serviceDeploymentArn).toBe(world.ecs.serviceDeployments.get(id)?.arn);
    expect(world.ecs.calls.ListServiceDeployments).toBe(1);
    expect(world.ecs.calls.DescribeServiceDeployments).toBe(2);
  });

  it("an ARN from UpdateService's answer that names the deployment before ours is found again by the claim", async () => {
    const id = await firstWaveDeployed();
    const ours = world.ecs.serviceDeployments.get(id);
    const older = {
      ...structuredClone(ours),
      arn: `${ours?.arn}-older`,
      status: 'ROLLBACK_SUCCESSFUL',
      createdAt: '2020-01-01T00:00:00.000Z',
    };
    world.ecs.serviceDeployments.set('older', older as NonNullable<typeof ours>);
    const stored = (await record('orders-api')) as NonNullable<Awaited<ReturnType<typeof record>>>;
    await world.ledger.write({ ...stored, serviceDeploymentArn: older.arn, rev: stored.rev + 1 }, stored.rev);
    world.clock.advance(10 * MINUTE);
    world.ecs.settle(id, 'COMPLETED');

    await run({ origin: 'schedule' });

    expect(halts()).toEqual([]);
    expect(await record('orders-api')).toMatchObject({ serviceDeploymentArn: ours?.arn, deployment: { state: 'COMPLETED' } });
    expect(world.ecs.calls.ListServiceDeployments).toBe(1);
  });

  it('a rollback after alarms fired during the bake halts the rollout with the alarm named', async () => {
    const id = await firstWaveDeployed();
    world.clock.advance(40 * MINUTE);
    world.ecs.updateServiceDeployment(id, {
      status: 'ROLLBACK_SUCCESSFUL',
      lifecycleStage: 'BAKE_TIME',
      statusReason: 'Service deployment rolled back because the alarm was triggered.',
      alarms: { status: 'TRIGGERED', triggered: ['orders-api-5xx'] },
    });

    const again = await run({ origin: 'schedule' });

    expect(halts()).toHaveLength(1);
    expect(halts()[0].detail).toMatchObject({
      failed: [
        {
          serviceName: 'orders-api',
          reason: expect.stringMatching(/^ECS rolled the deployment back \(ROLLBACK_SUCCESSFUL\): alarm orders-api-5xx triggered/),
        },
      ],
    });
    expect((await record('orders-api'))?.deployment).toMatchObject({ state: 'FAILED', reason: expect.stringContaining('orders-api-5xx') });
    expect(again.report.services.find((s) => s.serviceName === 'orders-worker')?.outcome).toBe('waiting');
    expect(world.ecs.updates).toHaveLength(1);
  });

  it('a deployment still baking is not told apart from one rolled back: it waits, the next wave with it', async () => {
    const id = await firstWaveDeployed();
    world.ecs.services.get(arnOf('orders-api'))!.strategy = BLUE_GREEN_90;
    world.ecs.updateServiceDeployment(id, { lifecycleStage: 'BAKE_TIME', strategy: BLUE_GREEN_90 });
    world.clock.advance(80 * MINUTE);

    const again = await run({ origin: 'schedule' });

    expect(halts()).toEqual([]);
    expect(again.report.services.find((s) => s.serviceName === 'orders-worker')?.reason).toMatch(/waits for wave/);
  });

  it('a deployment held at a lifecycle hook waits like any in progress, until the timeout after its bake', async () => {
    const id = await firstWaveDeployed();
    world.ecs.updateServiceDeployment(id, {
      strategy: BLUE_GREEN_90,
      lifecycleStage: 'POST_TEST_TRAFFIC_SHIFT',
      hooks: [{ status: 'AWAITING_ACTION', targetType: 'PAUSE' }],
    });
    world.clock.advance(150 * MINUTE);
    await run({ origin: 'schedule' });
    expect(halts()).toEqual([]);

    world.clock.advance(2 * MINUTE);
    await run({ origin: 'schedule' });
    expect(halts()[0]?.detail).toMatchObject({
      failed: [
        {
          serviceName: 'orders-api',
          reason:
            'still in progress after 152 minutes (deploymentTimeoutMinutes 60 after a bake of 90 minutes); IN_PROGRESS, held by a hook at POST_TEST_TRAFFIC_SHIFT',
        },
      ],
    });
  });

  it('a deployment stopped because a newer one replaced it completes (the newer one runs the current versions)', async () => {
    const id = await firstWaveDeployed();
    world.clock.advance(MINUTE);
    world.ecs.deploy(world.ecs.services.get(arnOf('orders-api'))!);
    world.ecs.updateServiceDeployment(id, { status: 'STOPPED', statusReason: 'A newer deployment started' });

    await run({ origin: 'schedule' });

    expect(halts()).toEqual([]);
    expect((await record('orders-api'))?.deployment).toMatchObject({
      state: 'COMPLETED',
      reason: expect.stringMatching(/^superseded by deployment /),
    });
  });

  it('where they are not offered, the poll reads rolloutState, and says so once per process', async () => {
    world.ecs.offersServiceDeployments = false;
    const id = await firstWaveDeployed();
    await run({ origin: 'schedule' });
    world.ecs.settle(id, 'FAILED', 'ECS deployment circuit breaker: tasks failed to start.');
    await run({ origin: 'schedule' });

    expect(halts()[0]?.detail).toMatchObject({
      failed: [{ serviceName: 'orders-api', reason: 'ECS deployment circuit breaker: tasks failed to start.' }],
    });
    expect(logged.filter((l) => /not offered/.test(l.message))).toHaveLength(1);
    expect(world.ecs.calls.DescribeServiceDeployments).toBeUndefined();
    expect((await record('orders-api'))?.serviceDeploymentArn).toBeUndefined();
  });

  it('are described 20 per call for the whole rollout', async () => {
    // 45 consumers in wave 1 of a rollout: 3 DescribeServiceDeployments a poll, no listing (UpdateService named each).
    const plan = demoPlan();
    world = fakeWorld();
    seeded = seedFakes(world, {
      ...plan,
      services: Array.from({ length: 45 }, (_, i) => ({ ...plan.services[0], name: `api-${i}` })),
    });
    ordersDb = seeded.secrets.get('prod/orders-db')?.arn as string;
    await rebuildIndex(world.ports);
    world.secrets.rotate(ordersDb);
    await run();
    const before = { ...world.ecs.calls };

    await run({ origin: 'schedule' });
    await run({ origin: 'schedule' });

    const calls = (op: string) => (world.ecs.calls[op] ?? 0) - (before[op] ?? 0);
    expect(calls('UpdateService')).toBe(0);
    expect(calls('ListServiceDeployments')).toBe(0);
    expect(calls('DescribeServiceDeployments')).toBe(6);
  });
});
