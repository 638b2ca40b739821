/**
 * CodeDeploy deployment groups as the rules see them: which group deploys a CODE_DEPLOY service
 * (the one whose `ecsServices` names its cluster and service: none or several is reported, never
 * guessed), whether one of its deployments is active (CodeDeploy runs one at a time per group),
 * and how long its blue/green waits last by design. Pure.
 */

import { lastPathSegment } from '../identity/arn';
import type { ServiceSnapshot } from '../inventory/service';

/** A group's (or a deployment's) blue/green waits, as `blueGreenDeploymentConfiguration` and the deployment configuration hold them. */
export interface BlueGreenWaits {
  /** `deploymentReadyOption`: STOP_DEPLOYMENT waits up to `minutes` for traffic to be rerouted by hand; CONTINUE_DEPLOYMENT reroutes at once. */
  ready?: { action: string; minutes: number };
  /** `terminateBlueInstancesOnDeploymentSuccess`: TERMINATE deletes the original (blue) task set `minutes` after the traffic shift. */
  termination?: { action: string; minutes: number };
  /** CodeDeployDefault.ECSAllAtOnce, ECSLinear10PercentEvery1Minutes, a custom configuration... */
  deploymentConfigName?: string;
}

/** A deployment group of an ECS application, as BatchGetDeploymentGroups shows it. */
export interface DeploymentGroup extends BlueGreenWaits {
  application: string;
  name: string;
  /** The ECS services it deploys, by cluster name and service name. */
  ecsServices: Array<{ clusterName: string; serviceName: string }>;
  /** The target groups of its load balancer info (production and test), by name. */
  targetGroups: string[];
  /** Its most recent deployment (`lastAttemptedDeployment`), whatever its status. */
  lastAttempted?: { deploymentId: string; status: string; createTime?: string };
}

/** Where a group is named in reports and records: `application/group`. */
export function groupName(group: Pick<DeploymentGroup, 'application' | 'name'>): string {
  return `${group.application}/${group.name}`;
}

/** The group of a CODE_DEPLOY service, or why there is none to use. */
export type GroupLookup =
  | { kind: 'found'; group: DeploymentGroup }
  | { kind: 'none' }
  | { kind: 'several'; groups: string[] }
  /** CodeDeploy could not be read (a refused permission, a failing call): the service waits for a run that can. */
  | { kind: 'unreadable'; reason: string };

/** True when `group` deploys this service: its `ecsServices` names the service's cluster and name. */
export function deploys(
  group: Pick<DeploymentGroup, 'ecsServices'>,
  service: Pick<ServiceSnapshot, 'clusterArn' | 'serviceName'>,
): boolean {
  const cluster = lastPathSegment(service.clusterArn);
  return group.ecsServices.some((s) => s.serviceName === service.serviceName && lastPathSegment(s.clusterName) === cluster);
}

/** The one group among `groups` that deploys the service: none or several are reported as such. */
export function groupOf(service: Pick<ServiceSnapshot, 'clusterArn' | 'serviceName'>, groups: DeploymentGroup[]): GroupLookup {
  const matching = groups.filter((g) => deploys(g, service));
  if (matching.length === 1) return { kind: 'found', group: matching[0] };
  if (matching.length === 0) return { kind: 'none' };
  return { kind: 'several', groups: matching.map(groupName).sort() };
}

/** Why a lookup found no group to use, for the report. */
export function noGroupReason(
  lookup: Exclude<GroupLookup, { kind: 'found' }>,
  service: Pick<ServiceSnapshot, 'clusterArn' | 'serviceName'>,
): string {
  const named = `${lastPathSegment(service.clusterArn)}/${service.serviceName}`;
  if (lookup.kind === 'none') return `no CodeDeploy deployment group deploys ${named}: redeploy it through CodeDeploy yourself`;
  if (lookup.kind === 'several')
    return `${lookup.groups.length} CodeDeploy deployment groups deploy ${named} (${lookup.groups.join(', ')}): not guessed, redeploy it yourself`;
  return `CodeDeploy could not be read (${lookup.reason}); the next run tries again`;
}

/** CodeDeploy's statuses of a deployment that has not ended: the group takes no other until it ends. */
export const ACTIVE_STATUSES: ReadonlySet<string> = new Set(['Created', 'Queued', 'InProgress', 'Baking', 'Ready']);

/** The group's deployment still running (CodeDeploy refuses a second one), if any. */
export function activeDeployment(group: Pick<DeploymentGroup, 'lastAttempted'>): DeploymentGroup['lastAttempted'] | undefined {
  const last = group.lastAttempted;
  return last && ACTIVE_STATUSES.has(last.status) ? last : undefined;
}

const LINEAR = /^CodeDeployDefault\.ECSLinear(\d+)PercentEvery(\d+)Minutes?$/;
const CANARY = /^CodeDeployDefault\.ECSCanary(\d+)Percent(\d+)Minutes?$/;

/**
 * The minutes a blue/green deployment waits by design beyond starting its replacement task set:
 * shifting traffic as the built-in configuration says (linear: the waits between steps; canary:
 * the canary's; a custom configuration counts none), a ready wait for rerouting by hand
 * (STOP_DEPLOYMENT), and the wait before the original task set is deleted (TERMINATE). The
 * deployment timeout counts from their end, as for ECS's own bake times.
 */
export function expectedWaitMinutes(waits: BlueGreenWaits): number {
  const ready = waits.ready?.action === 'STOP_DEPLOYMENT' ? waits.ready.minutes : 0;
  const termination = waits.termination?.action === 'TERMINATE' ? waits.termination.minutes : 0;
  return shiftMinutes(waits.deploymentConfigName) + ready + termination;
}

function shiftMinutes(config: string | undefined): number {
  const linear = config?.match(LINEAR);
  if (linear) {
    const [step, every] = [Number(linear[1]), Number(linear[2])];
    return step > 0 ? (Math.ceil(100 / step - 1e-9) - 1) * every : 0;
  }
  const canary = config?.match(CANARY);
  return canary ? Number(canary[2]) : 0;
}

/** The waits as a person reads them: `ready wait 30 min (STOP_DEPLOYMENT), termination wait 60 min`. */
export function describeWaits(waits: BlueGreenWaits): string {
  const parts: string[] = [];
  if (waits.deploymentConfigName) parts.push(waits.deploymentConfigName.replace(/^CodeDeployDefault\./, ''));
  if (waits.ready?.action === 'STOP_DEPLOYMENT') parts.push(`ready wait ${waits.ready.minutes} min`);
  if (waits.termination?.action === 'TERMINATE') parts.push(`termination wait ${waits.termination.minutes} min`);
  return parts.join(', ');
}
