import { DETAIL_TYPES } from '../../../functions/app/notifications';
import { rebuildIndex } from '../../../functions/app/refresh-index';
import { resume } from '../../../functions/app/resume';
import type { RunContext } from '../../../functions/app/run-context';
import { BadInputError } from '../../../functions/domain/errors';
import { parseTarget, type Target } from '../../../functions/domain/identity/target';
import { NO_DEADLINE } from '../../../functions/domain/rollout/deadline';
import { WAVE_TAG } from '../../../functions/domain/rollout/waves';
import { type FakeWorld, fakeWorld, reconcileSecret, type SeededFakes, seedFakes } from '../../kit/fakes/fake-world';
import { demoPlan } from '../../kit/simulated-account';

/*
 * `resume`: a rollout halted by a failed deployment goes on after a fix. orders-api is in wave 1,
 * orders-worker and orders-ledger in wave 2.
 */

const RUN: RunContext = { deadline: NO_DEADLINE, dryRun: false };

let world: FakeWorld;
let seeded: SeededFakes;
let ordersDb: string;

const arnOf = (name: string) => seeded.serviceArns.get(name) as string;
const target = () => parseTarget(ordersDb) as Target;

function updates(name: string): number {
  return world.ecs.updatesPerService().get(arnOf(name)) ?? 0;
}

const reconcileOn = (origin: 'event' | 'schedule') => reconcileSecret(world, ordersDb, origin);

/** A rotation whose wave-1 deployment fails; the schedule halts the rollout. */
async function haltedRollout(): Promise<string> {
  world.secrets.rotate(ordersDb);
  await reconcileOn('event');
  const failed = world.ecs.services.get(arnOf('orders-api'))?.deployments[0].id as string;
  world.ecs.settle(failed, 'FAILED', 'ECS deployment circuit breaker: tasks failed to start.');
  await reconcileOn('schedule');
  return failed;
}

beforeEach(async () => {
  world = fakeWorld();
  seeded = seedFakes(world, demoPlan());
  ordersDb = seeded.secrets.get('prod/orders-db')?.arn as string;
  for (const name of ['orders-worker', 'orders-ledger']) {
    const service = world.ecs.services.get(arnOf(name));
    if (service) service.tags = { [WAVE_TAG]: '2' };
  }
  await rebuildIndex(world.ports);
});

describe('resume', () => {
  it('redeploys the failed service again in its wave, then lets the next wave go once it completes', async () => {
    await haltedRollout();
    expect((await world.ledger.readSecret(ordersDb))?.rollout?.status).toBe('halted');

    const report = await resume(world.ports, target(), RUN);

    expect(report.services.find((s) => s.serviceName === 'orders-api')?.outcome).toBe('redeployed');
    expect(updates('orders-api')).toBe(2);
    expect(updates('orders-worker')).toBe(0);
    expect((await world.ledger.readSecret(ordersDb))?.rollout).toMatchObject({ status: 'in-progress', resumedAt: expect.any(String) });

    world.ecs.settle(world.ecs.services.get(arnOf('orders-api'))?.deployments[0].id as string, 'COMPLETED');
    await reconcileOn('schedule');
    expect([updates('orders-worker'), updates('orders-ledger')]).toEqual([1, 1]);
  });

  it('redeploys the failed service once however many times resume and the schedule run after it', async () => {
    await haltedRollout();
    await resume(world.ports, target(), RUN);
    await reconcileOn('schedule');
    await reconcileOn('event');
    expect(updates('orders-api')).toBe(2);
  });

  it('refuses a second resume while the rollout is in progress again', async () => {
    await haltedRollout();
    await resume(world.ports, target(), RUN);
    await expect(resume(world.ports, target(), RUN)).rejects.toThrow(
      new BadInputError('no halted rollout of prod/orders-db: its rollout is in-progress'),
    );
  });

  it('refuses a secret that never had a rollout', async () => {
    await expect(resume(world.ports, target(), RUN)).rejects.toThrow(/^no halted rollout of prod\/orders-db: it has no rollout$/);
  });

  it('changes nothing on a dry run, and says what would be redeployed', async () => {
    await haltedRollout();
    const report = await resume(world.ports, target(), { ...RUN, dryRun: true });
    expect(report.services.find((s) => s.serviceName === 'orders-api')?.outcome).toBe('would-redeploy');
    expect(updates('orders-api')).toBe(1);
    expect((await world.ledger.readSecret(ordersDb))?.rollout?.status).toBe('halted');
  });

  it('announces the halt once, and a completion after the resumed rollout reaches everyone', async () => {
    await haltedRollout();
    await resume(world.ports, target(), RUN);
    const api = world.ecs.services.get(arnOf('orders-api'))?.deployments[0].id as string;
    world.ecs.settle(api, 'COMPLETED');
    await reconcileOn('schedule');
    for (const name of ['orders-worker', 'orders-ledger'])
      world.ecs.settle(world.ecs.services.get(arnOf(name))?.deployments[0].id as string, 'COMPLETED');
    await reconcileOn('schedule');

    const types = world.notifier.published.map((n) => n.detailType);
    expect(types.filter((t) => t === DETAIL_TYPES.rolloutHalted)).toHaveLength(1);
    expect(types.filter((t) => t === DETAIL_TYPES.rolloutCompleted)).toHaveLength(1);
  });
});
