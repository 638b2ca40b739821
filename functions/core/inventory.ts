import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  paginateListClusters,
  paginateListServices,
  paginateListTasks,
  Service,
} from '@aws-sdk/client-ecs';
import type { Deps } from '../aws/clients';
import { chunk, mapWithConcurrency } from './concurrency';
import { extractReferences, SecretReference } from './references';

/** What planning needs to know about one ECS service, read by DescribeServices. */
export interface ServiceSnapshot {
  clusterArn: string;
  serviceArn: string;
  serviceName: string;
  status: string;
  desiredCount: number;
  deploymentController: string;
  /** Task definition of the PRIMARY deployment: what new tasks start from. */
  taskDefinition: string;
  tags: Record<string, string>;
}

/** A task not started by a service (RunTask, scheduled): it cannot be redeployed, only reported. */
export interface StandaloneTask {
  clusterArn: string;
  taskArn: string;
  taskDefinition: string;
  group?: string;
  startedBy?: string;
}

/** ECS allows at most this many services in one DescribeServices call. */
export const DESCRIBE_SERVICES_BATCH = 10;
const DESCRIBE_TASKS_BATCH = 100;
/** DescribeTaskDefinition refills at 20/s per account; stay well below. */
const TASK_DEFINITION_CONCURRENCY = 8;

/** The clusters to manage: the configured ones, or every cluster of the account (all pages). */
export async function listClusters(deps: Deps): Promise<string[]> {
  if (deps.config.clusters.length > 0) return deps.config.clusters;
  const arns: string[] = [];
  for await (const page of paginateListClusters({ client: deps.ecs }, { maxResults: 100 })) {
    arns.push(...(page.clusterArns ?? []));
  }
  return arns;
}

/** Every service of a cluster, described in batches of ten, with tags. */
export async function listServices(deps: Deps, cluster: string): Promise<ServiceSnapshot[]> {
  const arns = new Set<string>();
  for await (const page of paginateListServices({ client: deps.ecs }, { cluster, maxResults: 100 })) {
    for (const arn of page.serviceArns ?? []) arns.add(arn);
  }
  const described = await describeServices(deps, cluster, [...arns]);
  // A listing may name services of another cluster (seen with moto); keep only this cluster's.
  return described.filter((s) => sameCluster(s.clusterArn, cluster));
}

/**
 * DescribeServices in batches of {@link DESCRIBE_SERVICES_BATCH} for services of one cluster.
 * Services ECS no longer knows are left out (reported by `failures`).
 */
export async function describeServices(deps: Deps, cluster: string, serviceArns: string[]): Promise<ServiceSnapshot[]> {
  const batches = chunk(serviceArns, DESCRIBE_SERVICES_BATCH);
  const pages = await mapWithConcurrency(batches, 4, (services) =>
    deps.ecs.send(new DescribeServicesCommand({ cluster, services, include: ['TAGS'] })),
  );
  return pages.flatMap((page) => (page.services ?? []).map(toSnapshot).filter((s): s is ServiceSnapshot => s !== undefined));
}

function toSnapshot(service: Service): ServiceSnapshot | undefined {
  if (!service.serviceArn || !service.clusterArn) return undefined;
  const primary = service.deployments?.find((d) => d.status === 'PRIMARY');
  return {
    clusterArn: service.clusterArn,
    serviceArn: service.serviceArn,
    serviceName: service.serviceName ?? service.serviceArn.split('/').pop() ?? '',
    status: service.status ?? 'UNKNOWN',
    desiredCount: service.desiredCount ?? 0,
    deploymentController: service.deploymentController?.type ?? 'ECS',
    taskDefinition: primary?.taskDefinition ?? service.taskDefinition ?? '',
    tags: Object.fromEntries((service.tags ?? []).filter((t) => t.key).map((t) => [t.key as string, t.value ?? ''])),
  };
}

/** Running tasks of a cluster that no service started. */
export async function listStandaloneTasks(deps: Deps, cluster: string): Promise<StandaloneTask[]> {
  const arns: string[] = [];
  for await (const page of paginateListTasks({ client: deps.ecs }, { cluster, desiredStatus: 'RUNNING', maxResults: 100 })) {
    arns.push(...(page.taskArns ?? []));
  }
  const pages = await mapWithConcurrency(chunk(arns, DESCRIBE_TASKS_BATCH), 2, (tasks) =>
    deps.ecs.send(new DescribeTasksCommand({ cluster, tasks })),
  );
  return pages
    .flatMap((page) => page.tasks ?? [])
    .filter((task) => task.taskArn && task.taskDefinitionArn && task.clusterArn && !task.group?.startsWith('service:'))
    .filter((task) => sameCluster(task.clusterArn as string, cluster))
    .map((task) => ({
      clusterArn: task.clusterArn as string,
      taskArn: task.taskArn as string,
      taskDefinition: task.taskDefinitionArn as string,
      ...(task.group ? { group: task.group } : {}),
      ...(task.startedBy ? { startedBy: task.startedBy } : {}),
    }));
}

/**
 * Reads task definitions' references, each revision described at most once per reader:
 * revisions are immutable, so a cached answer never goes stale.
 */
export class TaskDefinitionReader {
  private readonly cache = new Map<string, Promise<SecretReference[]>>();

  constructor(private readonly deps: Deps) {}

  /** The references of one task definition revision (by ARN). */
  references(taskDefinition: string): Promise<SecretReference[]> {
    let found = this.cache.get(taskDefinition);
    if (!found) {
      found = this.deps.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition })).then((out) =>
        out.taskDefinition ? extractReferences(out.taskDefinition) : [],
      );
      found.catch(() => this.cache.delete(taskDefinition));
      this.cache.set(taskDefinition, found);
    }
    return found;
  }

  /** Describes every distinct task definition of `arns` with bounded concurrency. */
  async referencesOfAll(arns: Iterable<string>): Promise<Map<string, SecretReference[]>> {
    const distinct = [...new Set(arns)].filter((arn) => arn !== '');
    const refs = await mapWithConcurrency(distinct, TASK_DEFINITION_CONCURRENCY, (arn) => this.references(arn));
    return new Map(distinct.map((arn, i) => [arn, refs[i]]));
  }
}

const readers = new WeakMap<Deps['ecs'], TaskDefinitionReader>();

/**
 * The reader shared by every run of this process with the same ECS client, so that a warm
 * Lambda container never describes a task definition revision twice.
 */
export function taskDefinitionReader(deps: Deps): TaskDefinitionReader {
  let reader = readers.get(deps.ecs);
  if (!reader) {
    reader = new TaskDefinitionReader(deps);
    readers.set(deps.ecs, reader);
  }
  return reader;
}

/** Progress of a full scan, for a terminal display. */
export interface ScanProgress {
  clusters: number;
  clustersDone: number;
  services: number;
  taskDefinitions: number;
}

/** Everything a full scan of the account finds. */
export interface AccountScan {
  clusters: string[];
  services: ServiceSnapshot[];
  standaloneTasks: StandaloneTask[];
  references: Map<string, SecretReference[]>;
}

/**
 * Lists every (configured) cluster, its services and standalone tasks, and describes each distinct
 * task definition once. Cost grows with the account: used to build the index, and as the
 * fallback when there is none.
 */
export async function scanAccount(deps: Deps, reader: TaskDefinitionReader, onProgress?: (p: ScanProgress) => void): Promise<AccountScan> {
  const clusters = await listClusters(deps);
  const progress: ScanProgress = { clusters: clusters.length, clustersDone: 0, services: 0, taskDefinitions: 0 };
  const services: ServiceSnapshot[] = [];
  const standaloneTasks: StandaloneTask[] = [];
  await mapWithConcurrency(clusters, 2, async (cluster) => {
    const [found, tasks] = await Promise.all([listServices(deps, cluster), listStandaloneTasks(deps, cluster)]);
    services.push(...found);
    standaloneTasks.push(...tasks);
    progress.clustersDone += 1;
    progress.services += found.length;
    onProgress?.({ ...progress });
  });
  // Deleted services stay listed for a while as INACTIVE (DRAINING while they stop): nothing to index or redeploy.
  const unique = dedupe(services).filter((s) => s.status === 'ACTIVE');
  const references = await reader.referencesOfAll([...unique.map((s) => s.taskDefinition), ...standaloneTasks.map((t) => t.taskDefinition)]);
  progress.taskDefinitions = references.size;
  onProgress?.({ ...progress });
  return { clusters, services: unique, standaloneTasks, references };
}

function dedupe(services: ServiceSnapshot[]): ServiceSnapshot[] {
  return [...new Map(services.map((s) => [s.serviceArn, s])).values()];
}

/** True when a cluster ARN is the given cluster (named by name or ARN). */
export function sameCluster(clusterArn: string, cluster: string): boolean {
  return clusterArn === cluster || clusterArn.endsWith(`:cluster/${cluster}`);
}
