import { Redeployer, type Work } from '../../../functions/app/redeploy';
import type { ServiceSnapshot } from '../../../functions/domain/inventory/service';
import { firstSeen, type LedgerRecord } from '../../../functions/domain/ledger/record';
import { deadlineIn, NO_DEADLINE } from '../../../functions/domain/rollout/deadline';
import { clusterArn, secretArn, serviceArn, taskDefinitionArn } from '../../kit/factories';
import { type FakeWorld, fakeWorld } from '../../kit/fakes/fake-world';

const SECRET = secretArn('prod/db-AbCdEf');
const TARGET = { AWSCURRENT: 'v2' };

let world: FakeWorld;
let service: ServiceSnapshot;

beforeEach(async () => {
  world = fakeWorld();
  service = world.ecs.addService({
    clusterArn: clusterArn('web'),
    serviceArn: serviceArn('web', 'api'),
    serviceName: 'api',
    desiredCount: 2,
    taskDefinition: taskDefinitionArn('api:1'),
  });
  await world.ledger.write(
    firstSeen(SECRET, service.serviceArn, { versions: { AWSCURRENT: 'v1' }, stale: [] }, { now: world.clock.now(), writeId: 'seed' }),
    undefined,
  );
});

async function work(redeployer: Redeployer): Promise<Work> {
  const record = await world.ledger.read(SECRET, service.serviceArn);
  return { secretArn: SECRET, service: structuredClone(service), desired: TARGET, record, decision: redeployer.decide(record, TARGET) };
}

async function stored(): Promise<LedgerRecord | undefined> {
  return world.ledger.read(SECRET, service.serviceArn);
}

describe('Redeployer', () => {
  it('claims, sends UpdateService once and records the deployment ECS created', async () => {
    const redeployer = new Redeployer(world.ports, NO_DEADLINE, undefined, false);

    const result = await redeployer.redeploy(await work(redeployer));

    expect(result).toMatchObject({ outcome: 'redeployed', deploymentId: world.ecs.updates[0].deploymentId });
    expect(await stored()).toMatchObject({ via: 'redeploy', versions: TARGET, deploymentId: world.ecs.updates[0].deploymentId, rev: 3 });
    expect((await stored())?.claim).toBeUndefined();
  });

  it('recognises its own write when the answer of the write recording the deployment was lost', async () => {
    const redeployer = new Redeployer(world.ports, NO_DEADLINE, undefined, false);
    const item = await work(redeployer);
    const write = world.ledger.write.bind(world.ledger);
    let writes = 0;
    world.ledger.write = async (record, rev) => {
      writes += 1;
      if (writes === 2) world.ledger.loseAnswers = 1;
      return write(record, rev);
    };

    const result = await redeployer.redeploy(item);

    expect(result).toMatchObject({ outcome: 'redeployed' });
    expect(result.outcome === 'redeployed' && result.reason).not.toMatch(/not recorded/);
    expect(world.ecs.updates).toHaveLength(1);
    expect(await stored()).toMatchObject({ via: 'redeploy', versions: TARGET });
  });

  it('keeps the claim when UpdateService never answers and ECS shows no new deployment, for the next run to check after the lease', async () => {
    world.ecs.fault = () => 'fail-unapplied';
    const redeployer = new Redeployer(world.ports, NO_DEADLINE, undefined, false);

    const result = await redeployer.redeploy(await work(redeployer));

    expect(result).toMatchObject({ outcome: 'failed', reason: expect.stringContaining('checked again once the claim') });
    expect((await stored())?.claim?.token).toBe(redeployer.token);

    world.ecs.fault = undefined;
    world.clock.advance(61_000);
    const next = new Redeployer(world.ports, NO_DEADLINE, undefined, false);
    expect(await next.redeploy(await work(next))).toMatchObject({ outcome: 'redeployed' });
    expect(world.ecs.updates).toHaveLength(1);
  });

  it('releases its claim and leaves the service to a new run when ECS throttles it past the deadline', async () => {
    world.ecs.fault = () => 'throttle';
    const now = world.clock.now().getTime();
    const redeployer = new Redeployer(world.ports, deadlineIn(now, 5000, 0), undefined, false);

    const result = await redeployer.redeploy(await work(redeployer));

    expect(result).toMatchObject({ outcome: 'deferred' });
    expect(await stored()).toMatchObject({ versions: { AWSCURRENT: 'v1' }, lastError: expect.stringContaining('throttled') });
    expect((await stored())?.claim).toBeUndefined();
  });

  it('releases its claim with the reason when ECS rejects UpdateService', async () => {
    world.ecs.fault = () => Object.assign(new Error('Access denied'), { name: 'AccessDeniedException' });
    const redeployer = new Redeployer(world.ports, NO_DEADLINE, undefined, false);

    const result = await redeployer.redeploy(await work(redeployer));

    expect(result).toEqual({ outcome: 'failed', reason: 'UpdateService failed: AccessDeniedException: Access denied' });
    expect(await stored()).toMatchObject({ versions: { AWSCURRENT: 'v1' }, lastError: 'AccessDeniedException: Access denied' });
    expect((await stored())?.claim).toBeUndefined();
  });

  it('claims nothing once its deadline has passed', async () => {
    const now = world.clock.now().getTime();
    const redeployer = new Redeployer(world.ports, deadlineIn(now, 0, 0), undefined, false);

    const result = await redeployer.redeploy(await work(redeployer));

    expect(result).toMatchObject({ outcome: 'deferred' });
    expect(await stored()).toMatchObject({ rev: 1 });
    expect(world.ecs.updates).toEqual([]);
  });

  it('redeploys a service already at the current versions when forced', async () => {
    await world.ledger.write({ ...((await stored()) as LedgerRecord), versions: TARGET, rev: 2, writeId: 'at-target' }, 1);
    const unforced = new Redeployer(world.ports, NO_DEADLINE, undefined, false);
    const forced = new Redeployer(world.ports, NO_DEADLINE, undefined, true);

    expect(unforced.decide(await stored(), TARGET)).toEqual({ action: 'up-to-date' });
    expect(await forced.redeploy(await work(forced))).toMatchObject({ outcome: 'redeployed' });
    expect(world.ecs.updates).toHaveLength(1);
  });

  it('hands its bucket over: a run that continues another does not burst again', async () => {
    world.ports.config.updateBurst = 2;
    world.ports.config.updateRate = 1;
    const first = new Redeployer(world.ports, NO_DEADLINE, undefined, false);
    await first.redeploy(await work(first));
    const bucket = first.bucketState();

    expect(bucket.tokens).toBe(1);
    expect(new Redeployer(world.ports, NO_DEADLINE, bucket, false).bucketState()).toEqual(bucket);
  });
});
