/** The bench's judge (bench/lib/judge.ts): a figure against the limits of its bound. */
import { judge, type Limit, type Target } from '../../../bench/lib/judge';

/** A row of one limit on the quantity `n`, judged on the value given. */
function judged(limit: Limit, value: number | Map<string, number>, advisory = false) {
  const row: Target<{ value: number | Map<string, number> }> = {
    name: 'n',
    from: { basis: 'API minimum', issue: 5 },
    measured: 'counted',
    bound: () => ({ text: 'bound', limits: [limit] }),
    figure: (c) => ({ text: String(c.value), values: { n: c.value } }),
    advisory: () => advisory,
  };
  return judge(row, { value });
}

describe('judge', () => {
  it.each([
    ['at most', { of: 'n', at: 'most', value: 3 } as Limit, 3, true],
    ['at most', { of: 'n', at: 'most', value: 3 } as Limit, 4, false],
    ['at most, seconds to within rounding', { of: 'n', at: 'most', value: 0.3 } as Limit, 0.1 + 0.2, true],
    ['at least', { of: 'n', at: 'least', value: 3 } as Limit, 3, true],
    ['at least', { of: 'n', at: 'least', value: 3 } as Limit, 2, false],
    ['below', { of: 'n', at: 'below', value: 256 } as Limit, 256, false],
    ['below', { of: 'n', at: 'below', value: 256 } as Limit, 255.9, true],
    ['exactly', { of: 'n', at: 'exactly', value: 0 } as Limit, 0, true],
    ['exactly', { of: 'n', at: 'exactly', value: 0 } as Limit, 1, false],
  ])('%s %#: passes exactly when the figure keeps the limit', (_what, limit, value, pass) => {
    expect(judged(limit, value).pass).toBe(pass);
  });

  it('holds calls operation by operation: one over its count fails, and so does one the bound does not name', () => {
    const most = new Map([
      ['UpdateService', 2],
      ['PutItem', 5],
    ]);
    const limit: Limit = { of: 'n', at: 'by operation', most };
    expect(judged(limit, new Map([['UpdateService', 2]])).pass).toBe(true);
    expect(judged(limit, new Map([['UpdateService', 3]])).pass).toBe(false);
    expect(judged(limit, new Map([['GetItem', 1]])).pass).toBe(false);
  });

  it('passes a bound without limits, and marks a row reported only as advisory', () => {
    const row: Target<null> = {
      name: 'nothing to hold',
      from: { basis: 'limit', issue: 10 },
      measured: 'counted',
      bound: () => ({ text: 'any', limits: [] }),
      figure: () => ({ text: '7', values: {} }),
    };
    expect(judge(row, null)).toMatchObject({ pass: true, limit: 'any', from: 'limit, issue 10' });
    expect(judged({ of: 'n', at: 'most', value: 1 }, 2, true)).toMatchObject({ pass: false, advisory: true });
  });
});
