/**
 * The bench's targets table (bench/lib/targets.ts): the rotation's calls row holds each operation to
 * the minimum; where an issue set a bound on all the calls at one size, a row of its own holds it.
 */

import { judge } from '../../../bench/lib/judge';
import type { Projection } from '../../../bench/lib/limits';
import { type CaseResult, type RotationCase, rotationBoundTarget, rotationTargets, TARGETS } from '../../../bench/lib/targets';

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
      codeDeployCalls: counts.CreateDeployment ?? 0,
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

  it('holds all the calls to a fixed bound where an issue set one for that size and k', () => {
    const row = rotationBoundTarget({ issue: 26, size: 1000, byK: { 1: 10 } });
    expect(judge(row, rotation({ ...minimal, GetItem: 1 }))).toMatchObject({ pass: true, limit: '<= 10', from: 'issue 26' });
    expect(judge(row, rotation({ ...minimal, GetItem: 2 })).pass).toBe(false);
  });

  it("judges issue 26's bounds (16 / 60 / 450 calls for k = 1 / 10 / 100) at S = 1,000 only", () => {
    const at = (size: number) => {
      const c = rotation(minimal);
      return rotationTargets({ ...c.result, size }, 1, 1).map((t) => t.target);
    };
    expect(at(1000)).toContain("rotation via index: all its calls within issue 26's bound at S = 1,000");
    expect(at(3000).some((t) => t.includes('issue 26'))).toBe(false);
  });

  it('holds a rotation without CODE_DEPLOY services to no CodeDeploy call (issue 29)', () => {
    expect(judge(TARGETS.rotationNoCodeDeploy, rotation(minimal))).toMatchObject({
      pass: true,
      figure: '0 CodeDeploy calls',
      from: 'issue 29',
    });
    expect(judge(TARGETS.rotationNoCodeDeploy, rotation({ ...minimal, CreateDeployment: 1 })).pass).toBe(false);
  });

  it('counts the settling reads of a rotation as BatchGetItem, a hundred pairs each', () => {
    const c = { ...rotation({ ...minimal, DescribeSecret: 3, BatchGetItem: 2 }), settle: { otherSecrets: 2, pairs: 150 } };
    expect(judge(TARGETS.rotationCalls, c).pass).toBe(true);
    expect(judge(TARGETS.rotationCalls, { ...c, settle: { otherSecrets: 2, pairs: 100 } }).pass).toBe(false);
  });
});
