/**
 * The first index rebuild across Lambda runs, on moto_server: a rebuild whose deadline runs out
 * three times completes in four runs, each on fresh adapters (a new invocation), with the same
 * index and ledger as one uninterrupted rebuild, describing every revision exactly once. The
 * continuation is kept in memory: the test plays the asynchronous self-invoke.
 */

import { type RebuildOutcome, rebuildIndex, runRebuild } from '../../functions/app/refresh-index';
import { createStateTable } from '../../functions/aws/state-table/admin';
import type { ContinuationRequest, RebuildIndexRequest } from '../../functions/domain/decode/run-request';
import { RebuildInProgressError } from '../../functions/domain/errors';
import type { LedgerRecord } from '../../functions/domain/ledger/record';
import { NO_DEADLINE } from '../../functions/domain/rollout/deadline';
import type { Ports } from '../../functions/ports/ports';
import type { RebuildProgress, RebuildStore } from '../../functions/ports/rebuild-store';
import { CallCounter } from '../kit/call-counter';
import { type Emulator, startEmulator } from '../kit/emulator';
import { ecsService, serviceArn } from '../kit/factories';
import { MemoryRebuildStore } from '../kit/fakes/rebuilds';
import { createClusters, createService, registerTaskDefinition, seedDemoAccount } from '../kit/simulated-account';

let emulator: Emulator;

beforeAll(async () => {
  emulator = await startEmulator();
  const account = await seedDemoAccount(emulator.ecs, emulator.sm);
  // A third cluster: moto answers a cluster's services in one page, so each cluster is a page.
  const [jobs] = await createClusters(emulator.ecs, ['jobs']);
  const db = account.secrets.ordersDb.arn;
  const nightly = await registerTaskDefinition(emulator.ecs, 'nightly-export', [{ name: 'app', secrets: [{ name: 'DB', valueFrom: db }] }]);
  const plain = await registerTaskDefinition(emulator.ecs, 'plain-jobs', [{ name: 'app' }]);
  await createService(emulator.ecs, { cluster: jobs, name: 'nightly-export', taskDefinition: nightly });
  await createService(emulator.ecs, { cluster: jobs, name: 'plain-jobs', taskDefinition: plain });
}, 120_000);

afterAll(async () => {
  await emulator?.moto.stop();
});

let tables = 0;
async function freshTable(): Promise<string> {
  tables += 1;
  const name = `rebuild-resume-${tables}`;
  await createStateTable(emulator.ports({ stateTable: name }).table);
  return name;
}

/** What a reader sees: the index entries, and the ledger without the ids and times of its writes. */
async function readerView(ports: Ports) {
  const entries = (await ports.index.allEntries()).sort((a, b) =>
    `${a.secretArn}${a.resourceArn}`.localeCompare(`${b.secretArn}${b.resourceArn}`),
  );
  const ledger = [...(await ports.ledger.allRecords()).values()]
    .flatMap((l) => l.services)
    .map(({ secretArn, serviceArn, versions, via, stale }: LedgerRecord) => ({ secretArn, serviceArn, versions, via, stale }))
    .sort((a, b) => `${a.secretArn}${a.serviceArn}`.localeCompare(`${b.secretArn}${b.serviceArn}`));
  const meta = await ports.index.meta();
  return { entries, ledger, meta: meta && { ...meta, builtAt: '-' } };
}

describe('a first rebuild whose deadline runs out three times', () => {
  it('completes in four runs with the same index and ledger as an uninterrupted one, describing every revision once', async () => {
    const reference = emulator.ports({ stateTable: await freshTable() });
    const uninterrupted = await rebuildIndex(reference);

    const table = await freshTable();
    const counter = new CallCounter();
    const requests: ContinuationRequest[] = [];
    const continuation = { continueWith: async (request: ContinuationRequest) => void requests.push(request) };
    // A new invocation each time: fresh adapters (the ECS adapter remembers what it described), a
    // deadline already passed, so that each run does its one unit of work (a cluster's page, or the final step).
    const invocation = (resume?: RebuildIndexRequest) =>
      runRebuild(emulator.ports({ stateTable: table }, { instrument: counter.instrument }), {
        deadline: { stopAt: Date.now() },
        continuation,
        ...(resume ? { resume } : {}),
        trigger: { source: 'schedule' },
      });

    const outcomes: RebuildOutcome[] = [await invocation()];
    const views = [await readerView(emulator.ports({ stateTable: table }))];
    for (let request = requests.shift(); request; request = requests.shift()) {
      outcomes.push(await invocation(request as RebuildIndexRequest));
      views.push(await readerView(emulator.ports({ stateTable: table })));
    }

    expect(outcomes.map((o) => o.status)).toEqual(['continued', 'continued', 'continued', 'complete']);
    // Readers never see a half-built index: nothing until the last run.
    for (const view of views.slice(0, -1)) expect(view).toEqual({ entries: [], ledger: [], meta: undefined });
    const ports = emulator.ports({ stateTable: table });
    expect(await readerView(ports)).toEqual(await readerView(reference));
    const counts = counter.take();
    expect(counts.get('DescribeTaskDefinition')).toBe(uninterrupted.taskDefinitions);
    const last = outcomes.at(-1);
    expect(last?.status === 'complete' && last.summary).toMatchObject({
      taskDefinitionsDescribed: uninterrupted.taskDefinitions,
      services: uninterrupted.services,
      secrets: uninterrupted.secrets,
      stale: uninterrupted.stale,
    });
    // Each cluster listed once, across the four runs.
    expect(counts.get('ListServices')).toBe(3);
    // The build's own state is gone.
    expect(await ports.rebuilds.current()).toBeUndefined();
  });

  it('refuses a rebuild started while a run holds the build, and goes on with one whose lease ran out', async () => {
    const table = await freshTable();
    const ports = emulator.ports({ stateTable: table });
    expect(await runRebuild(ports, { deadline: { stopAt: Date.now() } })).toMatchObject({ status: 'stopped' });
    const stopped = await ports.rebuilds.current();
    expect(stopped?.progress).toMatchObject({ cluster: 1, pages: 1, runs: 1 });

    // Another run holds it now.
    const held = { owner: 'another-run', until: Date.now() + 60_000 };
    expect(await ports.rebuilds.save(stopped?.progress as never, held, stopped?.lease)).toBe(true);
    await expect(rebuildIndex(emulator.ports({ stateTable: table }))).rejects.toThrow(RebuildInProgressError);

    // Its lease runs out: the next rebuild goes on where it stopped.
    expect(await ports.rebuilds.save(stopped?.progress as never, { ...held, until: Date.now() - 1 }, held)).toBe(true);
    const outcome = await runRebuild(emulator.ports({ stateTable: table }), { deadline: NO_DEADLINE });
    expect(outcome).toMatchObject({ status: 'complete', resumed: true, progress: { runs: 2 } });
  });
});

describe.each([
  ['the state table on moto_server', async (): Promise<RebuildStore> => emulator.ports({ stateTable: await freshTable() }).rebuilds],
  ['the in-memory store of the unit tests', async (): Promise<RebuildStore> => new MemoryRebuildStore()],
])('rebuild store contract: %s', (_, make) => {
  const progress: RebuildProgress = {
    buildId: 'b-1',
    startedAt: '2026-12-01T00:00:00.000Z',
    clusters: ['web'],
    cluster: 0,
    pages: 0,
    services: 0,
    described: 0,
    runs: 1,
  };
  const mine = { owner: 'run-1', until: 1_000 };

  it('takes a build only when none is stored, and saves it only under the lease it read', async () => {
    const store = await make();
    expect(await store.current()).toBeUndefined();
    expect(await store.save(progress, mine, undefined)).toBe(true);
    expect(await store.save(progress, { owner: 'run-2', until: 2_000 }, undefined)).toBe(false);
    expect(await store.save({ ...progress, pages: 1 }, { owner: 'run-2', until: 2_000 }, { owner: 'run-1', until: 999 })).toBe(false);
    expect(await store.save({ ...progress, pages: 1 }, { owner: 'run-2', until: 2_000 }, mine)).toBe(true);
    expect(await store.current()).toEqual({ progress: { ...progress, pages: 1 }, lease: { owner: 'run-2', until: 2_000 } });
  });

  it('keeps pages larger than one item allows, returns the pages asked for, and forgets everything on clear', async () => {
    const store = await make();
    await store.save(progress, mine, undefined);
    // About 600 KB of services: more than a DynamoDB item holds.
    const big = Array.from({ length: 600 }, (_, i) => {
      const snapshot = { ...ecsService('web', `svc-${i}`), padding: 'x'.repeat(900) };
      return {
        clusterArn: snapshot.clusterArn as string,
        serviceArn: serviceArn('web', `svc-${i}`),
        serviceName: `svc-${i}`,
        status: 'ACTIVE',
        desiredCount: 1,
        runningCount: 1,
        deploymentController: 'ECS',
        taskDefinition: snapshot.taskDefinition as string,
        deployments: [{ id: `ecs-svc/${i}`, status: 'PRIMARY', createdAt: '2026-12-01T00:00:00.000Z' }],
        tags: { padding: snapshot.padding },
      };
    });
    const task = {
      clusterArn: big[0].clusterArn,
      taskArn: 'arn:aws:ecs:eu-west-1:111122223333:task/web/1',
      taskDefinition: big[0].taskDefinition,
    };
    await store.savePage('b-1', 0, { services: big.slice(0, 300), standaloneTasks: [] });
    await store.savePage('b-1', 1, { services: big.slice(300), standaloneTasks: [task] });
    await store.savePage('b-1', 2, { services: [big[0]], standaloneTasks: [] });

    const two = await store.pages('b-1', 2);
    expect(two.services.map((s) => s.serviceName).sort()).toEqual(big.map((s) => s.serviceName).sort());
    expect(two.standaloneTasks).toEqual([task]);
    expect(await store.pages('b-1', 0)).toEqual({ services: [], standaloneTasks: [] });
    expect(await store.pages('other', 3)).toEqual({ services: [], standaloneTasks: [] });

    await store.clear();
    expect(await store.current()).toBeUndefined();
    expect(await store.pages('b-1', 3)).toEqual({ services: [], standaloneTasks: [] });
  });
});
