import {
  ApplicationDoesNotExistException,
  BatchGetApplicationsCommand,
  BatchGetDeploymentGroupsCommand,
  BatchGetDeploymentsCommand,
  type BlueGreenDeploymentConfiguration,
  CreateDeploymentCommand,
  type DeploymentGroupInfo,
  type DeploymentInfo,
  DeploymentLimitExceededException,
  paginateListApplications,
  paginateListDeploymentGroups,
  paginateListDeployments,
} from '@aws-sdk/client-codedeploy';
import type { CodeDeployDeployment } from '../domain/codedeploy/deployment';
import type { BlueGreenWaits, DeploymentGroup } from '../domain/codedeploy/group';
import { GroupBusyError } from '../domain/errors';
import { textField } from '../domain/text';
import type { CodeDeployPort } from '../ports/codedeploy';
import { chunk, mapWithConcurrency } from '../util/concurrency';
import type { AwsClients } from './clients';
import { classified } from './sent-once';

/** CodeDeploy's limits per call: BatchGetApplications and BatchGetDeploymentGroups take 100 names, BatchGetDeployments 25 ids. */
export const BATCH_GET_APPLICATIONS = 100;
export const BATCH_GET_GROUPS = 100;
export const BATCH_GET_DEPLOYMENTS = 25;

/** CodeDeploy's words (error information, rollback messages) end up in reports, events and logs: escaped, and cut. */
const text = (value: unknown) => textField(value, 1000);

/**
 * The CodeDeploy port on the SDK. Finding the group of a service costs one ListApplications page
 * per 100 applications, one BatchGetApplications per 100 (only ECS applications are read on),
 * and per ECS application one ListDeploymentGroups and one BatchGetDeploymentGroups per 100
 * groups; the caller keeps the answer for its run.
 */
export function awsCodeDeploy(clients: Pick<AwsClients, 'codeDeploy' | 'codeDeployOnce'>): CodeDeployPort {
  const { codeDeploy } = clients;

  const groups = async (application: string, names: string[]): Promise<DeploymentGroup[]> => {
    try {
      const pages = await mapWithConcurrency(chunk(names, BATCH_GET_GROUPS), 2, (deploymentGroupNames) =>
        codeDeploy.send(new BatchGetDeploymentGroupsCommand({ applicationName: application, deploymentGroupNames })),
      );
      // Groups CodeDeploy does not know are named in errorMessage, not returned.
      return pages.flatMap((page) => (page.deploymentGroupsInfo ?? []).flatMap((g) => toGroup(g) ?? []));
    } catch (error) {
      if (error instanceof ApplicationDoesNotExistException) return [];
      throw error;
    }
  };

  return {
    async ecsGroups() {
      const names: string[] = [];
      for await (const page of paginateListApplications({ client: codeDeploy }, {})) names.push(...(page.applications ?? []));
      const infos = await mapWithConcurrency(chunk(names, BATCH_GET_APPLICATIONS), 2, (applicationNames) =>
        codeDeploy.send(new BatchGetApplicationsCommand({ applicationNames })),
      );
      const ecs = infos.flatMap((page) => page.applicationsInfo ?? []).filter((a) => a.computePlatform === 'ECS' && a.applicationName);
      const perApplication = await mapWithConcurrency(ecs, 4, async ({ applicationName }) => {
        const application = applicationName as string;
        const groupNames: string[] = [];
        try {
          for await (const page of paginateListDeploymentGroups({ client: codeDeploy }, { applicationName: application })) {
            groupNames.push(...(page.deploymentGroups ?? []));
          }
        } catch (error) {
          // Deleted between the listing and now.
          if (error instanceof ApplicationDoesNotExistException) return [];
          throw error;
        }
        return groupNames.length > 0 ? groups(application, groupNames) : [];
      });
      return perApplication.flat();
    },

    groups,

    async createDeployment({ application, group, appSpec, description }) {
      const command = new CreateDeploymentCommand({
        applicationName: application,
        deploymentGroupName: group,
        revision: { revisionType: 'AppSpecContent', appSpecContent: { content: appSpec } },
        description,
      });
      const out = await clients.codeDeployOnce.send(command).catch((error: unknown) => {
        // "The Deployment Group '...' already has an active Deployment '...'": nothing was created.
        if (error instanceof DeploymentLimitExceededException) throw new GroupBusyError(error.message, { cause: error });
        throw classified(error, 'CreateDeployment');
      });
      if (!out.deploymentId) throw new Error('CreateDeployment answered without a deployment id');
      return { deploymentId: out.deploymentId };
    },

    async deploymentsSince(application, group, since) {
      const ids: string[] = [];
      const input = { applicationName: application, deploymentGroupName: group, createTimeRange: { start: new Date(since) } };
      for await (const page of paginateListDeployments({ client: codeDeploy }, input)) ids.push(...(page.deployments ?? []));
      return ids;
    },

    async deployments(ids) {
      const pages = await mapWithConcurrency(chunk([...new Set(ids)], BATCH_GET_DEPLOYMENTS), 4, (deploymentIds) =>
        codeDeploy.send(new BatchGetDeploymentsCommand({ deploymentIds })),
      );
      return pages.flatMap((page) => (page.deploymentsInfo ?? []).flatMap((d) => toDeployment(d) ?? []));
    },
  };
}

function toGroup(info: DeploymentGroupInfo): DeploymentGroup | undefined {
  if (!info.applicationName || !info.deploymentGroupName || info.computePlatform !== 'ECS') return undefined;
  const last = info.lastAttemptedDeployment;
  return {
    application: info.applicationName,
    name: info.deploymentGroupName,
    ecsServices: (info.ecsServices ?? []).flatMap((s) =>
      s.clusterName && s.serviceName ? [{ clusterName: s.clusterName, serviceName: s.serviceName }] : [],
    ),
    targetGroups: (info.loadBalancerInfo?.targetGroupPairInfoList ?? []).flatMap((pair) =>
      (pair.targetGroups ?? []).flatMap((tg) => (tg.name ? [tg.name] : [])),
    ),
    ...waitsOf(info.blueGreenDeploymentConfiguration, info.deploymentConfigName),
    ...(last?.deploymentId && last.status
      ? {
          lastAttempted: {
            deploymentId: last.deploymentId,
            status: last.status,
            ...(last.createTime ? { createTime: last.createTime.toISOString() } : {}),
          },
        }
      : {}),
  };
}

function toDeployment(info: DeploymentInfo): CodeDeployDeployment | undefined {
  if (!info.deploymentId) return undefined;
  const error = info.errorInformation;
  const code = text(error?.code);
  const message = text(error?.message);
  const rollbackMessage = text(info.rollbackInfo?.rollbackMessage);
  return {
    id: info.deploymentId,
    ...(info.applicationName ? { application: info.applicationName } : {}),
    ...(info.deploymentGroupName ? { group: info.deploymentGroupName } : {}),
    status: info.status ?? 'Unknown',
    ...(info.createTime ? { createTime: info.createTime.toISOString() } : {}),
    ...(info.completeTime ? { completeTime: info.completeTime.toISOString() } : {}),
    ...(code || message ? { error: { ...(code ? { code } : {}), ...(message ? { message } : {}) } } : {}),
    waits: waitsOf(info.blueGreenDeploymentConfiguration, info.deploymentConfigName),
    ...(info.instanceTerminationWaitTimeStarted ? { terminationWaitStarted: true } : {}),
    ...(rollbackMessage ? { rollbackMessage } : {}),
  };
}

function waitsOf(config: BlueGreenDeploymentConfiguration | undefined, deploymentConfigName: string | undefined): BlueGreenWaits {
  const ready = config?.deploymentReadyOption;
  const termination = config?.terminateBlueInstancesOnDeploymentSuccess;
  return {
    ...(ready?.actionOnTimeout ? { ready: { action: ready.actionOnTimeout, minutes: ready.waitTimeInMinutes ?? 0 } } : {}),
    ...(termination?.action ? { termination: { action: termination.action, minutes: termination.terminationWaitTimeInMinutes ?? 0 } } : {}),
    ...(deploymentConfigName ? { deploymentConfigName } : {}),
  };
}
