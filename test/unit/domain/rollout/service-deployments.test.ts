import { type DeploymentStrategy, describeStrategy, expectedBakeMinutes } from '../../../../functions/domain/inventory/service';
import {
  bakeEndsAt,
  describeServiceDeployment,
  heldAtHook,
  judgeServiceDeployment,
  mayBeOurs,
  oursAfterClaim,
  pastTimeout,
  type ServiceDeploymentRecord,
} from '../../../../functions/domain/rollout/service-deployments';
import { polledDeployment } from '../../../../functions/domain/rollout/waves';

/*
 * ECS's deployment records (ListServiceDeployments, DescribeServiceDeployments) and the
 * strategies of 2025: what a rollout learns from them. Shapes follow the SDK's models
 * (ServiceDeployment, DeploymentConfiguration); time is fixed instants.
 */

const T0 = '2026-03-01T10:00:00.000Z';
const minutesAfter = (minutes: number) => new Date(Date.parse(T0) + minutes * 60_000);
const ARN = 'arn:aws:ecs:eu-west-1:123456789012:service-deployment/prod/orders-api/AbCdEf123';
const record = (change: Partial<ServiceDeploymentRecord> = {}): ServiceDeploymentRecord => ({
  arn: ARN,
  status: 'IN_PROGRESS',
  createdAt: T0,
  startedAt: T0,
  ...change,
});

describe('expectedBakeMinutes: the bake a strategy prescribes', () => {
  it.each<[string, DeploymentStrategy | undefined, number]>([
    ['no strategy named (a rolling update)', undefined, 0],
    ['ROLLING, even with a bake time set', { name: 'ROLLING', bakeTimeInMinutes: 30 }, 0],
    ['BLUE_GREEN: its bake', { name: 'BLUE_GREEN', bakeTimeInMinutes: 90 }, 90],
    ['BLUE_GREEN without a bake', { name: 'BLUE_GREEN' }, 0],
    ['BLUE_GREEN at the maximum', { name: 'BLUE_GREEN', bakeTimeInMinutes: 1440 }, 1440],
    [
      'LINEAR 25% every 10 min: 3 waits between 4 steps, then the bake',
      { name: 'LINEAR', bakeTimeInMinutes: 5, linear: { stepPercent: 25, stepBakeTimeInMinutes: 10 } },
      35,
    ],
    ['LINEAR with ECS defaults (10% every 6 min): 9 waits', { name: 'LINEAR' }, 54],
    ['LINEAR 33.3%: 4 steps (the last reaches 100%)', { name: 'LINEAR', linear: { stepPercent: 33.3, stepBakeTimeInMinutes: 10 } }, 30],
    [
      'LINEAR 100%: one step, no wait',
      { name: 'LINEAR', bakeTimeInMinutes: 15, linear: { stepPercent: 100, stepBakeTimeInMinutes: 10 } },
      15,
    ],
    [
      'CANARY: its bake, then the bake after the shift',
      { name: 'CANARY', bakeTimeInMinutes: 20, canary: { canaryPercent: 5, canaryBakeTimeInMinutes: 30 } },
      50,
    ],
    ['CANARY with ECS defaults (10 min)', { name: 'CANARY' }, 10],
    ['a strategy of the future: its bake', { name: 'SOMETHING_NEW', bakeTimeInMinutes: 7 }, 7],
  ])('%s', (_, strategy, minutes) => {
    expect(expectedBakeMinutes(strategy)).toBe(minutes);
  });

  it.each<[DeploymentStrategy | undefined, string]>([
    [undefined, 'ROLLING'],
    [{ name: 'BLUE_GREEN', bakeTimeInMinutes: 90 }, 'BLUE_GREEN (bake 90 min)'],
    [{ name: 'LINEAR', linear: { stepPercent: 20, stepBakeTimeInMinutes: 3 } }, 'LINEAR 20% every 3 min (bake 0 min)'],
    [
      { name: 'CANARY', bakeTimeInMinutes: 5, canary: { canaryPercent: 10, canaryBakeTimeInMinutes: 15 } },
      'CANARY 10% for 15 min (bake 5 min)',
    ],
  ])('reads %j as %s', (strategy, text) => {
    expect(describeStrategy(strategy)).toBe(text);
  });
});

describe('judgeServiceDeployment: every status ECS records', () => {
  const judge = (d: ServiceDeploymentRecord, minutes = 5, timeout = 60) => judgeServiceDeployment(d, T0, minutesAfter(minutes), timeout);

  it.each<[string, Partial<ServiceDeploymentRecord>, ReturnType<typeof judge>]>([
    ['SUCCESSFUL completes it', { status: 'SUCCESSFUL' }, { state: 'COMPLETED' }],
    ['PENDING goes on', { status: 'PENDING' }, undefined],
    ['IN_PROGRESS goes on', { status: 'IN_PROGRESS', lifecycleStage: 'SCALE_UP' }, undefined],
    [
      'STOPPED fails it with ECS reason',
      { status: 'STOPPED', statusReason: 'Stopped by user' },
      { state: 'FAILED', reason: 'ECS stopped the deployment (STOPPED); Stopped by user' },
    ],
    ['STOP_REQUESTED fails it', { status: 'STOP_REQUESTED' }, { state: 'FAILED', reason: 'ECS stopped the deployment (STOP_REQUESTED)' }],
    [
      'ROLLBACK_REQUESTED fails it',
      { status: 'ROLLBACK_REQUESTED', rollbackReason: 'Rollback requested by user' },
      { state: 'FAILED', reason: 'ECS rolled the deployment back (ROLLBACK_REQUESTED); Rollback requested by user' },
    ],
    [
      'ROLLBACK_IN_PROGRESS after the circuit breaker fails it',
      { status: 'ROLLBACK_IN_PROGRESS', circuitBreaker: { status: 'TRIGGERED', failureCount: 3, threshold: 3 } },
      {
        state: 'FAILED',
        reason: 'ECS rolled the deployment back (ROLLBACK_IN_PROGRESS): the circuit breaker tripped after 3 failed task(s)',
      },
    ],
    [
      'ROLLBACK_SUCCESSFUL after alarms names them',
      {
        status: 'ROLLBACK_SUCCESSFUL',
        statusReason: 'Service deployment rolled back because the alarm was triggered.',
        alarms: { status: 'TRIGGERED', triggered: ['orders-5xx', 'orders-latency'] },
      },
      {
        state: 'FAILED',
        reason:
          'ECS rolled the deployment back (ROLLBACK_SUCCESSFUL): alarm orders-5xx, orders-latency triggered; Service deployment rolled back because the alarm was triggered.',
      },
    ],
    [
      'ROLLBACK_FAILED fails it',
      { status: 'ROLLBACK_FAILED' },
      { state: 'FAILED', reason: 'ECS rolled the deployment back (ROLLBACK_FAILED)' },
    ],
    [
      'IN_PROGRESS with an alarm triggered (rollback not yet requested) fails it',
      { status: 'IN_PROGRESS', lifecycleStage: 'BAKE_TIME', alarms: { status: 'TRIGGERED', triggered: ['orders-5xx'] } },
      { state: 'FAILED', reason: 'deployment IN_PROGRESS: alarm orders-5xx triggered' },
    ],
    [
      'IN_PROGRESS with the circuit breaker tripped fails it',
      { status: 'IN_PROGRESS', circuitBreaker: { status: 'TRIGGERED' } },
      { state: 'FAILED', reason: 'deployment IN_PROGRESS: the circuit breaker tripped' },
    ],
    ['alarms still monitoring: goes on', { status: 'IN_PROGRESS', alarms: { status: 'MONITORING', triggered: [] } }, undefined],
    [
      'a circuit breaker monitoring: goes on',
      { status: 'IN_PROGRESS', circuitBreaker: { status: 'MONITORING', failureCount: 1 } },
      undefined,
    ],
    [
      'a status of the future fails it, named',
      { status: 'SOMETHING_ELSE' },
      { state: 'FAILED', reason: 'ECS reports the deployment SOMETHING_ELSE' },
    ],
  ])('%s', (_, change, expected) => {
    expect(judge(record(change))).toEqual(expected);
  });

  it('a stopped deployment that a newer one replaced completed (the newer one reads the current versions)', () => {
    const newer = { arn: `${ARN}-newer`, status: 'IN_PROGRESS' };
    expect(judgeServiceDeployment(record({ status: 'STOPPED' }), T0, minutesAfter(5), 60, newer)).toEqual({
      state: 'COMPLETED',
      reason: `superseded by deployment ${ARN}-newer`,
    });
    // A rollback stays a failure, whatever came after it.
    expect(judgeServiceDeployment(record({ status: 'ROLLBACK_SUCCESSFUL' }), T0, minutesAfter(5), 60, newer)?.state).toBe('FAILED');
  });

  describe('the deployment timeout counts from the end of the bake', () => {
    const blueGreen = (change: Partial<ServiceDeploymentRecord> = {}) =>
      record({ strategy: { name: 'BLUE_GREEN', bakeTimeInMinutes: 90 }, lifecycleStage: 'BAKE_TIME', ...change });

    it.each<[string, ServiceDeploymentRecord, number, 'FAILED' | undefined]>([
      ['a rolling update past the timeout', record(), 61, 'FAILED'],
      ['a rolling update within it', record(), 59, undefined],
      ['blue/green baking 90 min, 120 min in: within bake + timeout', blueGreen(), 120, undefined],
      ['blue/green, 150 min in: the bake plus 60', blueGreen(), 150, undefined],
      ['blue/green, 151 min in: past it', blueGreen(), 151, 'FAILED'],
      [
        'canary 30 + bake 20, 100 min in',
        record({ strategy: { name: 'CANARY', bakeTimeInMinutes: 20, canary: { canaryBakeTimeInMinutes: 30 } } }),
        100,
        undefined,
      ],
      [
        'canary 30 + bake 20, 111 min in',
        record({ strategy: { name: 'CANARY', bakeTimeInMinutes: 20, canary: { canaryBakeTimeInMinutes: 30 } } }),
        111,
        'FAILED',
      ],
      [
        'linear 4 steps (3 waits of 10 min), 91 min in',
        record({ strategy: { name: 'LINEAR', linear: { stepPercent: 25, stepBakeTimeInMinutes: 10 } } }),
        91,
        'FAILED',
      ],
      [
        'linear 4 steps (3 waits of 10 min), 90 min in',
        record({ strategy: { name: 'LINEAR', linear: { stepPercent: 25, stepBakeTimeInMinutes: 10 } } }),
        90,
        undefined,
      ],
      [
        'held at a lifecycle hook, waits like any deployment in progress',
        blueGreen({ lifecycleStage: 'PRE_SCALE_UP', hooks: [{ status: 'AWAITING_ACTION', targetType: 'PAUSE' }] }),
        120,
        undefined,
      ],
    ])('%s', (_, deployment, minutes, state) => {
      expect(judge(deployment, minutes)?.state).toBe(state);
    });

    it('says which bake it waited for, and where the deployment stood', () => {
      expect(judge(record({ strategy: { name: 'BLUE_GREEN', bakeTimeInMinutes: 90 }, lifecycleStage: 'BAKE_TIME' }), 151)).toEqual({
        state: 'FAILED',
        reason: 'still in progress after 151 minutes (deploymentTimeoutMinutes 60 after a bake of 90 minutes); IN_PROGRESS, BAKE_TIME',
      });
    });

    it('never fails with a timeout of 0', () => {
      expect(pastTimeout(T0, minutesAfter(10_000), 0, 0)).toBeUndefined();
    });

    it('the rolloutState fallback waits for the bake too (the strategy from DescribeServices)', () => {
      const service = {
        strategy: { name: 'BLUE_GREEN', bakeTimeInMinutes: 90 },
        deployments: [{ id: 'ecs-svc/1', status: 'PRIMARY', rolloutState: 'IN_PROGRESS' }],
      };
      expect(polledDeployment(service, 'ecs-svc/1', T0, minutesAfter(120), 60)).toBeUndefined();
      expect(polledDeployment(service, 'ecs-svc/1', T0, minutesAfter(151), 60)).toEqual({
        state: 'FAILED',
        reason: 'still in progress after 151 minutes (deploymentTimeoutMinutes 60 after a bake of 90 minutes)',
      });
    });
  });
});

describe('a deployment as status shows it', () => {
  it.each<[Partial<ServiceDeploymentRecord>, string, boolean]>([
    [{ status: 'IN_PROGRESS', lifecycleStage: 'BAKE_TIME' }, 'IN_PROGRESS, BAKE_TIME', false],
    [{ status: 'PENDING' }, 'PENDING', false],
    [
      { status: 'IN_PROGRESS', lifecycleStage: 'POST_TEST_TRAFFIC_SHIFT', hooks: [{ status: 'AWAITING_ACTION', targetType: 'PAUSE' }] },
      'IN_PROGRESS, held by a hook at POST_TEST_TRAFFIC_SHIFT',
      true,
    ],
    [{ status: 'IN_PROGRESS', hooks: [{ status: 'IN_PROGRESS', targetType: 'AWS_LAMBDA' }] }, 'IN_PROGRESS, held by a hook', true],
    [{ status: 'IN_PROGRESS', hooks: [{ status: 'SUCCEEDED' }] }, 'IN_PROGRESS', false],
    [{ status: 'SUCCESSFUL', lifecycleStage: 'CLEAN_UP', hooks: [{ status: 'AWAITING_ACTION' }] }, 'SUCCESSFUL, CLEAN_UP', false],
  ])('%j: %s', (change, text, held) => {
    expect(describeServiceDeployment(record(change))).toBe(text);
    expect(heldAtHook(record(change))).toBe(held);
  });

  it('its bake ends the strategy bake after its start; never for a strategy that bakes nothing', () => {
    expect(bakeEndsAt(record({ strategy: { name: 'BLUE_GREEN', bakeTimeInMinutes: 90 } }))).toBe(minutesAfter(90).toISOString());
    expect(bakeEndsAt(record({ strategy: { name: 'ROLLING' } }))).toBeUndefined();
    expect(
      bakeEndsAt(record({ startedAt: undefined, createdAt: undefined, strategy: { name: 'BLUE_GREEN', bakeTimeInMinutes: 9 } })),
    ).toBeUndefined();
  });
});

describe('oursAfterClaim: the deployment our UpdateService made', () => {
  it('is the first one ECS created after the claim', () => {
    const briefs = [
      { arn: 'later', status: 'IN_PROGRESS', createdAt: minutesAfter(3).toISOString() },
      { arn: 'ours', status: 'IN_PROGRESS', createdAt: minutesAfter(0.01).toISOString() },
      { arn: 'before', status: 'SUCCESSFUL', createdAt: minutesAfter(-10).toISOString() },
    ];
    expect(oursAfterClaim(briefs, T0)?.arn).toBe('ours');
    expect(oursAfterClaim([], T0)).toBeUndefined();
    expect(mayBeOurs({ arn: 'x', status: 'IN_PROGRESS', createdAt: minutesAfter(-1).toISOString() }, T0)).toBe(false);
    expect(mayBeOurs({ arn: 'x', status: 'IN_PROGRESS', createdAt: T0 }, T0)).toBe(true);
    expect(mayBeOurs({ arn: 'x', status: 'IN_PROGRESS' }, T0)).toBe(true);
    // Created at the claim's instant, but finished by then: an older one.
    expect(oursAfterClaim([{ arn: 'older', status: 'ROLLBACK_SUCCESSFUL', createdAt: T0, finishedAt: T0 }], T0)).toBeUndefined();
  });
});
