import { lastPathSegment, sameCluster } from '../identity/arn';
import type { ServiceSnapshot } from '../inventory/service';
import { followedStage, pinOf, type SecretReference } from '../references/references';
import { type SecretState, versionOfStage } from './secret-state';

/** Tag that opts a service out of automatic redeploys. */
export const OPT_OUT_TAG = 'ecs-secret-redeploy:ignore';

/** A service that may be affected: its live state and its references to the changed secret. */
export interface Candidate {
  service: ServiceSnapshot;
  references: SecretReference[];
}

/** What planning decided for one service. */
export type ServicePlan = Candidate & ({ action: 'redeploy'; versionKey: string; reason: string } | { action: 'skip'; reason: string });

/** Everything planning needs, as plain data. */
export interface PlanInput {
  secret: SecretState;
  /** Stages the trigger may have moved; `all` re-checks every stage (manual request). */
  movedStages: string[] | 'all';
  candidates: Candidate[];
  /** Cluster names or ARNs to manage; empty means all. */
  clusters: string[];
}

/**
 * Decides, for every candidate, whether it must be redeployed and why not otherwise. Pure.
 * The `versionKey` names the secret versions the service's references resolve to now: it is
 * what the exactly-once guard records, so the same change never redeploys a service twice.
 */
export function planRedeploys(input: PlanInput): ServicePlan[] {
  return input.candidates.map((candidate) => ({ ...candidate, ...decide(candidate, input) }));
}

type PlanDecision = { action: 'redeploy'; versionKey: string; reason: string } | { action: 'skip'; reason: string };

function decide({ service, references }: Candidate, input: PlanInput): PlanDecision {
  const skip = (reason: string): PlanDecision => ({ action: 'skip', reason });
  if (service.status !== 'ACTIVE') return skip(`service is ${service.status}`);
  if (input.clusters.length > 0 && !input.clusters.some((c) => sameCluster(service.clusterArn, c))) {
    return skip('cluster is outside the configured clusters');
  }
  if (OPT_OUT_TAG in service.tags && service.tags[OPT_OUT_TAG] !== 'false') return skip(`opted out by tag ${OPT_OUT_TAG}`);
  if (references.length === 0) return skip(`task definition ${lastPathSegment(service.taskDefinition)} does not reference the secret`);

  const live = references.filter((r) => followedStage(r) !== undefined);
  if (live.length === 0) return skip(`pinned to ${[...new Set(references.map(pinOf))].join(', ')}`);
  const moved = live.filter((r) => input.movedStages === 'all' || input.movedStages.includes(followedStage(r) as string));
  if (moved.length === 0) {
    const stages = [...new Set(live.map(followedStage))].join(', ');
    return skip(`follows stage ${stages}, which did not move`);
  }
  const versions = [...new Set(moved.map((r) => versionOfStage(input.secret, followedStage(r) as string)))];
  if (versions.includes(undefined)) {
    const missing = moved.filter((r) => versionOfStage(input.secret, followedStage(r) as string) === undefined).map(followedStage);
    return skip(`stage ${[...new Set(missing)].join(', ')} is not attached to any version`);
  }
  if (service.desiredCount === 0) return skip('no running tasks (desiredCount 0): new tasks will read the new value anyway');
  if (service.deploymentController !== 'ECS') {
    return skip(`deployment controller ${service.deploymentController}: UpdateService cannot force a new deployment`);
  }
  const versionKey = (versions as string[]).sort().join('+');
  return { action: 'redeploy', versionKey, reason: `uses version ${versionKey}` };
}
