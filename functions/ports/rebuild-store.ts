import type { ServiceSnapshot, StandaloneTask } from '../domain/inventory/service';

/**
 * Where an index rebuild in flight has come to. A rebuild lists each cluster's services a page at
 * a time and describes the revisions it has not seen; this is what it needs to go on in another
 * run without listing or describing anything again.
 */
export interface RebuildProgress {
  buildId: string;
  /** When the build started (ISO). */
  startedAt: string;
  /** The clusters configured when the build started (empty: every cluster of the account). */
  scope?: string[];
  /** The clusters to scan, fixed when the build started. */
  clusters: string[];
  /** The index in `clusters` of the cluster being listed; `clusters.length` once every cluster is listed. */
  cluster: number;
  /** The ListServices page token to go on from in that cluster; undefined at the cluster's start. */
  pageToken?: string;
  /** Pages of listed services and tasks saved so far (the next page's number). */
  pages: number;
  /** Services listed so far (ACTIVE ones, of the clusters listed). */
  services: number;
  /** Task definition revisions described by this build so far (the others were cached). */
  described: number;
  /** Runs this build has taken so far, this one included. */
  runs: number;
}

/** Who may work on the build, until when. */
export interface RebuildLease {
  /** A token of the run holding it, or of the continuation it was handed to. */
  owner: string;
  /** Epoch ms after which another run may take the build over. */
  until: number;
}

/** What a listed page holds: the services and standalone tasks a build keeps until it writes the index. */
export interface ListedPage {
  services: ServiceSnapshot[];
  standaloneTasks: StandaloneTask[];
}

/**
 * The state of the index rebuild in flight (the state table's `REBUILD` partition in AWS): its
 * progress, its lease, and the pages it listed. The index itself is written only when the build
 * completes: readers never see a half-built one.
 */
export interface RebuildStore {
  /** The build in flight, with its lease, if any. */
  current(): Promise<{ progress: RebuildProgress; lease: RebuildLease } | undefined>;
  /**
   * Writes the build's progress and lease if the stored lease is still `expected` (undefined:
   * no build is stored). False when another run wrote it meanwhile.
   */
  save(progress: RebuildProgress, lease: RebuildLease, expected: RebuildLease | undefined): Promise<boolean>;
  /** Keeps one listed page of the build, as page number `page` (written again, it replaces the page). */
  savePage(buildId: string, page: number, listed: ListedPage): Promise<void>;
  /** Every page the build kept, pages `0 .. pages - 1`. */
  pages(buildId: string, pages: number): Promise<ListedPage>;
  /** Forgets the build: its progress, lease and pages (any build id's). */
  clear(): Promise<void>;
}
