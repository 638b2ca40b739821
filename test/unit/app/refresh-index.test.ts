import { REBUILD_HANDOVER_MS, REBUILD_LEASE_MS, type RebuildOutcome, rebuildIndex, runRebuild } from '../../../functions/app/refresh-index';
import type { RebuildIndexRequest } from '../../../functions/domain/decode/run-request';
import { RebuildInProgressError } from '../../../functions/domain/errors';
import { NO_DEADLINE } from '../../../functions/domain/rollout/deadline';
import { type FakeWorld, fakeWorld, type SeededFakes, seedFakes } from '../../kit/fakes/fake-world';
import { demoPlan } from '../../kit/simulated-account';

/**
 * An index rebuild that does not fit one run: it goes on where it stopped, in a new run handed
 * the build through the continuation, and switches the index to the new build only at its end.
 */

let world: FakeWorld;
let seeded: SeededFakes;

beforeEach(() => {
  world = fakeWorld();
  seeded = seedFakes(world, demoPlan());
  // Pages of two services: even the demo's clusters take several pages.
  world.ecs.pageSize = 2;
});

/** A deadline already passed: a run does its one unit of work (a page, or the final step) and hands over. */
const passed = () => ({ stopAt: world.clock.now().getTime() });

/** Runs the continuations a run asked for, one after the other, each with a deadline already passed. */
async function chain(first: RebuildOutcome): Promise<RebuildOutcome[]> {
  const outcomes = [first];
  for (let request = world.continuation.requests.shift(); request; request = world.continuation.requests.shift()) {
    outcomes.push(
      await runRebuild(world.ports, { deadline: passed(), continuation: world.continuation, resume: request as RebuildIndexRequest }),
    );
  }
  return outcomes;
}

function inUse(): string[] {
  return [...new Set([...world.ecs.services.values()].map((s) => s.taskDefinition))];
}

function snapshot(w: FakeWorld) {
  const entries = [...w.index.entries.values()].sort((a, b) =>
    `${a.secretArn}${a.resourceArn}`.localeCompare(`${b.secretArn}${b.resourceArn}`),
  );
  const ledger = [...w.ledger.items.values()]
    .map((r) => ({ secretArn: r.secretArn, serviceArn: r.serviceArn, versions: r.versions, stale: r.stale }))
    .sort((a, b) => `${a.secretArn}${a.serviceArn}`.localeCompare(`${b.secretArn}${b.serviceArn}`));
  return { entries, ledger, revisions: [...w.revisions.rows.keys()].sort() };
}

describe('a rebuild across runs', () => {
  it('continues page by page until it completes, with the same index and ledger as one run, describing each revision once', async () => {
    const reference = fakeWorld();
    seedFakes(reference, demoPlan());
    await rebuildIndex(reference.ports);

    const outcomes = await chain(await runRebuild(world.ports, { deadline: passed(), continuation: world.continuation }));

    const statuses = outcomes.map((o) => o.status);
    expect(statuses.at(-1)).toBe('complete');
    expect(statuses.slice(0, -1).every((s) => s === 'continued')).toBe(true);
    expect(outcomes.length).toBeGreaterThan(3);
    expect(world.ecs.calls.DescribeTaskDefinition).toBe(inUse().length);
    expect(snapshot(world)).toEqual(snapshot(reference));
    const last = outcomes.at(-1);
    expect(last).toMatchObject({ status: 'complete', progress: { runs: outcomes.length } });
    if (last?.status === 'complete') expect(last.summary.taskDefinitionsDescribed).toBe(inUse().length);
    // The build's own state is gone once the index is switched to it.
    expect(world.rebuilds.state).toBeUndefined();
    expect(world.rebuilds.listed.size).toBe(0);
  });

  it('writes no index entry, ledger record or meta before the last run, and caches what it described as it goes', async () => {
    const first = await runRebuild(world.ports, { deadline: passed(), continuation: world.continuation });
    expect(first.status).toBe('continued');
    expect(world.index.entries.size).toBe(0);
    expect(world.ledger.items.size).toBe(0);
    expect(await world.index.meta()).toBeUndefined();
    expect(world.revisions.rows.size).toBeGreaterThan(0);
    expect(world.rebuilds.state?.progress).toMatchObject({ pages: 1, runs: 1 });
  });

  it('hands each continuation the hop after its own, and the trigger of the run that started the build', async () => {
    const trigger = { source: 'schedule', detailType: 'Scheduled Event' };
    await runRebuild(world.ports, { deadline: passed(), continuation: world.continuation, trigger });
    const [handed] = world.continuation.requests;
    expect(handed).toMatchObject({ kind: 'rebuild-index', hop: 1, trigger, buildId: world.rebuilds.state?.progress.buildId });
    await runRebuild(world.ports, {
      deadline: passed(),
      continuation: world.continuation,
      resume: world.continuation.requests.shift() as RebuildIndexRequest,
    });
    expect(world.continuation.requests).toEqual([expect.objectContaining({ hop: 2, trigger })]);
  });

  it('reports what it finds stale once, when the build completes, not per run', async () => {
    const secret = seeded.secrets.get('prod/orders-db')?.arn as string;
    world.clock.advance(60_000);
    world.secrets.rotate(secret);
    const outcomes = await chain(await runRebuild(world.ports, { deadline: passed(), continuation: world.continuation }));
    const stale = outcomes.map((o) => (o.status === 'complete' ? o.summary.stale.length : 0));
    expect(stale.at(-1)).toBeGreaterThan(0);
    expect(stale.slice(0, -1).every((n) => n === 0)).toBe(true);
  });
});

describe('a rebuild started while another is in flight', () => {
  it('is refused while the lease holds, and does nothing', async () => {
    await runRebuild(world.ports, { deadline: passed() });
    world.rebuilds.state = {
      ...(world.rebuilds.state as NonNullable<typeof world.rebuilds.state>),
      lease: { owner: 'other', until: world.clock.now().getTime() + 60_000 },
    };
    const calls = { ...world.ecs.calls };

    const outcome = await runRebuild(world.ports, { deadline: NO_DEADLINE });

    expect(outcome).toMatchObject({ status: 'refused', reason: expect.stringContaining('an index rebuild is in flight') });
    expect(world.ecs.calls).toEqual(calls);
    await expect(rebuildIndex(world.ports)).rejects.toThrow(RebuildInProgressError);
    await expect(rebuildIndex(world.ports, undefined, { restart: true })).rejects.toThrow(RebuildInProgressError);
  });

  it('refuses a schedule while a build is handed over to a continuation, which then goes on with it', async () => {
    await runRebuild(world.ports, { deadline: passed(), continuation: world.continuation });
    expect(await runRebuild(world.ports, { deadline: NO_DEADLINE })).toMatchObject({ status: 'refused' });
    const handed = world.continuation.requests.shift() as RebuildIndexRequest;
    expect(await runRebuild(world.ports, { deadline: NO_DEADLINE, resume: handed })).toMatchObject({ status: 'complete', resumed: true });
  });

  it('goes on with a build whose lease ran out (a run that stopped or died), where it stopped', async () => {
    expect(await runRebuild(world.ports, { deadline: passed() })).toMatchObject({ status: 'stopped' });
    const described = world.ecs.calls.DescribeTaskDefinition;
    const listed = world.ecs.calls.ListServices;
    const outcome = await runRebuild(world.ports, { deadline: NO_DEADLINE });
    expect(outcome).toMatchObject({ status: 'complete', resumed: true, progress: { runs: 2 } });
    expect(world.ecs.calls.DescribeTaskDefinition).toBe(inUse().length);
    expect(described).toBeGreaterThan(0);
    // The page the first run listed is not listed again.
    const pages = Math.ceil(world.ecs.services.size / 2);
    expect(world.ecs.calls.ListServices).toBeLessThanOrEqual(pages + listed);
  });

  it('takes a build over from a run that died holding it, once its lease has run out', async () => {
    await runRebuild(world.ports, { deadline: passed() });
    world.rebuilds.state = {
      ...(world.rebuilds.state as NonNullable<typeof world.rebuilds.state>),
      lease: { owner: 'dead', until: world.clock.now().getTime() + REBUILD_LEASE_MS },
    };
    expect(await runRebuild(world.ports, { deadline: NO_DEADLINE })).toMatchObject({ status: 'refused' });
    world.clock.advance(REBUILD_LEASE_MS + 1);
    expect(await runRebuild(world.ports, { deadline: NO_DEADLINE })).toMatchObject({ status: 'complete', resumed: true });
  });

  it('goes on with a handed-over build when its continuation never came, once the handover has run out', async () => {
    await runRebuild(world.ports, { deadline: passed(), continuation: world.continuation });
    world.continuation.requests.length = 0;
    world.clock.advance(REBUILD_HANDOVER_MS + 1);
    expect(await runRebuild(world.ports, { deadline: NO_DEADLINE })).toMatchObject({ status: 'complete', resumed: true });
  });

  it('refuses a continuation whose build another run took over or completed', async () => {
    await runRebuild(world.ports, { deadline: passed(), continuation: world.continuation });
    const handed = world.continuation.requests.shift() as RebuildIndexRequest;
    world.clock.advance(REBUILD_HANDOVER_MS + 1);
    await runRebuild(world.ports, { deadline: NO_DEADLINE });
    expect(await runRebuild(world.ports, { deadline: NO_DEADLINE, resume: handed })).toMatchObject({ status: 'refused' });
  });

  it('starts over when asked to (--restart), keeping the revisions already cached', async () => {
    await runRebuild(world.ports, { deadline: passed() });
    const first = world.rebuilds.state?.progress.buildId;
    const described = world.ecs.calls.DescribeTaskDefinition;
    const outcome = await runRebuild(world.ports, { deadline: NO_DEADLINE, restart: true });
    expect(outcome).toMatchObject({ status: 'complete', resumed: false, progress: { runs: 1 } });
    expect(outcome.status === 'complete' && outcome.progress.buildId).not.toBe(first);
    expect(world.ecs.calls.DescribeTaskDefinition).toBe(inUse().length);
    expect(described).toBeGreaterThan(0);
  });
});

describe('a rebuild run that fails', () => {
  it('gives its lease up at once, at its last checkpoint, so that its retry goes on with the build', async () => {
    await runRebuild(world.ports, { deadline: passed(), continuation: world.continuation });
    const handed = world.continuation.requests.shift() as RebuildIndexRequest;
    const checkpointed = world.rebuilds.state?.progress;
    jest.spyOn(world.ports.ledger, 'allRecords').mockRejectedValueOnce(new Error('ProvisionedThroughputExceededException'));

    await expect(runRebuild(world.ports, { deadline: NO_DEADLINE, resume: handed })).rejects.toThrow(
      'ProvisionedThroughputExceededException',
    );

    // Nothing switched; the build where its last checkpoint left it, the lease the retry's.
    expect(world.index.entries.size).toBe(0);
    expect(world.rebuilds.state?.progress).toEqual({ ...checkpointed, runs: 2 });
    expect(world.rebuilds.state?.lease).toEqual({ owner: handed.token, until: world.clock.now().getTime() });
    expect(await runRebuild(world.ports, { deadline: NO_DEADLINE, resume: handed })).toMatchObject({ status: 'complete' });
    expect(world.ecs.calls.DescribeTaskDefinition).toBe(inUse().length);
  });
});
