import { rebuildIndex } from '../../../functions/app/refresh-index';
import { secretStatus } from '../../../functions/app/status';
import { ForeignAccountError } from '../../../functions/domain/errors';
import { parseTarget, type Target } from '../../../functions/domain/identity/target';
import type { RunningTask } from '../../../functions/domain/inventory/service';
import { verdictWord } from '../../../functions/domain/report/vocabulary';
import { WAVE_TAG } from '../../../functions/domain/rollout/waves';
import { type FakeWorld, fakeWorld, reconcileSecret, type SeededFakes, seedFakes } from '../../kit/fakes/fake-world';
import { demoPlan } from '../../kit/simulated-account';

/*
 * The propagation report: how far the current versions of a secret have reached, from the ledger
 * and, live, from ECS (deployments and the tasks they started). The fake ECS starts no task: each
 * test says which tasks run, started by which deployment.
 */

let world: FakeWorld;
let seeded: SeededFakes;
let ordersDb: string;

const arnOf = (name: string) => seeded.serviceArns.get(name) as string;
const target = () => parseTarget(ordersDb) as Target;

function primaryOf(name: string): string {
  return world.ecs.services.get(arnOf(name))?.deployments[0].id as string;
}

/** The service runs `n` tasks started by each deployment given. */
function runs(name: string, tasks: Record<string, number>): void {
  const list: RunningTask[] = [];
  for (const [startedBy, n] of Object.entries(tasks))
    for (let i = 0; i < n; i++) list.push({ taskArn: `arn:task/${name}/${startedBy}/${i}`, startedBy });
  world.ecs.tasks.set(arnOf(name), list);
}

async function rotateAndReconcile() {
  world.secrets.rotate(ordersDb);
  await reconcileSecret(world, ordersDb);
}

const consumer = (status: Awaited<ReturnType<typeof secretStatus>>, name: string) => status.consumers.find((c) => c.serviceName === name);

beforeEach(async () => {
  world = fakeWorld();
  seeded = seedFakes(world, demoPlan());
  ordersDb = seeded.secrets.get('prod/orders-db')?.arn as string;
  await rebuildIndex(world.ports);
  for (const name of ['orders-api', 'orders-worker', 'orders-ledger']) runs(name, { [primaryOf(name)]: 2 });
});

describe('secretStatus', () => {
  it('shows every consumer fully on the current version before any rotation, and is done', async () => {
    const status = await secretStatus(world.ports, target());

    expect(status.summary).toMatch(/^5 service\(s\) on AWSCURRENT=\S+: 4 current, 1 pinned; 0 task\(s\) on older versions$/);
    expect(status.done).toBe(true);
    expect(consumer(status, 'orders-reports')?.state).toBe('pinned');
  });

  it('counts the tasks of older deployments while a redeploy is in progress, and the services behind', async () => {
    const worker = world.ecs.services.get(arnOf('orders-worker'));
    if (worker) worker.tags = { [WAVE_TAG]: '2' };
    await rotateAndReconcile();
    const ours = primaryOf('orders-api');
    const before = world.ecs.services.get(arnOf('orders-api'))?.deployments[1].id as string;
    runs('orders-api', { [ours]: 1, [before]: 1 });

    const status = await secretStatus(world.ports, target());

    expect(consumer(status, 'orders-api')).toMatchObject({
      state: 'up-to-date',
      deploymentId: ours,
      deploymentState: 'IN_PROGRESS',
      wave: 1,
      tasks: { running: 2, onOlderVersions: 1 },
      fullyOnCurrent: false,
    });
    // Behind in the ledger, and held by the plan's own rule: its wave waits for wave 1.
    expect(consumer(status, 'orders-worker')).toMatchObject({ state: 'behind', now: 'waiting', tasks: { running: 2, onOlderVersions: 2 } });
    expect(consumer(status, 'orders-worker')?.reason).toMatch(/^wave 2: waits for wave 1/);
    // Only orders-archiver (no task to replace) is fully on it: orders-ledger's deployment is still in progress.
    expect(status.summary).toMatch(
      /^5 service\(s\) on AWSCURRENT=\S+: 1 waiting, 2 deploying, 1 current, 1 pinned; 5 task\(s\) on older versions$/,
    );
    // What the rows say adds up to the summary.
    expect(consumer(status, 'orders-api')?.now).toBe('deploying');
    expect(status.now).toEqual({ waiting: 1, deploying: 2, current: 1, pinned: 1 });
    expect(status.done).toBe(false);
    expect(status.rollout).toMatchObject({ status: 'in-progress' });
  });

  it('shows a service fully on the current version once its deployment completed and the old tasks are gone', async () => {
    await rotateAndReconcile();
    for (const name of ['orders-api', 'orders-worker', 'orders-ledger']) {
      world.ecs.settle(primaryOf(name), 'COMPLETED');
      runs(name, { [primaryOf(name)]: 2 });
    }

    const status = await secretStatus(world.ports, target());

    expect(consumer(status, 'orders-api')).toMatchObject({ deploymentState: 'COMPLETED', fullyOnCurrent: true });
    expect(status.done).toBe(true);
  });

  it("does not count the tasks of a deployment made after ours (the team's own deploy) as older", async () => {
    await rotateAndReconcile();
    world.clock.advance(60_000);
    const service = world.ecs.services.get(arnOf('orders-api'));
    if (!service) throw new Error('no orders-api');
    const theirs = world.ecs.deploy(service);
    runs('orders-api', { [theirs]: 2 });

    const status = await secretStatus(world.ports, target());

    expect(consumer(status, 'orders-api')?.tasks).toEqual({ running: 2, onOlderVersions: 0 });
  });

  it('shows a failed deployment with the reason ECS gave, and the halted rollout', async () => {
    await rotateAndReconcile();
    world.ecs.settle(primaryOf('orders-api'), 'FAILED', 'ECS deployment circuit breaker: tasks failed to start.');
    await reconcileSecret(world, ordersDb, 'schedule');

    const status = await secretStatus(world.ports, target());

    expect(consumer(status, 'orders-api')).toMatchObject({
      deploymentState: 'FAILED',
      deploymentReason: 'ECS deployment circuit breaker: tasks failed to start.',
      fullyOnCurrent: false,
    });
    expect(status.rollout).toMatchObject({ status: 'halted', halted: { wave: 1 } });
  });

  it('reads only the ledger without live (no ECS call): no task counts in the summary', async () => {
    const before = { ...world.ecs.calls };
    const status = await secretStatus(world.ports, target(), { live: false });
    expect(world.ecs.calls).toEqual(before);
    expect(status.summary).toMatch(/^5 service\(s\) on AWSCURRENT=\S+: 4 up to date, 1 pinned$/);
    world.secrets.rotate(ordersDb);
    const behind = await secretStatus(world.ports, target(), { live: false });
    expect(behind.now).toEqual({ behind: 4, pinned: 1 });
    expect(world.ecs.calls).toEqual(before);
  });

  // Regression (issue 32): after a rotation, status said the scaled-to-zero orders-archiver was
  // "due" ("0 of 4 services on current; 4 due") while the reconcile that followed skipped it "no
  // running tasks" and redeployed 3. Status now judges with the plan: the same word on both.
  it('calls a consumer with nothing running "no tasks", as plan and reconcile do, before and after the reconcile', async () => {
    world.secrets.rotate(ordersDb);

    const status = await secretStatus(world.ports, target());
    const plan = await reconcileSecret(world, ordersDb, 'manual', { dryRun: true });

    expect(consumer(status, 'orders-archiver')).toMatchObject({ state: 'behind', now: 'no tasks' });
    expect(status.now).toEqual({ due: 3, 'no tasks': 1, pinned: 1 });
    const planned = Object.fromEntries(plan.report.services.map((s) => [s.serviceName, verdictWord(s)]));
    expect(Object.fromEntries(status.consumers.map((c) => [c.serviceName, c.now]))).toEqual(planned);

    await reconcileSecret(world, ordersDb);
    const after = await secretStatus(world.ports, target());
    // Its record now holds the current versions (nothing ran on an older one): up to date, every (no) task current.
    expect(consumer(after, 'orders-archiver')?.now).toBe('current');
    expect(after.done).toBe(false);
  });

  it('refuses a secret of another account', async () => {
    world.secrets.add('arn:aws:secretsmanager:eu-west-1:999999999999:secret:shared/db-AbCdEf', 'shared/db');
    await expect(secretStatus(world.ports, parseTarget('shared/db') as Target)).rejects.toThrow(ForeignAccountError);
  });
});
