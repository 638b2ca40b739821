import type { ProgressOutcome } from '../../../functions/app/deployment-change';
import { handleEvent } from '../../../functions/app/handle-event';
import { rebuildIndex } from '../../../functions/app/refresh-index';
import type { RunContext } from '../../../functions/app/run-context';
import { ForeignAccountError } from '../../../functions/domain/errors';
import { NO_DEADLINE } from '../../../functions/domain/rollout/deadline';
import { WAVE_TAG } from '../../../functions/domain/rollout/waves';
import { codeDeployChange } from '../../kit/events';
import { deployedByCodeDeploy, type FakeWorld, fakeWorld, reconcileSecret, type SeededFakes, seedFakes } from '../../kit/fakes/fake-world';
import { demoPlan } from '../../kit/simulated-account';
import { ACCOUNT, REGION } from '../../kit/test-account';

/*
 * CodeDeploy's "Deployment State-change Notification" moves a CODE_DEPLOY service's rollout on as
 * ECS's deployment events do: from this account only, for a deployment the ledger recorded through
 * the group the event names, and only once CodeDeploy confirms how it ended.
 */

const ORIGIN = { account: ACCOUNT, region: REGION };
const RUN: RunContext = { deadline: NO_DEADLINE, dryRun: false };
const GROUP = { application: 'AppECS-prod-web-orders-api', name: 'DgpECS-prod-web-orders-api' };

let world: FakeWorld;
let seeded: SeededFakes;
let ordersDb: string;
let deploymentId: string;
const arnOf = (name: string) => seeded.serviceArns.get(name) as string;
const event = (state: string, id = deploymentId, origin = ORIGIN, group = GROUP) =>
  handleEvent(world.ports, codeDeployChange(group.application, group.name, id, state, origin), RUN);
const progress = async (pending: ReturnType<typeof event>): Promise<ProgressOutcome> => {
  const outcome = await pending;
  if (outcome.kind !== 'deployment') throw new Error(`not a deployment outcome: ${outcome.kind}`);
  return outcome.progress;
};

beforeEach(async () => {
  world = fakeWorld();
  seeded = seedFakes(world, demoPlan());
  ordersDb = seeded.secrets.get('prod/orders-db')?.arn as string;
  deployedByCodeDeploy(world, arnOf('orders-api'));
  world.codeDeploy.addGroup({ ...GROUP, ecsServices: [{ clusterName: 'prod-web', serviceName: 'orders-api' }] });
  for (const name of ['orders-worker', 'orders-ledger']) {
    const service = world.ecs.services.get(arnOf(name));
    if (service) service.tags = { [WAVE_TAG]: '2' };
  }
  await rebuildIndex(world.ports);
  world.secrets.rotate(ordersDb);
  await reconcileSecret(world, ordersDb);
  deploymentId = world.codeDeploy.created[0].id;
});

describe('a CodeDeploy deployment event', () => {
  it('SUCCESS confirmed by CodeDeploy records the end and lets the next wave go', async () => {
    world.codeDeploy.settle(deploymentId, 'Succeeded');

    const outcome = await progress(event('SUCCESS'));

    expect(outcome).toMatchObject({ service: arnOf('orders-api'), deploymentId, state: 'COMPLETED' });
    expect(outcome.secrets).toEqual([expect.objectContaining({ secret: ordersDb, recorded: true })]);
    expect(
      outcome.secrets[0].report?.services
        .filter((s) => s.outcome === 'redeployed')
        .map((s) => s.serviceName)
        .sort(),
    ).toEqual(['orders-ledger', 'orders-worker']);
    expect(await world.ledger.read(ordersDb, arnOf('orders-api'))).toMatchObject({ deployment: { state: 'COMPLETED' } });
  });

  it("FAILURE halts the rollout with CodeDeploy's error information, not the event's word", async () => {
    world.codeDeploy.settle(deploymentId, 'Failed', { error: { code: 'HEALTH_CONSTRAINTS', message: 'too few healthy tasks' } });

    await progress(event('FAILURE'));

    expect(world.ledger.secrets.get(ordersDb)?.rollout).toMatchObject({
      status: 'halted',
      halted: { failed: [{ reason: `CodeDeploy deployment ${deploymentId} failed: HEALTH_CONSTRAINTS: too few healthy tasks` }] },
    });
  });

  it('an end CodeDeploy does not confirm (still running) moves nothing, and is counted as refused', async () => {
    const outcome = await progress(event('SUCCESS'));

    expect(outcome).toMatchObject({
      secrets: [],
      reason: expect.stringMatching(/CodeDeploy reports deployment .* still in progress: the event's COMPLETED is not confirmed/),
    });
    expect(await world.ledger.read(ordersDb, arnOf('orders-api'))).toMatchObject({ deployment: { state: 'IN_PROGRESS' } });
    expect(world.metrics.values.get('EventsRefused')).toEqual([1]);
  });

  // Regression: CodeDeploy's read failing was taken for "still in progress": the event was counted
  // refused and acknowledged, and the rollout waited for the schedule.
  it('fails when CodeDeploy does not answer, so that the event is retried; nothing is refused or recorded', async () => {
    world.codeDeploy.settle(deploymentId, 'Succeeded');
    jest.spyOn(world.codeDeploy, 'deployments').mockRejectedValueOnce(new Error('ThrottlingException: Rate exceeded'));

    await expect(event('SUCCESS')).rejects.toThrow('Rate exceeded');

    expect(world.metrics.values.get('EventsRefused')).toBeUndefined();
    expect(await world.ledger.read(ordersDb, arnOf('orders-api'))).toMatchObject({ deployment: { state: 'IN_PROGRESS' } });
    expect(await progress(event('SUCCESS'))).toMatchObject({ secrets: [expect.objectContaining({ recorded: true })] });
  });

  it('a duplicate changes nothing more', async () => {
    world.codeDeploy.settle(deploymentId, 'Succeeded');
    await progress(event('SUCCESS'));

    expect(await progress(event('SUCCESS'))).toMatchObject({ secrets: [], reason: 'already recorded as COMPLETED' });
  });

  it.each([
    ['START', /START does not end a deployment/],
    ['READY', /READY does not end a deployment/],
  ])('%s changes nothing and asks CodeDeploy nothing', async (state, reason) => {
    const before = { ...world.codeDeploy.calls };
    expect(await progress(event(state))).toMatchObject({ secrets: [], reason: expect.stringMatching(reason) });
    expect(world.codeDeploy.calls).toEqual(before);
  });

  it('a deployment of a group that is not the one recorded, or one this service did not make, records nothing', async () => {
    world.codeDeploy.addGroup({
      application: 'other-app',
      name: 'other-group',
      ecsServices: [{ clusterName: 'prod-web', serviceName: 'orders-api' }],
    });
    world.codeDeploy.settle(deploymentId, 'Succeeded');
    expect(await progress(event('SUCCESS', deploymentId, ORIGIN, { application: 'other-app', name: 'other-group' }))).toMatchObject({
      secrets: [],
      reason: 'not a deployment this service made for a rollout',
    });
    expect(await progress(event('SUCCESS', 'd-TEAMS0001'))).toMatchObject({
      secrets: [],
      reason: 'not a deployment this service made for a rollout',
    });
    expect(await progress(event('SUCCESS', deploymentId, ORIGIN, { application: 'gone-app', name: 'gone' }))).toMatchObject({
      reason: 'CodeDeploy knows no ECS deployment group gone-app/gone (another compute platform, or none)',
    });
  });

  it('of another account (or region) is refused, and counted', async () => {
    world.codeDeploy.settle(deploymentId, 'Succeeded');

    await expect(event('SUCCESS', deploymentId, { account: '999988887777', region: REGION })).rejects.toThrow(ForeignAccountError);
    await expect(event('SUCCESS', deploymentId, { account: ACCOUNT, region: 'us-east-1' })).rejects.toThrow(/not this region/);
    expect(world.metrics.values.get('EventsRefused')).toEqual([1, 1]);
    expect(await world.ledger.read(ordersDb, arnOf('orders-api'))).toMatchObject({ deployment: { state: 'IN_PROGRESS' } });
  });
});
