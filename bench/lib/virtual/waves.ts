/**
 * A rollout in waves, on the in-memory ports in virtual time: n services tagged
 * `ecs-secret-redeploy:wave` 1, 2, 3, one secret rotated, ECS's UpdateService bucket, the
 * reconciler as deployed (its Lambda timeout and margin, reserved concurrency 1, one warm
 * container). Every deployment ends COMPLETED a few minutes after it was created (a fixed
 * pseudo-random draw per deployment). Three scenarios:
 * - `events`: ECS's "ECS Deployment State Change" events reach the reconciler when each deployment
 *   ends (the last one of a wave releases the next);
 * - `schedule`: those events are lost; the reconcile schedule (every 30 minutes as deployed) polls
 *   ECS's deployment records (DescribeServiceDeployments, 20 per call) and releases the next wave;
 * - `schedule-rollout-state`: the same where ECS offers no deployment records (an older endpoint):
 *   the poll reads DescribeServices' rolloutState, as every poll did before the records.
 */
import { rebuildIndex } from '../../../functions/app/refresh-index';
import type { Counts } from '../../../test/kit/call-counter';
import { deploymentChange, scheduledEvent, secretEvents } from '../../../test/kit/events';
import { fakeWorld, seedFakes } from '../../../test/kit/fakes/fake-world';
import { type Invocation, ReconcilerQueue } from '../../../test/kit/fakes/invocations';
import { rotatedSecretName, syntheticPlan, tagWaves } from '../../../test/kit/simulated-account';
import { ACCOUNT, REGION } from '../../../test/kit/test-account';
import { ECS_UPDATE_SERVICE, type Rate } from './mass-rotation';
import { countPortCalls } from './port-calls';

export interface WavesSettings {
  /** Services per wave, wave 1 first. */
  waves: number[];
  ours: Rate;
  lambdaSeconds: number;
  /** A deployment takes from `min` to `max` minutes to complete. */
  deploymentMinutes: { min: number; max: number };
  scheduleMinutes: number;
}

export interface WaveFigures {
  wave: number;
  services: number;
  /** Seconds from the rotation: first UpdateService, last UpdateService, last deployment completed. */
  start: number;
  updatesEnd: number;
  deploymentsEnd: number;
  /** Seconds from this wave's last deployment ending to the next wave's first UpdateService (undefined for the last wave). */
  waitForNext?: number;
}

/** Calls by what started the invocations. */
export interface CallsByTrigger {
  trigger: string;
  invocations: number;
  counts: Counts;
}

export interface WavesResult {
  scenario: WavesScenario;
  settings: WavesSettings;
  waves: WaveFigures[];
  /** Seconds from the rotation to the rollout recorded completed (undefined if it never was). */
  completedAt?: number;
  /** Every service redeployed exactly once; waves in order (a wave starts after every deployment of the one before ended). */
  exactlyOnce: boolean;
  inOrder: boolean;
  calls: CallsByTrigger[];
  wallMs: number;
}

/** A fixed pseudo-random sequence (mulberry32), so that every run draws the same durations. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type WavesScenario = 'events' | 'schedule' | 'schedule-rollout-state';

/** The scenario as the report names it. */
export function wavesScenarioText(scenario: WavesScenario): string {
  if (scenario === 'events') return 'deployment events';
  return scenario === 'schedule' ? 'events lost, schedule polls deployment records' : 'events lost, schedule polls rolloutState';
}

export async function wavesRollout(scenario: WavesScenario, settings: WavesSettings): Promise<WavesResult> {
  const started = performance.now();
  const n = settings.waves.reduce((a, b) => a + b, 0);
  const world = fakeWorld({ updateRate: settings.ours.perSecond, updateBurst: settings.ours.burst, notificationBus: 'default' });
  const plan = tagWaves(syntheticPlan(n, [n]), settings.waves);
  const seeded = seedFakes(world, plan);
  await rebuildIndex(world.ports);
  const calls = countPortCalls(world);
  calls.take();
  world.ecs.throttleUpdatesLike(ECS_UPDATE_SERVICE);
  world.ecs.offersServiceDeployments = scenario !== 'schedule-rollout-state';
  const waveOf = new Map(
    plan.services.map((s) => [seeded.serviceArns.get(s.name) as string, Number(s.tags?.['ecs-secret-redeploy:wave'])]),
  );

  const origin = { account: ACCOUNT, region: REGION };
  const secretArn = seeded.secrets.get(rotatedSecretName(n))?.arn as string;
  world.secrets.rotate(secretArn);
  const t0 = world.clock.now().getTime();
  const queue = new ReconcilerQueue(world, settings.lambdaSeconds);
  queue.deliver('rotation event', secretEvents(secretArn, origin).putSecretValue(), t0);

  // Each deployment's end, drawn when it is first seen; settled in ECS once its time has come.
  const draw = random(11);
  const ends = new Map<string, { serviceArn: string; at: number; settled: boolean }>();
  const beforeEach = (now: number) => {
    for (const u of world.ecs.updates) {
      if (ends.has(u.deploymentId)) continue;
      const minutes = settings.deploymentMinutes.min + draw() * (settings.deploymentMinutes.max - settings.deploymentMinutes.min);
      const at = u.at + Math.round(minutes * 60_000);
      ends.set(u.deploymentId, { serviceArn: u.serviceArn, at, settled: false });
      if (scenario === 'events')
        queue.deliver('deployment event', deploymentChange(u.serviceArn, 'SERVICE_DEPLOYMENT_COMPLETED', u.deploymentId, origin), at);
    }
    for (const [id, end] of ends) {
      if (end.settled || end.at > now) continue;
      world.ecs.settle(id, 'COMPLETED');
      end.settled = true;
    }
  };

  // Calls by what started each invocation: a deployment event, a continuation, the schedule.
  const byTrigger = new Map<string, CallsByTrigger>();
  const afterEach = (done: Invocation) => {
    // A deployment event either only records how the deployment ended (the waiting), or also moves the rollout on.
    const moved = done.outcome.kind === 'deployment' && done.outcome.progress.secrets.some((s) => s.report);
    const kind = done.kind === 'deployment event' ? `deployment event, ${moved ? 'moved the rollout on' : 'recorded only'}` : done.kind;
    const entry = byTrigger.get(kind) ?? { trigger: kind, invocations: 0, counts: new Map() };
    entry.invocations += 1;
    for (const [op, count] of calls.take()) entry.counts.set(op, (entry.counts.get(op) ?? 0) + count);
    byTrigger.set(kind, entry);
  };
  const completed = () => world.ledger.secrets.get(secretArn)?.rollout?.status === 'completed';
  const horizon = t0 + 6 * 3600_000;
  let tick = t0 + settings.scheduleMinutes * 60_000;
  while (!completed() && world.clock.now().getTime() < horizon) {
    if (scenario !== 'events') {
      queue.deliver('scheduled reconcile', scheduledEvent(origin), tick);
      tick += settings.scheduleMinutes * 60_000;
      await queue.run({ until: tick - 1, beforeEach, afterEach });
    } else {
      await queue.run({ beforeEach, afterEach });
      break;
    }
  }

  const perService = world.ecs.updatesPerService();
  const exactlyOnce = [...seeded.serviceArns.values()].every((arn) => perService.get(arn) === 1);
  const figures: WaveFigures[] = settings.waves.map((count, i) => {
    const wave = i + 1;
    const updates = world.ecs.updates.filter((u) => waveOf.get(u.serviceArn) === wave);
    const deploymentEnds = updates.map((u) => ends.get(u.deploymentId)?.at ?? Number.NaN);
    return {
      wave,
      services: count,
      start: (Math.min(...updates.map((u) => u.at)) - t0) / 1000,
      updatesEnd: (Math.max(...updates.map((u) => u.at)) - t0) / 1000,
      deploymentsEnd: (Math.max(...deploymentEnds) - t0) / 1000,
    };
  });
  figures.forEach((f, i) => {
    if (i + 1 < figures.length) f.waitForNext = figures[i + 1].start - f.deploymentsEnd;
  });
  const rollout = world.ledger.secrets.get(secretArn)?.rollout;
  const completedAt = rollout?.status === 'completed' ? rollout.completedAt : undefined;
  return {
    scenario,
    settings,
    waves: figures,
    completedAt: completedAt ? (Date.parse(completedAt) - t0) / 1000 : undefined,
    exactlyOnce,
    inOrder: figures.every((f, i) => i === 0 || f.start >= figures[i - 1].deploymentsEnd),
    calls: [...byTrigger.values()],
    wallMs: performance.now() - started,
  };
}
