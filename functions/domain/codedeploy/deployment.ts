/**
 * A CodeDeploy deployment of a CODE_DEPLOY service, as BatchGetDeployments shows it, and what it
 * means for a rollout: Succeeded completes the member; Failed and Stopped halt the rollout with
 * CodeDeploy's error information; one still running (created, queued, in progress, ready and
 * waiting for traffic to be rerouted, baking, waiting for the original task set's termination)
 * counts as failed only past the deployment timeout after the waits its group prescribes. Pure.
 */

import { type Ended, pastTimeout } from '../rollout/service-deployments';
import { ACTIVE_STATUSES, type BlueGreenWaits, expectedWaitMinutes } from './group';

export interface CodeDeployDeployment {
  id: string;
  application?: string;
  group?: string;
  /** Created, Queued, InProgress, Baking, Ready, Succeeded, Failed or Stopped. */
  status: string;
  createTime?: string;
  completeTime?: string;
  /** CodeDeploy's `errorInformation`, for a deployment that failed or was stopped. */
  error?: { code?: string; message?: string };
  /** The deployment's own waits (its `blueGreenDeploymentConfiguration` and configuration). */
  waits: BlueGreenWaits;
  /** The traffic shifted; CodeDeploy waits before it deletes the original task set. */
  terminationWaitStarted?: boolean;
  /** Why CodeDeploy rolled it back (`rollbackInfo.rollbackMessage`). */
  rollbackMessage?: string;
}

/** The first deployment created at or after the claim: the one our CreateDeployment made (CodeDeploy runs one at a time per group). */
export function oursSinceClaim(deployments: CodeDeployDeployment[], claimedAt: string): CodeDeployDeployment | undefined {
  const claim = Date.parse(claimedAt);
  // ListDeployments found them by creation time: one without a time cannot be told to be ours.
  return deployments
    .filter((d) => d.createTime !== undefined && Date.parse(d.createTime) >= claim)
    .sort((a, b) => Date.parse(a.createTime as string) - Date.parse(b.createTime as string))[0];
}

/** Where a deployment stands, as a person reads it: `Ready: waiting for traffic to be rerouted`. */
export function describeCodeDeployment(deployment: Pick<CodeDeployDeployment, 'status' | 'terminationWaitStarted' | 'error'>): string {
  const { status } = deployment;
  if (status === 'Ready') return 'Ready: the replacement task set waits for traffic to be rerouted';
  if (status === 'InProgress' && deployment.terminationWaitStarted)
    return 'InProgress: traffic shifted, waiting to delete the original task set';
  if (status === 'Baking') return 'Baking: traffic shifted, CodeDeploy waits before it ends the deployment';
  if ((status === 'Failed' || status === 'Stopped') && deployment.error) return `${status}: ${errorText(deployment.error)}`;
  return status;
}

/**
 * How a deployment recorded IN_PROGRESS since `since` ended, or undefined while it goes on. A
 * deployment still running fails only past `timeoutMinutes` (0: never) after its expected
 * waits: a long ready or termination wait is CodeDeploy doing what the group says.
 */
export function judgeCodeDeployment(deployment: CodeDeployDeployment, since: string, now: Date, timeoutMinutes: number): Ended | undefined {
  const { status, id } = deployment;
  if (status === 'Succeeded') return { state: 'COMPLETED' };
  if (status === 'Failed' || status === 'Stopped') {
    const verb = status === 'Failed' ? 'failed' : 'was stopped';
    const details = [deployment.error ? errorText(deployment.error) : undefined, deployment.rollbackMessage].filter(Boolean);
    return { state: 'FAILED', reason: `CodeDeploy deployment ${id} ${verb}${details.length > 0 ? `: ${details.join('; ')}` : ''}` };
  }
  if (!ACTIVE_STATUSES.has(status)) return { state: 'FAILED', reason: `CodeDeploy reports deployment ${id} ${status}` };
  const where = `CodeDeploy ${describeCodeDeployment(deployment)}`;
  return pastTimeout(since, now, timeoutMinutes, expectedWaitMinutes(deployment.waits), where, "the group's waits of");
}

/** When the deployment's expected waits end at the earliest: its creation plus them. Undefined without waits. */
export function waitsEndAt(deployment: Pick<CodeDeployDeployment, 'createTime' | 'waits'>): string | undefined {
  const minutes = expectedWaitMinutes(deployment.waits);
  if (minutes === 0 || !deployment.createTime) return undefined;
  return new Date(Date.parse(deployment.createTime) + minutes * 60_000).toISOString();
}

function errorText(error: NonNullable<CodeDeployDeployment['error']>): string {
  return [error.code, error.message].filter(Boolean).join(': ');
}
