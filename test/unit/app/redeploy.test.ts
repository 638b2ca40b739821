import { Redeployer } from '../../../functions/app/redeploy';
import type { ServiceSnapshot } from '../../../functions/domain/inventory/service';
import { claimed, decideClaim, firstSightRecord, type LedgerRecord } from '../../../functions/domain/ledger/record';
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

  // Regression: a run without a deadline (the CLI) backed off for about two minutes against a
  // 60-second claim lease; past the lease another run took the service over and sent, then this
  // one's retry was applied too: two deployments.
  it('stops backing off before its claim lease ends, releasing the claim, so that no other run sends beside it', async () => {
    world.ecs.fault = () => 'throttle';
    const redeployer = new Redeployer(world.ports, NO_DEADLINE, undefined);
    const claimedAt = world.clock.now().getTime();

    const result = await redeploy(redeployer, await work(redeployer));

    expect(result).toMatchObject({
      outcome: 'failed',
      reason: expect.stringContaining("throttled UpdateService until the claim's lease ends"),
    });
    expect(world.clock.now().getTime() - claimedAt).toBeLessThan(world.ports.config.claimLeaseSeconds * 1000);
    expect(await stored()).toMatchObject({ state: 'settled', versions: { AWSCURRENT: 'v1' }, lastError: expect.stringContaining('lease') });
  });

  it('after a lost answer, keeps the claim when ECS then refuses: the lost call may have been applied', async () => {
    let calls = 0;
    world.ecs.fault = () =>
      calls++ === 0 ? 'fail-unapplied' : Object.assign(new Error('Access denied'), { name: 'AccessDeniedException' });
    const redeployer = new Redeployer(world.ports, NO_DEADLINE, undefined);

    const result = await redeploy(redeployer, await work(redeployer));

    expect(result).toMatchObject({
      outcome: 'failed',
      reason: expect.stringMatching(/after UpdateService's answer was lost; checked again once the claim's lease ends$/),
    });
    expect(await stored()).toMatchObject({ state: 'claimed', claim: { token: redeployer.token } });
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

describe('Redeployer, through CodeDeploy: the same claim, record and settle flow, CreateDeployment as the call', () => {
  let blueGreen: ServiceSnapshot;
  const GROUP = { application: 'AppECS-web-checkout', group: 'DgpECS-web-checkout' };

  beforeEach(async () => {
    blueGreen = world.ecs.addService({
      clusterArn: clusterArn('web'),
      serviceArn: serviceArn('web', 'checkout'),
      serviceName: 'checkout',
      desiredCount: 2,
      taskDefinition: taskDefinitionArn('checkout:4'),
      deploymentController: 'CODE_DEPLOY',
    });
    world.codeDeploy.addGroup({
      application: GROUP.application,
      name: GROUP.group,
      ecsServices: [{ clusterName: 'web', serviceName: 'checkout' }],
    });
    await world.ledger.write(
      firstSightRecord(
        SECRET,
        blueGreen.serviceArn,
        { versions: { AWSCURRENT: 'v1' }, stale: [] },
        { now: world.clock.now(), writeId: 'seed' },
      ),
      undefined,
    );
  });

  async function viaCodeDeploy(redeployer: Redeployer): Promise<Redeploy> {
    const record = await world.ledger.read(SECRET, blueGreen.serviceArn);
    const { clusterArn, serviceArn, serviceName, taskDefinition } = blueGreen;
    return {
      consumer: { clusterArn, serviceArn, serviceName, taskDefinition, references: [] },
      service: structuredClone(blueGreen),
      desired: TARGET,
      ...(record ? { record } : {}),
      decision: decideClaim(record, TARGET, world.clock.now(), redeployer.token),
      force: false,
      via: 'codedeploy',
      codeDeploy: { ...GROUP, taskDefinition, containerName: 'web', containerPort: 8080, appSpec: '{"version":"0.0"}' },
    };
  }
  const record = () => world.ledger.read(SECRET, blueGreen.serviceArn);

  it('claims, creates one deployment in the group, and records its id beside the group; UpdateService is never sent', async () => {
    const redeployer = new Redeployer(world.ports, NO_DEADLINE, undefined);

    const result = await redeploy(redeployer, await viaCodeDeploy(redeployer));

    const [made] = world.codeDeploy.created;
    expect(result).toEqual({
      outcome: 'redeployed',
      deploymentId: made.id,
      reason: `runs AWSCURRENT=v2 from now on, through CodeDeploy ${GROUP.application}/${GROUP.group}`,
    });
    expect(made).toMatchObject({ appSpec: '{"version":"0.0"}', description: expect.stringContaining(SECRET) });
    expect(await record()).toMatchObject({ state: 'settled', via: 'redeploy', versions: TARGET, deploymentId: made.id, codeDeploy: GROUP });
    expect(world.ecs.calls.UpdateService).toBeUndefined();
  });

  it('after a lost answer, finds the deployment CodeDeploy made since the claim and records it, never creating a second', async () => {
    world.codeDeploy.fault = () => 'lose-answer';
    const redeployer = new Redeployer(world.ports, NO_DEADLINE, undefined);

    const result = await redeploy(redeployer, await viaCodeDeploy(redeployer));

    expect(world.codeDeploy.calls.CreateDeployment).toBe(1);
    expect(world.codeDeploy.created).toHaveLength(1);
    expect(result).toMatchObject({ outcome: 'redeployed', deploymentId: world.codeDeploy.created[0].id });
    expect(result.outcome === 'redeployed' && result.reason).toMatch(/CreateDeployment's answer was lost; CodeDeploy shows deployment d-/);
    expect(await record()).toMatchObject({ via: 'recovered', codeDeploy: GROUP });
  });

  it("finds its deployment after a lost answer though CodeDeploy's clock is a second behind this run's", async () => {
    world.codeDeploy.fault = () => 'lose-answer';
    const create = world.codeDeploy.createDeployment.bind(world.codeDeploy);
    jest.spyOn(world.codeDeploy, 'createDeployment').mockImplementation(async (input) => {
      world.clock.advance(-1000);
      try {
        return await create(input);
      } finally {
        world.clock.advance(1000);
      }
    });
    const redeployer = new Redeployer(world.ports, NO_DEADLINE, undefined);

    const result = await redeploy(redeployer, await viaCodeDeploy(redeployer));

    expect(result).toMatchObject({ outcome: 'redeployed', deploymentId: world.codeDeploy.created[0].id });
    expect(world.codeDeploy.created).toHaveLength(1);
  });

  it('keeps its claim when no answer came and CodeDeploy shows nothing; the next run looks before it creates one', async () => {
    world.codeDeploy.fault = () => 'fail-unapplied';
    const redeployer = new Redeployer(world.ports, NO_DEADLINE, undefined);

    expect(await redeploy(redeployer, await viaCodeDeploy(redeployer))).toMatchObject({ outcome: 'failed' });
    expect(await record()).toMatchObject({ state: 'claimed' });
    expect(world.codeDeploy.calls.CreateDeployment).toBe(3);

    world.codeDeploy.fault = undefined;
    world.clock.advance(61_000);
    const next = new Redeployer(world.ports, NO_DEADLINE, undefined);
    expect(await redeploy(next, await viaCodeDeploy(next))).toMatchObject({ outcome: 'redeployed' });
    expect(world.codeDeploy.created).toHaveLength(1);
  });

  it('a claim whose run died after its CreateDeployment: once the lease ends, the deployment made since is recorded, nothing sent', async () => {
    // The dead run: its claim, then its CreateDeployment, then nothing.
    const before = (await record()) as LedgerRecord;
    const ids = { secretArn: SECRET, serviceArn: blueGreen.serviceArn };
    await world.ledger.write(
      claimed(before, ids, { token: 'dead-run', target: TARGET }, 60, { now: world.clock.now(), writeId: 'dead/1' }),
      before.rev,
    );
    await world.codeDeploy.createDeployment({ ...GROUP, appSpec: '{}', description: 'the dead run' });
    world.clock.advance(61_000);

    const next = new Redeployer(world.ports, NO_DEADLINE, undefined);
    const item = await viaCodeDeploy(next);
    expect(item.decision.action).toBe('recover');
    const result = await redeploy(next, item);

    expect(result).toMatchObject({ outcome: 'redeployed', deploymentId: world.codeDeploy.created[0].id });
    expect(result.outcome === 'redeployed' && result.reason).toMatch(/created after an interrupted claim: recorded, not sent again/);
    expect(world.codeDeploy.created).toHaveLength(1);
    expect(await record()).toMatchObject({ via: 'recovered', deploymentId: world.codeDeploy.created[0].id, codeDeploy: GROUP });
  });

  it('releases its claim and waits when CodeDeploy refuses because the group runs another deployment', async () => {
    await world.codeDeploy.createDeployment({ ...GROUP, appSpec: '{}', description: "the team's own" });
    const redeployer = new Redeployer(world.ports, NO_DEADLINE, undefined);

    const result = await redeploy(redeployer, await viaCodeDeploy(redeployer));

    expect(result).toMatchObject({
      outcome: 'group-busy',
      reason: expect.stringMatching(/already has an active Deployment 'd-\d+'.*: redeployed once it ends$/),
    });
    expect(await record()).toMatchObject({
      state: 'settled',
      versions: { AWSCURRENT: 'v1' },
      lastError: expect.stringContaining('active Deployment'),
    });
    expect(world.codeDeploy.created).toHaveLength(1);
  });

  // Regression: a lost answer, the deployment not listed yet, then the resend refused as the group
  // busy with it released the claim; the next run's claim was later than the deployment, so it
  // deployed a second time once the first ended.
  it('keeps its claim when the resend after a lost answer finds the group busy: the busy deployment is ours, recorded by the next run', async () => {
    let lose = true;
    world.codeDeploy.fault = () => (lose ? 'lose-answer' : undefined);
    const listed = world.codeDeploy.deploymentsSince.bind(world.codeDeploy);
    let unlisted = 2;
    // ListDeployments lags behind CreateDeployment: the two looks after the lost answer see nothing.
    jest.spyOn(world.codeDeploy, 'deploymentsSince').mockImplementation(async (...args) => (unlisted-- > 0 ? [] : listed(...args)));
    const redeployer = new Redeployer(world.ports, NO_DEADLINE, undefined);

    const result = await redeploy(redeployer, await viaCodeDeploy(redeployer));
    lose = false;

    expect(result).toMatchObject({
      outcome: 'failed',
      reason: expect.stringMatching(
        /active Deployment .*, after CreateDeployment's answer was lost; checked again once the claim's lease ends$/,
      ),
    });
    expect(await record()).toMatchObject({ state: 'claimed' });
    world.clock.advance(61_000);
    const next = new Redeployer(world.ports, NO_DEADLINE, undefined);
    expect(await redeploy(next, await viaCodeDeploy(next))).toMatchObject({
      outcome: 'redeployed',
      deploymentId: world.codeDeploy.created[0].id,
    });
    expect(world.codeDeploy.created).toHaveLength(1);
  });

  it('backs off when CodeDeploy throttles it, as for UpdateService', async () => {
    let throttled = 2;
    world.codeDeploy.fault = () => (throttled-- > 0 ? 'throttle' : undefined);
    const redeployer = new Redeployer(world.ports, NO_DEADLINE, undefined);

    expect(await redeploy(redeployer, await viaCodeDeploy(redeployer))).toMatchObject({ outcome: 'redeployed' });
    expect(world.codeDeploy.calls.CreateDeployment).toBe(3);
    expect(world.codeDeploy.created).toHaveLength(1);
  });
});
