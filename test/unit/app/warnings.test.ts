import { DETAIL_TYPES } from '../../../functions/app/notifications';
import { rebuildIndex } from '../../../functions/app/refresh-index';
import { warnDeletion, warnRotationFailed } from '../../../functions/app/warnings';
import { parseTarget, type Target } from '../../../functions/domain/identity/target';
import { type FakeWorld, fakeWorld, type SeededFakes, seedFakes } from '../../kit/fakes/fake-world';
import { demoPlan } from '../../kit/simulated-account';

/*
 * Warnings: a rotation that failed, a secret in use scheduled for deletion. Nothing is redeployed;
 * the consumers are named on the bus for whoever must act before the old credential goes.
 */

const CONSUMERS = ['orders-api', 'orders-archiver', 'orders-ledger', 'orders-reports', 'orders-worker'];

let world: FakeWorld;
let seeded: SeededFakes;
let ordersDb: string;

const target = () => parseTarget(ordersDb) as Target;
const published = (type: string) => world.notifier.published.filter((n) => n.detailType === type);

function scheduleDeletion(date: string): void {
  const state = world.secrets.states.get(ordersDb);
  if (state) state.deletedDate = date;
}

beforeEach(async () => {
  world = fakeWorld();
  seeded = seedFakes(world, demoPlan());
  ordersDb = seeded.secrets.get('prod/orders-db')?.arn as string;
  await rebuildIndex(world.ports);
});

/** How the reconciler runs a rotation's event. */
const RUN = { dryRun: false, origin: 'event' as const };

describe('warnRotationFailed', () => {
  it.each(['RotationFailed', 'RotationAbandoned'])('redeploys nothing after %s and names every consumer on the bus', async (eventName) => {
    const report = await warnRotationFailed(world.ports, target(), { source: 'aws.secretsmanager', eventName }, RUN);

    expect(world.ecs.updates).toEqual([]);
    expect(report).toMatchObject({ action: 'ignore', reason: `${eventName}: nothing is redeployed, the consumers keep the current value` });
    expect(report.warnings[0]).toBe(`the rotation did not finish; 5 service(s) use this secret: ${CONSUMERS.join(', ')}`);
    const [warning] = published(DETAIL_TYPES.rotationFailed);
    expect(warning.detail).toMatchObject({ secret: { arn: ordersDb, name: 'prod/orders-db' }, event: eventName, standaloneTasks: 0 });
    expect((warning.detail as { consumers: Array<{ serviceName: string }> }).consumers.map((c) => c.serviceName).sort()).toEqual(CONSUMERS);
  });

  it('publishes nothing on a dry run', async () => {
    await warnRotationFailed(
      world.ports,
      target(),
      { source: 'aws.secretsmanager', eventName: 'RotationFailed' },
      { ...RUN, dryRun: true },
    );
    expect(world.notifier.published).toEqual([]);
  });

  it('publishes nothing for a secret no service uses (none of our business), even one deleted meanwhile', async () => {
    const report = await warnRotationFailed(
      world.ports,
      parseTarget('prod/gone') as Target,
      { source: 'aws.secretsmanager', eventName: 'RotationFailed' },
      RUN,
    );
    expect(report).toMatchObject({ action: 'ignore', secret: { name: 'prod/gone' }, warnings: [] });
    expect(world.notifier.published).toEqual([]);
  });
});

describe('warnDeletion', () => {
  const TRIGGER = { source: 'aws.secretsmanager', eventName: 'DeleteSecret' };

  it('announces a scheduled deletion of a secret in use once per deletion date, redeploying nothing', async () => {
    scheduleDeletion('2026-12-20T08:00:00.000Z');

    const first = await warnDeletion(world.ports, target(), TRIGGER, { dryRun: false, origin: 'event' });
    await warnDeletion(world.ports, target(), TRIGGER, { dryRun: false, origin: 'schedule' });

    expect(world.ecs.updates).toEqual([]);
    expect(first.reason).toBe('secret is scheduled for deletion (2026-12-20T08:00:00.000Z): new tasks could not start');
    expect(first.warnings).toEqual([`5 service(s) still use it: ${CONSUMERS.join(', ')}`]);
    expect(published(DETAIL_TYPES.scheduledForDeletion)).toHaveLength(1);
    expect(published(DETAIL_TYPES.scheduledForDeletion)[0].detail).toMatchObject({ deletionDate: '2026-12-20T08:00:00.000Z' });
  });

  it('announces again when the secret is scheduled for deletion again, on another date', async () => {
    scheduleDeletion('2026-12-20T08:00:00.000Z');
    await warnDeletion(world.ports, target(), TRIGGER, { dryRun: false, origin: 'event' });
    scheduleDeletion('2027-01-10T08:00:00.000Z');
    await warnDeletion(world.ports, target(), TRIGGER, { dryRun: false, origin: 'event' });
    expect(published(DETAIL_TYPES.scheduledForDeletion)).toHaveLength(2);
  });

  it('says nothing more of a secret restored before the event was handled', async () => {
    const report = await warnDeletion(world.ports, target(), TRIGGER, { dryRun: false, origin: 'event' });
    expect(report.reason).toBe('the secret is not scheduled for deletion (restored, or the deletion failed)');
    expect(world.notifier.published).toEqual([]);
  });

  it('warns of a secret deleted at once (no recovery window) that the index still lists consumers of', async () => {
    world.secrets.states.delete(ordersDb);
    const report = await warnDeletion(world.ports, target(), TRIGGER, { dryRun: false, origin: 'event' });
    expect(report.reason).toBe('secret is scheduled for deletion (now: deleted without a recovery window): new tasks could not start');
    expect(published(DETAIL_TYPES.scheduledForDeletion)).toHaveLength(1);
  });

  it('says nothing on the bus for a secret nobody uses', async () => {
    const unused = world.secrets.add('arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/unused-AbCdEf', 'prod/unused');
    unused.deletedDate = '2026-12-20T08:00:00.000Z';
    const report = await warnDeletion(world.ports, parseTarget(unused.arn) as Target, TRIGGER, { dryRun: false, origin: 'event' });
    expect(report.warnings).toEqual([]);
    expect(world.notifier.published).toEqual([]);
  });
});
