import type { ServiceSnapshot } from '../../../../functions/domain/inventory/service';
import type { LedgerRecord, SettledRecord } from '../../../../functions/domain/ledger/record';
import { type Consumer, type PlanContext, planReconcile, preview, type Seen } from '../../../../functions/domain/plan/reconcile-plan';
import { changedAtOf, MAX_WAKEUPS, wakeupsOf } from '../../../../functions/domain/plan/restart-hold';
import type { Rollout } from '../../../../functions/domain/rollout/rollout';
import { WAVE_TAG } from '../../../../functions/domain/rollout/waves';
import { DEADLINE_TAG } from '../../../../functions/domain/windows/restart-policy';
import { parseWindow, type RestartWindow, WINDOW_TAG } from '../../../../functions/domain/windows/window';
import { secretArn, secretState, serviceSnapshot, smReference, taskDefinitionArn } from '../../../kit/factories';

/*
 * The plan of a reconcile with restart windows, on snapshots written by hand: a rotation at
 * 14:00 UTC, windows at 02:00 UTC, the default deadline of a day (14:00 the next day).
 */

const DB = secretArn('prod/db-AbCdEf');
const CHANGED = '2026-11-23T14:00:00.000Z';
const V1 = 'v1-8c1f4e2a';
const V2 = 'v2-5e7a9c1b';
const SECRET = secretState({ [V2]: ['AWSCURRENT'], [V1]: ['AWSPREVIOUS'] }, { arn: DB, lastChangedDate: CHANGED });
const KEY = `AWSCURRENT=${V2}`;
const NIGHTS = 'daily 02:00-03:00 UTC';

function ctx(now: string, overrides: Partial<PlanContext> = {}): PlanContext {
  return {
    now: new Date(now),
    token: 'this-run',
    stamp: () => ({ now: new Date(now), writeId: 'this-run/1' }),
    ledger: true,
    force: false,
    allWaves: false,
    origin: 'event',
    scope: 'one-secret',
    changedAt: CHANGED,
    clusters: [],
    defaultWave: 1,
    ...overrides,
  };
}

function live(name: string, tags: Record<string, string> = {}): ServiceSnapshot {
  return { ...serviceSnapshot({ serviceName: name, tags }), taskDefinition: taskDefinitionArn(`${name}:1`) };
}

function consumer(name: string): Consumer {
  const { serviceArn, clusterArn } = live(name);
  return { serviceArn, clusterArn, serviceName: name, taskDefinition: taskDefinitionArn(`${name}:1`), references: [smReference(DB)] };
}

function settled(name: string, versions: Record<string, string>, extra: Partial<SettledRecord> = {}): SettledRecord {
  const { serviceArn } = live(name);
  return {
    state: 'settled',
    secretArn: DB,
    serviceArn,
    versions,
    via: 'redeploy',
    at: '2026-11-20T07:00:00.000Z',
    rev: 1,
    writeId: 'w1',
    ...extra,
  };
}

/** A consumer behind (on V1), with these tags. */
function behind(name: string, tags: Record<string, string> = {}): Seen {
  return { consumer: consumer(name), record: settled(name, { AWSCURRENT: V1 }), live: live(name, tags) };
}

function plan(seen: Seen[], context: PlanContext, extra: { records?: LedgerRecord[]; rollout?: Rollout } = {}) {
  const records = [...seen.flatMap((s) => (s.record ? [s.record] : [])), ...(extra.records ?? [])];
  const others = (extra.records ?? []).map((r) => consumer(r.serviceArn.split('/').pop() as string));
  return planReconcile(
    {
      secret: SECRET,
      consumers: [...seen.map((s) => s.consumer), ...others],
      seen,
      records,
      versionCreated: {},
      ...(extra.rollout ? { rollout: extra.rollout } : {}),
    },
    context,
  );
}

const rowOf = (p: ReturnType<typeof plan>, name: string) => p.rows.find((r) => r.serviceName === name);

describe('planReconcile: restart windows', () => {
  it('holds a consumer outside its window, saying when it opens and when the deadline falls', () => {
    const p = plan([behind('batch', { [WINDOW_TAG]: NIGHTS }), behind('api')], ctx('2026-11-23T14:01:00Z'));

    expect(p.redeploys.map((r) => r.consumer.serviceName)).toEqual(['api']);
    expect(rowOf(p, 'batch')).toMatchObject({
      outcome: 'waiting',
      kind: 'window',
      reason:
        'waits for window ecs-secret-redeploy:window daily 02:00-03:00 UTC: opens Tue 02:00 UTC (2026-11-24T02:00Z); deadline 2026-11-24T14:00Z',
      window: { tag: WINDOW_TAG, value: NIGHTS, opensAt: '2026-11-24T02:00:00.000Z', deadline: '2026-11-24T14:00:00.000Z' },
      versions: { from: { AWSCURRENT: V1 }, to: { AWSCURRENT: V2 } },
      wave: 1,
    });
    // A consumer without a window is reported as before: no window field.
    expect(p.redeploys[0].window).toBeUndefined();
    expect(p.change?.next).toEqual({ key: KEY, status: 'in-progress', startedAt: '2026-11-23T14:01:00.000Z', changedAt: CHANGED, wave: 1 });
    expect(p.change?.announce).toEqual([
      { kind: 'rollout-started', wave: 1, services: ['api'], at: '2026-11-23T14:01:00.000Z' },
      {
        kind: 'waiting-for-windows',
        services: [
          {
            serviceArn: live('batch').serviceArn,
            serviceName: 'batch',
            opensAt: '2026-11-24T02:00:00.000Z',
            deadline: '2026-11-24T14:00:00.000Z',
          },
        ],
        at: '2026-11-23T14:01:00.000Z',
      },
    ]);
    expect(p.wakeups).toEqual([
      expect.objectContaining({
        at: '2026-11-24T02:00:00Z',
        secretArn: DB,
        rollout: KEY,
        cause: 'window',
        name: expect.stringMatching(/^esr-20261124T0200-[0-9a-f]{40}$/),
      }),
    ]);
  });

  it('starts the rollout when every consumer is held, so that the deadline counts from the change it records', () => {
    const p = plan([behind('batch', { [WINDOW_TAG]: NIGHTS })], ctx('2026-11-23T14:01:00Z'));
    expect(p.redeploys).toEqual([]);
    expect(p.change?.next).toMatchObject({ status: 'in-progress', changedAt: CHANGED });
    // The next run counts from the recorded change, not from its own trigger.
    const later = plan(
      [behind('batch', { [WINDOW_TAG]: NIGHTS })],
      ctx('2026-11-23T20:00:00Z', { origin: 'schedule', changedAt: undefined }),
      {
        rollout: p.change?.next as Rollout,
      },
    );
    expect(rowOf(later, 'batch')?.window?.deadline).toBe('2026-11-24T14:00:00.000Z');
    expect(later.change).toBeUndefined();
    expect(later.drift).toEqual([]);
  });

  it.each<[string, Record<string, string>, string, Partial<PlanContext>, { released: string; reason: RegExp }]>([
    ['inside its window', { [WINDOW_TAG]: NIGHTS }, '2026-11-24T02:10:00Z', {}, { released: 'open', reason: /current is .*v2-5e7a9c1b$/ }],
    [
      'past its deadline, whatever its window',
      { [WINDOW_TAG]: 'Sat 02:00-03:00 UTC' },
      '2026-11-24T14:00:00Z',
      {},
      { released: 'deadline', reason: /; released by its deadline 2026-11-24T14:00Z, its window Sat 02:00-03:00 UTC being closed$/ },
    ],
    [
      'its own deadline tag',
      { [WINDOW_TAG]: NIGHTS, [DEADLINE_TAG]: '30m' },
      '2026-11-23T14:30:00Z',
      {},
      { released: 'deadline', reason: /released by its deadline 2026-11-23T14:30Z/ },
    ],
    [
      'windows ignored (a leaked credential)',
      { [WINDOW_TAG]: NIGHTS },
      '2026-11-23T14:01:00Z',
      { restart: { defaults: { windows: [], deadlineMinutes: 1440 }, ignoreWindows: true } },
      { released: 'ignored', reason: /; restart windows ignored \(--ignore-windows\)$/ },
    ],
  ])('redeploys a consumer %s, and its row says why', (_, tags, now, overrides, expected) => {
    const p = plan([behind('batch', tags)], ctx(now, overrides));
    expect(p.redeploys).toHaveLength(1);
    expect(p.redeploys[0].window?.released).toBe(expected.released);
    const [row] = preview(p, SECRET);
    expect(row).toMatchObject({ outcome: 'would-redeploy', window: { released: expected.released } });
    expect(row.reason).toMatch(expected.reason);
    expect(p.wakeups).toEqual([]);
  });

  it("applies the stack's default window to a consumer without window tags, and its tags over it", () => {
    const defaults = { windows: [parseWindow(NIGHTS) as RestartWindow], deadlineMinutes: 7 * 24 * 60 };
    const p = plan(
      [behind('batch'), behind('web', { [WINDOW_TAG]: 'daily 14:00-15:00 UTC' })],
      ctx('2026-11-23T14:01:00Z', { restart: { defaults, ignoreWindows: false } }),
    );
    expect(rowOf(p, 'batch')).toMatchObject({
      kind: 'window',
      reason: expect.stringMatching(/^waits for the stack's window daily 02:00-03:00 UTC: opens/),
      window: { tag: 'default', deadline: '2026-11-30T14:00:00.000Z' },
    });
    expect(p.redeploys.map((r) => [r.consumer.serviceName, r.window?.released])).toEqual([['web', 'open']]);
  });

  it('holds a consumer whose window does not parse until its deadline, and warns', () => {
    const p = plan([behind('batch', { [WINDOW_TAG]: 'weekdays 02:00' })], ctx('2026-11-23T14:01:00Z'));
    expect(rowOf(p, 'batch')).toMatchObject({
      kind: 'window',
      reason: 'no window opens (its window tags do not parse): held until its deadline 2026-11-24T14:00Z',
      window: { deadline: '2026-11-24T14:00:00.000Z', problems: [expect.stringMatching(/does not parse/)] },
    });
    expect(p.warnings).toEqual([expect.stringMatching(/^batch: tag ecs-secret-redeploy:window="weekdays 02:00" does not parse/)]);
    expect(p.wakeups).toEqual([expect.objectContaining({ at: '2026-11-24T14:00:00Z', cause: 'deadline' })]);
  });

  it('holds the next wave while a wave waits for its window, and says so', () => {
    const p = plan(
      [behind('batch', { [WINDOW_TAG]: NIGHTS, [WAVE_TAG]: '1' }), behind('web', { [WAVE_TAG]: '2' })],
      ctx('2026-11-23T14:01:00Z'),
    );
    expect(p.redeploys).toEqual([]);
    expect(rowOf(p, 'web')).toMatchObject({ kind: 'wave', reason: 'wave 2: waits for wave 1 (1 waiting for a restart window: batch)' });
    expect(rowOf(p, 'batch')).toMatchObject({ kind: 'window' });
  });

  it('reports a consumer held by the waves past its deadline as missed, and announces it once', () => {
    const rollout: Rollout = { key: KEY, status: 'in-progress', startedAt: CHANGED, changedAt: CHANGED };
    const deploying = settled(
      'batch',
      { AWSCURRENT: V2 },
      {
        deploymentId: 'ecs-svc/batch-2',
        slot: { key: KEY, wave: 1 },
        deployment: { state: 'IN_PROGRESS', at: CHANGED },
      },
    );
    const late = ctx('2026-11-24T15:00:00Z', { origin: 'schedule', changedAt: undefined });
    const p = plan([behind('web', { [WAVE_TAG]: '2' })], late, { records: [deploying], rollout });
    expect(rowOf(p, 'web')).toMatchObject({
      outcome: 'waiting',
      kind: 'wave',
      reason: 'wave 2: waits for wave 1 (1 deployment(s) in progress: batch); its deadline 2026-11-24T14:00Z has passed',
      window: { deadline: '2026-11-24T14:00:00.000Z', missed: true },
    });
    expect(p.change?.next.deadlinesMissed).toEqual([live('web').serviceArn]);
    expect(p.change?.announce).toEqual([
      {
        kind: 'deadline-missed',
        services: [
          {
            serviceArn: live('web').serviceArn,
            serviceName: 'web',
            deadline: '2026-11-24T14:00:00.000Z',
            waitingFor: 'wave',
            reason: expect.stringMatching(/has passed$/),
          },
        ],
        at: '2026-11-24T15:00:00.000Z',
      },
    ]);
    const again = plan([behind('web', { [WAVE_TAG]: '2' })], late, { records: [deploying], rollout: p.change?.next as Rollout });
    expect(again.change).toBeUndefined();
    expect(rowOf(again, 'web')?.window?.missed).toBe(true);
  });

  it('in a halted rollout, a held consumer waits for resume first, and no wakeup is asked for', () => {
    const halted: Rollout = {
      key: KEY,
      status: 'halted',
      startedAt: CHANGED,
      changedAt: CHANGED,
      halted: { at: CHANGED, wave: 1, failed: [] },
    };
    const p = plan([behind('batch', { [WINDOW_TAG]: NIGHTS })], ctx('2026-11-23T15:00:00Z'), { rollout: halted });
    expect(rowOf(p, 'batch')).toMatchObject({
      kind: 'resume',
      reason: expect.stringMatching(/^waits for window .*; and the rollout is halted: resume it once fixed$/),
    });
    expect(p.wakeups).toEqual([]);
  });

  it('without a ledger, holds the same way, and asks for no wakeup', () => {
    const p = plan([behind('batch', { [WINDOW_TAG]: NIGHTS })], ctx('2026-11-23T14:01:00Z', { ledger: false }));
    expect(p.redeploys).toEqual([]);
    expect(rowOf(p, 'batch')).toMatchObject({ kind: 'window' });
    expect(p.wakeups).toEqual([]);
  });

  it('counts a held consumer as drift when the schedule finds it behind with no rollout', () => {
    const p = plan(
      [behind('batch', { [WINDOW_TAG]: NIGHTS })],
      ctx('2026-11-23T15:00:00Z', { origin: 'schedule', scope: 'every-secret', changedAt: undefined }),
    );
    expect(p.drift).toEqual([live('batch').serviceArn]);
    expect(rowOf(p, 'batch')?.window?.deadline).toBe('2026-11-24T14:00:00.000Z');
  });
});

describe('wakeupsOf: one-time reconciles when held consumers may go', () => {
  const now = new Date('2026-11-23T14:01:00Z');
  it('asks for one per instant, the window or the deadline, whichever comes first', () => {
    const wakeups = wakeupsOf(
      [
        { opensAt: '2026-11-24T02:00:00.000Z', deadline: '2026-11-24T14:00:00.000Z' },
        { opensAt: '2026-11-24T02:00:00.000Z', deadline: '2026-11-25T14:00:00.000Z' },
        { opensAt: '2026-11-28T02:00:00.000Z', deadline: '2026-11-24T14:00:00.000Z' },
        { deadline: '2026-11-24T14:00:00.000Z' },
      ],
      DB,
      KEY,
      now,
    );
    expect(wakeups.map((w) => [w.at, w.cause])).toEqual([
      ['2026-11-24T02:00:00Z', 'window'],
      ['2026-11-24T14:00:00Z', 'deadline'],
    ]);
  });

  it('is named after the secret, the versions and the instant: the same wakeup twice is one schedule', () => {
    const held = [{ opensAt: '2026-11-24T02:00:00.000Z', deadline: '2026-11-24T14:00:00.000Z' }];
    const [a] = wakeupsOf(held, DB, KEY, now);
    const [b] = wakeupsOf(held, DB, KEY, new Date('2026-11-23T20:00:00Z'));
    const [other] = wakeupsOf(held, DB, 'AWSCURRENT=v3', now);
    expect(a.name).toBe(b.name);
    expect(other.name).not.toBe(a.name);
    expect(a.name).toMatch(/^[0-9a-zA-Z_.-]{1,64}$/);
  });

  it('fires a minute from now at the soonest (a schedule must lie ahead), and asks for the earliest few only', () => {
    const [soon] = wakeupsOf([{ opensAt: '2026-11-23T14:01:20.000Z', deadline: '2026-11-24T14:00:00.000Z' }], DB, KEY, now);
    expect(soon.at).toBe('2026-11-23T14:02:00Z');
    const many = Array.from({ length: 15 }, (_, i) => ({
      opensAt: new Date(now.getTime() + (i + 1) * 3600_000).toISOString(),
      deadline: '2026-12-01T00:00:00.000Z',
    }));
    expect(wakeupsOf(many, DB, KEY, now)).toHaveLength(MAX_WAKEUPS);
  });
});

describe('changedAtOf: the deadline counts from the change', () => {
  const rollout: Rollout = { key: KEY, status: 'in-progress', startedAt: '2026-11-23T14:05:00.000Z' };
  const now = new Date('2026-11-23T16:00:00Z');
  it.each<[string, Rollout | undefined, string | undefined, string | undefined, string]>([
    [
      'the change the rollout recorded',
      { ...rollout, changedAt: '2026-11-23T13:59:00.000Z' },
      '2026-11-23T15:00:00Z',
      CHANGED,
      '2026-11-23T13:59:00.000Z',
    ],
    ["this run's event, when no rollout recorded one", undefined, '2026-11-23T14:00:30Z', CHANGED, '2026-11-23T14:00:30.000Z'],
    ["the secret's last change", undefined, undefined, CHANGED, CHANGED],
    ['when the rollout started, when nothing says when the change was made', rollout, undefined, undefined, '2026-11-23T14:05:00.000Z'],
    ['now, failing all', undefined, undefined, undefined, '2026-11-23T16:00:00.000Z'],
  ])('%s', (_, r, event, lastChanged, expected) => {
    const secret = secretState({ [V2]: ['AWSCURRENT'] }, lastChanged ? { lastChangedDate: lastChanged } : {});
    expect(changedAtOf(r, event, secret, now).toISOString()).toBe(expected);
  });
});
