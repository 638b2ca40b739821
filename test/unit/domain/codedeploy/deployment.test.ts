import {
  type CodeDeployDeployment,
  describeCodeDeployment,
  judgeCodeDeployment,
  oursSinceClaim,
  waitsEndAt,
} from '../../../../functions/domain/codedeploy/deployment';

const SINCE = '2026-11-20T08:00:00.000Z';
const minutesLater = (m: number) => new Date(Date.parse(SINCE) + m * 60_000);
const WAITS = { termination: { action: 'TERMINATE', minutes: 60 } };

function deployment(status: string, extra: Partial<CodeDeployDeployment> = {}): CodeDeployDeployment {
  return { id: 'd-KD7CW5ZZ1', status, createTime: SINCE, waits: WAITS, ...extra };
}

describe('judgeCodeDeployment: how a CodeDeploy deployment of a rollout stands', () => {
  it.each<[string, CodeDeployDeployment, number, ReturnType<typeof judgeCodeDeployment>]>([
    ['Succeeded completes it', deployment('Succeeded'), 5, { state: 'COMPLETED' }],
    [
      'Failed halts with CodeDeploy error information',
      deployment('Failed', {
        error: { code: 'HEALTH_CONSTRAINTS', message: 'The overall deployment failed because too many individual instances failed' },
      }),
      5,
      {
        state: 'FAILED',
        reason:
          'CodeDeploy deployment d-KD7CW5ZZ1 failed: HEALTH_CONSTRAINTS: The overall deployment failed because too many individual instances failed',
      },
    ],
    [
      'Stopped halts, with why and the rollback',
      deployment('Stopped', {
        error: { code: 'MANUAL_STOP', message: 'The deployment was stopped by a user' },
        rollbackMessage: 'Rolled back by d-ROLLBACK1',
      }),
      5,
      {
        state: 'FAILED',
        reason:
          'CodeDeploy deployment d-KD7CW5ZZ1 was stopped: MANUAL_STOP: The deployment was stopped by a user; Rolled back by d-ROLLBACK1',
      },
    ],
    ['Failed without error information', deployment('Failed'), 5, { state: 'FAILED', reason: 'CodeDeploy deployment d-KD7CW5ZZ1 failed' }],
    ['InProgress goes on', deployment('InProgress'), 30, undefined],
    ['Ready (waiting for rerouting) goes on', deployment('Ready'), 30, undefined],
    // 60 minutes of deployment timeout count after the group's 60-minute termination wait.
    ['still in progress within the timeout after its waits', deployment('InProgress', { terminationWaitStarted: true }), 119, undefined],
    [
      'still in progress past the timeout after its waits',
      deployment('InProgress', { terminationWaitStarted: true }),
      121,
      {
        state: 'FAILED',
        reason:
          "still in progress after 121 minutes (deploymentTimeoutMinutes 60 after the group's waits of 60 minutes); CodeDeploy InProgress: traffic shifted, waiting to delete the original task set",
      },
    ],
    [
      'a status CodeDeploy never documented fails',
      deployment('Exploded'),
      5,
      { state: 'FAILED', reason: 'CodeDeploy reports deployment d-KD7CW5ZZ1 Exploded' },
    ],
  ])('%s', (_label, d, minutes, expected) => {
    expect(judgeCodeDeployment(d, SINCE, minutesLater(minutes), 60)).toEqual(expected);
  });

  it('never times out with a deployment timeout of 0', () => {
    expect(judgeCodeDeployment(deployment('Ready'), SINCE, minutesLater(10_000), 0)).toBeUndefined();
  });
});

describe('describeCodeDeployment and waitsEndAt: what status shows', () => {
  it.each<[Partial<CodeDeployDeployment> & { status: string }, string]>([
    [{ status: 'Ready' }, 'Ready: the replacement task set waits for traffic to be rerouted'],
    [{ status: 'InProgress', terminationWaitStarted: true }, 'InProgress: traffic shifted, waiting to delete the original task set'],
    [{ status: 'Baking' }, 'Baking: traffic shifted, CodeDeploy waits before it ends the deployment'],
    [{ status: 'Failed', error: { code: 'IAM_ROLE_MISSING', message: 'no role' } }, 'Failed: IAM_ROLE_MISSING: no role'],
    [{ status: 'Created' }, 'Created'],
  ])('%j: %s', (d, text) => {
    expect(describeCodeDeployment(d)).toBe(text);
  });

  it('the waits end their minutes after the deployment was created; none without waits', () => {
    expect(waitsEndAt(deployment('InProgress'))).toBe('2026-11-20T09:00:00.000Z');
    expect(waitsEndAt(deployment('InProgress', { waits: {} }))).toBeUndefined();
  });
});

describe('oursSinceClaim: the deployment our CreateDeployment made', () => {
  it('is the first the group created at or after the claim', () => {
    const at = (m: number) => minutesLater(m).toISOString();
    const found = oursSinceClaim(
      [
        deployment('Succeeded', { id: 'd-OLDER0001', createTime: at(-5) }),
        deployment('Created', { id: 'd-LATER0001', createTime: at(3) }),
        deployment('Created', { id: 'd-OURS00001', createTime: at(0) }),
      ],
      SINCE,
    );
    expect(found?.id).toBe('d-OURS00001');
    expect(oursSinceClaim([deployment('Succeeded', { createTime: at(-1) })], SINCE)).toBeUndefined();
  });
});
