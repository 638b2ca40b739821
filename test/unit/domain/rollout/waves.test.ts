import type { Rollout } from '../../../../functions/domain/rollout/rollout';
import { decideWaves, type Member, polledDeployment, WAVE_TAG, waveOf } from '../../../../functions/domain/rollout/waves';

/*
 * The wave state machine: which wave of a rollout may go now, what waits and why, and when the
 * rollout halts or completes. Each row is the ledger's view of a rollout's members (due: behind;
 * deployed: its deployment's state as ECS last told) after some sequence of deployment events.
 */

const due = (name: string, wave: number): Member => ({ kind: 'due', serviceArn: `arn:${name}`, name, wave });
const deployed = (name: string, wave: number, state: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED', reason?: string): Member => ({
  kind: 'deployed',
  serviceArn: `arn:${name}`,
  name,
  wave,
  state,
  deploymentId: `ecs-svc/${name}`,
  ...(reason ? { reason } : {}),
});

const STARTED = { key: 'AWSCURRENT=v2', startedAt: '2026-11-20T07:00:00.000Z' };
const IN_PROGRESS: Rollout = { ...STARTED, status: 'in-progress' };
const HALTED: Rollout = {
  ...STARTED,
  status: 'halted',
  halted: { at: '2026-11-20T08:00:00.000Z', wave: 1, failed: [{ serviceArn: 'arn:a', reason: 'circuit breaker' }] },
};
const COMPLETED: Rollout = { ...STARTED, status: 'completed', completedAt: '2026-11-20T09:00:00.000Z' };

describe('waveOf', () => {
  it.each([
    ['no tag: the default wave', {}, 1, undefined],
    ['an integer', { [WAVE_TAG]: '2' }, 2, undefined],
    ['an integer with blanks around it', { [WAVE_TAG]: ' 3 ' }, 3, undefined],
    ['a negative integer (before the default)', { [WAVE_TAG]: '-1' }, -1, undefined],
    ['zero', { [WAVE_TAG]: '0' }, 0, undefined],
    ['a word: the default and a warning', { [WAVE_TAG]: 'canary' }, 1, /"canary" is not an integer: wave 1/],
    ['a fraction: the default and a warning', { [WAVE_TAG]: '1.5' }, 1, /not an integer/],
    ['an empty value: the default and a warning', { [WAVE_TAG]: '' }, 1, /not an integer/],
    ['another tag only', { team: 'orders' }, 1, undefined],
  ])('%s', (_, tags: Record<string, string>, wave, warning) => {
    const result = waveOf(tags, 1);
    expect(result.wave).toBe(wave);
    if (warning) expect(result.warning).toMatch(warning);
    else expect(result.warning).toBeUndefined();
  });

  it('uses the configured default wave', () => {
    expect(waveOf({}, 5)).toEqual({ wave: 5 });
  });
});

type Row = [
  string,
  Member[],
  Rollout | undefined,
  {
    release: number | 'all' | undefined;
    waiting?: Record<string, RegExp>;
    transition?: 'halted' | 'completed' | undefined;
  },
];

describe('decideWaves', () => {
  it.each<Row>([
    [
      'a new rollout releases its lowest wave; the others wait for it',
      [due('a', 1), due('b', 1), due('c', 2), due('d', 3)],
      IN_PROGRESS,
      { release: 1, waiting: { c: /^wave 2: waits for wave 1 to complete$/, d: /^wave 3: waits for wave 1 to complete$/ } },
    ],
    [
      'wave 2 waits while a deployment of wave 1 is in progress, naming it',
      [deployed('a', 1, 'COMPLETED'), deployed('b', 1, 'IN_PROGRESS'), due('c', 2)],
      IN_PROGRESS,
      { release: undefined, waiting: { c: /^wave 2: waits for wave 1 \(1 deployment\(s\) in progress: b\)$/ } },
    ],
    [
      'wave 2 goes once every deployment of wave 1 completed',
      [deployed('a', 1, 'COMPLETED'), deployed('b', 1, 'COMPLETED'), due('c', 2), due('d', 3)],
      IN_PROGRESS,
      { release: 2, waiting: { d: /^wave 3: waits for wave 2 to complete$/ } },
    ],
    [
      'a missed event looks like a deployment still in progress: the wave keeps waiting (the schedule polls it)',
      [deployed('a', 1, 'IN_PROGRESS'), due('c', 2)],
      IN_PROGRESS,
      { release: undefined, waiting: { c: /waits for wave 1/ } },
    ],
    [
      'a failed deployment halts the rollout: nothing more goes, every due member says why',
      [deployed('a', 1, 'FAILED', 'circuit breaker'), deployed('b', 1, 'COMPLETED'), due('c', 2)],
      IN_PROGRESS,
      {
        release: undefined,
        waiting: { c: /^rollout halted at wave 1: the deployment of a failed; resume it once fixed$/ },
        transition: 'halted',
      },
    ],
    [
      'a failure in a wave still in progress halts it too, holding back the rest of that wave',
      [deployed('a', 1, 'FAILED'), due('b', 1)],
      IN_PROGRESS,
      { release: undefined, waiting: { b: /rollout halted at wave 1/ }, transition: 'halted' },
    ],
    [
      'a halted rollout stays halted without a second transition (a duplicate FAILED event changes nothing)',
      [deployed('a', 1, 'FAILED'), due('c', 2)],
      HALTED,
      { release: undefined, waiting: { c: /rollout halted at wave 1/ } },
    ],
    [
      'a halted rollout holds even a COMPLETED event arriving after (out of order)',
      [deployed('a', 1, 'COMPLETED'), due('c', 2)],
      HALTED,
      { release: undefined, waiting: { c: /rollout halted at wave 1: the deployment of a failed/ } },
    ],
    [
      'the rollout completes when nothing is due and no deployment is in progress',
      [deployed('a', 1, 'COMPLETED'), deployed('c', 2, 'COMPLETED')],
      IN_PROGRESS,
      { release: undefined, transition: 'completed' },
    ],
    [
      'a completed rollout completes once (a duplicate COMPLETED event changes nothing)',
      [deployed('a', 1, 'COMPLETED'), deployed('c', 2, 'COMPLETED')],
      COMPLETED,
      { release: undefined },
    ],
    [
      'the last wave in progress: neither released nor completed yet',
      [deployed('a', 1, 'COMPLETED'), deployed('c', 2, 'IN_PROGRESS')],
      IN_PROGRESS,
      { release: undefined },
    ],
    [
      'a deployment in progress does not hold back its own wave (a consumer that joined the wave late goes)',
      [deployed('a', 1, 'IN_PROGRESS'), due('b', 1), due('c', 2)],
      IN_PROGRESS,
      { release: 1, waiting: { c: /^wave 2: waits for wave 1 to complete$/ } },
    ],
    [
      'a consumer that joins a lower wave after a higher one started goes at once',
      [deployed('a', 1, 'COMPLETED'), deployed('c', 2, 'IN_PROGRESS'), due('b', 1)],
      IN_PROGRESS,
      { release: 1 },
    ],
    ['nothing due, nothing deployed: nothing to do', [], IN_PROGRESS, { release: undefined }],
  ])('%s', (_, members, rollout, expected) => {
    const decision = decideWaves(members, rollout);
    expect(decision.release).toBe(expected.release);
    const waiting = Object.fromEntries([...decision.waiting].map(([arn, reason]) => [arn.replace('arn:', ''), reason]));
    expect(Object.keys(waiting).sort()).toEqual(Object.keys(expected.waiting ?? {}).sort());
    for (const [name, reason] of Object.entries(expected.waiting ?? {})) expect(waiting[name]).toMatch(reason);
    expect(decision.transition?.to).toBe(expected.transition);
  });

  it('halts at the lowest failed wave, listing every failed deployment with ECS reason', () => {
    const decision = decideWaves(
      [deployed('b', 2, 'FAILED', 'tasks failed to start'), deployed('a', 1, 'FAILED', 'circuit breaker'), due('c', 3)],
      IN_PROGRESS,
    );
    expect(decision.transition).toEqual({
      to: 'halted',
      wave: 1,
      failed: [
        { serviceArn: 'arn:b', deploymentId: 'ecs-svc/b', reason: 'tasks failed to start' },
        { serviceArn: 'arn:a', deploymentId: 'ecs-svc/a', reason: 'circuit breaker' },
      ],
    });
  });

  it('records the waves a completed rollout went through, in order', () => {
    const decision = decideWaves(
      [deployed('c', 3, 'COMPLETED'), deployed('a', 1, 'COMPLETED'), deployed('b', 1, 'COMPLETED')],
      IN_PROGRESS,
    );
    expect(decision.transition).toEqual({ to: 'completed', waves: [1, 3] });
  });

  it('names at most five blocking deployments, then how many more', () => {
    const blocking = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((n) => deployed(n, 1, 'IN_PROGRESS'));
    const decision = decideWaves([...blocking, due('z', 2)], IN_PROGRESS);
    expect(decision.waiting.get('arn:z')).toBe('wave 2: waits for wave 1 (7 deployment(s) in progress: a, b, c, d, e and 2 more)');
  });

  describe('a member held outside its restart window', () => {
    const held = (name: string, wave: number): Member => ({ kind: 'held', serviceArn: `arn:${name}`, name, wave });

    it.each<[string, Member[], { release?: number; waiting?: Record<string, string> }]>([
      [
        'holds the waves after its own, as a deployment in progress does',
        [held('a', 1), deployed('b', 1, 'COMPLETED'), due('c', 2)],
        { waiting: { c: 'wave 2: waits for wave 1 (1 waiting for a restart window: a)' } },
      ],
      [
        'is named beside the deployments still in progress',
        [held('a', 1), deployed('b', 1, 'IN_PROGRESS'), due('c', 3)],
        { waiting: { c: 'wave 3: waits for wave 1 (1 deployment(s) in progress: b; 1 waiting for a restart window: a)' } },
      ],
      [
        'does not hold its own wave',
        [held('a', 1), due('b', 1), due('c', 2)],
        { release: 1, waiting: { c: 'wave 2: waits for wave 1 to complete' } },
      ],
      ['does not hold the waves before its own', [held('a', 3), due('b', 2)], { release: 2 }],
    ])('%s', (_, members, expected) => {
      const decision = decideWaves(members, IN_PROGRESS);
      expect(decision.release).toBe(expected.release);
      expect(Object.fromEntries([...decision.waiting].map(([arn, why]) => [arn.replace('arn:', ''), why]))).toEqual(expected.waiting ?? {});
    });

    it('keeps the rollout from completing while it waits', () => {
      expect(decideWaves([held('a', 2), deployed('b', 1, 'COMPLETED')], IN_PROGRESS).transition).toBeUndefined();
      expect(decideWaves([deployed('a', 2, 'COMPLETED'), deployed('b', 1, 'COMPLETED')], IN_PROGRESS).transition?.to).toBe('completed');
    });
  });

  describe('with --all-waves (a manual emergency)', () => {
    it.each([
      ['a fresh rollout', [due('a', 1), due('c', 2), due('d', 3)], IN_PROGRESS],
      ['a wave in progress', [deployed('a', 1, 'IN_PROGRESS'), due('c', 2)], IN_PROGRESS],
      ['a halted rollout', [deployed('a', 1, 'FAILED'), due('c', 2)], HALTED],
    ])('releases every due member at once: %s', (_, members, rollout) => {
      const decision = decideWaves(members, rollout, true);
      expect(decision.release).toBe('all');
      expect(decision.waiting.size).toBe(0);
      expect(decision.transition).toBeUndefined();
    });

    it('releases nothing when nothing is due', () => {
      expect(decideWaves([deployed('a', 1, 'COMPLETED')], IN_PROGRESS, true).release).toBeUndefined();
    });
  });
});

describe('polledDeployment', () => {
  const STARTED = '2026-11-20T08:00:00.000Z';
  const minutesIn = (minutes: number) => new Date(Date.parse(STARTED) + minutes * 60_000);
  const ours = (rolloutState?: string, rolloutStateReason?: string) => ({
    deployments: [
      {
        id: 'ecs-svc/ours',
        status: 'PRIMARY',
        ...(rolloutState ? { rolloutState } : {}),
        ...(rolloutStateReason ? { rolloutStateReason } : {}),
      },
    ],
  });

  it.each<
    [
      string,
      { deployments: { id: string; status: string; rolloutState?: string }[] } | undefined,
      number,
      ReturnType<typeof polledDeployment>,
    ]
  >([
    ['completed: completed', ours('COMPLETED'), 5, { state: 'COMPLETED' }],
    ['failed, with ECS reason', ours('FAILED', 'circuit breaker'), 5, { state: 'FAILED', reason: 'circuit breaker' }],
    ['still in progress within the timeout: nothing yet', ours('IN_PROGRESS'), 59, undefined],
    ['no rolloutState within the timeout: nothing yet', ours(), 30, undefined],
    [
      'still in progress past the timeout: failed, saying so',
      ours('IN_PROGRESS'),
      61,
      { state: 'FAILED', reason: 'still in progress after 61 minutes (deploymentTimeoutMinutes 60)' },
    ],
    [
      'no longer listed: replaced by a newer deployment, whose tasks read the current versions too',
      { deployments: [{ id: 'ecs-svc/newer', status: 'PRIMARY', rolloutState: 'IN_PROGRESS' }] },
      5,
      { state: 'COMPLETED', reason: 'superseded by deployment ecs-svc/newer' },
    ],
    ['the service is gone: nothing to wait for', undefined, 5, { state: 'COMPLETED', reason: 'the service no longer exists' }],
  ])('%s', (_, service, minutes, expected) => {
    expect(polledDeployment(service, 'ecs-svc/ours', STARTED, minutesIn(minutes), 60)).toEqual(expected);
  });

  it('never times out with a timeout of 0', () => {
    expect(polledDeployment(ours('IN_PROGRESS'), 'ecs-svc/ours', STARTED, minutesIn(10_000), 0)).toBeUndefined();
  });
});
