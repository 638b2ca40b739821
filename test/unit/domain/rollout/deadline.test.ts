import { canStart, deadlineIn, NO_DEADLINE } from '../../../../functions/domain/rollout/deadline';

/*
 * DESIGN "Lambda deadlines": stop claiming while in-flight calls can still finish. A run that
 * starts work past the deadline is killed mid-call and leaves a claim to recover.
 */

const NOW = Date.parse('2026-11-20T08:00:00.000Z');

describe('deadlineIn', () => {
  it('stops the margin before the invocation ends', () => {
    expect(deadlineIn(NOW, 60_000, 10_000)).toEqual({ stopAt: NOW + 50_000 });
  });

  it('is already past when the margin is larger than what remains', () => {
    const deadline = deadlineIn(NOW, 5_000, 10_000);
    expect(deadline.stopAt).toBe(NOW - 5_000);
    expect(canStart(deadline, NOW)).toBe(false);
  });
});

describe('canStart', () => {
  const deadline = deadlineIn(NOW, 60_000, 10_000); // stops at NOW + 50 s

  it.each<[string, number, number | undefined, boolean]>([
    ['just starting, well before', 0, undefined, true],
    ['just starting, 1 ms before the stop', 49_999, undefined, true],
    // The stop is exclusive: at it, nothing new starts.
    ['just starting, exactly at the stop', 50_000, undefined, false],
    ['just starting, after the stop', 50_001, undefined, false],
    ['work that ends 1 ms before the stop', 40_000, 9_999, true],
    ['work that would end exactly at the stop', 40_000, 10_000, false],
    ['work that would end after the stop', 45_000, 10_000, false],
  ])('%s: %p', (_label, offset, takesMs, expected) => {
    expect(canStart(deadline, NOW + offset, takesMs)).toBe(expected);
  });
});

describe('NO_DEADLINE', () => {
  it('lets any work start at any time (the CLI)', () => {
    expect(canStart(NO_DEADLINE, NOW)).toBe(true);
    expect(canStart(NO_DEADLINE, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)).toBe(true);
  });
});
