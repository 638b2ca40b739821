import type { ServiceSnapshot } from '../../domain/inventory/service';
import { needsVersionDates } from '../../domain/ledger/first-sight';
import type { SecretRecord } from '../../domain/ledger/record';
import {
  type Consumer,
  deployedInRollout,
  type Frame,
  frameOf,
  type LedgerWrite,
  type PlanContext,
  type Seen,
  type Snapshot,
  undecided,
} from '../../domain/plan/reconcile-plan';
import type { SecretState } from '../../domain/plan/secret-state';
import { referencesTo } from '../../domain/references/match';
import type { Ports } from '../../ports/ports';
import { mapWithConcurrency } from '../../util/concurrency';
import type { DeploymentGroups } from '../deployment-groups';
import { describeLive } from '../describe-live';
import { pollDeployments } from '../poll-deployments';
import { replicaFacts } from '../replicas';
import { readRevision } from '../revision-cache';
import type { Found } from './consumers';
import type { ReconcileOptions } from './options';

/** What one pass of a reconcile read: the plan's snapshot, and what applying the plan needs besides. */
export interface Gathered {
  snapshot: Snapshot;
  /** The secret's own row as read: the rollout's compare-and-set starts from its revision. */
  secretRow?: SecretRecord;
  /** What the schedule's poll learnt of this rollout's deployments, to record. */
  polled: LedgerWrite[];
}

/**
 * Reads, once, what the plan of one pass needs: the ledger (the first pass has it already), the
 * live state of the consumers the ledger alone does not decide (DescribeServices, ten at a time
 * per cluster), the references of a task definition that the index did not know a consumer
 * runs, the versions' creation times when a consumer is first seen, and on the schedule how this
 * rollout's deployments stand (the fallback for missed ECS events), CODE_DEPLOY services' groups,
 * and for a replica secret its primary (what the replica's consumers may wait for). `only`: the
 * consumers to judge (a later pass looks again at those another run's claim held).
 */
export async function gather(
  ports: Ports,
  secret: SecretState,
  found: Found,
  options: ReconcileOptions,
  ctx: PlanContext,
  groups: DeploymentGroups,
  only?: Set<string>,
): Promise<Gathered> {
  const ledger = only ? await ports.ledger.records(secret.arn) : found.ledger;
  const read = options.useLedger ? ledger.services : [];
  const rollout = options.resuming ?? ledger.secret?.rollout;
  const recordOf = new Map(read.map((r) => [r.serviceArn, r]));
  const frame = frameOf({ secret, consumers: found.consumers, ...(rollout ? { rollout } : {}), versionCreated: {} });
  const judged = only ? found.consumers.filter((c) => only.has(c.serviceArn)) : found.consumers;
  const look = undecided(judged, recordOf, frame, ctx);
  // Those a live scan saw are not described again.
  const described = await describeLive(
    ports,
    look.map((c) => ({ ...c, live: found.live.get(c.serviceArn) })),
  );
  const liveOf = new Map(look.map((c) => [c.serviceArn, described.get(c.serviceArn) ?? ('gone' as const)]));
  // The task definition a consumer runs now, where the index named another: its references, read once.
  const moved = look.flatMap((c) => {
    const live = liveOf.get(c.serviceArn);
    return live && live !== 'gone' && live.status !== 'INACTIVE' && live.taskDefinition !== c.taskDefinition ? [live] : [];
  });
  const current = new Map(
    await mapWithConcurrency(moved, 4, async (live) => [live.serviceArn, await currentReferences(ports, live, secret, options)] as const),
  );
  const groupOf = await groups.ofServices(ctx.codeDeploy !== false ? look.map((c) => liveOf.get(c.serviceArn)) : [], recordOf);
  const seen = judged.map((consumer): Seen => {
    const record = recordOf.get(consumer.serviceArn);
    const live = liveOf.get(consumer.serviceArn);
    const now = current.get(consumer.serviceArn);
    const group = groupOf.get(consumer.serviceArn);
    const more = group ? { group } : {};
    return { consumer, ...(record ? { record } : {}), ...(live ? { live } : {}), ...(now ? { current: now } : {}), ...more };
  });
  const atFirstSight = (s: Seen) => !s.record && s.live !== undefined && s.live !== 'gone' && s.live.status !== 'INACTIVE';
  const evidence =
    options.useLedger && seen.some((s) => atFirstSight(s) && needsVersionDates(s.current?.toSecret ?? s.consumer.references, secret));
  const versionCreated = evidence ? await ports.secrets.versionDates(secret) : {};
  const { records, polled } = await poll(ports, read, found.consumers, frame, options, ctx);
  const replica = await replicaFacts(ports, secret, ledger.secret, options.primaryReadSince);
  return {
    snapshot: { secret, consumers: found.consumers, seen, records, ...(rollout ? { rollout } : {}), versionCreated, ...replica },
    ...(ledger.secret ? { secretRow: ledger.secret } : {}),
    polled,
  };
}

/** The references of the task definition a consumer runs now, read once (the revision cache, else ECS). */
async function currentReferences(
  ports: Ports,
  live: ServiceSnapshot,
  secret: SecretState,
  options: ReconcileOptions,
): Promise<Seen['current']> {
  const { references, cached } = options.useLedger
    ? await readRevision(ports, live.taskDefinition)
    : { references: await ports.ecs.taskDefinitionReferences(live.taskDefinition), cached: true };
  const toSecret = await referencesTo(references, secret, (ref) => ports.secrets.resolve(ref));
  return { references, toSecret, described: !cached };
}

/** In the reconcile of every secret (the schedule's): how this rollout's deployments still in progress stand now (see pollDeployments). */
async function poll(
  ports: Ports,
  records: Snapshot['records'],
  consumers: Consumer[],
  frame: Frame,
  options: ReconcileOptions,
  ctx: PlanContext,
): Promise<{ records: Snapshot['records']; polled: LedgerWrite[] }> {
  if (!options.useLedger || options.scope !== 'every-secret') return { records, polled: [] };
  const clusterOf = new Map(consumers.map((c) => [c.serviceArn, c.clusterArn]));
  const polled = await pollDeployments(ports, deployedInRollout(records, frame), clusterOf, ctx.stamp);
  const now = new Map(polled.records.map((r) => [r.serviceArn, r]));
  return { records: records.map((r) => now.get(r.serviceArn) ?? r), polled: polled.writes };
}
