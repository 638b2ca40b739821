import {
  DEADLINE_TAG,
  NO_RESTART_DEFAULTS,
  parseDeadline,
  type RestartDefaults,
  releaseNote,
  restartPolicyOf,
  restartVerdict,
} from '../../../../functions/domain/windows/restart-policy';
import { parseWindow, type RestartWindow, WINDOW_TAG } from '../../../../functions/domain/windows/window';

const NIGHTS = 'daily 02:00-03:00 UTC';
const stackNights: RestartDefaults = { windows: [parseWindow('daily 01:00-05:00 UTC') as RestartWindow], deadlineMinutes: 12 * 60 };

describe('parseDeadline', () => {
  it.each<[string, number | RegExp]>([
    ['30m', 30],
    ['24h', 1440],
    ['7d', 10080],
    [' 90m ', 90],
    ['365d', 525600],
    ['0m', /is not from 1m to 365d/],
    ['366d', /is not from 1m to 365d/],
    ['1d12h', /is not a duration such as 30m, 24h or 7d/],
    ['24', /is not a duration/],
    ['2 h', /is not a duration/],
    ['-1h', /is not a duration/],
  ])('%j', (text, expected) => {
    const parsed = parseDeadline(text);
    if (typeof expected === 'number') expect(parsed).toBe(expected);
    else expect(typeof parsed === 'object' && parsed.problem).toMatch(expected);
  });
});

describe('restartPolicyOf: tags over the stack defaults', () => {
  it.each<
    [string, Record<string, string>, RestartDefaults, { windows: string[]; windowed: boolean; deadline: number; problems?: RegExp[] }]
  >([
    ['no tag, no default: no window, the default deadline', {}, NO_RESTART_DEFAULTS, { windows: [], windowed: false, deadline: 1440 }],
    ["no tag: the stack's window and deadline", {}, stackNights, { windows: ['default'], windowed: true, deadline: 720 }],
    [
      'a window tag replaces the default window; the deadline stays',
      { [WINDOW_TAG]: NIGHTS },
      stackNights,
      { windows: [WINDOW_TAG], windowed: true, deadline: 720 },
    ],
    [
      'several window tags, in their order',
      { [`${WINDOW_TAG}-10`]: 'Sun 10:00-11:00 UTC', [`${WINDOW_TAG}-2`]: 'Sat 10:00-11:00 UTC', [WINDOW_TAG]: NIGHTS },
      NO_RESTART_DEFAULTS,
      { windows: [WINDOW_TAG, `${WINDOW_TAG}-2`, `${WINDOW_TAG}-10`], windowed: true, deadline: 1440 },
    ],
    [
      'a deadline tag',
      { [WINDOW_TAG]: NIGHTS, [DEADLINE_TAG]: '7d' },
      stackNights,
      { windows: [WINDOW_TAG], windowed: true, deadline: 10080 },
    ],
    [
      'a window tag that does not parse: no window opens, and the default does not stand in for it',
      { [WINDOW_TAG]: 'weekdays 02:00-04:00 UTC' },
      stackNights,
      {
        windows: [],
        windowed: true,
        deadline: 720,
        problems: [/^tag ecs-secret-redeploy:window="weekdays 02:00-04:00 UTC" does not parse .*: it never opens$/],
      },
    ],
    [
      'one of two window tags does not parse: the other still opens',
      { [WINDOW_TAG]: NIGHTS, [`${WINDOW_TAG}-2`]: 'Sat 02:00-04:00 Mars/Olympus' },
      NO_RESTART_DEFAULTS,
      { windows: [WINDOW_TAG], windowed: true, deadline: 1440, problems: [/window-2=.*is not an IANA time zone.*it never opens/] },
    ],
    [
      "a deadline that does not parse: the stack's deadline",
      { [WINDOW_TAG]: NIGHTS, [DEADLINE_TAG]: 'soon' },
      stackNights,
      {
        windows: [WINDOW_TAG],
        windowed: true,
        deadline: 720,
        problems: [/deadline="soon" does not parse .*: the stack's deadline applies/],
      },
    ],
    [
      'a misspelt window tag is named, not taken',
      { [`${WINDOW_TAG}s`]: NIGHTS },
      NO_RESTART_DEFAULTS,
      { windows: [], windowed: false, deadline: 1440, problems: [/"ecs-secret-redeploy:windows" is not a window tag .*: ignored/] },
    ],
  ])('%s', (_, tags, defaults, expected) => {
    const policy = restartPolicyOf(tags, defaults);
    expect(policy.windows.map((w) => w.tag)).toEqual(expected.windows);
    expect(policy.windowed).toBe(expected.windowed);
    expect(policy.deadlineMinutes).toBe(expected.deadline);
    expect(policy.problems).toHaveLength(expected.problems?.length ?? 0);
    for (const [i, problem] of (expected.problems ?? []).entries()) expect(policy.problems[i]).toMatch(problem);
  });
});

describe('restartVerdict: inside the window, never later than the deadline', () => {
  // A rotation at 14:00 UTC; windows at 02:00; a 24-hour deadline (14:00 the next day).
  const changedAt = new Date('2026-11-23T14:00:00Z');
  const nights = restartPolicyOf({ [WINDOW_TAG]: NIGHTS }, NO_RESTART_DEFAULTS);
  const never = restartPolicyOf({ [WINDOW_TAG]: 'Sat 02:00-03:00 Nowhere/Land' }, NO_RESTART_DEFAULTS);
  const at = (iso: string) => new Date(iso);

  it.each<[string, ReturnType<typeof restartPolicyOf>, string, boolean, { go: boolean; facts?: object; reason?: RegExp }]>([
    ['no window: at once', restartPolicyOf({}, NO_RESTART_DEFAULTS), '2026-11-23T14:01:00Z', false, { go: true }],
    [
      'outside its window: waits, saying when it opens and when the deadline falls',
      nights,
      '2026-11-23T14:01:00Z',
      false,
      {
        go: false,
        facts: { tag: WINDOW_TAG, value: NIGHTS, opensAt: '2026-11-24T02:00:00.000Z', deadline: '2026-11-24T14:00:00.000Z' },
        reason:
          /^waits for window ecs-secret-redeploy:window daily 02:00-03:00 UTC: opens Tue 02:00 UTC \(2026-11-24T02:00Z\); deadline 2026-11-24T14:00Z$/,
      },
    ],
    [
      'inside its window: goes, saying so',
      nights,
      '2026-11-24T02:00:00Z',
      false,
      { go: true, facts: { released: 'open', closesAt: '2026-11-24T03:00:00.000Z', deadline: '2026-11-24T14:00:00.000Z' } },
    ],
    [
      'past its deadline: goes whatever its window',
      nights,
      '2026-11-24T14:00:00Z',
      false,
      { go: true, facts: { released: 'deadline', opensAt: '2026-11-25T02:00:00.000Z', deadline: '2026-11-24T14:00:00.000Z' } },
    ],
    [
      'a window that never opens: held until the deadline',
      never,
      '2026-11-24T13:59:00Z',
      false,
      {
        go: false,
        facts: { deadline: '2026-11-24T14:00:00.000Z' },
        reason: /^no window opens \(its window tags do not parse\): held until its deadline 2026-11-24T14:00Z$/,
      },
    ],
    [
      'a window that never opens, past the deadline: goes',
      never,
      '2026-11-24T14:00:00Z',
      false,
      { go: true, facts: { released: 'deadline' } },
    ],
    ['windows ignored (a leaked credential): at once', nights, '2026-11-23T14:01:00Z', true, { go: true, facts: { released: 'ignored' } }],
  ])('%s', (_, policy, now, ignore, expected) => {
    const verdict = restartVerdict(policy, changedAt, at(now), ignore);
    expect(verdict.go).toBe(expected.go);
    if (expected.facts) expect(verdict).toMatchObject({ facts: expected.facts });
    else expect(verdict).not.toHaveProperty('facts');
    if (expected.reason) expect(!verdict.go && verdict.reason).toMatch(expected.reason);
  });

  it('a window that opens after the deadline says the deadline comes first', () => {
    const weekly = restartPolicyOf({ [WINDOW_TAG]: 'Sat 02:00-03:00 UTC' }, NO_RESTART_DEFAULTS);
    const verdict = restartVerdict(weekly, changedAt, at('2026-11-23T15:00:00Z'));
    expect(!verdict.go && verdict.reason).toMatch(
      /opens Sat 02:00 UTC \(2026-11-28T02:00Z\) after its deadline 2026-11-24T14:00Z: redeployed at the deadline$/,
    );
  });

  it("a released row's reason says the deadline or a person released it", () => {
    expect(releaseNote({ deadline: '2026-11-24T14:00:00.000Z', released: 'deadline', value: NIGHTS })).toBe(
      'released by its deadline 2026-11-24T14:00Z, its window daily 02:00-03:00 UTC being closed',
    );
    expect(releaseNote({ deadline: '2026-11-24T14:00:00.000Z', released: 'ignored' })).toBe('restart windows ignored (--ignore-windows)');
    expect(releaseNote({ deadline: '2026-11-24T14:00:00.000Z', released: 'open' })).toBeUndefined();
    expect(releaseNote(undefined)).toBeUndefined();
  });
});
