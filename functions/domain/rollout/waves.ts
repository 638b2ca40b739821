/**
 * Waves: a rollout of a secret's new versions releases its due services one wave at a time
 * (tag `ecs-secret-redeploy:wave`, lower first); a wave starts only when every deployment of the
 * waves before it has COMPLETED, and a FAILED deployment halts the rollout until someone resumes
 * it or a newer version starts a new one. Pure: the members and the rollout as the ledger has
 * them, the decision as a value.
 */

import { type Deployment, type DeploymentStrategy, expectedBakeMinutes } from '../inventory/service';
import type { FailedDeployment, Rollout } from './rollout';
import { pastTimeout } from './service-deployments';

/** Tag whose integer value puts a service in a wave. */
export const WAVE_TAG = 'ecs-secret-redeploy:wave';

/** ECS's rollout state of a deployment (ECS Deployment State Change, or DescribeServices' rolloutState). */
export type DeploymentState = 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';

/** The wave of a service from its tags; a tag that is not an integer is a warning and the default. */
export function waveOf(tags: Record<string, string>, defaultWave: number): { wave: number; warning?: string } {
  const raw = tags[WAVE_TAG];
  if (raw === undefined) return { wave: defaultWave };
  const value = raw.trim();
  if (/^-?\d{1,9}$/.test(value)) return { wave: Number(value) };
  return { wave: defaultWave, warning: `tag ${WAVE_TAG}="${raw}" is not an integer: wave ${defaultWave}` };
}

/** A consumer that takes part in a rollout. */
export type Member =
  /** Behind and eligible: to be redeployed in its wave. */
  | { kind: 'due'; serviceArn: string; name: string; wave: number }
  /** Behind and eligible, but outside its restart window: it holds the waves after its own back, as a deployment in progress does. */
  | { kind: 'held'; serviceArn: string; name: string; wave: number }
  /** Redeployed in this rollout; its deployment's state as ECS last told. */
  | { kind: 'deployed'; serviceArn: string; name: string; wave: number; state: DeploymentState; deploymentId?: string; reason?: string };

/** What a rollout may do now. */
export interface WaveDecision {
  /** The wave whose due members may be redeployed now; `all` with --all-waves; undefined: none. */
  release: number | 'all' | undefined;
  /** Due members held back, with why. */
  waiting: Map<string, string>;
  /** True when they are held because the rollout halted (they wait for `resume`), not for a wave. */
  halted: boolean;
  /** A state change to record (once: the write is conditional). */
  transition?: { to: 'halted'; wave: number; failed: FailedDeployment[] } | { to: 'completed'; waves: number[] };
}

/**
 * The decision for a rollout's members (`rollout`: as recorded; none before its first wave
 * went). `allWaves` (a manual emergency) releases every due member at once, halted or not.
 */
export function decideWaves(members: Member[], rollout: Rollout | undefined, allWaves = false): WaveDecision {
  const due = members.filter((m) => m.kind === 'due');
  const held = members.filter((m) => m.kind === 'held');
  const deployed = members.filter((m): m is Extract<Member, { kind: 'deployed' }> => m.kind === 'deployed');
  const waiting = new Map<string, string>();
  if (allWaves) return { release: due.length > 0 ? 'all' : undefined, waiting, halted: false };

  const failed = deployed.filter((m) => m.state === 'FAILED');
  if (rollout?.status === 'halted' || failed.length > 0) {
    const halt =
      rollout?.status === 'halted' ? rollout.halted : { wave: Math.min(...failed.map((f) => f.wave)), failed: failed.map(toFailed) };
    const names = halt.failed.map((f) => members.find((m) => m.serviceArn === f.serviceArn)?.name ?? f.serviceArn).join(', ');
    for (const m of due)
      waiting.set(m.serviceArn, `rollout halted at wave ${halt.wave}: the deployment of ${names} failed; resume it once fixed`);
    const transition = rollout?.status === 'halted' ? undefined : { to: 'halted' as const, wave: halt.wave, failed: halt.failed };
    return { release: undefined, waiting, halted: true, ...(transition ? { transition } : {}) };
  }

  if (due.length === 0) {
    const inFlight = deployed.some((m) => m.state === 'IN_PROGRESS');
    const completes = !inFlight && held.length === 0 && deployed.length > 0 && rollout?.status === 'in-progress';
    return {
      release: undefined,
      waiting,
      halted: false,
      ...(completes ? { transition: { to: 'completed' as const, waves: wavesOf(deployed) } } : {}),
    };
  }

  const next = Math.min(...due.map((m) => m.wave));
  const blocking = deployed.filter((m) => m.wave < next && m.state === 'IN_PROGRESS');
  const holding = held.filter((m) => m.wave < next);
  if (blocking.length > 0 || holding.length > 0) {
    const blockedBy = Math.min(...[...blocking, ...holding].map((m) => m.wave));
    const why = [
      ...(blocking.length > 0 ? [`${blocking.length} deployment(s) in progress: ${namesOf(blocking)}`] : []),
      ...(holding.length > 0 ? [`${holding.length} waiting for a restart window: ${namesOf(holding)}`] : []),
    ].join('; ');
    for (const m of due) waiting.set(m.serviceArn, `wave ${m.wave}: waits for wave ${blockedBy} (${why})`);
    return { release: undefined, waiting, halted: false };
  }
  for (const m of due) if (m.wave !== next) waiting.set(m.serviceArn, `wave ${m.wave}: waits for wave ${next} to complete`);
  return { release: next, waiting, halted: false };
}

/** At most five names, then how many more. */
function namesOf(members: Member[]): string {
  const names = members.map((m) => m.name).sort();
  return names.length > 5 ? `${names.slice(0, 5).join(', ')} and ${names.length - 5} more` : names.join(', ');
}

function toFailed(m: Extract<Member, { kind: 'deployed' }>): FailedDeployment {
  return {
    serviceArn: m.serviceArn,
    ...(m.deploymentId ? { deploymentId: m.deploymentId } : {}),
    ...(m.reason ? { reason: m.reason } : {}),
  };
}

function wavesOf(members: Member[]): number[] {
  return [...new Set(members.map((m) => m.wave))].sort((a, b) => a - b);
}

/**
 * What polling ECS (the schedule's fallback for missed deployment events, where ECS's deployment
 * records are not offered) says of a deployment recorded IN_PROGRESS: how it ended, or undefined
 * while it goes on. A deployment ECS no longer lists was replaced by a newer one, whose tasks read
 * the current versions too: completed. Past `timeoutMinutes` (0: never) after the bake its
 * service's strategy prescribes, one still in progress counts as failed: without the circuit
 * breaker ECS never reports FAILED, and the waves after it would wait for ever.
 */
export function polledDeployment(
  service: { deployments: Deployment[]; strategy?: DeploymentStrategy } | undefined,
  deploymentId: string | undefined,
  startedAt: string,
  now: Date,
  timeoutMinutes: number,
): { state: 'COMPLETED' | 'FAILED'; reason?: string } | undefined {
  if (!service) return { state: 'COMPLETED', reason: 'the service no longer exists' };
  const deployment = service.deployments.find((d) => d.id === deploymentId);
  if (!deployment) {
    const primary = service.deployments.find((d) => d.status === 'PRIMARY')?.id;
    return { state: 'COMPLETED', reason: primary ? `superseded by deployment ${primary}` : 'no longer listed by ECS' };
  }
  if (deployment.rolloutState === 'COMPLETED' || deployment.rolloutState === 'FAILED') {
    return { state: deployment.rolloutState, ...(deployment.rolloutStateReason ? { reason: deployment.rolloutStateReason } : {}) };
  }
  return pastTimeout(startedAt, now, timeoutMinutes, expectedBakeMinutes(service.strategy));
}
