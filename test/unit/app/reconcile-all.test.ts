import { reconcileAll } from '../../../functions/app/reconcile-all';
import { rebuildIndex } from '../../../functions/app/refresh-index';
import { NO_DEADLINE } from '../../../functions/domain/rollout/deadline';
import { WAVE_TAG } from '../../../functions/domain/rollout/waves';
import { type FakeWorld, fakeWorld, type SeededFakes, seedFakes } from '../../kit/fakes/fake-world';
import { demoPlan } from '../../kit/simulated-account';

/* A reconcile of every indexed secret, as the CLI runs it (the schedule's path is in handle-event.test.ts). */

const REQUEST = { kind: 'reconcile-all' as const, origin: 'manual' as const, trigger: { source: 'manual' }, hop: 0 };

let world: FakeWorld;
let seeded: SeededFakes;

beforeEach(async () => {
  world = fakeWorld();
  seeded = seedFakes(world, demoPlan());
  await rebuildIndex(world.ports);
});

describe('reconcileAll', () => {
  it('reports its progress secret by secret', async () => {
    const progress: unknown[] = [];
    await reconcileAll(world.ports, REQUEST, NO_DEADLINE, false, { onProgress: (p) => progress.push(p) });
    expect(progress).toEqual([1, 2, 3].map((done) => ({ phase: 'reconcile', done, total: 3 })));
  });

  it('releases every wave of every secret with allWaves, and only its first wave without', async () => {
    const worker = world.ecs.services.get(seeded.serviceArns.get('orders-worker') as string);
    if (worker) worker.tags = { [WAVE_TAG]: '2' };
    world.secrets.rotate(seeded.secrets.get('prod/orders-db')?.arn as string);

    const waved = await reconcileAll(world.ports, REQUEST, NO_DEADLINE, true);
    const all = await reconcileAll(world.ports, REQUEST, NO_DEADLINE, false, { allWaves: true });

    expect(waved.outcomes).toMatchObject({ 'would-redeploy': 2, waiting: 1 });
    expect(all.outcomes).toMatchObject({ redeployed: 3, waiting: 0 });
  });
});
