import type { CodeDeployTarget } from '../domain/codedeploy/appspec';
import { oursSinceClaim } from '../domain/codedeploy/deployment';
import { groupName } from '../domain/codedeploy/group';
import { primaryDeploymentId, type ServiceSnapshot } from '../domain/inventory/service';
import type { Claim, CodeDeployRef } from '../domain/ledger/record';
import type { Redeploy } from '../domain/plan/reconcile-plan';
import type { Ports } from '../ports/ports';

/** What a deploy call's answer said: the new deployment, and ECS's record of it where the answer named one. */
export interface Sent {
  deploymentId?: string;
  serviceDeploymentArn?: string;
}

/**
 * The one call that gives a service a new deployment, behind the redeployer's one claim, record
 * and settle flow (redeploy.ts): UpdateService with forceNewDeployment for an ECS controller, a
 * CodeDeploy CreateDeployment for CODE_DEPLOY. Neither is idempotent: each is sent once per
 * attempt, and after a lost answer (or a claim whose run died) the deployment is looked for
 * first, never sent again blindly.
 */
export interface DeployCall {
  /** The call, and who answers it, as reasons name them. */
  operation: 'UpdateService' | 'CreateDeployment';
  by: 'ECS' | 'CodeDeploy';
  /** The deployment before ours, kept in the claim (ECS: the PRIMARY one; CodeDeploy finds ours by its creation time instead). */
  prior?: string;
  /** Sends the call once. Throws as the port says (ThrottledError, OutcomeUnknownError, GroupBusyError, a rejection). */
  send(): Promise<Sent>;
  /**
   * The deployment created since `claim`, if the platform shows one. `fresh`: ask now, twice a
   * moment apart (a request whose answer was lost may still be applied just after); otherwise
   * the service as the plan saw it will do where it tells (ECS's PRIMARY deployment).
   */
  createdSince(claim: Claim, fresh: boolean): Promise<string | undefined>;
  /** What the record keeps beside the deployment id (a CodeDeploy deployment's group). */
  recorded: { codeDeploy?: CodeDeployRef };
  /** Said after "runs ... from now on": through what, when not ECS's own deployment. */
  through(): string;
}

/**
 * How far this run's clock may be ahead of CodeDeploy's (both keep NTP time: well under this): a
 * deployment our CreateDeployment made must not look older than our claim, or a second one would
 * be sent. The price: a deployment someone else made in these seconds before the claim, found
 * only after our answer was lost, is taken for ours.
 */
const CLOCK_SKEW_MS = 2_000;

/** The call of one redeploy, by the way its plan says to send it. */
export function deployCall(ports: Ports, work: Redeploy, secretArn: string): DeployCall {
  return work.via === 'codedeploy' ? codeDeployCall(ports, work.codeDeploy, secretArn) : updateServiceCall(ports, work.service);
}

/** UpdateService with forceNewDeployment: ECS starts a deployment of the service's own strategy. */
function updateServiceCall(ports: Ports, service: ServiceSnapshot): DeployCall {
  const prior = primaryDeploymentId(service);
  const newPrimary = (now: Pick<ServiceSnapshot, 'deployments'> | undefined, claim: Claim) => {
    const primary = now && primaryDeploymentId(now);
    return primary && primary !== claim.priorDeploymentId ? primary : undefined;
  };
  return {
    operation: 'UpdateService',
    by: 'ECS',
    ...(prior ? { prior } : {}),
    send: () => ports.ecs.forceNewDeployment(service),
    async createdSince(claim, fresh) {
      if (!fresh) return newPrimary(service, claim);
      return twice(ports, async () => {
        const [now] = await ports.ecs.describeServices(service.clusterArn, [service.serviceArn]);
        return newPrimary(now, claim);
      });
    },
    recorded: {},
    through: () => '',
  };
}

/**
 * CreateDeployment of the task definition a CODE_DEPLOY service runs now, through its group: its
 * replacement task set's tasks read the current versions. A deployment of the group created at or
 * after the claim is ours (ListDeployments with createTimeRange, then the first by creation time),
 * the claim's time taken a little early: it is this run's clock, CodeDeploy's createTime its own.
 */
function codeDeployCall(ports: Ports, target: CodeDeployTarget, secretArn: string): DeployCall {
  const codeDeploy = { application: target.application, group: target.group };
  const find = async (claim: Claim) => {
    const since = new Date(Date.parse(claim.claimedAt) - CLOCK_SKEW_MS).toISOString();
    const ids = await ports.codeDeploy.deploymentsSince(target.application, target.group, since);
    if (ids.length === 0) return undefined;
    return oursSinceClaim(await ports.codeDeploy.deployments(ids), since)?.id;
  };
  return {
    operation: 'CreateDeployment',
    by: 'CodeDeploy',
    async send() {
      const description = `ecs-secret-redeploy: new tasks read the current versions of ${secretArn}`.slice(0, 1000);
      return ports.codeDeploy.createDeployment({ ...codeDeploy, appSpec: target.appSpec, description });
    },
    createdSince: (claim, fresh) => (fresh ? twice(ports, () => find(claim)) : find(claim)),
    recorded: { codeDeploy },
    through: () => `, through CodeDeploy ${groupName({ application: target.application, name: target.group })}`,
  };
}

/** Asks twice, a second apart, until it finds one. */
async function twice(ports: Ports, look: () => Promise<string | undefined>): Promise<string | undefined> {
  for (let attempt = 0; attempt < 2; attempt++) {
    if (attempt > 0) await ports.clock.sleep(1000);
    const found = await look();
    if (found) return found;
  }
  return undefined;
}
