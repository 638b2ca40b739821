import { UpdateServiceCommand } from '@aws-sdk/client-ecs';
import type { Deps } from '../aws/clients';
import { mapWithConcurrency } from './concurrency';
import type { ServicePlan } from './plan';
import { ServiceReport, toReportReference } from './report';

/** Identifies one redeploy: a service brought to the secret versions named by `versionKey`. */
export interface LedgerKey {
  serviceArn: string;
  secretArn: string;
  versionKey: string;
}

/** Where redeploys are recorded so that the same change never redeploys a service twice. */
export interface RedeployLedger {
  /** Records the redeploy; false when it was recorded already (unless `force`). */
  claim(key: LedgerKey, force: boolean): Promise<boolean>;
  /** Forgets a claim whose redeploy failed, so that a retry redeploys it. */
  release(key: LedgerKey): Promise<void>;
  /** True when the redeploy is recorded. */
  has(key: LedgerKey): Promise<boolean>;
}

/** How to carry out a plan. */
export interface ExecuteOptions {
  secretArn: string;
  dryRun: boolean;
  /** Redeploy even when the ledger says it was done for this version. */
  force: boolean;
  /** Absent when there is no state table (local CLI before `init`): no exactly-once guard. */
  ledger?: RedeployLedger;
}

/**
 * Carries out the plans: UpdateService with forceNewDeployment for each service to redeploy,
 * at most `config.maxConcurrency` at once. Every service gets its own outcome; one failure never
 * stops the others.
 */
export async function executePlans(deps: Deps, plans: ServicePlan[], options: ExecuteOptions): Promise<ServiceReport[]> {
  return mapWithConcurrency(plans, deps.config.maxConcurrency, async (plan) => {
    const base = {
      cluster: plan.service.clusterArn,
      service: plan.service.serviceArn,
      serviceName: plan.service.serviceName,
      taskDefinition: plan.service.taskDefinition,
      references: plan.references.map(toReportReference),
    };
    if (plan.action === 'skip') return { ...base, outcome: 'skipped', reason: plan.reason };
    const key: LedgerKey = { serviceArn: plan.service.serviceArn, secretArn: options.secretArn, versionKey: plan.versionKey };
    const already = `already redeployed for version ${plan.versionKey}`;
    try {
      if (options.dryRun) {
        if (!options.force && (await options.ledger?.has(key))) return { ...base, outcome: 'skipped', reason: already };
        return { ...base, outcome: 'would-redeploy', reason: plan.reason };
      }
      if (options.ledger && !(await options.ledger.claim(key, options.force))) return { ...base, outcome: 'skipped', reason: already };
    } catch (error) {
      return { ...base, outcome: 'failed', reason: `could not check the redeploy record: ${describe(error)}` };
    }
    try {
      const out = await deps.ecs.send(
        new UpdateServiceCommand({ cluster: plan.service.clusterArn, service: plan.service.serviceArn, forceNewDeployment: true }),
      );
      const deploymentId = out.service?.deployments?.find((d) => d.status === 'PRIMARY')?.id;
      return { ...base, outcome: 'redeployed', reason: plan.reason, ...(deploymentId ? { deploymentId } : {}) };
    } catch (error) {
      const released = await options.ledger?.release(key).then(
        () => '',
        (releaseError) => `; the redeploy record could not be released (${describe(releaseError)}), use --force to retry`,
      );
      return { ...base, outcome: 'failed', reason: `UpdateService failed: ${describe(error)}${released ?? ''}` };
    }
  }) as Promise<ServiceReport[]>;
}

/** One line for an AWS or other error: its name and message. */
export function describe(error: unknown): string {
  if (error instanceof Error) return error.name && error.name !== 'Error' ? `${error.name}: ${error.message}` : error.message;
  return String(error);
}
