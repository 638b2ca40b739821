import { chatLinks } from '../../../functions/app/chat';
import { rebuildIndex } from '../../../functions/app/refresh-index';
import { warnRotationFailed } from '../../../functions/app/warnings';
import { parseTarget, type Target } from '../../../functions/domain/identity/target';
import { WAVE_TAG } from '../../../functions/domain/rollout/waves';
import { type FakeWorld, fakeWorld, reconcileSecret, type SeededFakes, seedFakes } from '../../kit/fakes/fake-world';
import { demoPlan } from '../../kit/simulated-account';

/* The team's chat hears of each step of a rollout once, and of a failed rotation. */

let world: FakeWorld;
let seeded: SeededFakes;
let ordersDb: string;

const arnOf = (name: string) => seeded.serviceArns.get(name) as string;
const primaryOf = (name: string) => world.ecs.services.get(arnOf(name))?.deployments[0].id as string;
const titles = () => world.chat.posted.map((m) => m.content.title);

beforeEach(async () => {
  world = fakeWorld({ chatTopicArn: 'arn:aws:sns:eu-west-1:123456789012:chat', dashboardName: 'ecs-secret-redeploy-prod' });
  seeded = seedFakes(world, demoPlan());
  ordersDb = seeded.secrets.get('prod/orders-db')?.arn as string;
  await rebuildIndex(world.ports);
  const worker = world.ecs.services.get(arnOf('orders-worker'));
  if (worker) worker.tags = { [WAVE_TAG]: '2' };
});

describe('chat messages of a rollout', () => {
  it('says started, wave done and completed once each, however often the reconcile runs', async () => {
    world.secrets.rotate(ordersDb);
    await reconcileSecret(world, ordersDb);
    await reconcileSecret(world, ordersDb);
    for (const name of ['orders-api', 'orders-ledger']) world.ecs.settle(primaryOf(name), 'COMPLETED');
    await reconcileSecret(world, ordersDb, 'schedule');
    await reconcileSecret(world, ordersDb, 'schedule');
    world.ecs.settle(primaryOf('orders-worker'), 'COMPLETED');
    await reconcileSecret(world, ordersDb, 'schedule');
    await reconcileSecret(world, ordersDb, 'schedule');

    expect(titles()).toEqual(['prod/orders-db: rollout started', 'prod/orders-db: wave 1 done', 'prod/orders-db: rollout completed']);
    expect(world.chat.posted[1].content.description).toContain('Wave 2 is being redeployed: 1 service (`orders-worker`).');
  });

  it('says halted with the reason ECS gave', async () => {
    world.secrets.rotate(ordersDb);
    await reconcileSecret(world, ordersDb);
    world.ecs.settle(primaryOf('orders-api'), 'FAILED', 'ECS deployment circuit breaker: tasks failed to start.');
    await reconcileSecret(world, ordersDb, 'schedule');

    expect(titles()).toEqual(['prod/orders-db: rollout started', 'prod/orders-db: rollout halted at wave 1']);
    expect(world.chat.posted[1].content.description).toContain('`ECS deployment circuit breaker: tasks failed to start.`');
  });

  it('posts nothing on a dry run', async () => {
    world.secrets.rotate(ordersDb);
    await reconcileSecret(world, ordersDb, 'manual', { dryRun: true });
    expect(world.chat.posted).toEqual([]);
  });

  it('says a rotation failed, naming its consumers', async () => {
    await warnRotationFailed(
      world.ports,
      parseTarget(ordersDb) as Target,
      { source: 'aws.secretsmanager', eventName: 'RotationFailed' },
      {
        dryRun: false,
        origin: 'event',
      },
    );
    expect(titles()).toEqual(['prod/orders-db: rotation failed']);
    expect(world.chat.posted[0].content.description).toContain('5 services (`orders-api`');
  });

  it('links the stack dashboard in the console of the topic partition and region', () => {
    expect(chatLinks(world.ports.config).dashboardUrl).toBe(
      'https://console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards:name=ecs-secret-redeploy-prod',
    );
    expect(chatLinks({ ...world.ports.config, chatTopicArn: undefined }).dashboardUrl).toBeUndefined();
  });
});
