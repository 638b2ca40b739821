import { errorLine } from '../domain/errors';
import type { SecretReference } from '../domain/references/references';
import type { Ports } from '../ports/ports';
import type { CachedRevisions } from '../ports/revision-cache';
import { mapWithConcurrency } from '../util/concurrency';
import { type AccountScan, TASK_DEFINITION_CONCURRENCY } from './scan-account';

/*
 * The revision cache: a task definition revision never changes, so its references are read from
 * ECS once and kept. The cache only saves calls: a cache that cannot be read or written costs a
 * DescribeTaskDefinition, never the caller's work.
 */

/**
 * The references of one task definition revision: from the revision cache, otherwise described
 * and, when `store`, cached. The cache only saves calls: a cache that cannot be read or written
 * (a throttled table, a corrupt row) costs a DescribeTaskDefinition, never the caller's work.
 */
export async function revisionReferences(
  ports: Pick<Ports, 'ecs' | 'revisions' | 'log'>,
  taskDefinitionArn: string,
  options: { store: boolean },
): Promise<SecretReference[]> {
  const { references, cached } = await readRevision(ports, taskDefinitionArn);
  if (!cached && options.store) {
    await ports.revisions.cacheRevisions(new Map([[taskDefinitionArn, references]])).catch((error: unknown) => {
      ports.log.warn('revision cache not written', { taskDefinition: taskDefinitionArn, error: errorLine(error) });
    });
  }
  return references;
}

/** The references of one revision, from the cache or else described (`cached` false: worth caching). */
export async function readRevision(
  ports: Pick<Ports, 'ecs' | 'revisions' | 'log'>,
  taskDefinitionArn: string,
): Promise<{ references: SecretReference[]; cached: boolean }> {
  const hit = await ports.revisions.cachedRevision(taskDefinitionArn).catch((error: unknown) => {
    ports.log.warn('revision cache not read', { taskDefinition: taskDefinitionArn, error: errorLine(error) });
    return undefined;
  });
  if (hit) return { references: hit, cached: true };
  return { references: await ports.ecs.taskDefinitionReferences(taskDefinitionArn), cached: false };
}

/**
 * Caches the revisions a scan described. Best effort: a revision left uncached is described
 * again by the next rebuild, which is all a failed write costs.
 */
export async function cacheRevisions(ports: Ports, described: Map<string, SecretReference[]>): Promise<void> {
  if (described.size === 0) return;
  await ports.revisions.cacheRevisions(described).catch((error: unknown) => {
    ports.log.warn('revision cache not written', { revisions: described.size, error: errorLine(error) });
  });
}

/**
 * Drops from the cache the revisions that no service or standalone task of the scan uses (the
 * cache must not grow for ever); rows written since the cache was read are left to the next
 * rebuild. Best effort, as writing it. Returns how many were dropped.
 */
export async function dropUnusedRevisions(ports: Ports, cached: string[], scan: AccountScan): Promise<number> {
  const unused = cached.filter((arn) => !scan.references.has(arn));
  if (unused.length === 0) return 0;
  return ports.revisions.dropRevisions(unused).then(
    () => unused.length,
    (error: unknown) => {
      ports.log.warn('unused revisions not dropped from the cache', { revisions: unused.length, error: errorLine(error) });
      return 0;
    },
  );
}

/** Describes the revisions of `arns` that `cache` does not hold (a row it could not read counts as unseen), and adds them to it. */
export async function describeUnseen(ports: Ports, arns: string[], cache: CachedRevisions): Promise<Map<string, SecretReference[]>> {
  const unseen = [...new Set(arns)].filter((arn) => arn !== '' && cache.get(arn) === undefined);
  const references = await mapWithConcurrency(unseen, TASK_DEFINITION_CONCURRENCY, (arn) => ports.ecs.taskDefinitionReferences(arn));
  const described = new Map(unseen.map((arn, i) => [arn, references[i]]));
  for (const [arn, refs] of described) cache.set(arn, refs);
  return described;
}
