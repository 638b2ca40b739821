import type { ServiceSnapshot } from '../../../../functions/domain/inventory/service';
import { type Eligibility, eligibility, OPT_OUT_TAG } from '../../../../functions/domain/plan/eligibility';
import { clusterArn, serviceArn, taskDefinitionArn } from '../../../kit/factories';

/*
 * DESIGN "Who is redeployed", for a service already known to be due. Carries the service and
 * cluster rules of the superseded plan.test.ts. The snapshot is built here rather than with
 * factories.serviceSnapshot(), which lacks runningCount and deployments.
 */

function snapshot(overrides: Partial<ServiceSnapshot> = {}): ServiceSnapshot {
  const taskDefinition = taskDefinitionArn('orders-api:7');
  return {
    clusterArn: clusterArn('prod'),
    serviceArn: serviceArn('prod', 'orders-api'),
    serviceName: 'orders-api',
    status: 'ACTIVE',
    desiredCount: 2,
    runningCount: 2,
    deploymentController: 'ECS',
    taskDefinition,
    deployments: [{ id: 'ecs-svc/1234567890123456789', status: 'PRIMARY', rolloutState: 'COMPLETED', taskDefinition }],
    tags: {},
    ...overrides,
  };
}

const REDEPLOY: Eligibility = { action: 'redeploy', via: 'update-service' };
/** CodeDeploy redeploys on, as by default. */
const ON = { codeDeploy: true };

function expectSkip(result: Eligibility, reason: string): void {
  expect(result.action).toBe('skip');
  if (result.action === 'skip') expect(result.reason).toContain(reason);
}

describe('eligibility', () => {
  it('redeploys an active, running service with the ECS controller in any cluster when none is configured', () => {
    expect(eligibility(snapshot(), [], ON)).toEqual(REDEPLOY);
  });

  describe('service rules', () => {
    it.each<[string, Partial<ServiceSnapshot>, Eligibility | string]>([
      ['DRAINING', { status: 'DRAINING' }, 'service is DRAINING'],
      ['INACTIVE', { status: 'INACTIVE' }, 'service is INACTIVE'],
      ['CODE_DEPLOY controller: through CodeDeploy', { deploymentController: 'CODE_DEPLOY' }, { action: 'redeploy', via: 'codedeploy' }],
      ['EXTERNAL controller', { deploymentController: 'EXTERNAL' }, 'deployment controller EXTERNAL'],
      // Scaled to zero and nothing left: no task to redeploy, and a task started later reads the new value.
      ['desiredCount 0, none running', { desiredCount: 0, runningCount: 0 }, { action: 'no-tasks' }],
      // Scaled to zero but tasks still stopping: they run the old value; recording "no tasks" now would be a lie.
      ['desiredCount 0, 3 still running', { desiredCount: 0, runningCount: 3 }, 'scaled to zero, 3 task(s) still stopping'],
      // Running tasks below the desired count are still tasks to replace.
      ['desiredCount 2, none running yet', { desiredCount: 2, runningCount: 0 }, REDEPLOY],
    ])('%s', (_label, overrides, expected) => {
      const result = eligibility(snapshot(overrides), [], ON);
      if (typeof expected === 'string') expectSkip(result, expected);
      else expect(result).toEqual(expected);
    });

    it('says why UpdateService cannot be used for a foreign deployment controller', () => {
      expect(eligibility(snapshot({ deploymentController: 'EXTERNAL' }), [], ON)).toEqual({
        action: 'skip',
        reason: 'deployment controller EXTERNAL: UpdateService cannot force a new deployment',
      });
    });

    it('skips a CODE_DEPLOY service, saying how to turn it on, when CodeDeploy redeploys are off', () => {
      expectSkip(
        eligibility(snapshot({ deploymentController: 'CODE_DEPLOY' }), [], { codeDeploy: false }),
        'CodeDeploy redeploys are turned off',
      );
    });

    it('leaves an EXTERNAL service skipped whether CodeDeploy redeploys are on or off', () => {
      for (const codeDeploy of [true, false])
        expectSkip(eligibility(snapshot({ deploymentController: 'EXTERNAL' }), [], { codeDeploy }), 'deployment controller EXTERNAL');
    });
  });

  describe('opt-out tag', () => {
    it('uses the documented tag name', () => {
      expect(OPT_OUT_TAG).toBe('ecs-secret-redeploy:ignore');
    });

    // Any value opts out, even an empty one: tagging is the intent. Only "false" says the opposite.
    it.each(['', 'true', 'yes', 'False', '1'])('skips a service tagged with value %p', (value) => {
      expectSkip(eligibility(snapshot({ tags: { team: 'orders', [OPT_OUT_TAG]: value } }), [], ON), `opted out by tag ${OPT_OUT_TAG}`);
    });

    it('redeploys a service whose opt-out tag is "false"', () => {
      expect(eligibility(snapshot({ tags: { [OPT_OUT_TAG]: 'false' } }), [], ON)).toEqual(REDEPLOY);
    });

    it.each<Record<string, string>>([{ 'ecs-secret-redeploy': 'ignore' }, { 'ecs-secret-redeploy:wave': '2' }, { ignore: 'true' }])(
      'ignores unrelated tags %p',
      (tags) => {
        expect(eligibility(snapshot({ tags }), [], ON)).toEqual(REDEPLOY);
      },
    );
  });

  describe('configured clusters', () => {
    const inStaging = snapshot({ clusterArn: clusterArn('staging'), serviceArn: serviceArn('staging', 'orders-api') });
    const inPreprod = snapshot({ clusterArn: clusterArn('preprod'), serviceArn: serviceArn('preprod', 'orders-api') });

    it.each<[string, ServiceSnapshot, string[], boolean]>([
      ['in the cluster named by name', snapshot(), ['prod'], true],
      ['in the cluster named by ARN', snapshot(), [clusterArn('prod')], true],
      ['in the second of two clusters', inStaging, ['prod', 'staging'], true],
      ['in every cluster when none is configured', inStaging, [], true],
      ['outside the configured cluster', inStaging, ['prod'], false],
      ['outside a cluster named by ARN', inStaging, [clusterArn('prod')], false],
      // Names are compared whole: "rod" is a suffix of "prod", "prod" a suffix of "preprod".
      ['in "prod" with "rod" configured', snapshot(), ['rod'], false],
      ['in "preprod" with "prod" configured', inPreprod, ['prod'], false],
      ['in "prod" with "preprod" configured', snapshot(), ['preprod'], false],
    ])('a service %s: eligible %p', (_label, service, clusters, eligible) => {
      const result = eligibility(service, clusters, ON);
      if (eligible) expect(result).toEqual(REDEPLOY);
      else expectSkip(result, 'cluster is outside the configured clusters');
    });
  });

  describe('order of the rules (the first that applies is the reason reported)', () => {
    it.each<[string, Partial<ServiceSnapshot>, string[], Eligibility | string]>([
      ['status before clusters', { status: 'DRAINING' }, ['staging'], 'service is DRAINING'],
      ['clusters before the opt-out tag', { tags: { [OPT_OUT_TAG]: '' } }, ['staging'], 'outside the configured clusters'],
      ['opt-out before scale to zero', { tags: { [OPT_OUT_TAG]: '' }, desiredCount: 0, runningCount: 0 }, [], 'opted out'],
      // A CODE_DEPLOY service with no task has nothing to redeploy either: recorded as no-tasks.
      [
        'no tasks before the controller',
        { deploymentController: 'CODE_DEPLOY', desiredCount: 0, runningCount: 0 },
        [],
        { action: 'no-tasks' },
      ],
    ])('%s', (_label, overrides, clusters, expected) => {
      const result = eligibility(snapshot(overrides), clusters, ON);
      if (typeof expected === 'string') expectSkip(result, expected);
      else expect(result).toEqual(expected);
    });
  });
});
