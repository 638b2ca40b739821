import type { ServiceSnapshot, StandaloneTask } from '../domain/inventory/service';
import type { SecretReference } from '../domain/references/references';
import type { Ports } from '../ports/ports';
import type { CachedRevisions } from '../ports/revision-cache';
import { mapWithConcurrency } from '../util/concurrency';
import type { OnProgress, ScanProgress } from './progress';

/** DescribeTaskDefinition refills at 20/s per account; stay well below. */
export const TASK_DEFINITION_CONCURRENCY = 8;

/** The clusters to manage: the configured ones, or every cluster of the account. */
export async function listClusters(ports: Pick<Ports, 'config' | 'ecs'>): Promise<string[]> {
  if (ports.config.clusters.length > 0) return ports.config.clusters;
  return ports.ecs.listClusters();
}

/** Everything a full scan of the account finds. */
export interface AccountScan {
  clusters: string[];
  services: ServiceSnapshot[];
  standaloneTasks: StandaloneTask[];
  /** Task definition ARN -> its references, for every task definition in use. */
  references: Map<string, SecretReference[]>;
  /** The task definitions among them that were described (not found in the revision cache). */
  described: Map<string, SecretReference[]>;
}

/**
 * Lists every (configured) cluster, its services and standalone tasks, and describes each distinct
 * task definition once, but for those whose references `cached` holds (the revision cache: a
 * revision never changes). Cost grows with the account: used to build the index, and as the
 * fallback when there is none.
 */
export async function scanAccount(
  ports: Pick<Ports, 'config' | 'ecs'>,
  onProgress?: OnProgress,
  cached: CachedRevisions = new Map(),
): Promise<AccountScan> {
  const clusters = await listClusters(ports);
  const progress: ScanProgress = { clusters: clusters.length, clustersDone: 0, services: 0, taskDefinitions: 0 };
  const services: ServiceSnapshot[] = [];
  const standaloneTasks: StandaloneTask[] = [];
  await mapWithConcurrency(clusters, 2, async (cluster) => {
    const [found, tasks] = await Promise.all([ports.ecs.listServices(cluster), ports.ecs.listStandaloneTasks(cluster)]);
    services.push(...found);
    standaloneTasks.push(...tasks);
    progress.clustersDone += 1;
    progress.services += found.length;
    onProgress?.({ phase: 'scan', ...progress });
  });
  // Deleted services stay listed for a while as INACTIVE (DRAINING while they stop): nothing to index or redeploy.
  const unique = [...new Map(services.map((s) => [s.serviceArn, s])).values()].filter((s) => s.status === 'ACTIVE');
  const { references, described } = await referencesOfAll(
    ports,
    [...unique.map((s) => s.taskDefinition), ...standaloneTasks.map((t) => t.taskDefinition)],
    cached,
  );
  progress.taskDefinitions = references.size;
  onProgress?.({ phase: 'scan', ...progress });
  return { clusters, services: unique, standaloneTasks, references, described };
}

/**
 * The references of every distinct task definition of `arns`: from the cache when it holds them
 * (a row it could not read counts as unseen), otherwise described, with bounded concurrency.
 */
async function referencesOfAll(
  ports: Pick<Ports, 'ecs'>,
  arns: string[],
  cached: CachedRevisions,
): Promise<Pick<AccountScan, 'references' | 'described'>> {
  const distinct = [...new Set(arns)].filter((arn) => arn !== '');
  const unseen = distinct.filter((arn) => cached.get(arn) === undefined);
  const refs = await mapWithConcurrency(unseen, TASK_DEFINITION_CONCURRENCY, (arn) => ports.ecs.taskDefinitionReferences(arn));
  const described = new Map(unseen.map((arn, i) => [arn, refs[i]]));
  const references = new Map(distinct.map((arn) => [arn, described.get(arn) ?? (cached.get(arn) as SecretReference[])]));
  return { references, described };
}
