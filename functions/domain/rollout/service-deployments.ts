/**
 * ECS's own records of a service's deployments (ListServiceDeployments,
 * DescribeServiceDeployments, since 2024; blue/green, linear and canary since July 2025): how a
 * deployment this service made for a rollout ended, in ECS's words. Pure: the records as the ECS
 * port returns them, the verdict as a value.
 */

import { type DeploymentStrategy, expectedBakeMinutes } from '../inventory/service';

/** A service deployment as ListServiceDeployments lists it. */
export interface ServiceDeploymentBrief {
  arn: string;
  serviceArn?: string;
  /** PENDING, IN_PROGRESS, SUCCESSFUL, STOPPED, STOP_REQUESTED, ROLLBACK_REQUESTED, ROLLBACK_IN_PROGRESS, ROLLBACK_SUCCESSFUL, ROLLBACK_FAILED. */
  status: string;
  statusReason?: string;
  createdAt?: string;
  startedAt?: string;
  finishedAt?: string;
}

/** A service deployment as DescribeServiceDeployments shows it. */
export interface ServiceDeploymentRecord extends ServiceDeploymentBrief {
  /** RECONCILE_SERVICE, PRE_SCALE_UP, SCALE_UP, ..., BAKE_TIME, CLEAN_UP. */
  lifecycleStage?: string;
  /** Lifecycle hooks of the deployment, with their state (AWAITING_ACTION, IN_PROGRESS, SUCCEEDED, FAILED, TIMED_OUT). */
  hooks?: Array<{ status?: string; targetType?: string; expiresAt?: string }>;
  /** The strategy the deployment runs (its `deploymentConfiguration`). */
  strategy?: DeploymentStrategy;
  /** Status TRIGGERED once the circuit breaker found the deployment failed. */
  circuitBreaker?: { status?: string; failureCount?: number; threshold?: number };
  /** Status TRIGGERED once one of the alarms fired; `triggered` names them. */
  alarms?: { status?: string; triggered: string[] };
  /** Why ECS rolled it back. */
  rollbackReason?: string;
}

/** ECS's deployment records cannot be read here: why (the endpoint lacks the operation, or the role may not call it). */
export interface NotOffered {
  notOffered: string;
}

export function isNotOffered(value: unknown): value is NotOffered {
  return typeof value === 'object' && value !== null && 'notOffered' in value;
}

const ROLLING_BACK = new Set(['ROLLBACK_REQUESTED', 'ROLLBACK_IN_PROGRESS', 'ROLLBACK_SUCCESSFUL', 'ROLLBACK_FAILED']);
const STOPPED = new Set(['STOPPED', 'STOP_REQUESTED']);
const GOING_ON = new Set(['PENDING', 'IN_PROGRESS']);

/**
 * The deployment this service made after its claim: the first one ECS created at or after the
 * claim time (a later one is someone else's, or a newer deploy); one that had finished by the
 * claim is older, whatever its creation time says. Undefined when ECS lists none.
 */
export function oursAfterClaim(briefs: ServiceDeploymentBrief[], claimedAt: string): ServiceDeploymentBrief | undefined {
  const after = briefs.filter((b) => mayBeOurs(b, claimedAt));
  return after.sort((a, b) => Date.parse(a.createdAt ?? '') - Date.parse(b.createdAt ?? ''))[0];
}

/**
 * False for a deployment that cannot be the one our UpdateService started after `claimedAt`: ECS
 * created it before the claim, or it had finished by then.
 */
export function mayBeOurs(deployment: ServiceDeploymentBrief, claimedAt: string): boolean {
  const claim = Date.parse(claimedAt);
  if (deployment.createdAt !== undefined && Date.parse(deployment.createdAt) < claim) return false;
  return !(deployment.finishedAt && Date.parse(deployment.finishedAt) <= claim);
}

/** True for a deployment ECS stopped (or is stopping): a newer one may have replaced it. */
export function stopped(deployment: ServiceDeploymentBrief): boolean {
  return STOPPED.has(deployment.status);
}

/** The hook holding the deployment now (one awaiting action or running), if any. */
export function heldAtHook(deployment: ServiceDeploymentRecord): boolean {
  return (
    GOING_ON.has(deployment.status) && (deployment.hooks ?? []).some((h) => h.status === 'AWAITING_ACTION' || h.status === 'IN_PROGRESS')
  );
}

/** Where a deployment stands, as a person reads it: `IN_PROGRESS, BAKE_TIME`, `IN_PROGRESS, held by a hook at PRE_SCALE_UP`. */
export function describeServiceDeployment(deployment: ServiceDeploymentRecord): string {
  const stage = deployment.lifecycleStage;
  if (heldAtHook(deployment)) return `${deployment.status}, held by a hook${stage ? ` at ${stage}` : ''}`;
  return stage ? `${deployment.status}, ${stage}` : deployment.status;
}

/**
 * When the deployment's bake ends at the earliest: its start (else its creation) plus the bake
 * its strategy prescribes. Undefined for a strategy that bakes nothing, or without a start.
 */
export function bakeEndsAt(deployment: ServiceDeploymentRecord, strategy = deployment.strategy): string | undefined {
  const bake = expectedBakeMinutes(strategy);
  const start = deployment.startedAt ?? deployment.createdAt;
  if (bake === 0 || !start) return undefined;
  return new Date(Date.parse(start) + bake * 60_000).toISOString();
}

/** How a deployment ended, as the rollout records it; undefined while it goes on. */
export type Ended = { state: 'COMPLETED' | 'FAILED'; reason?: string };

/**
 * What ECS's record says of a deployment recorded IN_PROGRESS since `since`: SUCCESSFUL
 * completes it; a rollback (requested, in progress or done), a stop, and a circuit breaker or an
 * alarm that tripped while it goes on fail it, with ECS's reason (the alarms by name). One still
 * going on (pending, in progress, held at a lifecycle hook) fails only past `timeoutMinutes`
 * (0: never) counted from the end of the bake its strategy prescribes: a long bake is ECS doing
 * what it was told, never a reason to halt by itself. A stopped one that `newer` replaced completed.
 */
export function judgeServiceDeployment(
  deployment: ServiceDeploymentRecord,
  since: string,
  now: Date,
  timeoutMinutes: number,
  newer?: ServiceDeploymentBrief,
): Ended | undefined {
  // A newer deployment (the team's own, another secret's) replaced it: its tasks read the current versions too.
  if (newer && STOPPED.has(deployment.status)) return { state: 'COMPLETED', reason: `superseded by deployment ${newer.arn}` };
  if (deployment.status === 'SUCCESSFUL')
    return { state: 'COMPLETED', ...(deployment.statusReason ? { reason: deployment.statusReason } : {}) };
  const tripped = trippedBy(deployment);
  if (ROLLING_BACK.has(deployment.status)) {
    return { state: 'FAILED', reason: reasonText(`ECS rolled the deployment back (${deployment.status})`, tripped, deployment) };
  }
  if (STOPPED.has(deployment.status)) {
    return { state: 'FAILED', reason: reasonText(`ECS stopped the deployment (${deployment.status})`, tripped, deployment) };
  }
  if (tripped.length > 0) return { state: 'FAILED', reason: reasonText(`deployment ${deployment.status}`, tripped, deployment) };
  if (!GOING_ON.has(deployment.status)) {
    return { state: 'FAILED', reason: reasonText(`ECS reports the deployment ${deployment.status}`, [], deployment) };
  }
  const where = describeServiceDeployment(deployment);
  return pastTimeout(since, now, timeoutMinutes, expectedBakeMinutes(deployment.strategy), where === deployment.status ? undefined : where);
}

/**
 * A deployment still going on `minutes` after `since`: failed once the deployment timeout has
 * passed after the strategy's bake (without the circuit breaker ECS never ends a stuck one, and
 * the waves after it would wait for ever). `waited` names the bake in the reason (a CodeDeploy
 * group's ready and termination waits count the same way).
 */
export function pastTimeout(
  since: string,
  now: Date,
  timeoutMinutes: number,
  bakeMinutes: number,
  where?: string,
  waited = 'a bake of',
): Ended | undefined {
  const minutes = (now.getTime() - Date.parse(since)) / 60_000;
  if (timeoutMinutes <= 0 || minutes <= timeoutMinutes + bakeMinutes) return undefined;
  const bake = bakeMinutes > 0 ? ` after ${waited} ${bakeMinutes} minutes` : '';
  const at = where ? `; ${where}` : '';
  return {
    state: 'FAILED',
    reason: `still in progress after ${Math.floor(minutes)} minutes (deploymentTimeoutMinutes ${timeoutMinutes}${bake})${at}`,
  };
}

function trippedBy(deployment: ServiceDeploymentRecord): string[] {
  const found: string[] = [];
  const { alarms, circuitBreaker } = deployment;
  if (alarms?.status === 'TRIGGERED' || (alarms?.triggered.length ?? 0) > 0) {
    found.push(alarms?.triggered.length ? `alarm ${alarms.triggered.join(', ')} triggered` : 'an alarm triggered');
  }
  if (circuitBreaker?.status === 'TRIGGERED') {
    const count = circuitBreaker.failureCount !== undefined ? ` after ${circuitBreaker.failureCount} failed task(s)` : '';
    found.push(`the circuit breaker tripped${count}`);
  }
  return found;
}

function reasonText(what: string, tripped: string[], deployment: ServiceDeploymentRecord): string {
  const parts = [what + (tripped.length > 0 ? `: ${tripped.join('; ')}` : '')];
  for (const detail of [deployment.statusReason, deployment.rollbackReason]) {
    if (detail && !parts.includes(detail)) parts.push(detail);
  }
  return parts.join('; ');
}
