import { DETAIL_TYPES } from '../../../functions/app/notifications';
import { type ReconcileOptions, reconcile } from '../../../functions/app/reconcile';
import { rebuildIndex } from '../../../functions/app/refresh-index';
import { secretStatus } from '../../../functions/app/status';
import { parseTarget, type Target } from '../../../functions/domain/identity/target';
import { WAVE_TAG } from '../../../functions/domain/rollout/waves';
import { deployedByCodeDeploy, type FakeWorld, fakeWorld, reconcileOptions, type SeededFakes, seedFakes } from '../../kit/fakes/fake-world';
import { demoPlan } from '../../kit/simulated-account';

/*
 * A CODE_DEPLOY service in a rollout, on the in-memory ports in virtual time: its wave waits for
 * its CodeDeploy deployment (the schedule's poll asks CodeDeploy: BatchGetDeployments), the
 * group's ready and termination waits counted before the deployment timeout, as ECS's own bake
 * times are; Succeeded lets the next wave go, a deployment CodeDeploy stopped halts the rollout
 * with CodeDeploy's error information.
 */

const TRIGGER = { source: 'aws.secretsmanager', eventName: 'PutSecretValue' };
const MINUTE = 60_000;
const GROUP = { application: 'AppECS-prod-web-orders-api', name: 'DgpECS-prod-web-orders-api' };

let world: FakeWorld;
let seeded: SeededFakes;
let ordersDb: string;

const arnOf = (name: string) => seeded.serviceArns.get(name) as string;
const run = (overrides: Partial<ReconcileOptions> = {}) =>
  reconcile(world.ports, parseTarget(ordersDb) as Target, TRIGGER, reconcileOptions(overrides));
const rollout = () => world.ledger.secrets.get(ordersDb)?.rollout;
const halts = () => world.notifier.published.filter((n) => n.detailType === DETAIL_TYPES.rolloutHalted);
const ordersApi = () => world.ecs.services.get(arnOf('orders-api'));

/** The demo's account, orders-api blue/green by CodeDeploy (wave 1), orders-worker in wave 2, orders-ledger in wave 3. */
async function blueGreenAccount(group: Parameters<FakeWorld['codeDeploy']['addGroup']>[0] | undefined): Promise<void> {
  world = fakeWorld();
  seeded = seedFakes(world, demoPlan());
  ordersDb = seeded.secrets.get('prod/orders-db')?.arn as string;
  deployedByCodeDeploy(world, arnOf('orders-api'));
  if (group) world.codeDeploy.addGroup(group);
  for (const [name, wave] of [
    ['orders-worker', '2'],
    ['orders-ledger', '3'],
  ]) {
    const service = world.ecs.services.get(arnOf(name));
    if (service) service.tags = { [WAVE_TAG]: wave };
  }
  await rebuildIndex(world.ports);
}

const waits = (extra: Record<string, unknown> = {}) => ({
  ...GROUP,
  ecsServices: [{ clusterName: 'prod-web', serviceName: 'orders-api' }],
  deploymentConfigName: 'CodeDeployDefault.ECSAllAtOnce',
  termination: { action: 'TERMINATE', minutes: 60 },
  ...extra,
});

describe('a CODE_DEPLOY service whose group waits 60 minutes before deleting the blue task set, in a three-wave rollout polled every 30 minutes', () => {
  it('holds wave 2 until CodeDeploy reports the deployment Succeeded, never halts during the wait, and completes', async () => {
    await blueGreenAccount(waits());
    const t0 = world.clock.now().getTime();
    world.secrets.rotate(ordersDb);
    await run();

    const [made] = world.codeDeploy.created;
    expect(made).toMatchObject({ application: GROUP.application, group: GROUP.name, status: 'Created' });
    const started = new Map<string, number>([[arnOf('orders-api'), t0]]);
    for (let tick = 1; tick <= 12 && rollout()?.status !== 'completed'; tick++) {
      world.clock.advance(30 * MINUTE);
      const now = world.clock.now().getTime() - t0;
      // CodeDeploy: the traffic shifts in 10 minutes, then 60 minutes until the blue task set goes.
      if (made.status !== 'Succeeded') {
        if (now >= 70 * MINUTE) world.codeDeploy.settle(made.id, 'Succeeded');
        else if (now >= 10 * MINUTE) world.codeDeploy.settle(made.id, 'InProgress', { terminationWaitStarted: true });
      }
      // ECS: a rolling deployment completes 10 minutes after it started.
      for (const u of world.ecs.updates) {
        started.set(u.serviceArn, u.at);
        const live = world.ecs.services.get(u.serviceArn)?.deployments.find((d) => d.id === u.deploymentId);
        if (live?.rolloutState === 'IN_PROGRESS' && u.at + 10 * MINUTE <= world.clock.now().getTime())
          world.ecs.settle(u.deploymentId, 'COMPLETED');
      }
      await run({ origin: 'schedule' });
    }
    for (const u of world.ecs.updates) started.set(u.serviceArn, u.at);

    expect(halts()).toEqual([]);
    expect(rollout()?.status).toBe('completed');
    expect(world.codeDeploy.created).toHaveLength(1);
    expect(world.ecs.updatesPerService().get(arnOf('orders-api'))).toBeUndefined();
    const at = ['orders-api', 'orders-worker', 'orders-ledger'].map((name) => ((started.get(arnOf(name)) as number) - t0) / MINUTE);
    // Wave 2 at the first scheduled run after the deployment succeeded (70 minutes), wave 3 after wave 2's 10.
    expect(at).toEqual([0, 90, 120]);
    expect(await world.ledger.read(ordersDb, arnOf('orders-api'))).toMatchObject({ deployment: { state: 'COMPLETED' } });
  });

  it("shows the deployment (id, status, the group's waits) while it waits for its termination, then every task on the new task set", async () => {
    await blueGreenAccount(waits());
    world.secrets.rotate(ordersDb);
    await run();
    const [made] = world.codeDeploy.created;
    world.clock.advance(15 * MINUTE);
    world.codeDeploy.settle(made.id, 'InProgress', { terminationWaitStarted: true });

    const waiting = await secretStatus(world.ports, parseTarget(ordersDb) as Target);
    expect(waiting.consumers.find((c) => c.serviceName === 'orders-api')).toMatchObject({
      strategy: 'CODE_DEPLOY',
      now: 'deploying',
      deploymentId: made.id,
      codeDeployment: {
        id: made.id,
        status: 'InProgress',
        text: 'InProgress: traffic shifted, waiting to delete the original task set',
        waits: 'ECSAllAtOnce, termination wait 60 min',
        waitsEndAt: new Date(Date.parse(made.createTime as string) + 60 * MINUTE).toISOString(),
      },
    });

    world.codeDeploy.settle(made.id, 'Succeeded');
    const taskSet = ordersApi()?.taskSets?.find((t) => t.status === 'PRIMARY');
    world.ecs.tasks.set(arnOf('orders-api'), [
      { taskArn: 'arn:task/1', startedBy: taskSet?.id },
      { taskArn: 'arn:task/2', startedBy: taskSet?.id },
    ]);
    const done = await secretStatus(world.ports, parseTarget(ordersDb) as Target);
    expect(done.consumers.find((c) => c.serviceName === 'orders-api')).toMatchObject({
      now: 'current',
      tasks: { running: 2, onOlderVersions: 0 },
      codeDeployment: { status: 'Succeeded' },
    });
  });

  it('counts the timeout from the end of the waits: a deployment still in progress 150 minutes on halts the rollout, not at 120', async () => {
    await blueGreenAccount(waits());
    world.secrets.rotate(ordersDb);
    await run();
    const [made] = world.codeDeploy.created;
    world.codeDeploy.settle(made.id, 'InProgress', { terminationWaitStarted: true });

    for (const minutes of [30, 60, 90, 120]) {
      world.clock.advance(30 * MINUTE);
      await run({ origin: 'schedule' });
      expect({ minutes, halted: halts().length }).toEqual({ minutes, halted: 0 });
    }
    world.clock.advance(30 * MINUTE);
    await run({ origin: 'schedule' });

    expect(rollout()).toMatchObject({
      status: 'halted',
      halted: {
        wave: 1,
        failed: [
          {
            serviceArn: arnOf('orders-api'),
            deploymentId: made.id,
            reason:
              "still in progress after 150 minutes (deploymentTimeoutMinutes 60 after the group's waits of 60 minutes); CodeDeploy InProgress: traffic shifted, waiting to delete the original task set",
          },
        ],
      },
    });
  });
});

describe('a CODE_DEPLOY service whose group waits for traffic to be rerouted by hand (STOP_DEPLOYMENT, 30 minutes)', () => {
  it('waits in Ready, shown as such; stopped by CodeDeploy when nobody rerouted, it halts the rollout with CodeDeploy error information', async () => {
    await blueGreenAccount(waits({ ready: { action: 'STOP_DEPLOYMENT', minutes: 30 }, termination: { action: 'TERMINATE', minutes: 5 } }));
    world.secrets.rotate(ordersDb);
    await run();
    const [made] = world.codeDeploy.created;
    world.clock.advance(10 * MINUTE);
    world.codeDeploy.settle(made.id, 'Ready');

    await run({ origin: 'schedule' });
    expect(halts()).toEqual([]);
    const ready = await secretStatus(world.ports, parseTarget(ordersDb) as Target);
    expect(ready.consumers.find((c) => c.serviceName === 'orders-api')?.codeDeployment).toMatchObject({
      status: 'Ready',
      text: 'Ready: the replacement task set waits for traffic to be rerouted',
      waits: 'ECSAllAtOnce, ready wait 30 min, termination wait 5 min',
    });

    world.clock.advance(25 * MINUTE);
    world.codeDeploy.settle(made.id, 'Stopped', {
      error: { code: 'TIMEOUT', message: 'The deployment timed out while waiting for the replacement task set to be ready' },
    });
    await run({ origin: 'schedule' });

    expect(halts()).toHaveLength(1);
    expect(rollout()).toMatchObject({
      status: 'halted',
      halted: {
        failed: [
          {
            serviceArn: arnOf('orders-api'),
            reason: `CodeDeploy deployment ${made.id} was stopped: TIMEOUT: The deployment timed out while waiting for the replacement task set to be ready`,
          },
        ],
      },
    });
    // The waves after it wait for resume.
    expect(world.ecs.updates).toEqual([]);
  });
});

describe('what a rotation asks CodeDeploy', () => {
  it('nothing at all without a CODE_DEPLOY consumer', async () => {
    await blueGreenAccount(waits());
    const other = seeded.secrets.get('prod/payments-api-key')?.arn as string;
    world.secrets.rotate(other);

    const { report } = await reconcile(world.ports, parseTarget(other) as Target, TRIGGER, reconcileOptions());

    expect(report.services.map((s) => s.outcome)).toEqual(['redeployed']);
    expect(world.codeDeploy.calls).toEqual({});
  });

  it('its group among every ECS group once, then only the group the ledger remembers', async () => {
    await blueGreenAccount(waits());
    world.secrets.rotate(ordersDb);
    await run();
    expect(world.codeDeploy.calls).toMatchObject({ ListApplications: 1, CreateDeployment: 1 });

    world.codeDeploy.settle(world.codeDeploy.created[0].id, 'Succeeded');
    for (const key of Object.keys(world.codeDeploy.calls)) delete world.codeDeploy.calls[key];
    world.secrets.rotate(ordersDb);
    await run({ allWaves: true });
    expect(world.codeDeploy.calls).toEqual({ BatchGetDeploymentGroups: 1, CreateDeployment: 1 });
  });

  it('a CODE_DEPLOY service no group deploys: skipped (no-group), holding no wave back', async () => {
    await blueGreenAccount(undefined);
    world.secrets.rotate(ordersDb);

    const { report } = await run();

    expect(report.services.find((s) => s.serviceName === 'orders-api')).toMatchObject({
      outcome: 'skipped',
      kind: 'no-group',
      reason: 'no CodeDeploy deployment group deploys prod-web/orders-api: redeploy it through CodeDeploy yourself',
    });
    expect(world.ecs.updatesPerService().get(arnOf('orders-api'))).toBeUndefined();
    expect(report.services.find((s) => s.serviceName === 'orders-worker')).toMatchObject({ outcome: 'redeployed', wave: 2 });
  });
});

describe('status of a CODE_DEPLOY consumer, judged with the plan', () => {
  it('asks CodeDeploy nothing for a secret without a CODE_DEPLOY consumer', async () => {
    await blueGreenAccount(waits());
    const other = seeded.secrets.get('prod/payments-api-key')?.arn as string;
    world.secrets.rotate(other);

    await secretStatus(world.ports, parseTarget(other) as Target);

    expect(world.codeDeploy.calls).toEqual({});
  });

  it("says 'group busy' while its group runs the team's own deployment, naming it, and creates nothing", async () => {
    await blueGreenAccount(waits());
    const api = ordersApi();
    const appSpec = JSON.stringify({ Resources: [{ TargetService: { Properties: { TaskDefinition: api?.taskDefinition } } }] });
    const { deploymentId } = await world.codeDeploy.createDeployment({ ...GROUP, group: GROUP.name, appSpec, description: 'the team' });
    for (const key of Object.keys(world.codeDeploy.calls)) delete world.codeDeploy.calls[key];
    world.secrets.rotate(ordersDb);

    const status = await secretStatus(world.ports, parseTarget(ordersDb) as Target);

    const consumer = status.consumers.find((c) => c.serviceName === 'orders-api');
    expect(consumer).toMatchObject({ now: 'group busy' });
    expect(consumer?.reason).toContain(deploymentId);
    expect(world.codeDeploy.calls.CreateDeployment).toBeUndefined();
    expect(world.codeDeploy.created).toHaveLength(1);
  });
});
