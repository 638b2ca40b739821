import { type EventOutcome, handleEvent, MAX_HOPS } from '../../../functions/app/handle-event';
import { DETAIL_TYPES } from '../../../functions/app/notifications';
import { rebuildIndex } from '../../../functions/app/refresh-index';
import type { RunContext } from '../../../functions/app/run-context';
import { continuationPayload, type RunRequest } from '../../../functions/domain/decode/run-request';
import { ForeignAccountError, MalformedEventError } from '../../../functions/domain/errors';
import { NO_DEADLINE } from '../../../functions/domain/rollout/deadline';
import { deploymentChange, secretEvents, serviceEvent } from '../../kit/events';
import { type FakeWorld, fakeWorld, type SeededFakes, seedFakes } from '../../kit/fakes/fake-world';
import { invocation as invocationOf, ReconcilerQueue, runChain as runChainOf } from '../../kit/fakes/invocations';
import { demoPlan, syntheticPlan } from '../../kit/simulated-account';
import { ACCOUNT, REGION } from '../../kit/test-account';

let world: FakeWorld;
let seeded: SeededFakes;

const ORIGIN = { account: ACCOUNT, region: REGION };
const SCHEDULED = {
  version: '0',
  id: 'tick-1',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: ACCOUNT,
  time: '2026-11-23T10:00:00Z',
  region: REGION,
  resources: [],
  detail: {},
};

async function setUp(plan = demoPlan()): Promise<void> {
  world = fakeWorld();
  seeded = seedFakes(world, plan);
  await rebuildIndex(world.ports);
}

/** A Lambda invocation of `seconds`, with the stack's 10 s margin. */
function invocation(seconds: number): RunContext {
  return invocationOf(world, seconds);
}

/** Runs an event, then every continuation it leads to, each as a new invocation: what Lambda would do. */
async function runChain(event: unknown, seconds: number): Promise<EventOutcome[]> {
  return (await runChainOf(world, event, seconds)).map((i) => i.outcome);
}

function secretArnOf(name: string): string {
  return seeded.secrets.get(name)?.arn as string;
}

describe('handleEvent', () => {
  beforeEach(() => setUp());

  it('reconciles the secret a change event names, whatever the event', async () => {
    const ordersDb = secretArnOf('prod/orders-db');
    world.secrets.rotate(ordersDb);

    const outcome = await handleEvent(world.ports, secretEvents(ordersDb, ORIGIN).labelUpdated('AWSPENDING', 'v9'), invocation(300));

    expect(outcome.kind === 'report' && outcome.report.services.filter((s) => s.outcome === 'redeployed').length).toBe(3);
  });

  it('refuses an event of an account that is neither this one nor an allowed owner: counted, nothing read or redeployed', async () => {
    const ordersDb = secretArnOf('prod/orders-db');
    world.secrets.rotate(ordersDb);
    const before = world.ecs.calls.UpdateService ?? 0;
    const foreign = { account: '444444444444', region: REGION };

    await expect(handleEvent(world.ports, secretEvents(ordersDb, foreign).rotationSucceeded(), invocation(300))).rejects.toThrow(
      `event from account 444444444444, which is neither this account (${ACCOUNT}) nor an allowed owner (none)`,
    );
    world.ports.config.secretOwners = { kind: 'accounts', accounts: ['111111111111'] };
    await expect(handleEvent(world.ports, secretEvents(ordersDb, foreign).putSecretValue(), invocation(300))).rejects.toThrow(
      ForeignAccountError,
    );
    // An allowed owner's event names a resource of its own account only.
    const owner = { account: '111111111111', region: REGION };
    await expect(handleEvent(world.ports, secretEvents(ordersDb, owner).labelUpdated('AWSCURRENT', 'v9'), invocation(300))).rejects.toThrow(
      'an event of account 111111111111 names',
    );
    expect(world.metrics.sum('EventsRefused')).toBe(3);
    expect(world.ecs.calls.UpdateService ?? 0).toBe(before);
  });

  it('reports an event it ignores without reading anything', async () => {
    const before = { ...world.secrets.calls };
    const outcome = await handleEvent(world.ports, serviceEvent(ORIGIN, 'RotationStarted', secretArnOf('prod/orders-db')), invocation(300));
    expect(outcome).toMatchObject({ kind: 'report', report: { action: 'ignore', origin: 'event' } });
    expect(world.secrets.calls).toEqual(before);
  });

  it('warns of a secret in use scheduled for deletion (DeleteSecret), redeploying nothing', async () => {
    const ordersDb = secretArnOf('prod/orders-db');
    const state = world.secrets.states.get(ordersDb);
    if (state) state.deletedDate = '2026-11-30T10:00:00.000Z';

    const outcome = await handleEvent(world.ports, secretEvents(ordersDb, ORIGIN).deleteSecret(), invocation(300));

    expect(outcome).toMatchObject({
      kind: 'report',
      report: { action: 'ignore', warnings: [expect.stringMatching(/^5 service\(s\) still use it/)] },
    });
    expect(world.notifier.published.map((n) => n.detailType)).toEqual([DETAIL_TYPES.scheduledForDeletion]);
    expect(world.ecs.updates).toEqual([]);
  });

  it.each(['RotationFailed', 'RotationAbandoned'])('warns of a %s rotation, redeploying nothing', async (eventName) => {
    const outcome = await handleEvent(world.ports, serviceEvent(ORIGIN, eventName, secretArnOf('prod/orders-db')), invocation(300));
    expect(outcome).toMatchObject({ kind: 'report', report: { action: 'ignore' } });
    expect(world.notifier.published.map((n) => n.detailType)).toEqual([DETAIL_TYPES.rotationFailed]);
    expect(world.ecs.updates).toEqual([]);
  });

  it('takes an ECS deployment that completed as the progress of a rollout', async () => {
    const ordersDb = secretArnOf('prod/orders-db');
    world.secrets.rotate(ordersDb);
    await handleEvent(world.ports, secretEvents(ordersDb, ORIGIN).putSecretValue(), invocation(300));
    const api = seeded.serviceArns.get('orders-api') as string;
    const deploymentId = (await world.ledger.read(ordersDb, api))?.deploymentId as string;
    world.ecs.settle(deploymentId, 'COMPLETED');

    const outcome = await handleEvent(
      world.ports,
      deploymentChange(api, 'SERVICE_DEPLOYMENT_COMPLETED', deploymentId, ORIGIN),
      invocation(300),
    );

    expect(outcome).toEqual({
      kind: 'deployment',
      progress: { service: api, deploymentId, state: 'COMPLETED', secrets: [{ secret: ordersDb, recorded: true }] },
    });
    expect((await world.ledger.read(ordersDb, api))?.deployment?.state).toBe('COMPLETED');
  });

  it('refuses an ECS event that is not a deployment state change as malformed', async () => {
    const event = {
      ...deploymentChange('arn:aws:ecs:eu-west-1:111122223333:service/c/s', 'X', 'd', ORIGIN),
      'detail-type': 'ECS Task State Change',
    };
    await expect(handleEvent(world.ports, event, invocation(300))).rejects.toThrow(MalformedEventError);
  });

  it('reconciles every indexed secret on the schedule and reports what events missed as drift', async () => {
    world.secrets.rotate(secretArnOf('prod/orders-db'));
    world.secrets.rotate(secretArnOf('prod/payments-api-key'));

    const [outcome] = await runChain(SCHEDULED, 300);
    const again = await handleEvent(world.ports, SCHEDULED, invocation(300));

    expect(outcome.kind === 'schedule' && outcome.summary).toMatchObject({
      secrets: 3,
      reconciled: 3,
      outcomes: { redeployed: 4, failed: 0 },
    });
    expect(outcome.kind === 'schedule' && outcome.summary.drift.map((d) => d.services.length).sort()).toEqual([1, 3]);
    expect(again.kind === 'schedule' && again.summary).toMatchObject({ outcomes: { redeployed: 0 }, drift: [] });
  });

  it('goes on with the other secrets when one indexed secret no longer exists', async () => {
    world.secrets.states.delete(secretArnOf('prod/orders-db-creds'));
    world.secrets.rotate(secretArnOf('prod/orders-db'));

    const outcome = await handleEvent(world.ports, SCHEDULED, invocation(300));

    expect(outcome.kind === 'schedule' && outcome.summary.errors).toEqual([
      { secret: secretArnOf('prod/orders-db-creds'), error: expect.stringContaining('UnknownSecretError') },
    ]);
    expect(outcome.kind === 'schedule' && outcome.summary.outcomes.redeployed).toBe(3);
  });

  it('stops a chain of continuations that has gone on too long, as a loop', async () => {
    await world.continuation.continueWith({
      kind: 'reconcile-all',
      origin: 'schedule',
      trigger: { source: 'schedule' },
      hop: MAX_HOPS + 1,
    });
    const request = world.continuation.requests.pop() as RunRequest;
    await expect(handleEvent(world.ports, continuationPayload(request), invocation(300))).rejects.toThrow(MalformedEventError);
  });
});

describe('handleEvent: a rotation bigger than one invocation', () => {
  const K = 60;

  beforeEach(() => setUp(syntheticPlan(80, [K])));

  it('continues at once in new invocations until every consumer is redeployed, exactly once', async () => {
    world.ports.config.updateRate = 2;
    world.ports.config.updateBurst = 5;
    const rotated = secretArnOf(`bench/rotated-k${K}`);
    world.secrets.rotate(rotated);

    // 20 s invocations with a 10 s margin at 2 UpdateService per second: about 25 services each.
    const outcomes = await runChain(secretEvents(rotated, ORIGIN).putSecretValue(), 20);

    const perService = [...world.ecs.updatesPerService().values()];
    expect(perService).toHaveLength(K);
    expect(perService.every((n) => n === 1)).toBe(true);
    expect(outcomes.length).toBeGreaterThan(2);
    const reports = outcomes.map((o) => (o.kind === 'report' ? o.report : undefined));
    expect(reports.slice(0, -1).every((r) => r?.continued)).toBe(true);
    expect(reports.at(-1)?.continued).toBeUndefined();
    // Who asked stays the event's; each continuing run says its place in the chain.
    expect(reports.map((r) => r?.origin)).toEqual(reports.map(() => 'event'));
    expect(reports.map((r) => r?.hop)).toEqual([undefined, ...reports.slice(1).map((_, i) => i + 1)]);
  });

  it('runs a scheduled reconcile past its deadline in continuations, from the secret it stopped at', async () => {
    world.ports.config.updateRate = 2;
    world.ports.config.updateBurst = 5;
    world.secrets.rotate(secretArnOf(`bench/rotated-k${K}`));

    const outcomes = await runChain(SCHEDULED, 20);

    expect([...world.ecs.updatesPerService().values()].every((n) => n === 1)).toBe(true);
    expect(world.ecs.updatesPerService().size).toBe(K);
    expect(outcomes.length).toBeGreaterThan(1);
    const last = outcomes.at(-1);
    expect(last?.kind).toBe('schedule');
    expect(last?.kind === 'schedule' && last.summary.continueFrom).toBeUndefined();
  });

  // Regression (found by the benchmark): each event of a rotation (up to five) started a run, and
  // a chain of continuations, with a full bucket of its own. Serialised by the reserved
  // concurrency of 1, the chains still took turns bursting: the function went past its configured
  // rate, and at ECS's own rate ECS throttled it hundreds of times.
  it("takes every run's UpdateService tokens from the container's one bucket, whichever event started it", async () => {
    world.ports.config.updateRate = 2;
    world.ports.config.updateBurst = 5;
    world.ecs.throttleUpdatesLike({ perSecond: 2, burst: 5 });
    const rotated = secretArnOf(`bench/rotated-k${K}`);
    const version = world.secrets.rotate(rotated);
    const events = secretEvents(rotated, ORIGIN);
    const queue = new ReconcilerQueue(world, 20);
    const t0 = world.clock.now().getTime();
    for (const event of [
      events.rotateSecret(),
      events.putSecretValue(['AWSPENDING']),
      events.updateSecretVersionStage('AWSCURRENT', version),
      events.rotationSucceeded(),
      events.labelUpdated('AWSCURRENT', version),
    ])
      queue.deliver('event', event, t0);

    await queue.run();

    expect([...world.ecs.updatesPerService().values()].filter((n) => n === 1)).toHaveLength(K);
    expect(world.ecs.calls.UpdateService).toBe(K);
    const last = Math.max(...world.ecs.updates.map((u) => u.at));
    expect((last - t0) / 1000).toBeGreaterThanOrEqual((K - 5) / 2);
  });

  it('never continues where there is no deadline (the CLI)', async () => {
    world.secrets.rotate(secretArnOf(`bench/rotated-k${K}`));
    const outcome = await handleEvent(world.ports, SCHEDULED, { deadline: NO_DEADLINE, dryRun: false });
    expect(outcome.kind === 'schedule' && outcome.summary.outcomes.redeployed).toBe(K);
  });
});
