/**
 * The bench's targets table (bench/lib/targets.ts): the rotation's calls row holds each operation to
 * the minimum, or all the calls to a fixed bound where an issue set one.
 */

import { judge } from '../../../bench/lib/judge';
import type { Projection } from '../../../bench/lib/limits';
import { type CaseResult, type RotationCase, rotationCallsTarget, TARGETS } from '../../../bench/lib/targets';

describe('the rotation calls row', () => {
  const projection: Projection = { waitByAction: new Map(), seconds: 0, dominant: '-', unknown: [] };
  const rotation = (counts: Record<string, number>): RotationCase => {
    const calls = Object.values(counts).reduce((a, b) => a + b, 0);
    const result: CaseResult = {
      size: 1000,
      k: 1,
      name: 'rotation via index',
      counts: new Map(Object.entries(counts)),
      calls,
      ecsCalls: 0,
      wallMs: 0,
      projection,
    };
    return { result, k: 1, describeBatches: 1, settle: { otherSecrets: 0, pairs: 0 } };
  };
  const minimal = { DescribeSecret: 1, Query: 2, DescribeServices: 1, UpdateService: 1, PutItem: 3, PutEvents: 1 };

  it('holds each operation to the minimum for k services, from issue 5', () => {
    expect(judge(TARGETS.rotationCalls, rotation(minimal))).toMatchObject({
      pass: true,
      limit: '<= 9 (PutItem 3, Query 2, DescribeSecret 1, DescribeServices 1, PutEvents 1, UpdateService 1)',
      from: 'API minimum, issue 5',
      k: 1,
      size: 1000,
    });
    expect(judge(TARGETS.rotationCalls, rotation({ ...minimal, GetItem: 1 }))).toMatchObject({
      pass: false,
      figure: '10 (above: GetItem +1)',
    });
  });

  it('holds all the calls to a fixed bound where an issue set one for that k', () => {
    const row = rotationCallsTarget({ issue: 26, byK: { 1: 10 } });
    expect(judge(row, rotation({ ...minimal, GetItem: 1 }))).toMatchObject({ pass: true, limit: '<= 10', from: 'issue 26' });
    expect(judge(row, rotation({ ...minimal, GetItem: 2 })).pass).toBe(false);
  });
});
