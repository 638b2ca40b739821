import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ListServicesCommand,
  paginateListClusters,
  paginateListServices,
  paginateListTasks,
  type Service,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { OutcomeUnknownError, ThrottledError } from '../domain/errors';
import { lastPathSegment, sameCluster } from '../domain/identity/arn';
import type { ServiceSnapshot, StandaloneTask } from '../domain/inventory/service';
import { extractReferences, type SecretReference } from '../domain/references/references';
import type { EcsPort } from '../ports/ecs';
import { chunk, mapWithConcurrency } from '../util/concurrency';
import type { AwsClients } from './clients';

/** ECS allows at most this many services in one DescribeServices call. */
export const DESCRIBE_SERVICES_BATCH = 10;
const DESCRIBE_TASKS_BATCH = 100;

/**
 * The ECS port on the SDK: listings page through every page, DescribeServices goes in batches of
 * ten with tags. Task definition revisions are immutable, so each is described at most once for
 * the life of the adapter (a warm Lambda container never describes a revision twice).
 */
export function awsEcs(clients: Pick<AwsClients, 'ecs' | 'ecsOnce'>): EcsPort {
  const { ecs } = clients;
  const revisions = new Map<string, Promise<SecretReference[]>>();

  const describeServices = async (cluster: string, serviceArns: string[]): Promise<ServiceSnapshot[]> => {
    const pages = await mapWithConcurrency(chunk(serviceArns, DESCRIBE_SERVICES_BATCH), 4, (services) =>
      ecs.send(new DescribeServicesCommand({ cluster, services, include: ['TAGS'] })),
    );
    // Services ECS no longer knows come back in `failures`, not in `services`: left out.
    return pages.flatMap((page) => (page.services ?? []).map(toSnapshot).filter((s): s is ServiceSnapshot => s !== undefined));
  };

  return {
    async listClusters() {
      const arns: string[] = [];
      for await (const page of paginateListClusters({ client: ecs }, { maxResults: 100 })) arns.push(...(page.clusterArns ?? []));
      return arns;
    },

    async listServices(cluster) {
      const arns = new Set<string>();
      for await (const page of paginateListServices({ client: ecs }, { cluster, maxResults: 100 })) {
        for (const arn of page.serviceArns ?? []) arns.add(arn);
      }
      const described = await describeServices(cluster, [...arns]);
      // A listing may name services of another cluster (seen with moto); keep only this cluster's.
      return described.filter((s) => sameCluster(s.clusterArn, cluster));
    },

    async listServicesPage(cluster, pageToken) {
      const page = await ecs.send(new ListServicesCommand({ cluster, maxResults: 100, ...(pageToken ? { nextToken: pageToken } : {}) }));
      const described = await describeServices(cluster, [...new Set(page.serviceArns ?? [])]);
      return {
        services: described.filter((s) => sameCluster(s.clusterArn, cluster)),
        ...(page.nextToken ? { nextToken: page.nextToken } : {}),
      };
    },

    describeServices,

    async listStandaloneTasks(cluster) {
      const arns: string[] = [];
      for await (const page of paginateListTasks({ client: ecs }, { cluster, desiredStatus: 'RUNNING', maxResults: 100 })) {
        arns.push(...(page.taskArns ?? []));
      }
      const pages = await mapWithConcurrency(chunk(arns, DESCRIBE_TASKS_BATCH), 2, (tasks) =>
        ecs.send(new DescribeTasksCommand({ cluster, tasks })),
      );
      return pages
        .flatMap((page) => page.tasks ?? [])
        .filter((task) => task.taskArn && task.taskDefinitionArn && task.clusterArn && !task.group?.startsWith('service:'))
        .filter((task) => sameCluster(task.clusterArn as string, cluster))
        .map(
          (task): StandaloneTask => ({
            clusterArn: task.clusterArn as string,
            taskArn: task.taskArn as string,
            taskDefinition: task.taskDefinitionArn as string,
            ...(task.group ? { group: task.group } : {}),
            ...(task.startedBy ? { startedBy: task.startedBy } : {}),
          }),
        );
    },

    async runningTasks(service) {
      const arns: string[] = [];
      const listing = { cluster: service.clusterArn, serviceName: service.serviceName, desiredStatus: 'RUNNING' as const, maxResults: 100 };
      for await (const page of paginateListTasks({ client: ecs }, listing)) arns.push(...(page.taskArns ?? []));
      const pages = await mapWithConcurrency(chunk(arns, DESCRIBE_TASKS_BATCH), 2, (tasks) =>
        ecs.send(new DescribeTasksCommand({ cluster: service.clusterArn, tasks })),
      );
      return pages
        .flatMap((page) => page.tasks ?? [])
        .filter((task) => task.taskArn)
        .map((task) => ({
          taskArn: task.taskArn as string,
          ...(task.startedBy ? { startedBy: task.startedBy } : {}),
          ...(task.taskDefinitionArn ? { taskDefinition: task.taskDefinitionArn } : {}),
          ...(task.startedAt ? { startedAt: task.startedAt.toISOString() } : {}),
        }));
    },

    taskDefinitionReferences(taskDefinition) {
      let found = revisions.get(taskDefinition);
      if (!found) {
        found = ecs
          .send(new DescribeTaskDefinitionCommand({ taskDefinition }))
          .then((out) => (out.taskDefinition ? extractReferences(out.taskDefinition) : []));
        found.catch(() => revisions.delete(taskDefinition));
        revisions.set(taskDefinition, found);
      }
      return found;
    },

    async forceNewDeployment(service) {
      const command = new UpdateServiceCommand({ cluster: service.clusterArn, service: service.serviceArn, forceNewDeployment: true });
      const out = await clients.ecsOnce.send(command).catch((error: unknown) => {
        throw classified(error);
      });
      const deploymentId = out.service?.deployments?.find((d) => d.status === 'PRIMARY')?.id;
      return deploymentId ? { deploymentId } : {};
    },
  };
}

function toSnapshot(service: Service): ServiceSnapshot | undefined {
  if (!service.serviceArn || !service.clusterArn) return undefined;
  const deployments = (service.deployments ?? [])
    .filter((d) => d.id)
    .map((d) => ({
      id: d.id as string,
      status: d.status ?? 'UNKNOWN',
      ...(d.rolloutState ? { rolloutState: d.rolloutState } : {}),
      ...(d.rolloutStateReason ? { rolloutStateReason: d.rolloutStateReason } : {}),
      ...(d.taskDefinition ? { taskDefinition: d.taskDefinition } : {}),
      ...(d.createdAt ? { createdAt: d.createdAt.toISOString() } : {}),
    }));
  const primary = deployments.find((d) => d.status === 'PRIMARY');
  return {
    clusterArn: service.clusterArn,
    serviceArn: service.serviceArn,
    serviceName: service.serviceName ?? lastPathSegment(service.serviceArn),
    status: service.status ?? 'UNKNOWN',
    desiredCount: service.desiredCount ?? 0,
    runningCount: service.runningCount ?? 0,
    deploymentController: service.deploymentController?.type ?? 'ECS',
    // What the next deployment starts; a deployment in flight may still run an older one.
    taskDefinition: service.taskDefinition ?? primary?.taskDefinition ?? '',
    deployments,
    tags: Object.fromEntries((service.tags ?? []).filter((t) => t.key).map((t) => [t.key as string, t.value ?? ''])),
  };
}

/**
 * What an UpdateService failure means for a retry: ECS refused it for throttling (not applied),
 * no answer came (timeout, dropped connection, server error: maybe applied), or ECS answered with
 * any other error (not applied; returned as it is).
 */
export function classified(error: unknown): unknown {
  const e = error as { name?: string; $retryable?: { throttling?: boolean }; $fault?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  if (e.name === 'ThrottlingException' || e.$retryable?.throttling) {
    return new ThrottledError(`UpdateService throttled: ${(error as Error).message}`, { cause: error });
  }
  if (status === undefined || status >= 500 || e.$fault === 'server') {
    return new OutcomeUnknownError(`UpdateService got no answer (${e.name ?? 'error'}: ${(error as Error).message})`, { cause: error });
  }
  return error;
}
