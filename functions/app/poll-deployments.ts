import { randomUUID } from 'node:crypto';
import { clusterOfService } from '../domain/identity/arn';
import type { ServiceSnapshot } from '../domain/inventory/service';
import { deploymentChanged, type LedgerRecord, located, type Stamp } from '../domain/ledger/record';
import type { LedgerWrite } from '../domain/plan/reconcile-plan';
import {
  bakeEndsAt,
  describeServiceDeployment,
  type Ended,
  heldAtHook,
  isNotOffered,
  judgeServiceDeployment,
  mayBeOurs,
  oursAfterClaim,
  type ServiceDeploymentRecord,
  stopped,
} from '../domain/rollout/service-deployments';
import { polledDeployment } from '../domain/rollout/waves';
import type { Ports } from '../ports/ports';
import { mapWithConcurrency } from '../util/concurrency';
import { madeByCodeDeploy, pollCodeDeployments } from './codedeploy-deployments';
import { describeLive } from './describe-live';

/** Said once per process: ECS's deployment records are not offered here, rolloutState is polled instead. */
let fallbackSaid = false;

/**
 * The schedule's fallback for missed ECS deployment events: how each deployment of a rollout
 * recorded IN_PROGRESS stands now. Where ECS offers its deployment records, they tell: the ledger
 * keeps each one's ARN (from UpdateService's answer; else ListServiceDeployments finds it once,
 * the service's first deployment created after our claim), and DescribeServiceDeployments, 20 per
 * call, judges every one (see judgeServiceDeployment). Where it does not (moto, an older
 * endpoint, a role without the permissions), or for a record written before claim times were
 * kept, DescribeServices' rolloutState does, as before (see polledDeployment). The deployment
 * timeout counts from the end of the strategy's bake either way. A CODE_DEPLOY service's
 * deployment is CodeDeploy's: BatchGetDeployments tells (see pollCodeDeployments). Returns the
 * records as they are now, and the writes that record what was learnt.
 */
export async function pollDeployments(
  ports: Ports,
  deployed: LedgerRecord[],
  clusterOf: Map<string, string>,
  stamp: () => Stamp,
  /** The schedule's poll: a CodeDeploy that does not answer leaves its records for the next poll (an event's read throws). */
  tolerant = true,
): Promise<{ records: LedgerRecord[]; writes: LedgerWrite[] }> {
  const recorded = deployed.filter((r) => r.deployment?.state === 'IN_PROGRESS');
  if (recorded.length === 0) return { records: deployed, writes: [] };
  const service = (r: LedgerRecord) => ({ serviceArn: r.serviceArn, clusterArn: clusterOf.get(r.serviceArn) ?? '' });
  const now = ports.clock.now();
  const timeout = ports.config.deploymentTimeoutMinutes;
  // CodeDeploy's deployments (CODE_DEPLOY services) are CodeDeploy's to tell; ECS tells the rest.
  const byCodeDeploy = madeByCodeDeploy(recorded);
  const changed =
    byCodeDeploy.length > 0 ? await pollCodeDeployments(ports, byCodeDeploy, stamp, tolerant) : new Map<string, LedgerRecord>();
  const inFlight = recorded.filter((r) => !byCodeDeploy.includes(r));

  const { offered, arnOf, described } = inFlight.length > 0 ? await serviceDeploymentsOf(ports, inFlight, clusterOf) : NONE_FOUND;

  const fallback: LedgerRecord[] = [];
  for (const record of inFlight) {
    const arn = arnOf.get(record.serviceArn);
    const deployment = arn ? described.get(arn) : undefined;
    if (!offered || !arn || !deployment) {
      fallback.push(record);
      continue;
    }
    const since = record.deployment?.at as string;
    let ended = judgeServiceDeployment(deployment, since, now, timeout);
    if (ended?.state === 'FAILED' && stopped(deployment) && deployment.createdAt) {
      // Stopped: by a newer deployment, or by someone. One more listing tells which.
      const after = await ports.ecs.listServiceDeployments(service(record), deployment.createdAt);
      const newer = isNotOffered(after) ? undefined : after.find((b) => b.arn !== deployment.arn);
      if (newer) ended = judgeServiceDeployment(deployment, since, now, timeout, newer);
    }
    const next = ended ? deploymentChanged(record, ended.state, ended.reason, stamp(), arn) : undefined;
    if (next) changed.set(record.serviceArn, next);
    else if (record.serviceDeploymentArn !== arn) changed.set(record.serviceArn, located(record, arn, stamp()));
  }

  // rolloutState, where ECS's records do not tell.
  if (fallback.length > 0) {
    const live = await describeLive(ports, fallback.map(service));
    for (const record of fallback) {
      const ended: Ended | undefined = polledDeployment(
        live.get(record.serviceArn),
        record.deploymentId,
        record.deployment?.at as string,
        now,
        timeout,
      );
      if (ended) changed.set(record.serviceArn, deploymentChanged(record, ended.state, ended.reason, stamp()));
    }
  }

  const writes = deployed.flatMap((r) => {
    const next = changed.get(r.serviceArn);
    return next ? [{ next, expectedRev: r.rev }] : [];
  });
  return { records: deployed.map((r) => changed.get(r.serviceArn) ?? r), writes };
}

/**
 * How its platform reports one recorded deployment in progress now, read as the schedule's poll
 * reads it: ECS's deployment record where offered, DescribeServices' rolloutState otherwise (a
 * deployment no longer listed was superseded: completed); CodeDeploy's view for a CodeDeploy
 * deployment. The record as it stands after what they say, still IN_PROGRESS while it goes on;
 * nothing is written. A CodeDeploy that does not answer throws (the event is retried).
 */
export async function asReported(ports: Ports, record: LedgerRecord): Promise<LedgerRecord> {
  const clusterOf = new Map([[record.serviceArn, clusterOfService(record.serviceArn)]]);
  const stamp = () => ({ now: ports.clock.now(), writeId: randomUUID() });
  const { records } = await pollDeployments(ports, [record], clusterOf, stamp, false);
  return records[0];
}

/** No ECS deployment to look for. */
const NONE_FOUND: FoundDeployments = { offered: true, arnOf: new Map(), described: new Map() };

/** ECS's records of the deployments the ledger holds: where offered, by service ARN. */
export interface FoundDeployments {
  /** False where ECS does not offer them (the caller reads rolloutState instead). */
  offered: boolean;
  /** Service ARN -> the service deployment ARN of its recorded deployment, where known or found. */
  arnOf: Map<string, string>;
  /** Service deployment ARN -> ECS's record of it. */
  described: Map<string, ServiceDeploymentRecord>;
}

/**
 * ECS's records of the deployments these ledger records name: found once by
 * ListServiceDeployments (the service's first deployment created after the claim; a record
 * written before claim times were kept is left out), then described by ARN, 20 per call.
 */
export async function serviceDeploymentsOf(
  ports: Ports,
  records: LedgerRecord[],
  clusterOf: Map<string, string>,
): Promise<FoundDeployments> {
  const arnOf = new Map<string, string>();
  const described = new Map<string, ServiceDeploymentRecord>();
  let offered = true;
  const notOffered = (why: string) => {
    offered = false;
    sayFallback(ports, why);
  };
  const find = (unknown: LedgerRecord[]) =>
    mapWithConcurrency(unknown, 4, async (record) => {
      if (!offered) return;
      const claimedAt = record.deployment?.claimedAt as string;
      const briefs = await ports.ecs.listServiceDeployments(
        { serviceArn: record.serviceArn, clusterArn: clusterOf.get(record.serviceArn) ?? '' },
        claimedAt,
      );
      if (isNotOffered(briefs)) return notOffered(briefs.notOffered);
      const ours = oursAfterClaim(briefs, claimedAt);
      if (ours) arnOf.set(record.serviceArn, ours.arn);
    });
  const describe = async (arns: string[]) => {
    if (!offered || arns.length === 0) return;
    const found = await ports.ecs.describeServiceDeployments([...new Set(arns)]);
    if (isNotOffered(found)) return notOffered(found.notOffered);
    for (const d of found) described.set(d.arn, d);
  };

  for (const r of records) if (r.serviceDeploymentArn) arnOf.set(r.serviceArn, r.serviceDeploymentArn);
  await find(records.filter((r) => !r.serviceDeploymentArn && r.deployment?.claimedAt));
  await describe([...arnOf.values()]);
  // An ARN kept from UpdateService's answer that names a deployment made before our claim (the
  // answer named the one before ours) is not ours: found again, by the claim.
  const misnamed = records.filter((r) => {
    const d = r.serviceDeploymentArn ? described.get(r.serviceDeploymentArn) : undefined;
    return d !== undefined && r.deployment?.claimedAt !== undefined && !mayBeOurs(d, r.deployment.claimedAt);
  });
  if (offered && misnamed.length > 0) {
    for (const r of misnamed) arnOf.delete(r.serviceArn);
    await find(misnamed);
    await describe(misnamed.flatMap((r) => arnOf.get(r.serviceArn) ?? []));
  }
  return { offered, arnOf, described };
}

/** ECS's record of one consumer's deployment, as status shows it. */
export interface ServiceDeploymentStatus {
  arn: string;
  /** PENDING, IN_PROGRESS, SUCCESSFUL, STOPPED, ROLLBACK_*... */
  status: string;
  lifecycleStage?: string;
  /** A lifecycle hook holds it (awaiting action or running). */
  heldAtHook?: boolean;
  /** `IN_PROGRESS, BAKE_TIME`, `IN_PROGRESS, held by a hook at PRE_SCALE_UP`. */
  text: string;
  /** When its bake ends at the earliest (blue/green, linear, canary). */
  bakeEndsAt?: string;
  statusReason?: string;
}

/** The status fields of a consumer's deployment from ECS's records, when they hold it. */
export function deploymentRecordStatus(
  found: FoundDeployments,
  record: LedgerRecord,
  service: ServiceSnapshot | undefined,
): { serviceDeployment?: ServiceDeploymentStatus } {
  const arn = found.arnOf.get(record.serviceArn);
  const deployment = arn ? found.described.get(arn) : undefined;
  if (!deployment) return {};
  const bake = bakeEndsAt(deployment, deployment.strategy ?? service?.strategy);
  return {
    serviceDeployment: {
      arn: deployment.arn,
      status: deployment.status,
      ...(deployment.lifecycleStage ? { lifecycleStage: deployment.lifecycleStage } : {}),
      ...(heldAtHook(deployment) ? { heldAtHook: true } : {}),
      text: describeServiceDeployment(deployment),
      ...(bake ? { bakeEndsAt: bake } : {}),
      ...(deployment.statusReason ? { statusReason: deployment.statusReason } : {}),
    },
  };
}

function sayFallback(ports: Ports, why: string): void {
  if (fallbackSaid) return;
  fallbackSaid = true;
  ports.log.info("ECS's deployment records (ListServiceDeployments) are not offered here: rollouts poll DescribeServices' rolloutState", {
    reason: why,
  });
}

/** For tests: forget that the fallback was said. */
export function resetFallbackNotice(): void {
  fallbackSaid = false;
}
