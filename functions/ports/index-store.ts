import type { IndexDiff, IndexEntry, IndexMeta } from '../domain/index/entries';
import type { SecretReference } from '../domain/references/references';

/**
 * Task definition revision ARN -> its references, as cached; undefined for a row that could not
 * be read (corrupt, or written in another format): that revision is to be described again.
 */
export type CachedRevisions = Map<string, SecretReference[] | undefined>;

/** What a rebuild starts from: the stored index and the revision cache. */
export interface StoredIndex {
  entries: IndexEntry[];
  revisions: CachedRevisions;
}

/**
 * The secret -> consumers index (the state table in AWS), and the revision cache it is built
 * from: the parsed references of each task definition revision seen (revisions are immutable,
 * so a cached one is never described again; one no longer in use is dropped by the next rebuild).
 */
export interface IndexStore {
  /** The entries of one secret (services and standalone tasks that reference it). */
  entriesOf(secretArn: string): Promise<IndexEntry[]>;
  /** Every entry of every secret. */
  allEntries(): Promise<IndexEntry[]>;
  /** Every entry and every cached revision, read together (in AWS: the one Scan that {@link allEntries} makes). */
  stored(): Promise<StoredIndex>;
  /** When the index was last built, or undefined if never. */
  meta(): Promise<IndexMeta | undefined>;
  writeMeta(meta: IndexMeta): Promise<void>;
  /** The secrets a service is indexed under (empty when it is not indexed). */
  secretsOfService(serviceArn: string): Promise<string[]>;
  /**
   * Applies a diff, and keeps each touched service's list of secrets in step: `services` maps
   * every service the diff covers to the secrets it is now indexed under (empty: not indexed).
   */
  apply(diff: IndexDiff, services: Map<string, string[]>): Promise<void>;
  /** The cached references of one revision; undefined when it is not cached or its row cannot be read. */
  cachedRevision(taskDefinitionArn: string): Promise<SecretReference[] | undefined>;
  /** Caches revisions' references; an empty list too (a revision without references is not described again). */
  cacheRevisions(revisions: Map<string, SecretReference[]>): Promise<void>;
  /** Removes revisions from the cache. */
  dropRevisions(taskDefinitionArns: string[]): Promise<void>;
}
