import {
  type DeploymentConfiguration,
  DescribeServiceDeploymentsCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  type ECSClient,
  ListServiceDeploymentsCommand,
  ListServicesCommand,
  type LoadBalancer,
  paginateListClusters,
  paginateListServices,
  paginateListTasks,
  type Service,
  type ServiceDeployment,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { lastPathSegment, sameCluster } from '../domain/identity/arn';
import type { DeploymentStrategy, ServiceSnapshot, StandaloneTask } from '../domain/inventory/service';
import { extractReferences, type SecretReference, type UnusableReference, unusableReferences } from '../domain/references/references';
import type { NotOffered, ServiceDeploymentBrief, ServiceDeploymentRecord } from '../domain/rollout/service-deployments';
import type { EcsPort } from '../ports/ecs';
import { chunk, mapWithConcurrency } from '../util/concurrency';
import type { AwsClients } from './clients';
import { classified } from './sent-once';

/** ECS allows at most this many services in one DescribeServices call. */
export const DESCRIBE_SERVICES_BATCH = 10;
const DESCRIBE_TASKS_BATCH = 100;
/** ECS describes at most this many service deployments in one DescribeServiceDeployments call. */
export const DESCRIBE_SERVICE_DEPLOYMENTS_BATCH = 20;

/**
 * The ECS port on the SDK: listings page through every page, DescribeServices goes in batches of
 * ten with tags. Task definition revisions are immutable, so each is described at most once for
 * the life of the adapter (a warm Lambda container never describes a revision twice).
 */
export function awsEcs(clients: Pick<AwsClients, 'ecs' | 'ecsOnce'>): EcsPort {
  const { ecs } = clients;
  const revisions = new Map<string, Promise<{ references: SecretReference[]; unusable: UnusableReference[] }>>();
  const revision = (taskDefinition: string) => {
    let found = revisions.get(taskDefinition);
    if (!found) {
      found = ecs
        .send(new DescribeTaskDefinitionCommand({ taskDefinition }))
        .then((out) =>
          out.taskDefinition
            ? { references: extractReferences(out.taskDefinition), unusable: unusableReferences(out.taskDefinition) }
            : { references: [], unusable: [] },
        );
      found.catch(() => revisions.delete(taskDefinition));
      revisions.set(taskDefinition, found);
    }
    return found;
  };
  // Once an endpoint showed it does not offer ECS's deployment records, this adapter stops asking.
  let notOffered: NotOffered | undefined;
  // Asked once without retries first: an endpoint that does not know the operation says so at once
  // (moto's answer would otherwise be retried AWS_MAX_ATTEMPTS times, seconds per adapter); any
  // other error is asked again with retries (the reads are idempotent).
  const read = async <O>(call: (client: ECSClient) => Promise<O>): Promise<O> => {
    try {
      return await call(clients.ecsOnce);
    } catch (error) {
      if (notOfferedBecause(error) !== undefined) throw error;
      return call(ecs);
    }
  };
  const offered = async <T>(call: () => Promise<T>): Promise<T | NotOffered> => {
    if (notOffered) return notOffered;
    try {
      return await call();
    } catch (error) {
      const why = notOfferedBecause(error);
      if (why === undefined) throw error;
      notOffered = { notOffered: why };
      return notOffered;
    }
  };

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
      const page = await ecs.send(new ListServicesCommand({ cluster, maxResults: 100, nextToken: pageToken }));
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
      return revision(taskDefinition).then((r) => r.references);
    },

    taskDefinitionUnusable(taskDefinition) {
      return revision(taskDefinition).then((r) => r.unusable);
    },

    listServiceDeployments(service, createdAfter) {
      return offered(async () => {
        const briefs: ServiceDeploymentBrief[] = [];
        const input = {
          cluster: service.clusterArn,
          service: service.serviceArn,
          createdAt: { after: new Date(createdAfter) },
          maxResults: 100,
        };
        // The SDK has no paginator for it: follow nextToken.
        let nextToken: string | undefined;
        do {
          const command = new ListServiceDeploymentsCommand({ ...input, nextToken });
          const page = await read((client) => client.send(command));
          nextToken = page.nextToken;
          for (const d of page.serviceDeployments ?? []) {
            if (!d.serviceDeploymentArn) continue;
            briefs.push({
              arn: d.serviceDeploymentArn,
              status: d.status ?? 'UNKNOWN',
              ...(d.serviceArn ? { serviceArn: d.serviceArn } : {}),
              ...(d.statusReason ? { statusReason: d.statusReason } : {}),
              ...times(d),
            });
          }
        } while (nextToken);
        return briefs;
      });
    },

    describeServiceDeployments(serviceDeploymentArns) {
      return offered(async () => {
        const pages = await mapWithConcurrency(chunk(serviceDeploymentArns, DESCRIBE_SERVICE_DEPLOYMENTS_BATCH), 4, (arns) =>
          read((client) => client.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: arns }))),
        );
        // Deployments ECS does not know (or whose revision predates the records) come back in `failures`: left out.
        return pages.flatMap((page) => (page.serviceDeployments ?? []).map(toServiceDeployment).filter((d) => d !== undefined));
      });
    },

    async forceNewDeployment(service) {
      const command = new UpdateServiceCommand({ cluster: service.clusterArn, service: service.serviceArn, forceNewDeployment: true });
      const out = await clients.ecsOnce.send(command).catch((error: unknown) => {
        throw classified(error, 'UpdateService');
      });
      const deploymentId = out.service?.deployments?.find((d) => d.status === 'PRIMARY')?.id;
      // The deployment just started is the service's current one: its record's ARN spares finding it later.
      const serviceDeploymentArn = out.service?.currentServiceDeployment;
      return { ...(deploymentId ? { deploymentId } : {}), ...(serviceDeploymentArn ? { serviceDeploymentArn } : {}) };
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
    ...(service.deploymentConfiguration?.strategy ? { strategy: toStrategy(service.deploymentConfiguration) } : {}),
    // A CODE_DEPLOY or EXTERNAL service is deployed by task sets: what runs, and what a CodeDeploy AppSpec names.
    ...(service.deploymentController?.type && service.deploymentController.type !== 'ECS' ? byTaskSets(service) : {}),
  };
}

/** The task sets and load balancers of a service deployed by task sets (CODE_DEPLOY, EXTERNAL). */
function byTaskSets(service: Service): Pick<ServiceSnapshot, 'taskSets' | 'loadBalancers'> {
  const balancers = (list: LoadBalancer[] | undefined) =>
    (list ?? []).map((lb) => ({
      ...(lb.targetGroupArn ? { targetGroupArn: lb.targetGroupArn } : {}),
      ...(lb.containerName ? { containerName: lb.containerName } : {}),
      ...(lb.containerPort !== undefined ? { containerPort: lb.containerPort } : {}),
    }));
  const taskSets = (service.taskSets ?? []).flatMap((t) =>
    t.id
      ? [
          {
            id: t.id,
            status: t.status ?? 'UNKNOWN',
            ...(t.taskDefinition ? { taskDefinition: t.taskDefinition } : {}),
            ...(t.createdAt ? { createdAt: t.createdAt.toISOString() } : {}),
            ...(t.loadBalancers?.length ? { loadBalancers: balancers(t.loadBalancers) } : {}),
          },
        ]
      : [],
  );
  return { taskSets, ...(service.loadBalancers?.length ? { loadBalancers: balancers(service.loadBalancers) } : {}) };
}

/** The strategy and bake times of a deployment configuration that names a strategy. */
function toStrategy(config: DeploymentConfiguration): DeploymentStrategy {
  const hookStages = [...new Set((config.lifecycleHooks ?? []).flatMap((h) => h.lifecycleStages ?? []))];
  const { linearConfiguration: linear, canaryConfiguration: canary } = config;
  return {
    name: config.strategy ?? 'ROLLING',
    ...(config.bakeTimeInMinutes !== undefined ? { bakeTimeInMinutes: config.bakeTimeInMinutes } : {}),
    ...(linear && config.strategy === 'LINEAR'
      ? { linear: { ...defined('stepPercent', linear.stepPercent), ...defined('stepBakeTimeInMinutes', linear.stepBakeTimeInMinutes) } }
      : {}),
    ...(canary && config.strategy === 'CANARY'
      ? {
          canary: {
            ...defined('canaryPercent', canary.canaryPercent),
            ...defined('canaryBakeTimeInMinutes', canary.canaryBakeTimeInMinutes),
          },
        }
      : {}),
    ...(hookStages.length > 0 ? { hookStages } : {}),
  };
}

function defined<K extends string>(key: K, value: number | undefined): Partial<Record<K, number>> {
  return (value === undefined ? {} : { [key]: value }) as Partial<Record<K, number>>;
}

function times(d: {
  createdAt?: Date;
  startedAt?: Date;
  finishedAt?: Date;
}): Pick<ServiceDeploymentBrief, 'createdAt' | 'startedAt' | 'finishedAt'> {
  return {
    ...(d.createdAt ? { createdAt: d.createdAt.toISOString() } : {}),
    ...(d.startedAt ? { startedAt: d.startedAt.toISOString() } : {}),
    ...(d.finishedAt ? { finishedAt: d.finishedAt.toISOString() } : {}),
  };
}

function toServiceDeployment(d: ServiceDeployment): ServiceDeploymentRecord | undefined {
  if (!d.serviceDeploymentArn) return undefined;
  const hooks = (d.lifecycleHookDetails ?? []).map((h) => ({
    ...(h.status ? { status: h.status } : {}),
    ...(h.targetType ? { targetType: h.targetType } : {}),
    ...(h.expiresAt ? { expiresAt: h.expiresAt.toISOString() } : {}),
  }));
  const breaker = d.deploymentCircuitBreaker;
  return {
    arn: d.serviceDeploymentArn,
    status: d.status ?? 'UNKNOWN',
    ...(d.serviceArn ? { serviceArn: d.serviceArn } : {}),
    ...(d.statusReason ? { statusReason: d.statusReason } : {}),
    ...times(d),
    ...(d.lifecycleStage ? { lifecycleStage: d.lifecycleStage } : {}),
    ...(hooks.length > 0 ? { hooks } : {}),
    ...(d.deploymentConfiguration?.strategy ? { strategy: toStrategy(d.deploymentConfiguration) } : {}),
    ...(breaker
      ? {
          circuitBreaker: {
            ...(breaker.status ? { status: breaker.status } : {}),
            ...defined('failureCount', breaker.failureCount),
            ...defined('threshold', breaker.threshold),
          },
        }
      : {}),
    ...(d.alarms
      ? { alarms: { ...(d.alarms.status ? { status: d.alarms.status } : {}), triggered: d.alarms.triggeredAlarmNames ?? [] } }
      : {}),
    ...(d.rollback?.reason ? { rollbackReason: d.rollback.reason } : {}),
  };
}

/**
 * Names AWS and look-alikes answer an operation they do not know with. The ECS client has no
 * class for them (they are not in its model), so they are told apart by name.
 */
const UNKNOWN_OPERATION = new Set(['UnknownOperationException', 'InvalidAction', 'UnsupportedOperation', 'NotImplemented']);
/** This role may not call it (a stack not updated yet): the rollouts go on the way they did before. */
const NOT_ALLOWED = new Set(['AccessDeniedException', 'AccessDenied', 'UnauthorizedOperation']);

/**
 * Why an endpoint does not offer ECS's deployment records, from the error it answered; undefined
 * for any other error (thrown as it is). An endpoint that does not know the operation answers
 * UnknownOperationException (AWS's JSON protocol), InvalidAction, HTTP 501, or, like moto, a
 * page that is not the API's JSON ("... has not been implemented").
 */
export function notOfferedBecause(error: unknown): string | undefined {
  const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number }; $response?: unknown };
  const status = e.$metadata?.httpStatusCode;
  if (e.name && UNKNOWN_OPERATION.has(e.name)) return `the endpoint does not know the operation (${e.name})`;
  if (status === 501) return 'the endpoint does not know the operation (HTTP 501)';
  if (e.name && NOT_ALLOWED.has(e.name))
    return `this role may not call it (${e.name}): grant ecs:ListServiceDeployments and ecs:DescribeServiceDeployments`;
  // An answer that is not the API's JSON comes with no error class at all: only its text tells.
  if (e.$response !== undefined && (e.name === 'SyntaxError' || /deserialization error|not been implemented/i.test(e.message ?? ''))) {
    return `the endpoint does not answer it like the ECS API${status ? ` (HTTP ${status})` : ''}`;
  }
  return undefined;
}
