import { handleEvent } from '../../../functions/app/handle-event';
import { DETAIL_TYPES } from '../../../functions/app/notifications';
import { reconcile } from '../../../functions/app/reconcile';
import { rebuildIndex } from '../../../functions/app/refresh-index';
import { secretStatus } from '../../../functions/app/status';
import { buildUsageMap } from '../../../functions/app/usage-map';
import { statusRendering } from '../../../functions/cli/status-format';
import { type Wakeup, wakeupPayload } from '../../../functions/domain/decode/wakeup-request';
import { parseTarget, type Target } from '../../../functions/domain/identity/target';
import type { Report } from '../../../functions/domain/report/report';
import { NO_DEADLINE } from '../../../functions/domain/rollout/deadline';
import { WAVE_TAG } from '../../../functions/domain/rollout/waves';
import { DEADLINE_TAG } from '../../../functions/domain/windows/restart-policy';
import { WINDOW_TAG } from '../../../functions/domain/windows/window';
import type { Wakeups } from '../../../functions/ports/wakeups';
import { type FakeWorld, fakeWorld, reconcileOptions, type SeededFakes, seedFakes } from '../../kit/fakes/fake-world';
import { demoPlan } from '../../kit/simulated-account';

/*
 * A rotation at 14:00 UTC of a secret whose consumers may restart at 02:00, in virtual time: the
 * ports in memory, the clock moved by hand between runs as the 30-minute schedule, the wakeups
 * and ECS's deployment events would start them.
 */

const AFFECTED = ['orders-api', 'orders-ledger', 'orders-worker'];
const MINUTE = 60_000;
const ROTATION = Date.parse('2026-11-23T14:00:00Z');

let world: FakeWorld;
let seeded: SeededFakes;
let ordersDb: string;
let wakeups: Wakeup[];

/** Wakeups kept in memory, as Scheduler keeps schedules: a second of the same name is the same. */
function memoryWakeups(): Wakeups {
  return {
    async schedule(wakeup) {
      if (wakeups.some((w) => w.name === wakeup.name)) return 'exists';
      wakeups.push(wakeup);
      return 'created';
    },
  };
}

/** Sets tags of a service; an empty value removes the tag. */
function tag(name: string, tags: Record<string, string>): void {
  const service = world.ecs.services.get(seeded.serviceArns.get(name) as string);
  if (service) service.tags = Object.fromEntries(Object.entries({ ...service.tags, ...tags }).filter(([, v]) => v !== ''));
}

/** UpdateService calls so far, by service name, with when each was made. */
function deployedAt(): Record<string, string[]> {
  const names = new Map([...seeded.serviceArns].map(([name, arn]) => [arn, name]));
  const out: Record<string, string[]> = {};
  for (const u of world.ecs.updates) {
    const name = names.get(u.serviceArn) as string;
    out[name] = [...(out[name] ?? []), new Date(u.at).toISOString()];
  }
  return out;
}

function at(iso: string): void {
  const ms = Date.parse(iso);
  world.clock.advance(ms - world.clock.now().getTime());
}

/** The rotation's event, at 14:00. */
function onRotation(): Promise<{ report: Report }> {
  return reconcile(
    world.ports,
    parseTarget(ordersDb) as Target,
    { source: 'aws.secretsmanager', eventName: 'RotationSucceeded', time: new Date(ROTATION).toISOString() },
    reconcileOptions({ origin: 'event' }),
  );
}

/** The 30-minute schedule's reconcile of the secret. */
function onSchedule(): Promise<{ report: Report }> {
  return reconcile(world.ports, parseTarget(ordersDb) as Target, { source: 'schedule' }, reconcileOptions({ origin: 'schedule' }));
}

/** What the reconciler does when a wakeup's schedule fires. */
async function onWakeup(wakeup: Wakeup): Promise<Report> {
  at(wakeup.at);
  const outcome = await handleEvent(world.ports, JSON.parse(JSON.stringify(wakeupPayload(wakeup))), {
    deadline: NO_DEADLINE,
    dryRun: false,
    continuation: world.continuation,
  });
  if (outcome.kind !== 'report') throw new Error(`a wakeup led to ${outcome.kind}`);
  return outcome.report;
}

const rowsOf = (report: Report) => Object.fromEntries(report.services.map((s) => [s.serviceName, s]));

beforeEach(async () => {
  world = fakeWorld();
  wakeups = [];
  world.ports.wakeups = memoryWakeups();
  seeded = seedFakes(world, demoPlan());
  ordersDb = seeded.secrets.get('prod/orders-db')?.arn as string;
  await rebuildIndex(world.ports);
  for (const name of AFFECTED) tag(name, { [WINDOW_TAG]: 'daily 02:00-02:30 UTC' });
  at('2026-11-23T14:00:00Z');
  world.secrets.rotate(ordersDb);
});

describe('a rotation at 14:00, windows at 02:00', () => {
  it('redeploys nothing before 02:00 and every consumer by 02:30, on the 30-minute schedule alone', async () => {
    world.ports.wakeups = undefined;
    const first = await onRotation();
    expect(
      Object.values(rowsOf(first.report))
        .filter((s) => s.outcome === 'waiting')
        .map((s) => [s.serviceName, s.kind]),
    ).toEqual([
      ['orders-api', 'window'],
      ['orders-ledger', 'window'],
      ['orders-worker', 'window'],
    ]);
    expect(rowsOf(first.report)['orders-api'].window).toEqual({
      tag: WINDOW_TAG,
      value: 'daily 02:00-02:30 UTC',
      opensAt: '2026-11-24T02:00:00.000Z',
      deadline: '2026-11-24T14:00:00.000Z',
    });
    // The schedule runs every 30 minutes from 14:17: its last run before the window is at 01:47, the next at 02:17.
    for (let t = ROTATION + 17 * MINUTE; t < Date.parse('2026-11-24T02:00:00Z'); t += 30 * MINUTE) {
      world.clock.advance(t - world.clock.now().getTime());
      await onSchedule();
    }
    expect(deployedAt()).toEqual({});
    at('2026-11-24T02:17:00Z');
    const inWindow = await onSchedule();
    expect(deployedAt()).toEqual(Object.fromEntries(AFFECTED.map((n) => [n, ['2026-11-24T02:17:00.000Z']])));
    expect(inWindow.report.drift).toBeUndefined();
  });

  it('redeploys at 02:00 by the wakeup the first run asked for, exactly once whatever runs besides', async () => {
    await onRotation();
    expect(wakeups.map((w) => [w.at, w.cause])).toEqual([['2026-11-24T02:00:00Z', 'window']]);
    // Every later run asks for the same wakeup: still one schedule.
    at('2026-11-23T14:30:00Z');
    await onSchedule();
    expect(wakeups).toHaveLength(1);

    const woken = await onWakeup(wakeups[0]);
    expect(woken.trigger).toMatchObject({ source: 'schedule', detailType: 'Restart Window Opens' });
    expect(
      Object.values(rowsOf(woken))
        .filter((s) => s.outcome === 'redeployed')
        .map((s) => [s.serviceName, s.window?.released]),
    ).toEqual([
      ['orders-api', 'open'],
      ['orders-ledger', 'open'],
      ['orders-worker', 'open'],
    ]);
    // The schedule at 02:10 and a duplicate of the wakeup find them redeployed.
    at('2026-11-24T02:10:00Z');
    await onSchedule();
    await onWakeup(wakeups[0]);
    expect(deployedAt()).toEqual(Object.fromEntries(AFFECTED.map((n) => [n, ['2026-11-24T02:00:00.000Z']])));
  });

  it('redeploys at its deadline a consumer whose window never opens in time, and says so', async () => {
    tag('orders-api', { [WINDOW_TAG]: 'Sat 02:00-02:30 UTC', [DEADLINE_TAG]: '6h' });
    tag('orders-worker', { [WINDOW_TAG]: 'daily 02:00 Mars/Olympus', [DEADLINE_TAG]: '6h' });
    const first = await onRotation();
    expect(rowsOf(first.report)['orders-api'].reason).toBe(
      'waits for window ecs-secret-redeploy:window Sat 02:00-02:30 UTC, which opens Sat 02:00 UTC (2026-11-28T02:00Z) after its deadline 2026-11-23T20:00Z: redeployed at the deadline',
    );
    expect(rowsOf(first.report)['orders-worker'].reason).toBe(
      'no window opens (its window tags do not parse): held until its deadline 2026-11-23T20:00Z',
    );
    expect(first.report.warnings).toEqual([
      expect.stringMatching(/^orders-worker: tag ecs-secret-redeploy:window="daily 02:00 Mars\/Olympus" does not parse/),
    ]);
    expect(wakeups.map((w) => [w.at, w.cause])).toEqual([
      ['2026-11-23T20:00:00Z', 'deadline'],
      ['2026-11-24T02:00:00Z', 'window'],
    ]);

    at('2026-11-23T19:59:00Z');
    await onSchedule();
    expect(deployedAt()).toEqual({});
    const woken = await onWakeup(wakeups[0]);
    const rows = rowsOf(woken);
    expect(deployedAt()).toEqual({ 'orders-api': ['2026-11-23T20:00:00.000Z'], 'orders-worker': ['2026-11-23T20:00:00.000Z'] });
    expect(rows['orders-api']).toMatchObject({ outcome: 'redeployed', window: { released: 'deadline' } });
    expect(rows['orders-api'].reason).toMatch(/; released by its deadline 2026-11-23T20:00Z, its window Sat 02:00-02:30 UTC being closed$/);
    expect(rows['orders-ledger']).toMatchObject({ outcome: 'waiting', kind: 'window' });
  });

  it('keeps the waves in order: the wave after one that waits for its window waits too, then follows it', async () => {
    tag('orders-worker', { [WAVE_TAG]: '2', [WINDOW_TAG]: 'daily 00:00-24:00 UTC' });
    const first = await onRotation();
    expect(rowsOf(first.report)['orders-worker']).toMatchObject({
      outcome: 'waiting',
      kind: 'wave',
      reason: 'wave 2: waits for wave 1 (2 waiting for a restart window: orders-api, orders-ledger)',
    });
    await onWakeup(wakeups[0]);
    expect(Object.keys(deployedAt()).sort()).toEqual(['orders-api', 'orders-ledger']);
    // Wave 1's deployments complete (ECS's events, or the schedule's poll): wave 2 goes.
    for (const name of ['orders-api', 'orders-ledger']) {
      const record = await world.ledger.read(ordersDb, seeded.serviceArns.get(name) as string);
      world.ecs.settle(record?.deploymentId as string, 'COMPLETED');
    }
    at('2026-11-24T02:20:00Z');
    await onSchedule();
    expect(deployedAt()['orders-worker']).toEqual(['2026-11-24T02:20:00.000Z']);
  });

  it('announces a deadline the waves made it miss, once, and counts it for the alarm at every run', async () => {
    tag('orders-api', { [WINDOW_TAG]: 'Sat 02:00-02:30 UTC', [DEADLINE_TAG]: '7d' });
    tag('orders-ledger', { [WINDOW_TAG]: 'Sat 02:00-02:30 UTC', [DEADLINE_TAG]: '7d' });
    tag('orders-worker', { [WAVE_TAG]: '2', [DEADLINE_TAG]: '1h', [WINDOW_TAG]: '' });
    const first = await onRotation();
    expect(world.notifier.published.map((n) => n.detailType)).toContain(DETAIL_TYPES.waitingForWindows);
    expect(rowsOf(first.report)['orders-worker'].window).toBeUndefined();

    at('2026-11-23T15:30:00Z');
    const late = await onSchedule();
    expect(rowsOf(late.report)['orders-worker']).toMatchObject({
      kind: 'wave',
      reason: expect.stringMatching(/; its deadline 2026-11-23T15:00Z has passed$/),
      window: { deadline: '2026-11-23T15:00:00.000Z', missed: true },
    });
    at('2026-11-23T16:00:00Z');
    await onSchedule();
    const missed = world.notifier.published.filter((n) => n.detailType === DETAIL_TYPES.deadlineMissed);
    expect(missed).toHaveLength(1);
    expect(missed[0].detail).toMatchObject({
      services: [{ serviceName: 'orders-worker', deadline: '2026-11-23T15:00:00.000Z', waitingFor: 'wave' }],
    });
    expect(world.metrics.values.get('RestartDeadlinesMissed')).toEqual([1, 1]);
    expect(world.metrics.values.get('WaitingForWindow')).toEqual([2, 2, 2]);
    expect(world.metrics.values.get('OldestWindowWaitSeconds')).toEqual([0, 5400, 7200]);
  });

  it('status says which services wait for their window, when it opens, when the deadline falls, and the waves they hold', async () => {
    tag('orders-worker', { [WAVE_TAG]: '2', [WINDOW_TAG]: '' });
    tag('orders-ledger', { [WINDOW_TAG]: 'weekdays 02:00' });
    await onRotation();
    at('2026-11-23T15:00:00Z');

    const status = await secretStatus(world.ports, parseTarget(ordersDb) as Target);
    const now = Object.fromEntries(status.consumers.map((c) => [c.serviceName, c.now]));
    // The worker is in a later wave: it waits for the wave its window holds.
    expect(now).toMatchObject({ 'orders-api': 'window', 'orders-ledger': 'window', 'orders-worker': 'waiting' });
    expect(status.consumers.find((c) => c.serviceName === 'orders-api')?.window).toMatchObject({
      opensAt: '2026-11-24T02:00:00.000Z',
      deadline: '2026-11-24T14:00:00.000Z',
    });
    expect(status.summary).toMatch(/2 window \(the first opens 2026-11-24T02:00Z; deadline 2026-11-24T14:00Z\)/);
    expect(status.windows?.holds).toEqual(['wave 1 waits for a window, and the waves after it with it: orders-worker']);

    const table = statusRendering(status).table({ color: false });
    expect(table).toContain(
      [
        'orders-api: waits for its window',
        '  daily 02:00-02:30 UTC (ecs-secret-redeploy:window)',
        '  opens 2026-11-24T02:00Z; deadline 2026-11-24T14:00Z',
        'orders-ledger: no window opens: held until its deadline',
        '  deadline 2026-11-24T14:00Z',
        '  tag ecs-secret-redeploy:window="weekdays 02:00" does not parse (expected DAYS…',
        'wave 1 waits for a window, and the waves after it with it: orders-worker',
      ].join('\n'),
    );
    expect(table).toMatch(/2 window \(the first opens 2026-11-24T02:00Z; deadline 2026-11-24T14:00Z\)/);
    for (const line of table.split('\n').slice(0, -2)) expect(line.length).toBeLessThanOrEqual(80);
    expect(statusRendering(status).text()).toContain('WINDOW\torders-api\twindow\t2026-11-24T02:00:00.000Z\t2026-11-24T14:00:00.000Z');
  });

  it("the usage map shows each service's windows and deadline, and a tag that does not parse as needing attention", async () => {
    tag('orders-ledger', { [WINDOW_TAG]: 'weekdays 02:00', [DEADLINE_TAG]: '7d' });
    const map = await buildUsageMap(
      { ...world.ports, schedules: { fromRules: async () => [], fromSchedules: async () => [] } },
      { inventory: 'index' },
    );
    const db = map.secrets.find((s) => s.arn === ordersDb);
    const consumers = Object.fromEntries((db?.consumers ?? []).map((c) => [c.name, c.restart]));
    expect(consumers['orders-api']).toEqual({ windows: ['daily 02:00-02:30 UTC'], deadlineMinutes: 1440, problems: [] });
    expect(consumers['orders-ledger']).toEqual({
      windows: [],
      deadlineMinutes: 10080,
      problems: [expect.stringMatching(/does not parse .*: it never opens$/)],
    });
    expect(db?.attention).toContainEqual({
      kind: 'restart-window',
      message: expect.stringMatching(/^tag ecs-secret-redeploy:window="weekdays 02:00" does not parse/),
      consumers: ['orders-ledger'],
    });
  });

  it('redeploys now with --ignore-windows (a leaked credential)', async () => {
    const { report } = await reconcile(
      world.ports,
      parseTarget(ordersDb) as Target,
      { source: 'manual' },
      reconcileOptions({ origin: 'manual', ignoreWindows: true }),
    );
    expect(deployedAt()).toEqual(Object.fromEntries(AFFECTED.map((n) => [n, ['2026-11-23T14:00:00.000Z']])));
    expect(report.services.find((s) => s.serviceName === 'orders-api')?.reason).toMatch(/; restart windows ignored \(--ignore-windows\)$/);
    expect(wakeups).toEqual([]);
  });
});
