import type { IndexDiff, IndexEntry, IndexMeta } from '../domain/index/entries';
import type { CachedRevisions } from './revision-cache';

/** What a rebuild starts from: the stored index and the revision cache. */
export interface StoredIndex {
  entries: IndexEntry[];
  revisions: CachedRevisions;
}

/** The secret -> consumers index (the state table in AWS). */
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
}
