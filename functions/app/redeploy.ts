import { errorLine } from '../domain/errors';
import type { ServicePlan } from '../domain/plan/plan';
import { type ServiceReport, toReportReference } from '../domain/report/report';
import type { LedgerKey, RedeployLedger } from '../ports/ledger';
import { mapWithConcurrency } from '../util/concurrency';
import type { Ports } from './ports';
import type { OnProgress } from './progress';

/** How to carry out a plan. */
export interface ExecuteOptions {
  secretArn: string;
  dryRun: boolean;
  /** Redeploy even when the ledger says it was done for this version. */
  force: boolean;
  /** Absent when run without the ledger (the CLI's --no-ledger): no exactly-once guard. */
  ledger?: RedeployLedger;
  onProgress?: OnProgress;
}

/**
 * Carries out the plans: UpdateService with forceNewDeployment for each service to redeploy,
 * at most `config.maxConcurrency` at once. Every service gets its own outcome; one failure never
 * stops the others.
 */
export async function executePlans(
  ports: Pick<Ports, 'config' | 'ecs'>,
  plans: ServicePlan[],
  options: ExecuteOptions,
): Promise<ServiceReport[]> {
  const onDone = (done: number) => options.onProgress?.({ phase: 'redeploy', done, total: plans.length });
  return mapWithConcurrency(plans, { limit: ports.config.maxConcurrency, onDone }, async (plan) => {
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
      return { ...base, outcome: 'failed', reason: `could not check the redeploy record: ${errorLine(error)}` };
    }
    try {
      const { deploymentId } = await ports.ecs.forceNewDeployment(plan.service);
      return { ...base, outcome: 'redeployed', reason: plan.reason, ...(deploymentId ? { deploymentId } : {}) };
    } catch (error) {
      const released = await options.ledger?.release(key).then(
        () => '',
        (releaseError) => `; the redeploy record could not be released (${errorLine(releaseError)}), use --force to retry`,
      );
      return { ...base, outcome: 'failed', reason: `UpdateService failed: ${errorLine(error)}${released ?? ''}` };
    }
  }) as Promise<ServiceReport[]>;
}
