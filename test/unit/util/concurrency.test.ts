import { chunk, mapWithConcurrency } from '../../../functions/util/concurrency';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** fn that records the most calls in flight at once; delays vary so calls finish out of order. */
function tracked<T>(delays: (item: T, index: number) => number) {
  const state = { inFlight: 0, maxInFlight: 0, started: [] as number[] };
  const fn = async (item: T, index: number) => {
    state.inFlight += 1;
    state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
    state.started.push(index);
    await sleep(delays(item, index));
    state.inFlight -= 1;
    return { item, index };
  };
  return { fn, state };
}

describe('mapWithConcurrency', () => {
  it.each([1, 2, 3, 5])('never has more than %i calls in flight', async (limit) => {
    const items = Array.from({ length: 17 }, (_, i) => i);
    const { fn, state } = tracked<number>((i) => (i * 7) % 5);
    await mapWithConcurrency(items, limit, fn);
    expect(state.maxInFlight).toBe(limit);
  });

  it('tells how many have finished after each item, with a limit given as options', async () => {
    const done: number[] = [];
    const { fn, state } = tracked<number>((i) => (i * 3) % 4);
    await mapWithConcurrency([1, 2, 3, 4, 5], { limit: 2, onDone: (n) => done.push(n) }, fn);
    expect(done).toEqual([1, 2, 3, 4, 5]);
    expect(state.maxInFlight).toBe(2);
  });

  it('keeps the input order even when later items finish first', async () => {
    const items = ['a', 'b', 'c', 'd', 'e', 'f'];
    const { fn } = tracked<string>((_, i) => (items.length - i) * 2);
    const results = await mapWithConcurrency(items, 3, fn);
    expect(results).toEqual(items.map((item, index) => ({ item, index })));
  });

  it('calls fn once per item, starting them in order', async () => {
    const { fn, state } = tracked<number>(() => 1);
    await mapWithConcurrency([10, 20, 30, 40], 2, fn);
    expect(state.started).toEqual([0, 1, 2, 3]);
  });

  it('runs everything at once when the limit exceeds the number of items', async () => {
    const { fn, state } = tracked<number>(() => 2);
    await mapWithConcurrency([1, 2, 3], 10, fn);
    expect(state.maxInFlight).toBe(3);
  });

  it.each([0, -3])('runs one at a time when the limit is %i', async (limit) => {
    const { fn, state } = tracked<number>(() => 1);
    const results = await mapWithConcurrency([1, 2, 3], limit, fn);
    expect(state.maxInFlight).toBe(1);
    expect(results.map((r) => r.item)).toEqual([1, 2, 3]);
  });

  it('maps every item (or rejects) when the limit is not a number, never returning holes', async () => {
    const fn = jest.fn(async (x: number) => x * 2);
    const outcome = await mapWithConcurrency([1, 2, 3], Number.NaN, fn).then(
      (results) => ({ results }),
      (error: unknown) => ({ error }),
    );
    if ('error' in outcome) return; // refusing a NaN limit is fine too
    expect(outcome.results).toEqual([2, 4, 6]);
    expect(fn).toHaveBeenCalledTimes(3);
  });

  it('returns an empty array for no items without calling fn', async () => {
    const fn = jest.fn(async (x: number) => x);
    expect(await mapWithConcurrency([], 4, fn)).toEqual([]);
    expect(fn).not.toHaveBeenCalled();
  });

  it('rejects when fn rejects', async () => {
    await expect(
      mapWithConcurrency([1, 2, 3], 2, async (x) => {
        if (x === 2) throw new Error('boom');
        return x;
      }),
    ).rejects.toThrow('boom');
  });
});

describe('chunk', () => {
  it('splits items into consecutive chunks of the given size, the last one shorter', () => {
    expect(chunk([1, 2, 3, 4, 5, 6, 7], 3)).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
  });

  it('gives ceil(n / size) chunks of at most size (DescribeServices takes at most 10)', () => {
    const items = Array.from({ length: 25 }, (_, i) => `svc-${i}`);
    const chunks = chunk(items, 10);
    expect(chunks.map((c) => c.length)).toEqual([10, 10, 5]);
    expect(chunks.flat()).toEqual(items);
  });

  it('gives one chunk when size exceeds the number of items', () => {
    expect(chunk(['a', 'b'], 10)).toEqual([['a', 'b']]);
  });

  it('gives exact chunks when the size divides the number of items', () => {
    expect(chunk([1, 2, 3, 4], 2)).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });

  it('gives no chunks for no items', () => {
    expect(chunk([], 10)).toEqual([]);
  });

  // Regression: chunk(items, 0) looped forever.
  it('refuses a size below one instead of looping forever', () => {
    expect(() => chunk([1, 2], 0)).toThrow(RangeError);
    expect(() => chunk([1, 2], 1.5)).toThrow(RangeError);
  });

  it('does not modify its input', () => {
    const items = [1, 2, 3];
    chunk(items, 2);
    expect(items).toEqual([1, 2, 3]);
  });
});
