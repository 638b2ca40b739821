import {
  admissible,
  type BucketState,
  drained,
  fullBucket,
  leanest,
  type RateSettings,
  refilled,
  reserve,
} from '../../../../functions/domain/rollout/rate-limiter';

/*
 * Our own token bucket for UpdateService (DESIGN: ECS allows 50 burst / 5 per second per account,
 * shared with the account's own deploys). Pure: time is epoch milliseconds from a fake clock.
 */

const T0 = Date.parse('2026-11-20T08:00:00.000Z');
const SETTINGS: RateSettings = { perSecond: 2, burst: 3 };

/** n callers reserving one after the other at the same instant: their waits, and the bucket after. */
function reserveMany(state: BucketState, settings: RateSettings, nowMs: number, n: number): { waits: number[]; state: BucketState } {
  const waits: number[] = [];
  let current = state;
  for (let i = 0; i < n; i++) {
    const r = reserve(current, settings, nowMs);
    waits.push(r.waitMs);
    current = r.state;
  }
  return { waits, state: current };
}

describe('fullBucket', () => {
  it('holds burst tokens at the given time', () => {
    expect(fullBucket(SETTINGS, T0)).toEqual({ tokens: 3, at: T0 });
  });
});

describe('reserve', () => {
  it('lets a full bucket burst, then makes each further caller wait 1/perSecond more', () => {
    const { waits } = reserveMany(fullBucket(SETTINGS, T0), SETTINGS, T0, 6);
    expect(waits).toEqual([0, 0, 0, 500, 1000, 1500]);
  });

  it.each<[RateSettings, number, number[]]>([
    // n callers at once: burst of them wait 0, the k-th one past the burst waits k/perSecond.
    [{ perSecond: 5, burst: 2 }, 5, [0, 0, 200, 400, 600]],
    [{ perSecond: 1, burst: 1 }, 4, [0, 1000, 2000, 3000]],
    [{ perSecond: 0.5, burst: 1 }, 3, [0, 2000, 4000]],
  ])('queues callers fairly with %p: each waits for its own token', (settings, n, expected) => {
    expect(reserveMany(fullBucket(settings, T0), settings, T0, n).waits).toEqual(expected);
  });

  it('records the debt of reserved tokens as negative tokens', () => {
    expect(reserveMany(fullBucket(SETTINGS, T0), SETTINGS, T0, 5).state).toEqual({ tokens: -2, at: T0 });
  });

  it('refills fractionally: a quarter second at 2/s is half a token', () => {
    const empty = { tokens: 0, at: T0 };
    const r = reserve(empty, SETTINGS, T0 + 250);
    expect(r.state).toEqual({ tokens: -0.5, at: T0 + 250 });
    expect(r.waitMs).toBe(250);
  });

  it("counts a later caller's wait from when it arrives", () => {
    const { state } = reserveMany(fullBucket(SETTINGS, T0), SETTINGS, T0, 4); // one token owed, repaid at T0 + 500
    expect(reserve(state, SETTINGS, T0 + 500).waitMs).toBe(500);
    expect(reserve(state, SETTINGS, T0 + 750).waitMs).toBe(250);
    expect(reserve(state, SETTINGS, T0 + 1000).waitMs).toBe(0);
  });

  it('rounds a wait up to the next millisecond, never before the token exists', () => {
    const settings = { perSecond: 3, burst: 1 };
    expect(reserveMany(fullBucket(settings, T0), settings, T0, 2).waits).toEqual([0, 334]);
  });
});

describe('refilled', () => {
  it('caps the refill at burst after a long idle time', () => {
    expect(refilled({ tokens: 0, at: T0 }, SETTINGS, T0 + 3_600_000)).toEqual({ tokens: 3, at: T0 + 3_600_000 });
  });

  it('pays a debt back before adding tokens', () => {
    expect(refilled({ tokens: -2, at: T0 }, SETTINGS, T0 + 1500)).toEqual({ tokens: 1, at: T0 + 1500 });
  });

  it('adds no tokens when time goes backwards, and keeps the later time', () => {
    expect(refilled({ tokens: 1, at: T0 }, SETTINGS, T0 - 10_000)).toEqual({ tokens: 1, at: T0 });
  });

  it('lets no caller through for free when time goes backwards', () => {
    const { state } = reserveMany(fullBucket(SETTINGS, T0), SETTINGS, T0, 3); // empty at T0
    const r = reserve(state, SETTINGS, T0 - 60_000);
    expect(r.waitMs).toBeGreaterThan(0);
    expect(r.state).toEqual({ tokens: -1, at: T0 });
  });
});

describe('drained', () => {
  it('empties a bucket that had tokens', () => {
    expect(drained(fullBucket(SETTINGS, T0), SETTINGS, T0)).toEqual({ tokens: 0, at: T0 });
  });

  it('keeps a debt: callers already queued still wait for their tokens', () => {
    expect(drained({ tokens: -2, at: T0 }, SETTINGS, T0)).toEqual({ tokens: -2, at: T0 });
  });

  it('refills up to now before emptying, so the time moves on', () => {
    expect(drained({ tokens: -1, at: T0 }, SETTINGS, T0 + 2000)).toEqual({ tokens: 0, at: T0 + 2000 });
  });

  it('makes the next caller wait a full 1/perSecond', () => {
    const after = drained(fullBucket(SETTINGS, T0), SETTINGS, T0);
    expect(reserve(after, SETTINGS, T0).waitMs).toBe(500);
  });
});

describe('leanest', () => {
  it('is the state with fewer tokens once both are refilled to now, whichever was recorded last', () => {
    const spentEarlier = { tokens: 0, at: T0 };
    const spentLater = { tokens: 1, at: T0 + 1000 };
    // refilled to T0 + 1000: 2 tokens against 1
    expect(leanest([spentEarlier, spentLater], SETTINGS, T0 + 1000)).toEqual({ tokens: 1, at: T0 + 1000 });
    expect(leanest([spentLater, spentEarlier], SETTINGS, T0 + 1000)).toEqual({ tokens: 1, at: T0 + 1000 });
  });

  it('keeps reservations not yet refilled (negative tokens)', () => {
    expect(leanest([{ tokens: -2, at: T0 }, undefined], SETTINGS, T0 + 500)).toEqual({ tokens: -1, at: T0 + 500 });
  });

  it('knows nothing when no state is known: the caller starts full', () => {
    expect(leanest([undefined, undefined], SETTINGS, T0)).toBeUndefined();
  });
});

describe('admissible: a bucket handed over in a continuation, bounded before it counts', () => {
  it.each<[string, BucketState, BucketState]>([
    ['keeps a bucket a run handed over', { tokens: -1.5, at: T0 - 1000 }, { tokens: -1.5, at: T0 - 1000 }],
    // A forged debt would make every UpdateService of the container wait for ever.
    ['bounds a debt to minus the burst', { tokens: -1e9, at: T0 }, { tokens: -3, at: T0 }],
    ['bounds the tokens to the burst', { tokens: 1e9, at: T0 }, { tokens: 3, at: T0 }],
    // A time in the future would stop the refill until then.
    ['brings a time in the future back to now', { tokens: 0, at: T0 + 365 * 24 * 3600_000 }, { tokens: 0, at: T0 }],
  ])('%s', (_label, state, expected) => {
    expect(admissible(state, SETTINGS, T0)).toEqual(expected);
  });

  it('a forged bucket slows a run by at most a burst at the configured rate', () => {
    const forged = admissible({ tokens: -1e9, at: T0 + 1e12 }, SETTINGS, T0);
    // Debt of 3 at 2/s, then the caller's own token: 2 s.
    expect(reserve(forged, SETTINGS, T0).waitMs).toBe(2000);
  });
});
