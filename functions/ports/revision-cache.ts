import type { SecretReference } from '../domain/references/references';

/**
 * Task definition revision ARN -> its references, as cached; undefined for a row that could not
 * be read (corrupt, or written in another format): that revision is to be described again.
 */
export type CachedRevisions = Map<string, SecretReference[] | undefined>;

/**
 * The parsed references of each task definition revision seen (rows of the state table in AWS).
 * Revisions are immutable, so a cached one is never described again; one no longer in use is
 * dropped by the next rebuild. A rebuild reads the whole cache with the index, in one Scan
 * (IndexStore.stored).
 */
export interface RevisionCache {
  /** The cached references of one revision; undefined when it is not cached or its row cannot be read. */
  cachedRevision(taskDefinitionArn: string): Promise<SecretReference[] | undefined>;
  /** Caches revisions' references; an empty list too (a revision without references is not described again). */
  cacheRevisions(revisions: Map<string, SecretReference[]>): Promise<void>;
  /** Removes revisions from the cache. */
  dropRevisions(taskDefinitionArns: string[]): Promise<void>;
}
