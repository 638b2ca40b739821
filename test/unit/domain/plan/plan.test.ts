import { type Candidate, OPT_OUT_TAG, type PlanInput, planRedeploys, type ServicePlan } from '../../../../functions/domain/plan/plan';
import type { SecretReference } from '../../../../functions/domain/references/references';
import {
  clusterArn,
  secretArn,
  secretState,
  serviceArn,
  serviceSnapshot,
  smReference,
  ssmReference,
  taskDefinitionArn,
} from '../../../support/factories';

const DB = secretArn('prod/db-AbCdEf');
const V_CURRENT = '5e7a9c1b-2d3f-4a5b-8c6d-7e8f9a0b1c2d';
const V_PREVIOUS = '8c1f4e2a-9b3d-4c5e-a6f7-0b1c2d3e4f5a';
const V_BLUE = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const STATE = secretState({ [V_CURRENT]: ['AWSCURRENT'], [V_PREVIOUS]: ['AWSPREVIOUS'], [V_BLUE]: ['BLUE'] });
const CURRENT_MOVED = ['AWSCURRENT', 'AWSPREVIOUS'];

function candidate(references: SecretReference[] = [smReference(DB)], service: Parameters<typeof serviceSnapshot>[0] = {}): Candidate {
  return { service: serviceSnapshot(service), references };
}

function planOne(c: Candidate, input: Partial<PlanInput> = {}): ServicePlan {
  const [plan] = planRedeploys({ secret: STATE, movedStages: CURRENT_MOVED, candidates: [c], clusters: [], ...input });
  return plan;
}

function expectSkip(plan: ServicePlan, reason: RegExp | string): void {
  expect(plan.action).toBe('skip');
  if (typeof reason === 'string') expect(plan.reason).toContain(reason);
  else expect(plan.reason).toMatch(reason);
}

function versionKeyOf(plan: ServicePlan): string {
  if (plan.action !== 'redeploy') throw new Error(`expected redeploy, got skip: ${plan.reason}`);
  return plan.versionKey;
}

describe('planRedeploys', () => {
  it('redeploys an active ECS service whose AWSCURRENT reference moved', () => {
    const plan = planOne(candidate());
    expect(plan.action).toBe('redeploy');
    expect(plan.reason).toContain(V_CURRENT);
  });

  it('keys the redeploy with the AWSCURRENT version id for AWSCURRENT references', () => {
    expect(versionKeyOf(planOne(candidate([smReference(DB), smReference(`${DB}:password::`), smReference(`${DB}::AWSCURRENT:`)])))).toBe(
      V_CURRENT,
    );
  });

  it('carries the service and its references into the plan', () => {
    const c = candidate();
    const plan = planOne(c);
    expect(plan.service).toBe(c.service);
    expect(plan.references).toBe(c.references);
  });

  it('plans every candidate, in order', () => {
    const candidates = ['a', 'b', 'c'].map((name) =>
      candidate([smReference(DB)], { serviceName: name, serviceArn: serviceArn('prod', name) }),
    );
    const plans = planRedeploys({ secret: STATE, movedStages: CURRENT_MOVED, candidates, clusters: [] });
    expect(plans.map((p) => p.service.serviceName)).toEqual(['a', 'b', 'c']);
  });

  it('returns no plans for no candidates', () => {
    expect(planRedeploys({ secret: STATE, movedStages: 'all', candidates: [], clusters: [] })).toEqual([]);
  });

  it("names the primary deployment's task definition when it holds no reference to the secret", () => {
    const plan = planOne(candidate([], { taskDefinition: taskDefinitionArn('orders-api:9') }));
    expectSkip(plan, 'task definition orders-api:9 does not reference the secret');
  });

  describe('version pinning and stages', () => {
    it('skips services whose reference is pinned to a version id', () => {
      const plan = planOne(candidate([smReference(`${DB}:password::${V_PREVIOUS}`)]));
      expectSkip(plan, `pinned to version id ${V_PREVIOUS}`);
    });

    it('skips a reference pinned by a version id with a stage beside it: the id wins', () => {
      expectSkip(
        planOne(candidate([smReference(`${DB}::AWSCURRENT:${V_PREVIOUS}`)]), { movedStages: 'all' }),
        `pinned to version id ${V_PREVIOUS}`,
      );
    });

    it.each([
      ['a version', { parameterVersion: '3' }, 'pinned to version 3'],
      ['a label', { parameterLabel: 'blue' }, 'pinned to label blue'],
    ])('skips an SSM reference pinned to %s when the parameter changes', (_label, pin, reason) => {
      const parameter = 'arn:aws:ssm:eu-west-1:111122223333:parameter/prod/token';
      const state = { kind: 'parameter' as const, arn: parameter, name: '/prod/token', versionIdsToStages: { '4': ['AWSCURRENT'] } };
      const plan = planOne(candidate([{ ...ssmReference(parameter), ...pin }]), { secret: state, movedStages: ['AWSCURRENT'] });
      expectSkip(plan, reason);
    });

    it('never redeploys a pinned reference, even on a manual "all stages" request', () => {
      expectSkip(planOne(candidate([smReference(`${DB}:::${V_CURRENT}`)]), { movedStages: 'all' }), 'pinned to version id');
    });

    it('redeploys through the unpinned reference when a service has a pinned and an unpinned one', () => {
      expect(versionKeyOf(planOne(candidate([smReference(`${DB}:::${V_PREVIOUS}`), smReference(`${DB}:password::`)])))).toBe(V_CURRENT);
    });

    it('redeploys AWSPREVIOUS references when AWSCURRENT moves, keyed by the AWSPREVIOUS version', () => {
      expect(versionKeyOf(planOne(candidate([smReference(`${DB}::AWSPREVIOUS:`)])))).toBe(V_PREVIOUS);
    });

    it('skips a custom-stage reference when only AWSCURRENT moved', () => {
      expectSkip(planOne(candidate([smReference(`${DB}:password:BLUE:`)])), 'follows stage BLUE, which did not move');
    });

    it('redeploys a custom-stage reference when that stage moved', () => {
      expect(versionKeyOf(planOne(candidate([smReference(`${DB}:password:BLUE:`)]), { movedStages: ['BLUE'] }))).toBe(V_BLUE);
    });

    it('skips an AWSCURRENT reference when only a custom stage moved', () => {
      expectSkip(planOne(candidate(), { movedStages: ['BLUE'] }), 'follows stage AWSCURRENT, which did not move');
    });

    it('skips an AWSCURRENT reference when only AWSPREVIOUS moved', () => {
      expectSkip(planOne(candidate(), { movedStages: ['AWSPREVIOUS'] }), /AWSCURRENT/);
    });

    it('redeploys references of any stage on a manual "all stages" request', () => {
      expect(versionKeyOf(planOne(candidate([smReference(`${DB}::BLUE:`)]), { movedStages: 'all' }))).toBe(V_BLUE);
    });

    it('keys a service following two moved stages by both versions, sorted', () => {
      const key = versionKeyOf(planOne(candidate([smReference(`${DB}::AWSPREVIOUS:`), smReference(DB)])));
      expect(key).toBe([V_CURRENT, V_PREVIOUS].sort().join('+'));
    });

    it('keys only by the stages that moved', () => {
      expect(versionKeyOf(planOne(candidate([smReference(DB), smReference(`${DB}::BLUE:`)]), { movedStages: ['BLUE'] }))).toBe(V_BLUE);
    });

    it('skips when the followed stage is not attached to any version', () => {
      const state = secretState({ [V_CURRENT]: ['AWSCURRENT'] });
      expectSkip(
        planOne(candidate([smReference(`${DB}::GREEN:`)]), { secret: state, movedStages: 'all' }),
        'stage GREEN is not attached to any version',
      );
    });

    it('skips an AWSPREVIOUS reference when the secret has no previous version yet', () => {
      const state = secretState({ [V_CURRENT]: ['AWSCURRENT'] });
      expectSkip(
        planOne(candidate([smReference(`${DB}::AWSPREVIOUS:`)]), { secret: state }),
        'stage AWSPREVIOUS is not attached to any version',
      );
    });
  });

  describe('service rules', () => {
    it('skips services with no running tasks (desiredCount 0)', () => {
      expectSkip(planOne(candidate(undefined, { desiredCount: 0 })), 'no running tasks');
    });

    it.each(['CODE_DEPLOY', 'EXTERNAL'])('skips a service with the %s deployment controller and says why', (controller) => {
      expectSkip(planOne(candidate(undefined, { deploymentController: controller })), `deployment controller ${controller}`);
    });

    it.each(['INACTIVE', 'DRAINING'])('skips a %s service', (status) => {
      expectSkip(planOne(candidate(undefined, { status })), `service is ${status}`);
    });

    it.each(['', 'true', 'yes'])('skips a service opted out by the tag with value %p', (value) => {
      expectSkip(planOne(candidate(undefined, { tags: { team: 'orders', [OPT_OUT_TAG]: value } })), `opted out by tag ${OPT_OUT_TAG}`);
    });

    it('uses the documented opt-out tag name', () => {
      expect(OPT_OUT_TAG).toBe('ecs-secret-redeploy:ignore');
    });

    it('redeploys a service whose opt-out tag is "false"', () => {
      expect(planOne(candidate(undefined, { tags: { [OPT_OUT_TAG]: 'false' } })).action).toBe('redeploy');
    });

    it('ignores unrelated tags', () => {
      expect(planOne(candidate(undefined, { tags: { 'ecs-secret-redeploy': 'ignore' } })).action).toBe('redeploy');
    });
  });

  describe('configured clusters', () => {
    const inStaging = () => candidate(undefined, { clusterArn: clusterArn('staging'), serviceArn: serviceArn('staging', 'orders-api') });

    it('skips services outside the configured clusters (by name)', () => {
      expectSkip(planOne(inStaging(), { clusters: ['prod'] }), 'outside the configured clusters');
    });

    it('redeploys services in a configured cluster named by name or ARN', () => {
      expect(planOne(candidate(), { clusters: ['prod'] }).action).toBe('redeploy');
      expect(planOne(candidate(), { clusters: [clusterArn('prod')] }).action).toBe('redeploy');
      expect(planOne(inStaging(), { clusters: ['prod', 'staging'] }).action).toBe('redeploy');
    });

    it('does not take a cluster name for a suffix of another cluster name', () => {
      expectSkip(planOne(candidate(), { clusters: ['rod'] }), 'outside the configured clusters');
      expectSkip(
        planOne(candidate(undefined, { clusterArn: clusterArn('preprod') }), { clusters: ['prod'] }),
        'outside the configured clusters',
      );
    });

    it('manages every cluster when none is configured', () => {
      expect(planOne(inStaging(), { clusters: [] }).action).toBe('redeploy');
    });
  });
});
