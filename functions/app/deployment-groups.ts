import { type DeploymentGroup, deploys, type GroupLookup, groupOf } from '../domain/codedeploy/group';
import { errorLine } from '../domain/errors';
import type { ServiceSnapshot } from '../domain/inventory/service';
import type { CodeDeployRef, LedgerRecord } from '../domain/ledger/record';
import type { Ports } from '../ports/ports';
import { mapWithConcurrency } from '../util/concurrency';

/** A CODE_DEPLOY service whose group is wanted, and the group its ledger record remembers, if any. */
export interface GroupWanted {
  service: Pick<ServiceSnapshot, 'serviceArn' | 'clusterArn' | 'serviceName'>;
  remembered?: CodeDeployRef;
}

/**
 * The CodeDeploy deployment groups of one run's CODE_DEPLOY services. A service's group is the
 * one its ledger record remembers from its last CodeDeploy redeploy, when that group still
 * deploys it (one BatchGetDeploymentGroups per application, read fresh: whether it runs a
 * deployment now matters); otherwise it is found among every ECS group of the account, listed
 * once per run (ListApplications, BatchGetApplications, ListDeploymentGroups and
 * BatchGetDeploymentGroups per ECS application). A run with no CODE_DEPLOY service makes none
 * of these calls. CodeDeploy failing is the services' outcome, never the run's.
 */
export class DeploymentGroups {
  private listed?: Promise<DeploymentGroup[]>;

  constructor(private readonly ports: Ports) {}

  /**
   * The groups of the CODE_DEPLOY services among `services` that run tasks (a service not
   * described, gone or of another controller wants none), with the group each one's ledger record
   * remembers.
   */
  ofServices(
    services: Array<ServiceSnapshot | 'gone' | undefined>,
    recordOf: Map<string, Pick<LedgerRecord, 'codeDeploy'>>,
  ): Promise<Map<string, GroupLookup>> {
    return this.lookup(
      services.flatMap((live) => {
        if (!live || live === 'gone' || live.deploymentController !== 'CODE_DEPLOY' || live.desiredCount <= 0) return [];
        const remembered = recordOf.get(live.serviceArn)?.codeDeploy;
        return [{ service: live, ...(remembered ? { remembered } : {}) }];
      }),
    );
  }

  /** Each wanted service's group, or why there is none to use, by service ARN. */
  async lookup(wanted: GroupWanted[]): Promise<Map<string, GroupLookup>> {
    const found = new Map<string, GroupLookup>();
    if (wanted.length === 0) return found;
    const unreadable = (error: unknown): GroupLookup => ({ kind: 'unreadable', reason: errorLine(error) });
    const byApplication = new Map<string, GroupWanted[]>();
    for (const w of wanted)
      if (w.remembered) byApplication.set(w.remembered.application, [...(byApplication.get(w.remembered.application) ?? []), w]);
    await mapWithConcurrency([...byApplication], 4, async ([application, those]) => {
      try {
        const groups = await this.ports.codeDeploy.groups(application, [...new Set(those.map((w) => w.remembered?.group as string))]);
        for (const w of those) {
          const group = groups.find((g) => g.name === w.remembered?.group && deploys(g, w.service));
          if (group) found.set(w.service.serviceArn, { kind: 'found', group });
        }
      } catch (error) {
        for (const w of those) found.set(w.service.serviceArn, unreadable(error));
      }
    });
    const rest = wanted.filter((w) => !found.has(w.service.serviceArn));
    if (rest.length === 0) return found;
    try {
      const all = await this.all();
      for (const w of rest) found.set(w.service.serviceArn, groupOf(w.service, all));
    } catch (error) {
      for (const w of rest) found.set(w.service.serviceArn, unreadable(error));
    }
    return found;
  }

  /** Every ECS group of the account, listed once for the run (a failure is not kept). */
  private all(): Promise<DeploymentGroup[]> {
    if (!this.listed) {
      this.listed = this.ports.codeDeploy.ecsGroups();
      this.listed.catch(() => {
        this.listed = undefined;
      });
    }
    return this.listed;
  }
}
