import { reindexService } from '../../../functions/app/index-writes';
import { reconcile } from '../../../functions/app/reconcile';
import { rebuildIndex } from '../../../functions/app/refresh-index';
import { scanAccount } from '../../../functions/app/scan-account';
import { parseTarget, type Target } from '../../../functions/domain/identity/target';
import type { ServiceSnapshot } from '../../../functions/domain/inventory/service';
import type { Logger } from '../../../functions/ports/logger';
import { type FakeWorld, fakeWorld, reconcileOptions, type SeededFakes, seedFakes } from '../../kit/fakes/fake-world';
import { demoPlan } from '../../kit/simulated-account';

/**
 * The revision cache: a task definition revision never changes, so a rebuild describes only the
 * revisions it has not seen; what no service or standalone task uses any more leaves the cache.
 */

let world: FakeWorld;
let seeded: SeededFakes;

beforeEach(() => {
  world = fakeWorld();
  seeded = seedFakes(world, demoPlan());
});

function service(name: string): ServiceSnapshot {
  const found = world.ecs.services.get(seeded.serviceArns.get(name) as string);
  if (!found) throw new Error(`test setup: no service ${name}`);
  return found;
}

/** Moves a service to a new revision of its family (with the same references, or `references`). */
function newRevision(name: string, references = world.ecs.taskDefinitions.get(service(name).taskDefinition) ?? []): string {
  const current = service(name).taskDefinition;
  const next = current.replace(/:(\d+)$/, (_, n: string) => `:${Number(n) + 1}`);
  world.ecs.taskDefinitions.set(next, structuredClone(references));
  service(name).taskDefinition = next;
  return next;
}

function inUse(): string[] {
  return [...new Set([...world.ecs.services.values()].map((s) => s.taskDefinition))].sort();
}

/** The ECS calls made by `run`, by operation. */
async function ecsCalls(run: () => Promise<unknown>): Promise<Record<string, number>> {
  const before = { ...world.ecs.calls };
  await run();
  return Object.fromEntries(
    Object.entries(world.ecs.calls)
      .map(([op, n]) => [op, n - (before[op] ?? 0)] as const)
      .filter(([, n]) => n > 0),
  );
}

describe('rebuild with the revision cache', () => {
  it('makes the same ECS calls on its first run as a scan of the account, and caches every revision in use', async () => {
    const scan = await ecsCalls(() => scanAccount(world.ports));
    const first = await ecsCalls(() => rebuildIndex(world.ports));

    expect(first).toEqual(scan);
    expect(first.DescribeTaskDefinition).toBe(inUse().length);
    expect([...world.revisions.rows.keys()].sort()).toEqual(inUse());
  });

  it('describes no task definition on a second rebuild, and builds the same index', async () => {
    const first = await rebuildIndex(world.ports);
    const entries = await world.index.allEntries();

    const calls = await ecsCalls(async () => {
      const second = await rebuildIndex(world.ports);
      expect(second).toMatchObject({ taskDefinitionsDescribed: 0, revisionsDropped: 0, entriesWritten: 0, entriesRemoved: 0 });
      expect(second.taskDefinitions).toBe(first.taskDefinitions);
    });

    expect(calls.DescribeTaskDefinition).toBeUndefined();
    expect(Object.keys(calls).sort()).toEqual(['DescribeServices', 'ListClusters', 'ListServices', 'ListTasks']);
    expect(await world.index.allEntries()).toEqual(entries);
    expect(first.taskDefinitionsDescribed).toBe(inUse().length);
  });

  it('caches a revision without references too, as an empty list, and does not describe it again', async () => {
    const plain = newRevision('payments', []);
    await rebuildIndex(world.ports);
    expect(world.revisions.rows.get(plain)).toEqual([]);

    const calls = await ecsCalls(() => rebuildIndex(world.ports));
    expect(calls.DescribeTaskDefinition).toBeUndefined();
  });

  it('describes a new revision once, caches it, and drops the revision no longer used', async () => {
    await rebuildIndex(world.ports);
    const old = service('orders-api').taskDefinition;
    const next = newRevision('orders-api');

    const calls = await ecsCalls(async () => {
      expect(await rebuildIndex(world.ports)).toMatchObject({ taskDefinitionsDescribed: 1, revisionsDropped: 1 });
    });
    expect(calls.DescribeTaskDefinition).toBe(1);
    expect(world.revisions.rows.has(next)).toBe(true);
    expect(world.revisions.rows.has(old)).toBe(false);
    expect([...world.revisions.rows.keys()].sort()).toEqual(inUse());

    expect((await ecsCalls(() => rebuildIndex(world.ports))).DescribeTaskDefinition).toBeUndefined();
  });

  it('keeps a revision that another service or a standalone task still runs, and drops those of deleted services', async () => {
    await rebuildIndex(world.ports);
    const api = service('orders-api').taskDefinition;
    const payments = service('payments').taskDefinition;
    world.ecs.standaloneTasks.push({ clusterArn: service('orders-api').clusterArn, taskArn: `${api}-task`, taskDefinition: api });
    newRevision('orders-api');
    service('payments').status = 'INACTIVE';

    expect(await rebuildIndex(world.ports)).toMatchObject({ revisionsDropped: 1 });
    expect(world.revisions.rows.has(api)).toBe(true);
    expect(world.revisions.rows.has(payments)).toBe(false);
  });

  it('describes again a revision whose cache row cannot be read, and replaces the row', async () => {
    await rebuildIndex(world.ports);
    const api = service('orders-api').taskDefinition;
    world.revisions.rows.set(api, undefined);

    const calls = await ecsCalls(() => rebuildIndex(world.ports));

    expect(calls.DescribeTaskDefinition).toBe(1);
    expect(world.revisions.rows.get(api)).toEqual(world.ecs.taskDefinitions.get(api));
  });

  it('drops an unreadable row of a revision no longer used', async () => {
    await rebuildIndex(world.ports);
    const stale = `${service('orders-api').taskDefinition.replace(/:\d+$/, '')}:99`;
    world.revisions.rows.set(stale, undefined);
    expect(await rebuildIndex(world.ports)).toMatchObject({ revisionsDropped: 1, taskDefinitionsDescribed: 0 });
    expect(world.revisions.rows.has(stale)).toBe(false);
  });

  it('finishes the rebuild when the cache cannot be written, and describes those revisions again next time', async () => {
    const warnings: string[] = [];
    const log: Logger = { info: () => undefined, warn: (message) => void warnings.push(message) };
    jest.spyOn(world.revisions, 'cacheRevisions').mockRejectedValueOnce(new Error('ProvisionedThroughputExceededException'));

    const first = await rebuildIndex({ ...world.ports, log });

    expect(first.services).toBe(7);
    expect(await world.index.allEntries()).not.toEqual([]);
    expect(warnings).toEqual(['revision cache not written']);
    // The cache is written a page at a time: only the page whose write failed is described again.
    const uncached = inUse().filter((arn) => !world.revisions.rows.has(arn));
    expect(uncached.length).toBeGreaterThan(0);
    expect((await ecsCalls(() => rebuildIndex(world.ports))).DescribeTaskDefinition).toBe(uncached.length);
    expect((await ecsCalls(() => rebuildIndex(world.ports))).DescribeTaskDefinition).toBeUndefined();
  });

  it('hands the store what it described in batches as the scan goes, and what it drops in one', async () => {
    await rebuildIndex(world.ports);
    const pagesDescribing = world.revisions.calls.cacheRevisions;
    expect(pagesDescribing).toBeGreaterThanOrEqual(1);
    expect(pagesDescribing).toBeLessThanOrEqual(new Set([...world.ecs.services.values()].map((s) => s.clusterArn)).size);
    for (const name of ['orders-api', 'orders-worker', 'payments']) newRevision(name);
    await rebuildIndex(world.ports);
    expect(world.revisions.calls.dropRevisions).toBe(1);
    const after = world.revisions.calls.cacheRevisions;
    await rebuildIndex(world.ports);
    expect(world.revisions.calls).toEqual({ cachedRevision: 0, cacheRevisions: after, dropRevisions: 1 });
  });
});

describe('re-indexing one service with the revision cache', () => {
  it('describes a new revision once: a second deployment event of the same revision reads the cache', async () => {
    await rebuildIndex(world.ports);
    const api = service('orders-api');
    const next = newRevision('orders-api');

    const first = await ecsCalls(() => reindexService(world.ports, api.clusterArn, api.serviceArn));
    const second = await ecsCalls(() => reindexService(world.ports, api.clusterArn, api.serviceArn));

    expect(first).toEqual({ DescribeServices: 1, DescribeTaskDefinition: 1 });
    expect(second).toEqual({ DescribeServices: 1 });
    expect(world.revisions.rows.get(next)).toEqual(world.ecs.taskDefinitions.get(next));
    expect((await world.index.entriesOf(seeded.secrets.get('prod/orders-db')?.arn as string)).map((e) => e.taskDefinition)).toContain(next);
  });

  it('describes the revision when the cache cannot be read', async () => {
    const api = service('orders-api');
    jest.spyOn(world.revisions, 'cachedRevision').mockRejectedValueOnce(new Error('throttled'));
    expect(await ecsCalls(() => reindexService(world.ports, api.clusterArn, api.serviceArn))).toEqual({
      DescribeServices: 1,
      DescribeTaskDefinition: 1,
    });
  });
});

describe('reconcile with the revision cache', () => {
  const ordersDb = () => parseTarget(seeded.secrets.get('prod/orders-db')?.arn as string) as Target;
  const TRIGGER = { source: 'aws.secretsmanager', eventName: 'PutSecretValue' };

  it('reads a service found on a newer revision from the cache, and caches it when it had to describe it', async () => {
    await rebuildIndex(world.ports);
    const next = newRevision('orders-api');
    world.secrets.rotate(seeded.secrets.get('prod/orders-db')?.arn as string);

    const dry = await ecsCalls(() => reconcile(world.ports, ordersDb(), TRIGGER, reconcileOptions({ dryRun: true })));
    expect(dry.DescribeTaskDefinition).toBe(1);
    expect(world.revisions.rows.has(next)).toBe(false);

    const real = await ecsCalls(() => reconcile(world.ports, ordersDb(), TRIGGER, reconcileOptions()));
    expect(real.DescribeTaskDefinition).toBe(1);
    expect(world.revisions.rows.get(next)).toEqual(world.ecs.taskDefinitions.get(next));
  });

  it('describes nothing for a service on a newer revision the cache holds', async () => {
    await rebuildIndex(world.ports);
    const next = newRevision('orders-api');
    await world.revisions.cacheRevisions(new Map([[next, world.ecs.taskDefinitions.get(next) ?? []]]));
    world.secrets.rotate(seeded.secrets.get('prod/orders-db')?.arn as string);

    const calls = await ecsCalls(() => reconcile(world.ports, ordersDb(), TRIGGER, reconcileOptions()));

    expect(calls.DescribeTaskDefinition).toBeUndefined();
    expect(calls.UpdateService).toBe(3);
  });
});
