import { resetFallbackNotice } from '../../../functions/app/poll-deployments';
import { rebuildIndex } from '../../../functions/app/refresh-index';
import { secretStatus } from '../../../functions/app/status';
import { statusRendering } from '../../../functions/cli/status-format';
import { parseTarget, type Target } from '../../../functions/domain/identity/target';
import { type FakeWorld, fakeWorld, reconcileSecret, type SeededFakes, seedFakes } from '../../kit/fakes/fake-world';
import { demoPlan } from '../../kit/simulated-account';

/*
 * `status` per consumer: how ECS deploys it (its strategy), where ECS's record of its deployment
 * stands (status, lifecycle stage, a hook holding it) and when its bake ends.
 */

let world: FakeWorld;
let seeded: SeededFakes;
let ordersDb: string;

const arnOf = (name: string) => seeded.serviceArns.get(name) as string;
const target = () => parseTarget(ordersDb) as Target;
const consumer = (status: Awaited<ReturnType<typeof secretStatus>>, name: string) => status.consumers.find((c) => c.serviceName === name);
const PLAIN = { color: false };

beforeEach(async () => {
  world = fakeWorld();
  seeded = seedFakes(world, demoPlan());
  ordersDb = seeded.secrets.get('prod/orders-db')?.arn as string;
  await rebuildIndex(world.ports);
  resetFallbackNotice();
  const api = world.ecs.services.get(arnOf('orders-api'));
  if (api) api.strategy = { name: 'BLUE_GREEN', bakeTimeInMinutes: 90 };
});

describe('status of consumers deployed with a strategy', () => {
  it('shows the strategy, the deployment status and lifecycle stage, and when its bake ends', async () => {
    world.secrets.rotate(ordersDb);
    const startedAt = world.clock.now();
    await reconcileSecret(world, ordersDb);
    const deploymentId = (await world.ledger.read(ordersDb, arnOf('orders-api')))?.deploymentId as string;
    world.ecs.updateServiceDeployment(deploymentId, { lifecycleStage: 'BAKE_TIME' });

    const status = await secretStatus(world.ports, target());

    expect(consumer(status, 'orders-api')).toMatchObject({
      strategy: 'BLUE_GREEN (bake 90 min)',
      serviceDeployment: {
        arn: world.ecs.serviceDeployments.get(deploymentId)?.arn,
        status: 'IN_PROGRESS',
        lifecycleStage: 'BAKE_TIME',
        text: 'IN_PROGRESS, BAKE_TIME',
        bakeEndsAt: new Date(startedAt.getTime() + 90 * 60_000).toISOString(),
      },
    });
    expect(consumer(status, 'orders-worker')).toMatchObject({ strategy: 'ROLLING', serviceDeployment: { status: 'IN_PROGRESS' } });
    expect(consumer(status, 'orders-worker')?.serviceDeployment).not.toHaveProperty('bakeEndsAt');

    const table = statusRendering(status).table(PLAIN);
    const bakeEnds = new Date(startedAt.getTime() + 90 * 60_000).toISOString().replace(/\.\d+Z$/, 'Z');
    expect(table).toContain(`orders-api: BLUE_GREEN (bake 90 min)\n  deployment IN_PROGRESS, BAKE_TIME\n  bake ends ${bakeEnds}\n`);
    expect(table).toContain('orders-worker: ROLLING\n  deployment IN_PROGRESS\n');
    for (const line of table.split('\n').filter((l) => /^\S+: |^ {2}(deployment|bake)/.test(l)))
      expect(line.length).toBeLessThanOrEqual(80);
    expect(statusRendering(status).text()).toMatch(/^STRATEGY\torders-api\tBLUE_GREEN \(bake 90 min\)\tIN_PROGRESS\tBAKE_TIME\t\t/m);
  });

  it('says when a lifecycle hook holds the deployment', async () => {
    world.secrets.rotate(ordersDb);
    await reconcileSecret(world, ordersDb);
    const deploymentId = (await world.ledger.read(ordersDb, arnOf('orders-api')))?.deploymentId as string;
    world.ecs.updateServiceDeployment(deploymentId, {
      lifecycleStage: 'POST_TEST_TRAFFIC_SHIFT',
      hooks: [{ status: 'AWAITING_ACTION', targetType: 'PAUSE' }],
    });

    const status = await secretStatus(world.ports, target());

    expect(consumer(status, 'orders-api')?.serviceDeployment).toMatchObject({
      heldAtHook: true,
      text: 'IN_PROGRESS, held by a hook at POST_TEST_TRAFFIC_SHIFT',
    });
    expect(statusRendering(status).table(PLAIN)).toContain(
      'orders-api: BLUE_GREEN (bake 90 min)\n  deployment IN_PROGRESS, held by a hook at POST_TEST_TRAFFIC_SHIFT\n  bake ends ',
    );
  });

  it('shows the strategy alone where ECS offers no deployment records, and nothing of them without live', async () => {
    world.ecs.offersServiceDeployments = false;
    world.secrets.rotate(ordersDb);
    await reconcileSecret(world, ordersDb);

    const status = await secretStatus(world.ports, target());
    expect(consumer(status, 'orders-api')?.strategy).toBe('BLUE_GREEN (bake 90 min)');
    expect(consumer(status, 'orders-api')).not.toHaveProperty('serviceDeployment');
    expect(statusRendering(status).table(PLAIN)).toContain('orders-api: BLUE_GREEN (bake 90 min)\n');

    const offline = await secretStatus(world.ports, target(), { live: false });
    expect(consumer(offline, 'orders-api')).not.toHaveProperty('strategy');
    expect(statusRendering(offline).table(PLAIN)).not.toContain('BLUE_GREEN');
  });
});
