import { randomUUID } from 'node:crypto';
import type { Trigger } from '../domain/decode/events';
import type { RebuildIndexRequest } from '../domain/decode/run-request';
import { RebuildInProgressError } from '../domain/errors';
import { sameCluster } from '../domain/identity/arn';
import type { ServiceSnapshot } from '../domain/inventory/service';
import type { SecretReference } from '../domain/references/references';
import { canStart, type Deadline, NO_DEADLINE } from '../domain/rollout/deadline';
import type { Continuation } from '../ports/continuation';
import type { Ports } from '../ports/ports';
import type { ListedPage, RebuildLease, RebuildProgress } from '../ports/rebuild-store';
import type { CachedRevisions } from '../ports/revision-cache';
import type { OnProgress } from './progress';
import { completeBuild, type RebuildSummary } from './rebuild-complete';
import { cacheRevisions, describeUnseen } from './revision-cache';
import { listClusters } from './scan-account';

/** How long a run may hold a rebuild without saving progress before another run may take it over. */
export const REBUILD_LEASE_MS = 120_000;
/** How long a build handed to a continuation waits for it before another run may take it over. */
export const REBUILD_HANDOVER_MS = 300_000;
/**
 * The most one page takes: a ListServices, up to ten DescribeServices and up to a hundred
 * DescribeTaskDefinition at ECS's 20 a second. A page starts only when it can end before the deadline.
 */
const PAGE_MS = 10_000;
/** A run records where it is at least this often (and before it hands over): a run that dies loses no more listing. */
const CHECKPOINT_MS = 60_000;
/** Revisions described are cached as soon as this many are waiting: full BatchWriteItems (25 each). */
const CACHE_BATCH = 100;
/** Kept for the final step (first sight, the index and cache writes): it starts only with this much left. */
const FINAL_MS = 120_000;
/** The lease of the final step, which renews none: the longest a Lambda invocation runs. */
const FINAL_LEASE_MS = 900_000;
/** A rebuild's chain of continuations longer than this is a loop, not work (every run moves the build on by a page). */
export const MAX_REBUILD_HOPS = 500;
/** A build left unfinished this long is started over: what it listed is too old to index. */
const MAX_BUILD_AGE_MS = 24 * 3600 * 1000;

/** How a rebuild run is bounded, and where it came from. */
export interface RebuildRun {
  deadline: Deadline;
  /** Where a run near its deadline hands the build over; without one (the CLI) a build that stops waits for the next run. */
  continuation?: Continuation;
  /** The continuation this run is (the build and the lease token handed over), absent for a run started afresh. */
  resume?: RebuildIndexRequest;
  /** Discards an unfinished build (whose lease ran out) and starts over. */
  restart?: boolean;
  trigger?: Trigger;
  onProgress?: OnProgress;
  /** Hears which build the run works on, and whether it goes on with one started before. */
  onClaim?: (progress: RebuildProgress, resumed: boolean) => void;
}

/** What one rebuild run did. */
export type RebuildOutcome =
  /** The build completed in this run: the index was switched to it. */
  | { status: 'complete'; summary: RebuildSummary; progress: RebuildProgress; resumed: boolean }
  /** The run reached its deadline and handed the build to a new run (`continued`), or left it for the next one (`stopped`). */
  | { status: 'continued' | 'stopped'; progress: RebuildProgress; resumed: boolean }
  /** Another run holds the build (until `leaseUntil`), or took it over from this one: nothing was done. */
  | { status: 'refused'; reason: string; progress?: RebuildProgress; leaseUntil?: string };

/**
 * Rebuilds the index from a full scan in one run without a deadline (the CLI, tests), resuming an
 * unfinished build whose lease ran out. Throws {@link RebuildInProgressError} while another run
 * holds the build.
 */
export async function rebuildIndex(ports: Ports, onProgress?: OnProgress, options: { restart?: boolean } = {}): Promise<RebuildSummary> {
  const outcome = await runRebuild(ports, { deadline: NO_DEADLINE, ...(onProgress ? { onProgress } : {}), ...options });
  if (outcome.status === 'complete') return outcome.summary;
  if (outcome.status === 'refused') throw new RebuildInProgressError(outcome.reason);
  throw new RebuildInProgressError('the index rebuild stopped before its end; run it again to go on');
}

/**
 * One run of an index rebuild. The build lists each cluster's services a page at a time
 * (ListServices, DescribeServices) and describes each task definition revision in use that the
 * revision cache has not seen, writing the cache as it goes; at least once a minute, and before
 * it stops, it records where it is (cluster, page token) and what it listed since, in the state
 * table, under a lease. A run near its
 * deadline hands the build over through the continuation; a run started while another holds the
 * lease is refused; one started after a lease ran out takes the build over where it stopped.
 * The index entries, their ledger first-sight records and the meta are written only when every
 * cluster is listed, in one final step: readers never see a half-built index.
 */
export async function runRebuild(ports: Ports, run: RebuildRun): Promise<RebuildOutcome> {
  const owner = randomUUID();
  const claimed = await claimBuild(ports, run, owner);
  if ('refused' in claimed) return claimed.refused;
  run.onClaim?.(claimed.progress, claimed.resumed);
  // What the table holds of the build, and under which lease: given up at once if this run fails.
  const held = { progress: claimed.progress, lease: claimed.lease };
  try {
    return await carryOn(ports, run, owner, claimed, held);
  } catch (error) {
    // The retry of this invocation (a continuation with its token), or the next rebuild, goes on at once from the last checkpoint.
    const release = { owner: run.resume?.token ?? randomUUID(), until: ports.clock.now().getTime() };
    await ports.rebuilds.save(held.progress, release, held.lease).catch(() => false);
    throw error;
  }
}

/** The rest of a run once it holds the build: list and describe page by page, then complete it or hand it over. */
async function carryOn(
  ports: Ports,
  run: RebuildRun,
  owner: string,
  claimed: { progress: RebuildProgress; lease: RebuildLease; resumed: boolean },
  held: { progress: RebuildProgress; lease: RebuildLease },
): Promise<RebuildOutcome> {
  let { progress, lease } = claimed;
  const { resumed } = claimed;
  const now = () => ports.clock.now().getTime();
  // The stored index and the revision cache, in one read: only revisions never seen are described.
  const stored = await ports.index.stored();
  const cache: CachedRevisions = new Map(stored.revisions);
  // Listed since the last checkpoint, and described but not yet cached.
  let listed: ListedPage = { services: [], standaloneTasks: [] };
  let uncached = new Map<string, SecretReference[]>();
  const flushCache = async () => {
    await cacheRevisions(ports, uncached);
    uncached = new Map();
  };
  /**
   * Records where the build is: the revisions described, the services listed since the last
   * checkpoint (one page item), then the progress, with `next` as the lease. False when another
   * run took the build over.
   */
  const checkpoint = async (next: RebuildLease): Promise<boolean> => {
    await flushCache();
    const saved = { ...progress };
    if (listed.services.length + listed.standaloneTasks.length > 0) {
      await ports.rebuilds.savePage(progress.buildId, progress.pages, listed);
      saved.pages += 1;
    }
    if (!(await ports.rebuilds.save(saved, next, lease))) return false;
    [progress, lease, listed] = [saved, next, { services: [], standaloneTasks: [] }];
    Object.assign(held, { progress, lease });
    lastCheckpoint = now();
    return true;
  };
  let lastCheckpoint = now();
  let units = 0;
  const report = () =>
    run.onProgress?.({
      phase: 'scan',
      clusters: progress.clusters.length,
      clustersDone: progress.cluster,
      services: progress.services,
      taskDefinitions: progress.described,
    });
  report();
  while (progress.cluster < progress.clusters.length) {
    // Every run moves the build on by one page at least, whatever its deadline.
    if (units > 0 && !canStart(run.deadline, now(), PAGE_MS)) return handOver(ports, run, () => progress, checkpoint, resumed);
    units += 1;
    const cluster = progress.clusters[progress.cluster];
    const page = await ports.ecs.listServicesPage(cluster, progress.pageToken);
    const last = page.nextToken === undefined;
    // Deleted services stay listed for a while as INACTIVE (DRAINING while they stop): nothing to index or redeploy.
    const services = page.services.filter((s) => s.status === 'ACTIVE' && sameCluster(s.clusterArn, cluster)).map(compactSnapshot);
    const standaloneTasks = last ? await ports.ecs.listStandaloneTasks(cluster) : [];
    const described = await describeUnseen(
      ports,
      [...services.map((s) => s.taskDefinition), ...standaloneTasks.map((t) => t.taskDefinition)],
      cache,
    );
    for (const [arn, references] of described) uncached.set(arn, references);
    // The cache is written as the scan goes, in full batches: what was described is never described again.
    if (uncached.size >= CACHE_BATCH) await flushCache();
    listed.services.push(...services);
    listed.standaloneTasks.push(...standaloneTasks);
    progress = {
      ...progress,
      cluster: last ? progress.cluster + 1 : progress.cluster,
      services: progress.services + services.length,
      described: progress.described + described.size,
    };
    if (last) delete progress.pageToken;
    else progress.pageToken = page.nextToken;
    report();
    if (now() - lastCheckpoint >= CHECKPOINT_MS && !(await checkpoint({ owner, until: now() + REBUILD_LEASE_MS }))) return lost(progress);
  }
  if (units > 0 && !canStart(run.deadline, now(), FINAL_MS)) return handOver(ports, run, () => progress, checkpoint, resumed);
  // The last check that this run still holds the build before the index is switched to it. The
  // progress stays at the last checkpoint: a run that dies from here on leaves the listing since
  // then to be done again, never a build that looks listed without the services to show for it.
  await flushCache();
  // The final step records nothing until its end: its lease lasts as long as a Lambda invocation can.
  const finalLease = { owner, until: now() + FINAL_LEASE_MS };
  if (!(await ports.rebuilds.save(held.progress, finalLease, lease))) return lost(progress);
  held.lease = finalLease;
  const kept = await ports.rebuilds.pages(progress.buildId, progress.pages);
  const summary = await completeBuild(
    ports,
    progress,
    { services: [...kept.services, ...listed.services], standaloneTasks: [...kept.standaloneTasks, ...listed.standaloneTasks] },
    stored,
    cache,
  );
  await ports.rebuilds.clear();
  return { status: 'complete', summary, progress, resumed };
}

/** The build this run works on: the one handed to it, an unfinished one whose lease ran out, or a new one. */
async function claimBuild(
  ports: Ports,
  run: RebuildRun,
  owner: string,
): Promise<{ progress: RebuildProgress; lease: RebuildLease; resumed: boolean } | { refused: RebuildOutcome }> {
  const nowMs = ports.clock.now().getTime();
  const lease = { owner, until: nowMs + REBUILD_LEASE_MS };
  const found = await ports.rebuilds.current();
  const refused = (reason: string, held = found): { refused: RebuildOutcome } => ({
    refused: {
      status: 'refused',
      reason,
      ...(held ? { progress: held.progress, leaseUntil: new Date(held.lease.until).toISOString() } : {}),
    },
  });
  const takeOver = async (held: NonNullable<typeof found>) => {
    const progress = { ...held.progress, runs: held.progress.runs + 1 };
    return (await ports.rebuilds.save(progress, lease, held.lease))
      ? { progress, lease, resumed: true }
      : refused('another run took the index rebuild over at the same moment');
  };
  if (run.resume) {
    if (!found || found.progress.buildId !== run.resume.buildId || found.lease.owner !== run.resume.token)
      return refused('the index rebuild this continuation was to go on with has completed, or another run took it over', undefined);
    return takeOver(found);
  }
  if (found && found.lease.until > nowMs) {
    const { progress } = found;
    return refused(
      `an index rebuild is in flight (started ${progress.startedAt}, ${progress.cluster} of ${progress.clusters.length} clusters ` +
        `and ${progress.services} services listed, run ${progress.runs}); its lease runs until ` +
        `${new Date(found.lease.until).toISOString()}: it is not started twice. Wait for it, or run again once the lease has run out ` +
        'to go on with it',
    );
  }
  const tooOld = found !== undefined && nowMs - Date.parse(found.progress.startedAt) > MAX_BUILD_AGE_MS;
  // A build of other clusters (another --clusters) is not this one's to go on with.
  const otherScope = found !== undefined && (found.progress.scope ?? []).join(',') !== ports.config.clusters.join(',');
  if (found && !run.restart && !tooOld && !otherScope) return takeOver(found);
  if (found) await ports.rebuilds.clear();
  const progress: RebuildProgress = {
    buildId: randomUUID(),
    startedAt: new Date(nowMs).toISOString(),
    scope: ports.config.clusters,
    clusters: await listClusters(ports),
    cluster: 0,
    pages: 0,
    services: 0,
    described: 0,
    runs: 1,
  };
  return (await ports.rebuilds.save(progress, lease, undefined))
    ? { progress, lease, resumed: false }
    : refused('another run started an index rebuild at the same moment', await ports.rebuilds.current());
}

function lost(progress: RebuildProgress): RebuildOutcome {
  return { status: 'refused', reason: 'another run took the index rebuild over (this run held it past its lease)', progress };
}

/**
 * Near the deadline: the build goes to a new run at once, with a lease token only that run can
 * use; without a continuation, the lease is given up, for the next run to go on with it. Either
 * way a checkpoint records where the build is first.
 */
async function handOver(
  ports: Ports,
  run: RebuildRun,
  progress: () => RebuildProgress,
  checkpoint: (next: RebuildLease) => Promise<boolean>,
  resumed: boolean,
): Promise<RebuildOutcome> {
  const nowMs = ports.clock.now().getTime();
  if (!run.continuation) {
    if (!(await checkpoint({ owner: randomUUID(), until: nowMs }))) return lost(progress());
    return { status: 'stopped', progress: progress(), resumed };
  }
  const token = randomUUID();
  const handed = { owner: token, until: nowMs + REBUILD_HANDOVER_MS };
  if (!(await checkpoint(handed))) return lost(progress());
  const { buildId } = progress();
  try {
    await run.continuation.continueWith({
      kind: 'rebuild-index',
      buildId,
      token,
      trigger: run.resume?.trigger ?? run.trigger ?? { source: 'manual' },
      hop: (run.resume?.hop ?? 0) + 1,
    });
  } catch (error) {
    // No continuation: the lease is given up at once, so that the retry (or the next schedule) goes on with the build.
    await ports.rebuilds.save(progress(), { owner: token, until: nowMs }, handed).catch(() => false);
    throw error;
  }
  return { status: 'continued', progress: progress(), resumed };
}

/**
 * What a build keeps of a listed service: everything the index and first sight read, without
 * the deployments older than the PRIMARY one.
 */
function compactSnapshot(service: ServiceSnapshot): ServiceSnapshot {
  return { ...service, deployments: service.deployments.filter((d) => d.status === 'PRIMARY') };
}
