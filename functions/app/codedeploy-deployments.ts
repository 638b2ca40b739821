import { type CodeDeployDeployment, describeCodeDeployment, judgeCodeDeployment, waitsEndAt } from '../domain/codedeploy/deployment';
import { describeWaits } from '../domain/codedeploy/group';
import { errorLine } from '../domain/errors';
import { deploymentChanged, type LedgerRecord, type Stamp } from '../domain/ledger/record';
import { pastTimeout } from '../domain/rollout/service-deployments';
import type { Ports } from '../ports/ports';

/** The records whose deployment is CodeDeploy's (CODE_DEPLOY services). */
export function madeByCodeDeploy(records: LedgerRecord[]): LedgerRecord[] {
  return records.filter((r) => r.codeDeploy && r.deploymentId);
}

/** CodeDeploy's view of the deployments these records name (BatchGetDeployments, 25 per call), by deployment id. */
export async function codeDeploymentsOf(ports: Ports, records: LedgerRecord[]): Promise<Map<string, CodeDeployDeployment>> {
  const ids = madeByCodeDeploy(records).map((r) => r.deploymentId as string);
  if (ids.length === 0) return new Map();
  return new Map((await ports.codeDeploy.deployments(ids)).map((d) => [d.id, d]));
}

/**
 * The schedule's poll of the CodeDeploy deployments these records (IN_PROGRESS) name: how each
 * stands now (see judgeCodeDeployment; the deployment timeout counts from the end of the group's
 * waits). A deployment CodeDeploy no longer knows fails past the timeout. On the schedule
 * (`tolerant`), CodeDeploy failing to answer changes nothing: the next scheduled run asks again;
 * an event's run throws instead, so that the event is retried rather than refused as unconfirmed.
 * Returns the records that changed.
 */
export async function pollCodeDeployments(
  ports: Ports,
  records: LedgerRecord[],
  stamp: () => Stamp,
  tolerant: boolean,
): Promise<Map<string, LedgerRecord>> {
  const changed = new Map<string, LedgerRecord>();
  let known: Map<string, CodeDeployDeployment>;
  try {
    known = await codeDeploymentsOf(ports, records);
  } catch (error) {
    if (!tolerant) throw error;
    ports.log.warn('CodeDeploy deployments not read: polled again next time', { error: errorLine(error) });
    return changed;
  }
  const now = ports.clock.now();
  const timeout = ports.config.deploymentTimeoutMinutes;
  for (const record of records) {
    const since = record.deployment?.at as string;
    const deployment = known.get(record.deploymentId as string);
    const ended = deployment
      ? judgeCodeDeployment(deployment, since, now, timeout)
      : pastTimeout(since, now, timeout, 0, `CodeDeploy does not know deployment ${record.deploymentId}`);
    if (ended) changed.set(record.serviceArn, deploymentChanged(record, ended.state, ended.reason, stamp()));
  }
  return changed;
}

/** A consumer's CodeDeploy deployment, as status shows it. */
export interface CodeDeploymentStatus {
  id: string;
  application?: string;
  group?: string;
  /** Created, Queued, InProgress, Baking, Ready, Succeeded, Failed, Stopped. */
  status: string;
  /** `Ready: the replacement task set waits for traffic to be rerouted`. */
  text: string;
  /** The group's waits, as a person reads them (`ready wait 30 min, termination wait 60 min`). */
  waits?: string;
  /** When the waits end at the earliest. */
  waitsEndAt?: string;
}

/** The status fields of a consumer whose recorded deployment is CodeDeploy's, when CodeDeploy knows it. */
export function codeDeploymentStatus(
  known: Map<string, CodeDeployDeployment>,
  record: LedgerRecord | undefined,
): { codeDeployment?: CodeDeploymentStatus } {
  const deployment = record?.codeDeploy && record.deploymentId ? known.get(record.deploymentId) : undefined;
  if (!deployment) return {};
  const waits = describeWaits(deployment.waits);
  const ends = waitsEndAt(deployment);
  return {
    codeDeployment: {
      id: deployment.id,
      ...(deployment.application ? { application: deployment.application } : {}),
      ...(deployment.group ? { group: deployment.group } : {}),
      status: deployment.status,
      text: describeCodeDeployment(deployment),
      ...(waits ? { waits } : {}),
      ...(ends ? { waitsEndAt: ends } : {}),
    },
  };
}
