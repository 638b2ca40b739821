import { DETAIL_TYPES } from '../../../functions/app/notifications';
import { type ReconcileOptions, reconcile } from '../../../functions/app/reconcile';
import { rebuildIndex } from '../../../functions/app/refresh-index';
import { ForeignAccountError, UnknownSecretError } from '../../../functions/domain/errors';
import { parseTarget, type Target } from '../../../functions/domain/identity/target';
import { claimed, NO_VERSION } from '../../../functions/domain/ledger/record';
import { deadlineIn } from '../../../functions/domain/rollout/deadline';
import { WAVE_TAG } from '../../../functions/domain/rollout/waves';
import { type FakeWorld, fakeWorld, reconcileOptions, type SeededFakes, seedFakes } from '../../kit/fakes/fake-world';
import { demoPlan } from '../../kit/simulated-account';

const TRIGGER = { source: 'aws.secretsmanager', eventName: 'PutSecretValue' };
const AFFECTED = ['orders-api', 'orders-ledger', 'orders-worker'];

let world: FakeWorld;
let seeded: SeededFakes;
let ordersDb: string;

function target(arn = ordersDb): Target {
  return parseTarget(arn) as Target;
}

async function run(overrides: Partial<ReconcileOptions> = {}) {
  return reconcile(world.ports, target(), TRIGGER, reconcileOptions(overrides));
}

/** Names of the services UpdateService was applied to, with how many times. */
function deployed(): Record<string, number> {
  const names = new Map([...seeded.serviceArns].map(([name, arn]) => [arn, name]));
  return Object.fromEntries([...world.ecs.updatesPerService()].map(([arn, n]) => [names.get(arn) as string, n]));
}

function outcomes(report: { services: Array<{ serviceName: string; outcome: string }> }): Record<string, string> {
  return Object.fromEntries(report.services.map((s) => [s.serviceName, s.outcome]));
}

beforeEach(async () => {
  world = fakeWorld();
  seeded = seedFakes(world, demoPlan());
  ordersDb = seeded.secrets.get('prod/orders-db')?.arn as string;
  await rebuildIndex(world.ports);
});

describe('reconcile', () => {
  it('redeploys exactly the consumers behind the current version, once, and then nothing', async () => {
    world.secrets.rotate(ordersDb);

    const first = await run();
    const second = await run();

    expect(outcomes(first.report)).toEqual({
      'orders-api': 'redeployed',
      'orders-worker': 'redeployed',
      'orders-ledger': 'redeployed',
      'orders-reports': 'skipped',
      'orders-archiver': 'skipped',
    });
    expect(deployed()).toEqual(Object.fromEntries(AFFECTED.map((n) => [n, 1])));
    expect(second.report.services.filter((s) => s.outcome !== 'skipped')).toEqual([]);
    expect(second.report.services.find((s) => s.serviceName === 'orders-api')?.reason).toMatch(
      /^up to date: runs AWSCURRENT=v\d+, by deployment ecs-svc\//,
    );
  });

  it('does nothing when no stage moved, whatever the event said (a value staged AWSPENDING, a description edit, a duplicate)', async () => {
    const { report } = await run();
    expect(report.services.filter((s) => s.outcome === 'redeployed')).toEqual([]);
    expect(world.ecs.updates).toEqual([]);
  });

  it('redeploys again after a roll-back moves AWSCURRENT back to the version before', async () => {
    const first = world.secrets.current(ordersDb);
    world.secrets.rotate(ordersDb);
    await run();
    world.secrets.moveStage(ordersDb, 'AWSCURRENT', first);

    const { report } = await run();

    expect(
      report.services
        .filter((s) => s.outcome === 'redeployed')
        .map((s) => s.serviceName)
        .sort(),
    ).toEqual(AFFECTED);
    expect(deployed()).toEqual(Object.fromEntries(AFFECTED.map((n) => [n, 2])));
  });

  it('records the version of a service that runs no task, without redeploying it', async () => {
    world.secrets.rotate(ordersDb);
    const archiver = seeded.serviceArns.get('orders-archiver') as string;
    const runningNothing = world.ecs.services.get(archiver);
    if (runningNothing) runningNothing.runningCount = 0;

    await run();

    expect(deployed()['orders-archiver']).toBeUndefined();
    expect(await world.ledger.read(ordersDb, archiver)).toMatchObject({
      via: 'no-tasks',
      versions: { AWSCURRENT: world.secrets.current(ordersDb) },
    });
  });

  it('changes nothing on a dry run and says what would be redeployed', async () => {
    world.secrets.rotate(ordersDb);
    const writes = world.ledger.writes;

    const { report } = await run({ dryRun: true });

    expect(
      report.services
        .filter((s) => s.outcome === 'would-redeploy')
        .map((s) => s.serviceName)
        .sort(),
    ).toEqual(AFFECTED);
    expect(world.ecs.updates).toEqual([]);
    expect(world.ledger.writes).toBe(writes);
  });

  it('costs one DescribeSecret, one batch of DescribeServices per cluster and one UpdateService per affected service', async () => {
    world.secrets.rotate(ordersDb);
    world.ecs.calls.DescribeServices = 0;
    world.secrets.calls.DescribeSecret = 0;

    await run();

    expect(world.secrets.calls.DescribeSecret).toBe(1);
    // the three affected services and the two skipped ones live in two clusters
    expect(world.ecs.calls.DescribeServices).toBe(2);
    expect(world.ecs.calls.UpdateService).toBe(3);
  });
});

describe('reconcile: never lose a redeploy, never repeat one', () => {
  it('deploys once when DynamoDB applied a claim but its answer was lost (the retried claim is recognised as ours)', async () => {
    world.secrets.rotate(ordersDb);
    world.ledger.loseAnswers = 1;

    const { report } = await run();

    expect(outcomes(report)['orders-api']).toBe('redeployed');
    expect(deployed()).toEqual(Object.fromEntries(AFFECTED.map((n) => [n, 1])));
  });

  it('deploys once when ECS applied UpdateService but its answer was lost, and records the deployment ECS shows', async () => {
    world.secrets.rotate(ordersDb);
    let lost = 0;
    world.ecs.fault = (service) => (service.serviceName === 'orders-api' && lost++ === 0 ? 'lose-answer' : undefined);

    const { report } = await run();

    expect(deployed()['orders-api']).toBe(1);
    expect(report.services.find((s) => s.serviceName === 'orders-api')).toMatchObject({
      outcome: 'redeployed',
      reason: expect.stringContaining('answer was lost'),
    });
    expect((await run()).report.services.filter((s) => s.outcome === 'redeployed')).toEqual([]);
  });

  it('sends UpdateService again when no answer came and ECS shows no new deployment', async () => {
    world.secrets.rotate(ordersDb);
    let failures = 0;
    world.ecs.fault = (service) => (service.serviceName === 'orders-api' && failures++ < 1 ? 'fail-unapplied' : undefined);

    await run();

    expect(deployed()['orders-api']).toBe(1);
  });

  it('backs off when ECS throttles UpdateService and does not fail the service', async () => {
    world.secrets.rotate(ordersDb);
    let throttles = 0;
    world.ecs.fault = () => (throttles++ < 4 ? 'throttle' : undefined);

    const { report } = await run();

    expect(report.services.filter((s) => s.outcome === 'failed')).toEqual([]);
    expect(deployed()).toEqual(Object.fromEntries(AFFECTED.map((n) => [n, 1])));
  });

  it('gives a throttled service up before its backing off outlasts the claim lease, when no deadline comes first (the CLI), leaving it due', async () => {
    world.secrets.rotate(ordersDb);
    const api = seeded.serviceArns.get('orders-api') as string;
    world.ecs.fault = (service) => (service.serviceArn === api ? 'throttle' : undefined);

    const { report } = await run();
    world.ecs.fault = undefined;
    const next = await run();

    expect(report.services.find((s) => s.serviceName === 'orders-api')).toMatchObject({
      outcome: 'failed',
      reason: "ECS throttled UpdateService until the claim's lease ends; it stays due for the next run",
    });
    expect(outcomes(next.report)['orders-api']).toBe('redeployed');
    expect(deployed()).toEqual(Object.fromEntries(AFFECTED.map((n) => [n, 1])));
  });

  it('fails a service ECS rejects, releases its claim, and redeploys it on the next run', async () => {
    world.secrets.rotate(ordersDb);
    world.ecs.fault = (service) =>
      service.serviceName === 'orders-api'
        ? Object.assign(new Error('service is draining'), { name: 'InvalidParameterException' })
        : undefined;

    const first = await run();
    world.ecs.fault = undefined;
    const second = await run();

    expect(first.report.services.find((s) => s.serviceName === 'orders-api')).toMatchObject({
      outcome: 'failed',
      reason: 'UpdateService failed: InvalidParameterException: service is draining',
    });
    expect(outcomes(second.report)).toMatchObject({ 'orders-api': 'redeployed', 'orders-worker': 'skipped' });
    expect(deployed()).toEqual(Object.fromEntries(AFFECTED.map((n) => [n, 1])));
  });

  it.each([
    ['between its claim and UpdateService', false, 1],
    ['after UpdateService, before recording it', true, 1],
  ])("deploys exactly once after a run died %s, once the claim's lease ends", async (_label, applied, expected) => {
    world.secrets.rotate(ordersDb);
    const api = world.ecs.services.get(seeded.serviceArns.get('orders-api') as string);
    if (!api) throw new Error('no orders-api');
    const record = await world.ledger.read(ordersDb, api.serviceArn);
    const dead = claimed(
      record,
      { secretArn: ordersDb, serviceArn: api.serviceArn },
      { token: 'dead-run', target: { AWSCURRENT: world.secrets.current(ordersDb) }, priorDeploymentId: api.deployments[0].id },
      60,
      { now: world.clock.now(), writeId: 'dead-run/1' },
    );
    await world.ledger.write(dead, record?.rev);
    if (applied) world.ecs.deploy(api);

    world.clock.advance(61_000);
    const { report } = await run();

    expect(deployed()['orders-api']).toBe(expected);
    expect(report.services.find((s) => s.serviceName === 'orders-api')?.outcome).toBe('redeployed');
    expect(await world.ledger.read(ordersDb, api.serviceArn)).toMatchObject({ versions: { AWSCURRENT: world.secrets.current(ordersDb) } });
  });

  it("waits for another run's live claim to end instead of deploying beside it, then takes it over", async () => {
    world.secrets.rotate(ordersDb);
    const api = seeded.serviceArns.get('orders-api') as string;
    const record = await world.ledger.read(ordersDb, api);
    const prior = world.ecs.services.get(api)?.deployments[0].id;
    const other = claimed(
      record,
      { secretArn: ordersDb, serviceArn: api },
      { token: 'other-run', target: { AWSCURRENT: world.secrets.current(ordersDb) }, ...(prior ? { priorDeploymentId: prior } : {}) },
      60,
      { now: world.clock.now(), writeId: 'other-run/1' },
    );
    await world.ledger.write(other, record?.rev);

    const start = world.clock.now().getTime();
    const { report } = await run();

    // The other run never finished: once its lease ended, this run found no new deployment and deployed.
    expect(world.ecs.updates.find((u) => u.serviceArn === api)?.at).toBeGreaterThanOrEqual(start + 60_000);
    expect(deployed()['orders-api']).toBe(1);
    expect(report.services.find((s) => s.serviceName === 'orders-api')?.outcome).toBe('redeployed');
  });

  // Regression: a consumer whose claim another run took between this run's look at ECS and its
  // own claim was looked at again, after that claim's lease, through the snapshot taken before
  // the other run's UpdateService: its deployment went unseen and a second one was sent.
  it("records, not repeats, the deployment of a run that claimed the service under this run's feet and then died", async () => {
    world.secrets.rotate(ordersDb);
    const api = world.ecs.services.get(seeded.serviceArns.get('orders-api') as string);
    if (!api) throw new Error('no orders-api');
    const write = world.ledger.write.bind(world.ledger);
    let raced = false;
    world.ledger.write = async (record, rev) => {
      if (!raced && record.serviceArn === api.serviceArn && record.state === 'claimed') {
        raced = true;
        const stored = await world.ledger.read(ordersDb, api.serviceArn);
        const ids = { secretArn: ordersDb, serviceArn: api.serviceArn };
        const claim = {
          token: 'other-run',
          target: { AWSCURRENT: world.secrets.current(ordersDb) },
          priorDeploymentId: api.deployments[0].id,
        };
        await write(claimed(stored, ids, claim, 60, { now: world.clock.now(), writeId: 'other-run/1' }), stored?.rev);
        world.ecs.deploy(api);
      }
      return write(record, rev);
    };

    const { report } = await run();

    expect(deployed()['orders-api']).toBe(1);
    expect(report.services.find((s) => s.serviceName === 'orders-api')).toMatchObject({
      outcome: 'redeployed',
      reason: expect.stringContaining('created after an interrupted claim'),
    });
  });

  it('redeploys each service once when five runs reconcile the same change at once', async () => {
    world.secrets.rotate(ordersDb);

    const reports = await Promise.all(Array.from({ length: 5 }, () => run()));

    expect(deployed()).toEqual(Object.fromEntries(AFFECTED.map((n) => [n, 1])));
    const redeployed = reports.flatMap((r) => r.report.services.filter((s) => s.outcome === 'redeployed').map((s) => s.serviceName));
    expect(redeployed.sort()).toEqual(AFFECTED);
  });

  it('stops claiming at its deadline and leaves the rest, unclaimed, for a new run', async () => {
    world.secrets.rotate(ordersDb);
    world.ports.config.updateRate = 1;
    world.ports.config.updateBurst = 1;
    world.ports.config.maxConcurrency = 1;
    const now = world.clock.now().getTime();

    const first = await run({ deadline: deadlineIn(now, 1500, 0) });
    const second = await run({ hop: 1, ...(first.bucket ? { bucket: first.bucket } : {}) });

    expect(first.unfinished).toBe(true);
    expect(first.report.continued).toBeDefined();
    expect(first.report.services.filter((s) => s.outcome === 'waiting').length).toBeGreaterThan(0);
    expect([...world.ledger.items.values()].filter((r) => r.state === 'claimed')).toEqual([]);
    expect(second.unfinished).toBe(false);
    expect(deployed()).toEqual(Object.fromEntries(AFFECTED.map((n) => [n, 1])));
  });

  it('keeps its UpdateService rate: the calls after the burst are spaced by the configured rate', async () => {
    world.secrets.rotate(ordersDb);
    world.ports.config.updateRate = 2;
    world.ports.config.updateBurst = 1;
    const start = world.clock.now().getTime();

    await run();

    const times = world.ecs.updates.map((u) => u.at - start);
    expect(times).toEqual([0, 500, 1000]);
  });
});

describe('reconcile: what the index and the ledger do not know', () => {
  it('judges a consumer without a record from evidence: deployed after the current version, it is recorded as running it', async () => {
    const api = seeded.serviceArns.get('orders-api') as string;
    await world.ledger.remove(ordersDb, api);

    const { report } = await run();

    expect(report.services.find((s) => s.serviceName === 'orders-api')).toMatchObject({
      outcome: 'skipped',
      reason: expect.stringContaining('as its deployment was created after the version'),
    });
    expect(await world.ledger.read(ordersDb, api)).toMatchObject({
      via: 'first-sight',
      versions: { AWSCURRENT: world.secrets.current(ordersDb) },
    });
    expect(world.ecs.updates).toEqual([]);
  });

  // Regression: the ledger recorded every pair it had no record of as running the version current
  // then, so the consumers of a rotation nobody deployed were never redeployed.
  it('redeploys once the consumers first seen running a version older than current (installed after a rotation)', async () => {
    world.clock.advance(60_000);
    world.secrets.rotate(ordersDb);
    for (const name of AFFECTED) await world.ledger.remove(ordersDb, seeded.serviceArns.get(name) as string);

    const first = await run();
    const second = await run();

    expect(
      first.report.services
        .filter((s) => s.outcome === 'redeployed')
        .map((s) => s.serviceName)
        .sort(),
    ).toEqual(AFFECTED);
    expect(second.report.services.filter((s) => s.outcome === 'redeployed')).toEqual([]);
    expect(deployed()).toEqual(Object.fromEntries(AFFECTED.map((n) => [n, 1])));
  });

  it('lists the stale consumers in a dry run, with why, and records nothing', async () => {
    world.clock.advance(60_000);
    world.secrets.rotate(ordersDb);
    const api = seeded.serviceArns.get('orders-api') as string;
    await world.ledger.remove(ordersDb, api);

    const { report } = await run({ dryRun: true });

    expect(report.services.find((s) => s.serviceName === 'orders-api')).toMatchObject({
      outcome: 'would-redeploy',
      reason: expect.stringMatching(
        /runs an older version than current \(first seen: its deployment \(created .*\) is older than AWSCURRENT/,
      ),
    });
    expect(await world.ledger.read(ordersDb, api)).toBeUndefined();
    expect(world.ecs.updates).toEqual([]);
  });

  it("reads the versions' creation times once per reconcile, and not at all when every consumer has a record", async () => {
    // The first rebuild read them once per secret; from here on, every pair has a record.
    world.secrets.calls.ListSecretVersionIds = 0;
    world.secrets.rotate(ordersDb);
    await run();
    expect(world.secrets.calls.ListSecretVersionIds).toBe(0);

    for (const name of AFFECTED) await world.ledger.remove(ordersDb, seeded.serviceArns.get(name) as string);
    await run();
    expect(world.secrets.calls.ListSecretVersionIds).toBe(1);
  });

  // Regression: a consumer of AWSPREVIOUS of a secret never rotated got no record, and the first
  // rotation recorded it as running the new AWSPREVIOUS: never redeployed.
  it('records a followed stage that no version holds, so that the first rotation redeploys its consumer', async () => {
    world = fakeWorld();
    const plan = demoPlan();
    plan.families.push({
      name: 'previous-reader',
      revisions: 1,
      latest: [{ secret: 'prod/orders-db', form: 'previous', field: 'secrets', env: 'OLD_DB', container: 'old' }],
      older: [],
    });
    plan.services.push({ name: 'previous-reader', cluster: 0, family: plan.families.length - 1, desiredCount: 1 });
    seeded = seedFakes(world, plan);
    ordersDb = seeded.secrets.get('prod/orders-db')?.arn as string;
    await rebuildIndex(world.ports);
    const reader = seeded.serviceArns.get('previous-reader') as string;
    expect(await world.ledger.read(ordersDb, reader)).toMatchObject({ versions: { AWSPREVIOUS: NO_VERSION } });

    world.clock.advance(60_000);
    world.secrets.rotate(ordersDb);
    const { report } = await run();

    expect(report.services.find((s) => s.serviceName === 'previous-reader')).toMatchObject({ outcome: 'redeployed' });
    expect(world.ecs.updatesPerService().get(reader)).toBe(1);
  });

  it('drops a service that no longer exists from the index and the ledger', async () => {
    world.secrets.rotate(ordersDb);
    const api = seeded.serviceArns.get('orders-api') as string;
    world.ecs.services.delete(api);

    const { report } = await run();

    expect(report.services.find((s) => s.serviceName === 'orders-api')).toMatchObject({
      outcome: 'skipped',
      reason: 'service no longer exists',
    });
    expect((await world.index.entriesOf(ordersDb)).map((e) => e.name)).not.toContain('orders-api');
    expect(await world.ledger.read(ordersDb, api)).toBeUndefined();
  });

  it('judges the task definition the next deployment starts, not the indexed one', async () => {
    world.secrets.rotate(ordersDb);
    const api = world.ecs.services.get(seeded.serviceArns.get('orders-api') as string);
    if (!api) throw new Error('no orders-api');
    const plain = api.taskDefinition.replace(/:\d+$/, ':2');
    world.ecs.taskDefinitions.set(plain, []);
    api.taskDefinition = plain;

    const { report } = await run();

    expect(report.services.find((s) => s.serviceName === 'orders-api')).toMatchObject({
      outcome: 'skipped',
      reason: 'task definition orders-api:2 does not reference the secret',
    });
    expect(deployed()['orders-api']).toBeUndefined();
    expect(await world.ledger.read(ordersDb, api.serviceArn)).toBeUndefined();
  });

  it('lists what a scheduled run found behind with no run on it as drift', async () => {
    world.secrets.rotate(ordersDb);

    const { report } = await run({ origin: 'schedule' });

    expect(report.drift?.services.map((arn) => arn.split('/').pop()).sort()).toEqual(AFFECTED);
  });

  it('without a ledger redeploys every eligible consumer, every time', async () => {
    const first = await run({ useLedger: false });
    const second = await run({ useLedger: false });

    expect(first.report.inventory).toMatchObject({ source: 'scan' });
    expect(
      second.report.services
        .filter((s) => s.outcome === 'redeployed')
        .map((s) => s.serviceName)
        .sort(),
    ).toEqual(AFFECTED);
    expect(deployed()).toEqual(Object.fromEntries(AFFECTED.map((n) => [n, 2])));
  });
});

describe('reconcile: inputs it refuses or ignores', () => {
  it('ignores a secret scheduled for deletion: new tasks could not start', async () => {
    world.secrets.rotate(ordersDb);
    const state = world.secrets.states.get(ordersDb);
    if (state) state.deletedDate = '2026-11-30T00:00:00.000Z';

    const { report } = await run();

    expect(report).toMatchObject({ action: 'ignore', reason: expect.stringContaining('scheduled for deletion') });
    expect(world.ecs.updates).toEqual([]);
  });

  it('refuses a name that resolves to a secret of another account', async () => {
    world.secrets.add('arn:aws:secretsmanager:eu-west-1:999999999999:secret:shared/db-AbCdEf', 'shared/db');
    await expect(reconcile(world.ports, parseTarget('shared/db') as Target, TRIGGER, reconcileOptions())).rejects.toThrow(
      ForeignAccountError,
    );
  });

  it('refuses an ARN of another account before calling AWS', async () => {
    const before = world.secrets.calls.DescribeSecret;
    await expect(
      reconcile(
        world.ports,
        parseTarget('arn:aws:secretsmanager:eu-west-1:999999999999:secret:x-AbCdEf') as Target,
        TRIGGER,
        reconcileOptions(),
      ),
    ).rejects.toThrow(ForeignAccountError);
    expect(world.secrets.calls.DescribeSecret).toBe(before);
  });

  it('refuses a secret that does not exist', async () => {
    await expect(reconcile(world.ports, parseTarget('prod/nope') as Target, TRIGGER, reconcileOptions())).rejects.toThrow(
      UnknownSecretError,
    );
  });

  it('leaves the index as it is on a dry run, even for a service it finds on another task definition', async () => {
    const api = world.ecs.services.get(seeded.serviceArns.get('orders-api') as string);
    if (!api) throw new Error('no orders-api');
    const plain = api.taskDefinition.replace(/:\d+$/, ':2');
    world.ecs.taskDefinitions.set(plain, []);
    api.taskDefinition = plain;
    world.secrets.rotate(ordersDb);
    const before = await world.index.allEntries();

    await run({ dryRun: true });

    expect(await world.index.allEntries()).toEqual(before);
  });
});

describe('reconcile: waves', () => {
  /** orders-api in wave 1 (no tag: DEFAULT_WAVE), orders-worker in wave 2, orders-ledger in wave 3. */
  function tagWaves(): void {
    for (const [name, wave] of [
      ['orders-worker', '2'],
      ['orders-ledger', '3'],
    ]) {
      const service = world.ecs.services.get(seeded.serviceArns.get(name) as string);
      if (service) service.tags = { [WAVE_TAG]: wave };
    }
  }

  const deploymentIdOf = async (name: string) =>
    (await world.ledger.read(ordersDb, seeded.serviceArns.get(name) as string))?.deploymentId as string;

  it('redeploys only the first wave; the others wait, saying for what; a duplicate event names what is in progress', async () => {
    tagWaves();
    world.secrets.rotate(ordersDb);

    const first = await run();
    const duplicate = await run();

    expect(outcomes(first.report)).toMatchObject({ 'orders-api': 'redeployed', 'orders-worker': 'waiting', 'orders-ledger': 'waiting' });
    expect(deployed()).toEqual({ 'orders-api': 1 });
    const waiting = Object.fromEntries(duplicate.report.services.map((s) => [s.serviceName, s.reason]));
    expect(waiting['orders-worker']).toBe('wave 2: waits for wave 1 (1 deployment(s) in progress: orders-api)');
    expect(waiting['orders-ledger']).toBe('wave 3: waits for wave 1 (1 deployment(s) in progress: orders-api)');
    expect(deployed()).toEqual({ 'orders-api': 1 });
  });

  it('releases every wave at once with --all-waves (a manual emergency)', async () => {
    tagWaves();
    world.secrets.rotate(ordersDb);

    const { report } = await run({ allWaves: true, origin: 'manual' });

    expect(deployed()).toEqual(Object.fromEntries(AFFECTED.map((n) => [n, 1])));
    expect(report.services.filter((s) => s.outcome === 'redeployed').map((s) => s.wave)).toEqual([1, 3, 2]);
  });

  it('polls rolloutState on the schedule when the ECS event was missed, and starts the next wave', async () => {
    tagWaves();
    world.secrets.rotate(ordersDb);
    await run();
    world.ecs.settle(await deploymentIdOf('orders-api'), 'COMPLETED');

    const scheduled = await run({ origin: 'schedule' });

    expect(deployed()).toEqual({ 'orders-api': 1, 'orders-worker': 1 });
    expect((await world.ledger.read(ordersDb, seeded.serviceArns.get('orders-api') as string))?.deployment?.state).toBe('COMPLETED');
    // Waiting for its wave in a rollout under way is not drift: the change's event did arrive.
    expect(scheduled.report.drift).toBeUndefined();
  });

  it('halts on a failure the schedule polls, with ECS reason, and announces it once', async () => {
    tagWaves();
    world.secrets.rotate(ordersDb);
    await run();
    world.ecs.settle(await deploymentIdOf('orders-api'), 'FAILED', 'ECS deployment circuit breaker: tasks failed to start.');

    await run({ origin: 'schedule' });
    const again = await run({ origin: 'schedule' });

    expect(deployed()).toEqual({ 'orders-api': 1 });
    const halted = world.notifier.published.filter((n) => n.detailType === DETAIL_TYPES.rolloutHalted);
    expect(halted).toHaveLength(1);
    expect(halted[0].detail).toMatchObject({ failed: [{ serviceName: 'orders-api', reason: expect.stringMatching(/circuit breaker/) }] });
    expect(outcomes(again.report)['orders-worker']).toBe('waiting');
    expect(again.report.services.find((s) => s.serviceName === 'orders-worker')?.reason).toMatch(
      /^rollout halted at wave 1: the deployment of orders-api failed; resume it once fixed$/,
    );
  });

  /** The answer to the next write of the secret's row that records this rollout status is lost, once that write is applied. */
  function loseAnswerRecording(status: 'halted' | 'completed'): void {
    const writeSecret = world.ledger.writeSecret.bind(world.ledger);
    world.ledger.writeSecret = async (record, rev) => {
      if (record.rollout?.status === status) world.ledger.loseAnswers = 1;
      return writeSecret(record, rev);
    };
  }

  // Regression: a lost answer to the write that halted the rollout read as a conflict, and
  // Rollout Halted was never announced.
  it('announces a halt once even when the answer to the write recording it is lost', async () => {
    tagWaves();
    world.secrets.rotate(ordersDb);
    await run();
    world.ecs.settle(await deploymentIdOf('orders-api'), 'FAILED', 'ECS deployment circuit breaker: tasks failed to start.');
    loseAnswerRecording('halted');

    await run({ origin: 'schedule' });
    await run({ origin: 'schedule' });

    expect(world.notifier.published.filter((n) => n.detailType === DETAIL_TYPES.rolloutHalted)).toHaveLength(1);
    expect((await world.ledger.readSecret(ordersDb))?.rollout?.status).toBe('halted');
  });

  // Regression: the same for the write that completes the rollout.
  it('announces a completion once even when the answer to the write recording it is lost', async () => {
    world.secrets.rotate(ordersDb);
    await run();
    for (const name of AFFECTED) world.ecs.settle(await deploymentIdOf(name), 'COMPLETED');
    loseAnswerRecording('completed');

    await run({ origin: 'schedule' });
    await run({ origin: 'schedule' });

    expect(world.notifier.published.filter((n) => n.detailType === DETAIL_TYPES.rolloutCompleted)).toHaveLength(1);
    expect(world.metrics.sum('RolloutCompleted')).toBe(1);
  });

  it('halts a rollout whose deployment is still in progress past the deployment timeout (no circuit breaker)', async () => {
    tagWaves();
    world.secrets.rotate(ordersDb);
    await run();
    world.clock.advance(61 * 60_000);

    await run({ origin: 'schedule' });

    expect(deployed()).toEqual({ 'orders-api': 1 });
    const halted = world.notifier.published.filter((n) => n.detailType === DETAIL_TYPES.rolloutHalted);
    expect(halted[0]?.detail).toMatchObject({
      failed: [{ serviceName: 'orders-api', reason: 'still in progress after 61 minutes (deploymentTimeoutMinutes 60)' }],
    });
  });

  it('starts a new rollout when a newer version arrives mid-rollout: its first wave goes at once', async () => {
    tagWaves();
    world.secrets.rotate(ordersDb);
    await run();
    const older = (await world.ledger.readSecret(ordersDb))?.rollout?.key;

    world.secrets.rotate(ordersDb);
    await run();

    expect(deployed()).toEqual({ 'orders-api': 2 });
    const rollout = (await world.ledger.readSecret(ordersDb))?.rollout;
    expect(rollout?.key).not.toBe(older);
    expect(rollout?.status).toBe('in-progress');
  });

  it('has no waves without a ledger: every eligible consumer at once', async () => {
    tagWaves();
    world.secrets.rotate(ordersDb);
    await run({ useLedger: false });
    expect(deployed()).toEqual(Object.fromEntries(AFFECTED.map((n) => [n, 1])));
  });

  it('treats a wave tag that is not an integer as the default wave, with a warning', async () => {
    const worker = world.ecs.services.get(seeded.serviceArns.get('orders-worker') as string);
    if (worker) worker.tags = { [WAVE_TAG]: 'canary' };
    world.secrets.rotate(ordersDb);

    const { report } = await run();

    expect(deployed()).toEqual(Object.fromEntries(AFFECTED.map((n) => [n, 1])));
    expect(report.warnings).toContain(`orders-worker: tag ${WAVE_TAG}="canary" is not an integer: wave 1`);
  });

  it('says on a dry run which wave would go and which would wait, recording no rollout', async () => {
    tagWaves();
    world.secrets.rotate(ordersDb);

    const { report } = await run({ dryRun: true });

    expect(outcomes(report)).toMatchObject({ 'orders-api': 'would-redeploy', 'orders-worker': 'waiting', 'orders-ledger': 'waiting' });
    expect(await world.ledger.readSecret(ordersDb)).toBeUndefined();
  });

  it('announces each service redeployed, with its wave and the time since the change, and counts it', async () => {
    tagWaves();
    world.secrets.rotate(ordersDb);
    const changedAt = world.clock.now().toISOString();
    world.clock.advance(42_000);

    await reconcile(world.ports, target(), { ...TRIGGER, time: changedAt }, reconcileOptions());

    const redeployed = world.notifier.published.filter((n) => n.detailType === DETAIL_TYPES.serviceRedeployed);
    expect(redeployed.map((n) => n.detail)).toEqual([
      expect.objectContaining({
        service: expect.objectContaining({ name: 'orders-api' }),
        wave: 1,
        secondsFromChange: 42,
        origin: 'event',
      }),
    ]);
    expect(world.metrics.sum('ServicesRedeployed')).toBe(1);
    expect(world.metrics.values.get('SecondsFromChangeToDeploy')).toEqual([42]);
  });

  it('counts the services a scheduled run found behind with no rollout as drift', async () => {
    world.secrets.rotate(ordersDb);
    await run({ origin: 'schedule' });
    expect(world.metrics.sum('DriftFound')).toBe(3);
  });

  // Without forwarding, the schedule is how the change of a secret of another region arrives: by
  // design, not a missed event, so the drift-found alarm must not fire at each of its rotations.
  it('does not count a secret of another region as drift: the schedule is how its changes arrive', async () => {
    world.ports.config = { ...world.ports.config, region: 'us-east-1' };
    world.secrets.rotate(ordersDb);
    const { report } = await run({ origin: 'schedule' });
    expect(outcomes(report)).toMatchObject(Object.fromEntries(AFFECTED.map((n) => [n, 'redeployed'])));
    expect(report.drift).toBeUndefined();
    expect(world.metrics.sum('DriftFound')).toBe(0);
  });
});
