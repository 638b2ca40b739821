import type { CodeDeployDeployment } from '../domain/codedeploy/deployment';
import type { DeploymentGroup } from '../domain/codedeploy/group';

/**
 * The CodeDeploy calls this service makes, for CODE_DEPLOY services, in the domain's terms.
 * Implementations page and batch; only ECS applications and groups are returned.
 */
export interface CodeDeployPort {
  /** Every deployment group of the account's ECS applications (ListApplications, ListDeploymentGroups, BatchGetDeploymentGroups; all pages). */
  ecsGroups(): Promise<DeploymentGroup[]>;
  /** These groups of one application (BatchGetDeploymentGroups); groups CodeDeploy does not know are left out, as is an application it does not know. */
  groups(application: string, names: string[]): Promise<DeploymentGroup[]>;
  /**
   * CreateDeployment of an AppSpecContent revision, sent once (never retried by the SDK: it is not
   * idempotent). Throws GroupBusyError when the group runs another deployment (not applied),
   * ThrottledError when CodeDeploy refused it for its rate (not applied), OutcomeUnknownError when
   * no answer came (maybe applied), any other error when CodeDeploy rejected it (not applied).
   */
  createDeployment(input: { application: string; group: string; appSpec: string; description: string }): Promise<{ deploymentId: string }>;
  /** The ids of the group's deployments created at or after `since` (ListDeployments with createTimeRange; all pages). */
  deploymentsSince(application: string, group: string, since: string): Promise<string[]>;
  /** These deployments (BatchGetDeployments, 25 per call); those CodeDeploy does not know are left out. */
  deployments(ids: string[]): Promise<CodeDeployDeployment[]>;
}
