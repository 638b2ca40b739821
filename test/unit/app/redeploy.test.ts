import { Redeployer } from '../../../functions/app/redeploy';
import type { ServiceSnapshot } from '../../../functions/domain/inventory/service';
import { decideClaim, firstSightRecord, type LedgerRecord } from '../../../functions/domain/ledger/record';
import type { Redeploy } from '../../../functions/domain/plan/reconcile-plan';
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
    firstSightRecord(
      SECRET,
      service.serviceArn,
      { versions: { AWSCURRENT: 'v1' }, stale: [] },
      { now: world.clock.now(), writeId: 'seed' },
    ),
    undefined,
  );
});

/** The redeploy a plan would hand this run for the service, as its record stands now. */
async function work(redeployer: Redeployer, force = false): Promise<Redeploy> {
  const record = await world.ledger.read(SECRET, service.serviceArn);
  const { clusterArn, serviceArn, serviceName, taskDefinition } = service;
  return {
    consumer: { clusterArn, serviceArn, serviceName, taskDefinition, references: [] },
    service: structuredClone(service),
    desired: TARGET,
    ...(record ? { record } : {}),
    decision: decideClaim(record, TARGET, world.clock.now(), redeployer.token, force),
    force,
    via: 'update-service',
  };
}

function redeploy(redeployer: Redeployer, item: Redeploy) {
  return redeployer.redeploy(item, SECRET);
}

async function stored(): Promise<LedgerRecord | undefined> {
  return world.ledger.read(SECRET, service.serviceArn);
}

describe('Redeployer', () => {
  it('claims, sends UpdateService once and records the deployment ECS created', async () => {
    const redeployer = new Redeployer(world.ports, NO_DEADLINE, undefined);

    const result = await redeploy(redeployer, await work(redeployer));

    expect(result).toMatchObject({ outcome: 'redeployed', deploymentId: world.ecs.updates[0].deploymentId });
    expect(await stored()).toMatchObject({ via: 'redeploy', versions: TARGET, deploymentId: world.ecs.updates[0].deploymentId, rev: 3 });
    expect((await stored())?.state).toBe('settled');
  });

  it('recognises its own write when the answer of the write recording the deployment was lost', async () => {
    const redeployer = new Redeployer(world.ports, NO_DEADLINE, undefined);
    const item = await work(redeployer);
    const write = world.ledger.write.bind(world.ledger);
    let writes = 0;
    world.ledger.write = async (record, rev) => {
      writes += 1;
      if (writes === 2) world.ledger.loseAnswers = 1;
      return write(record, rev);
    };

    const result = await redeploy(redeployer, item);

    expect(result).toMatchObject({ outcome: 'redeployed' });
    expect(result.outcome === 'redeployed' && result.reason).not.toMatch(/not recorded/);
    expect(world.ecs.updates).toHaveLength(1);
    expect(await stored()).toMatchObject({ via: 'redeploy', versions: TARGET });
  });

  it('keeps the claim when UpdateService never answers and ECS shows no new deployment, for the next run to check after the lease', async () => {
    world.ecs.fault = () => 'fail-unapplied';
    const redeployer = new Redeployer(world.ports, NO_DEADLINE, undefined);

    const result = await redeploy(redeployer, await work(redeployer));

    expect(result).toMatchObject({ outcome: 'failed', reason: expect.stringContaining('checked again once the claim') });
    expect(await stored()).toMatchObject({ state: 'claimed', claim: { token: redeployer.token } });

    world.ecs.fault = undefined;
    world.clock.advance(61_000);
    const next = new Redeployer(world.ports, NO_DEADLINE, undefined);
    expect(await redeploy(next, await work(next))).toMatchObject({ outcome: 'redeployed' });
    expect(world.ecs.updates).toHaveLength(1);
  });

  it('releases its claim and leaves the service to a new run when ECS throttles it past the deadline', async () => {
    world.ecs.fault = () => 'throttle';
    const now = world.clock.now().getTime();
    const redeployer = new Redeployer(world.ports, deadlineIn(now, 5000, 0), undefined);

    const result = await redeploy(redeployer, await work(redeployer));

    expect(result).toMatchObject({ outcome: 'deferred' });
    expect(await stored()).toMatchObject({ versions: { AWSCURRENT: 'v1' }, lastError: expect.stringContaining('throttled') });
    expect((await stored())?.state).toBe('settled');
  });

  it('releases its claim with the reason when ECS rejects UpdateService', async () => {
    world.ecs.fault = () => Object.assign(new Error('Access denied'), { name: 'AccessDeniedException' });
    const redeployer = new Redeployer(world.ports, NO_DEADLINE, undefined);

    const result = await redeploy(redeployer, await work(redeployer));

    expect(result).toEqual({ outcome: 'failed', reason: 'UpdateService failed: AccessDeniedException: Access denied' });
    expect(await stored()).toMatchObject({ versions: { AWSCURRENT: 'v1' }, lastError: 'AccessDeniedException: Access denied' });
    expect((await stored())?.state).toBe('settled');
  });

  it('claims nothing once its deadline has passed', async () => {
    const now = world.clock.now().getTime();
    const redeployer = new Redeployer(world.ports, deadlineIn(now, 0, 0), undefined);

    const result = await redeploy(redeployer, await work(redeployer));

    expect(result).toMatchObject({ outcome: 'deferred' });
    expect(await stored()).toMatchObject({ rev: 1 });
    expect(world.ecs.updates).toEqual([]);
  });

  it('redeploys a service already at the current versions when forced, and only then', async () => {
    await world.ledger.write({ ...((await stored()) as LedgerRecord), versions: TARGET, rev: 2, writeId: 'at-target' }, 1);
    const redeployer = new Redeployer(world.ports, NO_DEADLINE, undefined);

    expect(await redeploy(redeployer, await work(redeployer))).toMatchObject({ outcome: 'skipped' });
    expect(await redeploy(redeployer, await work(redeployer, true))).toMatchObject({ outcome: 'redeployed' });
    expect(world.ecs.updates).toHaveLength(1);
  });

  // Regression: a claim that lost to another run's write was followed by a GetItem of the record.
  it('decides again from the record the losing write returns, reading nothing more', async () => {
    const redeployer = new Redeployer(world.ports, NO_DEADLINE, undefined);
    const item = await work(redeployer);
    const other = { ...(item.record as LedgerRecord), versions: TARGET, via: 'redeploy' as const, rev: 2, writeId: 'other-run/1' };
    await world.ledger.write(other, 1);
    const read = jest.spyOn(world.ledger, 'read');

    expect(await redeploy(redeployer, item)).toMatchObject({ outcome: 'skipped', reason: expect.stringContaining('redeployed meanwhile') });
    expect(read).not.toHaveBeenCalled();
    expect(world.ecs.updates).toEqual([]);
  });

  it('fails the service, sending nothing, when the ledger cannot be written', async () => {
    const redeployer = new Redeployer(world.ports, NO_DEADLINE, undefined);
    const item = await work(redeployer);
    world.ledger.write = async () => {
      throw new Error('Requested resource not found');
    };

    expect(await redeploy(redeployer, item)).toMatchObject({
      outcome: 'failed',
      reason: expect.stringContaining('the ledger could not be written'),
    });
    expect(world.ecs.updates).toEqual([]);
  });

  it('hands its bucket over: a run that continues another does not burst again', async () => {
    world.ports.config.updateBurst = 2;
    world.ports.config.updateRate = 1;
    const first = new Redeployer(world.ports, NO_DEADLINE, undefined);
    await redeploy(first, await work(first));
    const bucket = first.bucketState();

    expect(bucket.tokens).toBe(1);
    expect(new Redeployer(world.ports, NO_DEADLINE, bucket).bucketState()).toEqual(bucket);
  });
});
