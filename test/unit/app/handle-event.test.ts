import { type EventOutcome, handleEvent, MAX_HOPS } from '../../../functions/app/handle-event';
import { DETAIL_TYPES } from '../../../functions/app/notifications';
import { rebuildIndex } from '../../../functions/app/refresh-index';
import type { RunContext } from '../../../functions/app/run-context';
import { continuationPayload, type RunRequest } from '../../../functions/domain/decode/run-request';
import { ForeignAccountError, MalformedEventError } from '../../../functions/domain/errors';
import { extractReferences } from '../../../functions/domain/references/references';
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

describe('handleEvent: a secret replicated from us-east-1 to this region', () => {
  // The primary lives in us-east-1; this deployment (eu-west-1) runs `orders-api` on the replica,
  // its own region's copy, and `reports` on the primary across regions.
  const PRIMARY_REGION = 'us-east-1';
  const FROM_PRIMARY = { account: ACCOUNT, region: PRIMARY_REGION };
  const arnIn = (region: string) => `arn:aws:secretsmanager:${region}:${ACCOUNT}:secret:prod/db-AbCdEf`;
  const PRIMARY = arnIn(PRIMARY_REGION);
  const REPLICA = arnIn(REGION);
  const service = (name: string) => `arn:aws:ecs:${REGION}:${ACCOUNT}:service/prod/${name}`;
  const redeploys = () => Object.fromEntries(world.ecs.updatesPerService());
  const copyOf = (outcome: EventOutcome) => (outcome.kind === 'report' ? outcome.report.copies?.[0] : undefined);

  beforeEach(async () => {
    world = fakeWorld();
    world.secrets.add(PRIMARY, 'prod/db');
    world.secrets.addReplica(PRIMARY, REGION);
    for (const [name, valueFrom] of [
      ['orders-api', REPLICA],
      ['reports', PRIMARY],
    ]) {
      const taskDefinitionArn = `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${name}:1`;
      const containerDefinitions = [{ name: 'app', secrets: [{ name: 'DB', valueFrom }] }];
      world.ecs.taskDefinitions.set(taskDefinitionArn, extractReferences({ taskDefinitionArn, containerDefinitions }));
      world.ecs.addService({
        clusterArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/prod`,
        serviceArn: service(name),
        serviceName: name,
        desiredCount: 1,
        taskDefinition: taskDefinitionArn,
      });
    }
    await rebuildIndex(world.ports);
  });

  it("reconciles the replica here with an event forwarded from the primary's region: each consumer once; the same events again do nothing", async () => {
    world.secrets.rotate(PRIMARY);
    const events = secretEvents(PRIMARY, FROM_PRIMARY);

    const first = await handleEvent(world.ports, events.putSecretValue(), invocation(300));
    const again = [
      await handleEvent(world.ports, events.putSecretValue(), invocation(300)),
      await handleEvent(world.ports, events.rotationSucceeded(), invocation(300)),
    ];

    expect(redeploys()).toEqual({ [service('orders-api')]: 1, [service('reports')]: 1 });
    expect(first).toMatchObject({ kind: 'report', report: { secret: { arn: PRIMARY }, services: [{ serviceName: 'reports' }] } });
    expect(copyOf(first)).toMatchObject({
      region: REGION,
      arn: REPLICA,
      role: 'replica',
      status: 'InSync',
      report: { secret: { arn: REPLICA }, origin: 'event', services: [{ serviceName: 'orders-api', outcome: 'redeployed' }] },
    });
    for (const outcome of again) expect(copyOf(outcome)?.report?.services).toEqual([expect.objectContaining({ kind: 'up-to-date' })]);
  });

  it('makes no call for a copy of a secret of this region (its replicas are reconciled in their own regions)', async () => {
    world.secrets.rotate(PRIMARY);
    const outcome = await handleEvent(world.ports, secretEvents(REPLICA, ORIGIN).labelUpdated('AWSCURRENT', 'v'), invocation(300));
    expect(outcome.kind === 'report' && outcome.report.copies).toBeUndefined();
    expect(redeploys()).toEqual({ [service('orders-api')]: 1 });
  });

  it('holds the consumers while the replica does not hold the change, looks again by wakeups, and lets them go at the look that finds it', async () => {
    world.secrets.setReplication(REPLICA, 'InProgress');
    world.secrets.rotate(PRIMARY);
    const t0 = world.clock.now().getTime();
    const events = secretEvents(PRIMARY, FROM_PRIMARY);
    const queue = new ReconcilerQueue(world, 300);
    // The events of one rotation: one look asked for, whatever their number.
    for (const event of [events.rotateSecret(), events.putSecretValue(['AWSPENDING']), events.rotationSucceeded(), events.putSecretValue()])
      queue.deliver('event', event, t0);
    // Replication lands between the first look (a minute after the change) and the second (three).
    const replicated = t0 + 90_000;
    const ran = await queue.run({
      beforeEach: (now) => {
        if (now >= replicated && world.secrets.versionOf(REPLICA, 'AWSCURRENT') !== world.secrets.current(PRIMARY))
          world.secrets.setReplication(REPLICA, 'InSync', 'Replication succeeded');
      },
    });

    expect(ran.map((i) => [i.kind, (i.start - t0) / 60_000])).toEqual([
      ['event', 0],
      ['event', 0],
      ['event', 0],
      ['event', 0],
      ['wakeup (replica)', 1],
      ['wakeup (replica)', 3],
    ]);
    const version = world.secrets.current(PRIMARY);
    expect(world.wakeups.created.map((w) => [w.secretArn, w.rollout, w.cause, (Date.parse(w.at) - t0) / 60_000])).toEqual([
      [REPLICA, `AWSCURRENT=${version}`, 'replica', 1],
      [REPLICA, `AWSCURRENT=${version}`, 'replica', 3],
    ]);
    expect(copyOf(ran[0].outcome)?.report?.services[0]).toMatchObject({
      outcome: 'waiting',
      kind: 'replica',
      reason: `replication from us-east-1 to eu-west-1 is InProgress: the replica does not hold AWSCURRENT ${version} yet; looked at again at ${world.wakeups.created[0].at} (a wakeup), or by the next scheduled reconcile`,
    });
    expect(ran[5].outcome).toMatchObject({
      kind: 'report',
      report: { origin: 'schedule', trigger: { detailType: 'Replica Re-check' }, services: [{ outcome: 'redeployed' }] },
    });
    expect(redeploys()).toEqual({ [service('orders-api')]: 1, [service('reports')]: 1 });
  });

  it('ends the wait after its four looks and past its bound: the consumers follow what the replica holds, the lag a warning', async () => {
    world.secrets.setReplication(REPLICA, 'InProgress');
    world.secrets.rotate(PRIMARY);
    const t0 = world.clock.now().getTime();
    const forwarded = secretEvents(PRIMARY, FROM_PRIMARY).putSecretValue();
    const queue = new ReconcilerQueue(world, 300);
    queue.deliver('event', forwarded, t0);
    const ran = await queue.run();
    world.clock.advance(t0 + 30 * 60_000 - world.clock.now().getTime());
    const scheduled = await handleEvent(world.ports, SCHEDULED, invocation(300));
    const late = copyOf(await handleEvent(world.ports, forwarded, invocation(300)))?.report;

    expect(ran.map((i) => (i.start - t0) / 60_000)).toEqual([0, 1, 3, 7, 15]);
    const lastLook = ran[4].outcome.kind === 'report' ? ran[4].outcome.report : undefined;
    expect(lastLook?.services[0]).toMatchObject({
      kind: 'replica',
      reason: expect.stringMatching(/the next scheduled reconcile looks again$/),
    });
    expect(world.wakeups.created).toHaveLength(4);
    expect(scheduled).toMatchObject({ kind: 'schedule', summary: { errors: [], drift: [] } });
    expect(late?.services[0]).toMatchObject({ outcome: 'skipped', kind: 'up-to-date' });
    expect(late?.warnings).toEqual([
      expect.stringMatching(/30 minutes after the change \(the wait ends after 15\): its consumers follow what the replica holds/),
    ]);
    expect(redeploys()).toEqual({ [service('reports')]: 1 });
  });

  it('announces a failed replication on the bus once, and reconciles the consumers with what the replica holds', async () => {
    world.secrets.setReplication(REPLICA, 'Failed', 'Access to KMS is not allowed');
    world.secrets.rotate(PRIMARY);
    const events = secretEvents(PRIMARY, FROM_PRIMARY);

    const first = await handleEvent(world.ports, events.putSecretValue(), invocation(300));
    await handleEvent(world.ports, events.rotationSucceeded(), invocation(300));

    expect(copyOf(first)?.report?.warnings).toEqual([expect.stringContaining('failed: Access to KMS is not allowed')]);
    const notices = world.notifier.published.filter((n) => n.detailType === DETAIL_TYPES.replicationFailed);
    expect(notices).toEqual([
      {
        detailType: 'Secret Replication Failed',
        detail: {
          secret: expect.objectContaining({ arn: REPLICA }),
          region: REGION,
          primaryRegion: PRIMARY_REGION,
          statusMessage: 'Access to KMS is not allowed',
          consumers: [{ service: service('orders-api'), serviceName: 'orders-api', cluster: expect.any(String) }],
          failedAt: expect.any(String),
        },
      },
    ]);
    expect(world.metrics.values.get('ReplicationFailed')).toEqual([1]);
    expect(world.wakeups.created).toEqual([]);
    // The team's chat hears of it once too, with its consumers (besides the rollout of the primary's consumer).
    const replication = world.chat.posted.filter((m) => m.metadata?.eventType === 'replication-failed');
    expect(replication.map((m) => m.content.title)).toEqual(['prod/db: replication to eu-west-1 failed']);
    expect(replication[0].content.description).toContain('1 service (`orders-api`) keep what it holds');
  });

  it('announces a failed replication from the ReplicationFailed event alone, as the replica region logs it, once however often it comes', async () => {
    world.secrets.setReplication(REPLICA, 'Failed', 'Access to KMS is not allowed');
    world.secrets.rotate(PRIMARY);
    const failed = serviceEvent({ account: ACCOUNT, region: REGION }, 'ReplicationFailed', REPLICA);

    const first = await handleEvent(world.ports, failed, invocation(300));
    await handleEvent(world.ports, failed, invocation(300));

    expect(first).toMatchObject({ kind: 'report', report: { secret: { arn: REPLICA }, trigger: { eventName: 'ReplicationFailed' } } });
    expect(world.notifier.published.filter((n) => n.detailType === DETAIL_TYPES.replicationFailed)).toHaveLength(1);
    // Reconciled with what the replica holds: its consumer follows the old version, so nothing is due.
    expect(redeploys()).toEqual({});
  });

  it('says in the report when the next look cannot be asked for: the schedule looks again', async () => {
    world.secrets.setReplication(REPLICA, 'InProgress');
    world.secrets.rotate(PRIMARY);
    world.wakeups.failWith = new Error('AccessDeniedException: not authorized to perform scheduler:CreateSchedule');
    const outcome = await handleEvent(world.ports, secretEvents(PRIMARY, FROM_PRIMARY).putSecretValue(), invocation(300));
    expect(copyOf(outcome)?.report?.warnings).toEqual([
      expect.stringMatching(/\(replica\) could not be scheduled \(.*AccessDenied.*\): the scheduled reconcile catches it/),
    ]);
  });
});
