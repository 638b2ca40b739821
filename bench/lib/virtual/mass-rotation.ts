/**
 * One rotation of a secret that k services use, under ECS's UpdateService bucket, run as the
 * deployed reconciler runs it: a Lambda invocation of a fixed timeout that stops claiming its
 * margin before the end and continues at once in a new invocation, the UpdateService bucket
 * carried over. moto cannot throttle, so this runs on the in-memory ports in virtual
 * time (test/kit/fakes): FakeEcs refuses an UpdateService past its token bucket, as ECS does.
 */
import { rebuildIndex } from '../../../functions/app/refresh-index';
import type { Counts } from '../../../test/kit/call-counter';
import { secretEvents } from '../../../test/kit/events';
import { fakeWorld, seedFakes } from '../../../test/kit/fakes/fake-world';
import { ReconcilerQueue } from '../../../test/kit/fakes/invocations';
import { rotatedSecretName, syntheticPlan } from '../../../test/kit/simulated-account';
import { ACCOUNT, REGION } from '../../../test/kit/test-account';
import { countPortCalls } from './port-calls';

/** A token bucket: `burst` tokens, refilled at `perSecond`. */
export interface Rate {
  perSecond: number;
  burst: number;
}

/** ECS's own UpdateService bucket, per account and Region. */
export const ECS_UPDATE_SERVICE: Rate = { burst: 50, perSecond: 5 };

export interface MassRotationSettings {
  k: number;
  /** Our bucket (config updateRate / updateBurst). */
  ours: Rate;
  /** ECS's bucket, which throttles past it. */
  ecs: Rate;
  /** The Lambda timeout; the margin is the stack's (deadlineMarginSeconds). */
  lambdaSeconds: number;
  /**
   * `one`: a single PutSecretValue event; `rotation`: the five events one rotation emits
   * (RotateSecret, PutSecretValue AWSPENDING, UpdateSecretVersionStage, RotationSucceeded, Secret
   * Label Updated), a second apart, each a run of its own.
   */
  events: 'one' | 'rotation';
  label: string;
}

export interface MassRotationResult {
  settings: MassRotationSettings;
  marginSeconds: number;
  /** Services with exactly one UpdateService applied, none, more than one. */
  once: number;
  never: number;
  twice: number;
  /** From the event's invocation to the last UpdateService applied, virtual seconds. */
  seconds: number;
  /** The time no run can beat: the slower of the two buckets, (k - burst) / rate. */
  floorSeconds: number;
  /** The floor at ECS's own bucket: (k - ECS burst) / ECS rate. */
  ecsBucketSeconds: number;
  invocations: number;
  /** UpdateService calls per invocation. */
  updatesPerInvocation: number[];
  /** UpdateService calls ECS refused. */
  throttles: number;
  /** Conditional PutItems on the ledger (claims, records, the rollout row). */
  ledgerWrites: number;
  counts: Counts;
  wallMs: number;
}

/** The fewest seconds k UpdateService calls take through a bucket that starts full. */
export function bucketFloor(k: number, rate: Rate): number {
  return Math.max(0, (k - rate.burst) / rate.perSecond);
}

export async function massRotation(settings: MassRotationSettings): Promise<MassRotationResult> {
  const started = performance.now();
  const { k } = settings;
  const world = fakeWorld({ updateRate: settings.ours.perSecond, updateBurst: settings.ours.burst, notificationBus: 'default' });
  const seeded = seedFakes(world, syntheticPlan(k, [k]));
  await rebuildIndex(world.ports);
  const calls = countPortCalls(world);
  const writesBefore = world.ledger.writes;
  const updateCallsBefore = world.ecs.calls.UpdateService ?? 0;
  world.ecs.throttleUpdatesLike(settings.ecs);

  const secretArn = seeded.secrets.get(rotatedSecretName(k))?.arn as string;
  const version = world.secrets.rotate(secretArn);
  const events = secretEvents(secretArn, { account: ACCOUNT, region: REGION });
  const delivered =
    settings.events === 'one'
      ? [events.putSecretValue()]
      : [
          events.rotateSecret(),
          events.putSecretValue(['AWSPENDING']),
          events.updateSecretVersionStage('AWSCURRENT', version),
          events.rotationSucceeded(),
          events.labelUpdated('AWSCURRENT', version),
        ];
  const t0 = world.clock.now().getTime();
  const queue = new ReconcilerQueue(world, settings.lambdaSeconds);
  delivered.forEach((event, i) => {
    queue.deliver('event', event, t0 + i * 1000);
  });
  const invocations = await queue.run();

  const perService = world.ecs.updatesPerService();
  const counts = [...seeded.serviceArns.values()].map((arn) => perService.get(arn) ?? 0);
  const last = Math.max(t0, ...world.ecs.updates.map((u) => u.at));
  const updatesPerInvocation = invocations.map((i) => world.ecs.updates.filter((u) => u.at >= i.start && u.at <= i.end).length);
  return {
    settings,
    marginSeconds: world.ports.config.deadlineMarginSeconds,
    once: counts.filter((n) => n === 1).length,
    never: counts.filter((n) => n === 0).length,
    twice: counts.filter((n) => n > 1).length,
    seconds: (last - t0) / 1000,
    floorSeconds: Math.max(bucketFloor(k, settings.ecs), bucketFloor(k, settings.ours)),
    ecsBucketSeconds: bucketFloor(k, settings.ecs),
    invocations: invocations.length,
    updatesPerInvocation,
    throttles: (world.ecs.calls.UpdateService ?? 0) - updateCallsBefore - world.ecs.updates.length,
    ledgerWrites: world.ledger.writes - writesBefore,
    counts: calls.take(),
    wallMs: performance.now() - started,
  };
}
