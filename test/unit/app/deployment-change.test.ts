import { onDeploymentChange } from '../../../functions/app/deployment-change';
import { DETAIL_TYPES } from '../../../functions/app/notifications';
import { rebuildIndex } from '../../../functions/app/refresh-index';
import type { RunContext } from '../../../functions/app/run-context';
import { ForeignAccountError } from '../../../functions/domain/errors';
import { NO_DEADLINE } from '../../../functions/domain/rollout/deadline';
import { WAVE_TAG } from '../../../functions/domain/rollout/waves';
import { type FakeWorld, fakeWorld, reconcileSecret, type SeededFakes, seedFakes } from '../../kit/fakes/fake-world';
import { demoPlan } from '../../kit/simulated-account';
import { ACCOUNT } from '../../kit/test-account';

/*
 * A rollout goes on as ECS tells how its deployments ended: orders-api in wave 1, orders-worker
 * in wave 2, orders-ledger in wave 3. The fake ECS never ends a deployment by itself: each test
 * ends them (settle) and hands the event to onDeploymentChange, as the stack's rule would.
 */

const RUN: RunContext = { deadline: NO_DEADLINE, dryRun: false };
const WAVES: Record<string, number> = { 'orders-api': 1, 'orders-worker': 2, 'orders-ledger': 3 };

let world: FakeWorld;
let seeded: SeededFakes;
let ordersDb: string;

const arnOf = (name: string) => seeded.serviceArns.get(name) as string;

function deployedNames(): string[] {
  const names = new Map([...seeded.serviceArns].map(([name, arn]) => [arn, name]));
  return world.ecs.updates.map((u) => names.get(u.serviceArn) as string);
}

function rotateAndReconcile() {
  world.secrets.rotate(ordersDb);
  return reconcileSecret(world, ordersDb);
}

/** The deployment the ledger recorded for a service. */
async function deploymentOf(name: string): Promise<string> {
  return (await world.ledger.read(ordersDb, arnOf(name)))?.deploymentId as string;
}

/** ECS ends a service's deployment, and its event reaches the handler. */
async function ends(name: string, state: 'COMPLETED' | 'FAILED', reason?: string, deploymentId?: string) {
  const id = deploymentId ?? (await deploymentOf(name));
  world.ecs.settle(id, state, reason);
  return event(name, `SERVICE_DEPLOYMENT_${state}`, id, reason);
}

function event(name: string, eventName: string, deploymentId: string, reason?: string, from: { account?: string; region?: string } = {}) {
  return onDeploymentChange(
    world.ports,
    { serviceArn: arnOf(name), eventName, deploymentId, ...(reason ? { reason } : {}), ...from },
    { source: 'aws.ecs', detailType: 'ECS Deployment State Change', eventName },
    RUN,
  );
}

function published(detailType: string) {
  return world.notifier.published.filter((n) => n.detailType === detailType);
}

beforeEach(async () => {
  world = fakeWorld();
  seeded = seedFakes(world, demoPlan());
  ordersDb = seeded.secrets.get('prod/orders-db')?.arn as string;
  for (const [name, wave] of Object.entries(WAVES)) {
    const service = world.ecs.services.get(arnOf(name));
    if (service) service.tags = { [WAVE_TAG]: String(wave) };
  }
  await rebuildIndex(world.ports);
});

describe('onDeploymentChange', () => {
  it('starts each wave only when the deployments of the wave before completed, then completes the rollout once', async () => {
    const first = await rotateAndReconcile();
    expect(deployedNames()).toEqual(['orders-api']);
    expect(first.report.services.find((s) => s.serviceName === 'orders-worker')).toMatchObject({
      outcome: 'waiting',
      wave: 2,
      reason: 'wave 2: waits for wave 1 to complete',
    });

    const afterApi = await ends('orders-api', 'COMPLETED');
    expect(deployedNames()).toEqual(['orders-api', 'orders-worker']);
    expect(afterApi.secrets).toEqual([expect.objectContaining({ secret: ordersDb, recorded: true })]);

    await ends('orders-worker', 'COMPLETED');
    expect(deployedNames()).toEqual(['orders-api', 'orders-worker', 'orders-ledger']);
    expect(published(DETAIL_TYPES.rolloutCompleted)).toEqual([]);

    await ends('orders-ledger', 'COMPLETED');
    expect(deployedNames()).toEqual(['orders-api', 'orders-worker', 'orders-ledger']);
    const completed = published(DETAIL_TYPES.rolloutCompleted);
    expect(completed).toHaveLength(1);
    expect(completed[0].detail).toMatchObject({ services: 3, waves: [1, 2, 3] });
    expect((await world.ledger.readSecret(ordersDb))?.rollout?.status).toBe('completed');
    expect(world.metrics.sum('RolloutCompleted')).toBe(1);
  });

  it('halts the rollout on a failed deployment: no later wave starts, one Rollout Halted event with ECS reason', async () => {
    await rotateAndReconcile();
    const reason = 'ECS deployment circuit breaker: tasks failed to start.';

    await ends('orders-api', 'FAILED', reason);
    await event('orders-api', 'SERVICE_DEPLOYMENT_FAILED', await deploymentOf('orders-api'), reason);

    expect(deployedNames()).toEqual(['orders-api']);
    const halted = published(DETAIL_TYPES.rolloutHalted);
    expect(halted).toHaveLength(1);
    expect(halted[0].detail).toMatchObject({
      secret: { arn: ordersDb },
      wave: 1,
      failed: [{ service: arnOf('orders-api'), serviceName: 'orders-api', deploymentId: await deploymentOf('orders-api'), reason }],
    });
    expect((await world.ledger.readSecret(ordersDb))?.rollout).toMatchObject({ status: 'halted', halted: { wave: 1 } });
    expect(world.metrics.sum('RolloutHalted')).toBe(1);
  });

  it('changes nothing for a duplicate event: the recorded state is already that', async () => {
    await rotateAndReconcile();
    await ends('orders-api', 'COMPLETED');
    const before = world.ecs.updates.length;

    const duplicate = await event('orders-api', 'SERVICE_DEPLOYMENT_COMPLETED', await deploymentOf('orders-api'));

    expect(duplicate.secrets).toEqual([]);
    expect(duplicate.reason).toBe('already recorded as COMPLETED');
    expect(world.ecs.updates.length).toBe(before);
  });

  it("ignores an event of a deployment the service did not make (the account's own deploy, an older one arriving late)", async () => {
    await rotateAndReconcile();
    // A deployment id that is not the one our redeploy recorded (an older one, or the account's own).
    const older = 'ecs-svc/0000000000000000001';

    const late = await event('orders-api', 'SERVICE_DEPLOYMENT_COMPLETED', older);

    expect(late).toMatchObject({ secrets: [], reason: 'not a deployment this service made for a rollout' });
    expect(deployedNames()).toEqual(['orders-api']);
    expect((await world.ledger.read(ordersDb, arnOf('orders-api')))?.deployment?.state).toBe('IN_PROGRESS');
  });

  it('records an event that does not end a deployment as nothing (IN_PROGRESS)', async () => {
    await rotateAndReconcile();
    const progress = await event('orders-api', 'SERVICE_DEPLOYMENT_IN_PROGRESS', await deploymentOf('orders-api'));
    expect(progress).toEqual({
      service: arnOf('orders-api'),
      deploymentId: await deploymentOf('orders-api'),
      secrets: [],
      reason: 'SERVICE_DEPLOYMENT_IN_PROGRESS does not end a deployment',
    });
  });

  it('lets a newer version start a new rollout while the older is halted; the older events then change nothing', async () => {
    await rotateAndReconcile();
    const failedId = await deploymentOf('orders-api');
    await ends('orders-api', 'FAILED', 'circuit breaker');

    const newer = await rotateAndReconcile();
    expect(newer.report.services.find((s) => s.serviceName === 'orders-api')?.outcome).toBe('redeployed');
    expect(deployedNames()).toEqual(['orders-api', 'orders-api']);
    const late = await event('orders-api', 'SERVICE_DEPLOYMENT_FAILED', failedId, 'circuit breaker');
    expect(late.secrets).toEqual([]);

    await ends('orders-api', 'COMPLETED');
    expect(deployedNames()).toEqual(['orders-api', 'orders-api', 'orders-worker']);
  });

  it('a completion of a wave with another deployment still in progress starts nothing yet', async () => {
    const second = world.ecs.services.get(arnOf('orders-worker'));
    if (second) second.tags = { [WAVE_TAG]: '1' };
    await rotateAndReconcile();
    expect(deployedNames().sort()).toEqual(['orders-api', 'orders-worker']);

    await ends('orders-api', 'COMPLETED');
    expect(deployedNames()).toHaveLength(2);

    await ends('orders-worker', 'COMPLETED');
    expect(deployedNames()).toEqual(expect.arrayContaining(['orders-ledger']));
  });

  describe('confirmed with ECS before it releases or halts a wave: a forged event moves nothing', () => {
    const NOT_CONFIRMED = (state: string) => new RegExp(`still in progress: the event's ${state} is not confirmed, nothing changes$`);

    it.each([true, false])('a COMPLETED that ECS does not confirm starts no wave (deployment records offered: %p)', async (offered) => {
      world.ecs.offersServiceDeployments = offered;
      await rotateAndReconcile();
      const forged = await event('orders-api', 'SERVICE_DEPLOYMENT_COMPLETED', await deploymentOf('orders-api'));
      expect(forged).toMatchObject({ secrets: [], reason: expect.stringMatching(NOT_CONFIRMED('COMPLETED')) });
      expect(deployedNames()).toEqual(['orders-api']);
      expect((await world.ledger.read(ordersDb, arnOf('orders-api')))?.deployment?.state).toBe('IN_PROGRESS');
      expect(world.metrics.sum('EventsRefused')).toBe(1);
    });

    it('a FAILED that ECS does not confirm halts nothing, and publishes no Rollout Halted', async () => {
      await rotateAndReconcile();
      const forged = await event('orders-api', 'SERVICE_DEPLOYMENT_FAILED', await deploymentOf('orders-api'), 'forged');
      expect(forged).toMatchObject({ secrets: [], reason: expect.stringMatching(NOT_CONFIRMED('FAILED')) });
      expect(published(DETAIL_TYPES.rolloutHalted)).toEqual([]);
      expect((await world.ledger.readSecret(ordersDb))?.rollout?.status).toBe('in-progress');
      // The genuine end still moves the rollout on.
      await ends('orders-api', 'COMPLETED');
      expect(deployedNames()).toEqual(['orders-api', 'orders-worker']);
    });

    it('records what ECS reports, not what the event claims: a FAILED event of a deployment ECS completed starts the next wave', async () => {
      await rotateAndReconcile();
      const id = await deploymentOf('orders-api');
      world.ecs.settle(id, 'COMPLETED');
      const outcome = await event('orders-api', 'SERVICE_DEPLOYMENT_FAILED', id, 'forged');
      expect(outcome.secrets).toEqual([expect.objectContaining({ secret: ordersDb, recorded: true })]);
      expect((await world.ledger.read(ordersDb, arnOf('orders-api')))?.deployment?.state).toBe('COMPLETED');
      expect(deployedNames()).toEqual(['orders-api', 'orders-worker']);
      expect(published(DETAIL_TYPES.rolloutHalted)).toEqual([]);
    });

    it("takes ECS's deployment record for how it ended where ECS keeps one (DescribeServiceDeployments)", async () => {
      await rotateAndReconcile();
      const id = await deploymentOf('orders-api');
      world.ecs.updateServiceDeployment(id, { status: 'ROLLBACK_IN_PROGRESS', statusReason: 'alarm fired' });
      await event('orders-api', 'SERVICE_DEPLOYMENT_COMPLETED', id);
      expect((await world.ledger.read(ordersDb, arnOf('orders-api')))?.deployment).toMatchObject({
        state: 'FAILED',
        reason: 'ECS rolled the deployment back (ROLLBACK_IN_PROGRESS); alarm fired',
      });
      expect(world.ecs.calls.DescribeServiceDeployments).toBeGreaterThan(0);
      expect(deployedNames()).toEqual(['orders-api']);
    });

    it("takes ECS's reason for a failure, not the event's, from DescribeServices where ECS keeps no records", async () => {
      world.ecs.offersServiceDeployments = false;
      await rotateAndReconcile();
      const id = await deploymentOf('orders-api');
      world.ecs.settle(id, 'FAILED', 'ECS deployment circuit breaker: tasks failed to start.');
      await event('orders-api', 'SERVICE_DEPLOYMENT_FAILED', id, 'whatever the sender wrote');
      expect(published(DETAIL_TYPES.rolloutHalted)[0].detail).toMatchObject({
        failed: [{ serviceName: 'orders-api', reason: 'ECS deployment circuit breaker: tasks failed to start.' }],
      });
    });

    it('a deployment already recorded as ended is not turned over by a later event of the other kind', async () => {
      await rotateAndReconcile();
      await ends('orders-api', 'COMPLETED');
      const late = await event('orders-api', 'SERVICE_DEPLOYMENT_FAILED', await deploymentOf('orders-api'), 'forged');
      expect(late).toMatchObject({ secrets: [], reason: 'already recorded as COMPLETED' });
      expect(published(DETAIL_TYPES.rolloutHalted)).toEqual([]);
    });

    it.each([
      ['from another account', { account: '999999999999' }],
      ['from another region', { account: ACCOUNT, region: 'us-east-1' }],
    ])('refuses an event %s: ForeignAccountError, counted, nothing recorded', async (_label, from) => {
      await rotateAndReconcile();
      const id = await deploymentOf('orders-api');
      world.ecs.settle(id, 'COMPLETED');
      await expect(event('orders-api', 'SERVICE_DEPLOYMENT_COMPLETED', id, undefined, from)).rejects.toThrow(ForeignAccountError);
      expect((await world.ledger.read(ordersDb, arnOf('orders-api')))?.deployment?.state).toBe('IN_PROGRESS');
      expect(deployedNames()).toEqual(['orders-api']);
      expect(world.metrics.sum('EventsRefused')).toBe(1);
    });

    it("refuses an event about another account's service", async () => {
      const foreign = arnOf('orders-api').replace(ACCOUNT, '999999999999');
      await expect(
        onDeploymentChange(
          world.ports,
          { serviceArn: foreign, eventName: 'SERVICE_DEPLOYMENT_FAILED', deploymentId: 'ecs-svc/1' },
          { source: 'aws.ecs' },
          RUN,
        ),
      ).rejects.toThrow(/a service of another account than this one/);
    });
  });
});
