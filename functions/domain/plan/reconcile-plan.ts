/**
 * What one reconcile of a secret does, decided from what it gathered: pure. For each consumer,
 * a report row or a redeploy; the records to write (first sight, no tasks, deployments polled);
 * the index entries to repair; the rollout's change and what to announce; drift and warnings.
 * The use case gathers the snapshot, calls `planReconcile`, and applies the plan (a dry run
 * previews it instead). A new way to deploy or a new reason to hold a consumer is a new kind of
 * action or verdict here, never a new branch in the executor.
 */

import { appSpecFor, type CodeDeployTarget } from '../codedeploy/appspec';
import { activeDeployment, type GroupLookup, groupName, noGroupReason } from '../codedeploy/group';
import { type Wakeup, wakeupFor } from '../decode/wakeup-request';
import { lastPathSegment, locationOf } from '../identity/arn';
import type { ServiceSnapshot } from '../inventory/service';
import { type Desired, desiredVersions } from '../ledger/desired';
import { firstSightOf } from '../ledger/first-sight';
import {
  type ClaimDecision,
  decideClaim,
  describeRecord,
  describeVersions,
  type LedgerRecord,
  noTasks,
  type Slot,
  type Stamp,
  type Versions,
  versionKey,
} from '../ledger/record';
import { followedStages, type SecretReference } from '../references/references';
import { type Origin, type Scope, type ServiceReport, toReportReference, type Verdict, type WaitingFor } from '../report/report';
import { completeRollout, type FailedDeployment, haltRollout, type Rollout, releaseWave, startRollout } from '../rollout/rollout';
import { decideWaves, type Member, waveOf } from '../rollout/waves';
import { instant, releaseNote, type WindowFacts } from '../windows/restart-policy';
import { eligibility } from './eligibility';
import { type ReplicaHold, replicaHold, replicaRecheckAt, replicationRole, waitKey } from './replication';
import { changedAtOf, judgeRestart, type RestartContext, wakeupsOf } from './restart-hold';
import { type SecretState, versionOfStage } from './secret-state';

/** A service whose task definition references the secret, as the index (or a live scan) found it. */
export interface Consumer {
  serviceArn: string;
  clusterArn: string;
  serviceName: string;
  taskDefinition: string;
  /** Its references to this secret. */
  references: SecretReference[];
  /** The other secrets its task definition references, as indexed (undefined: not known here). */
  otherSecrets?: string[];
}

/** What a reconcile knows of one consumer it judges. */
export interface Seen {
  consumer: Consumer;
  record?: LedgerRecord;
  /** As ECS shows the service now, looked at when the ledger alone does not decide (see `judgedByLedger`); `gone` when ECS shows it no longer. */
  live?: ServiceSnapshot | 'gone';
  /**
   * When it runs another task definition than indexed: that one's references (every secret's),
   * those to this secret, and whether they were described rather than found in the revision cache.
   */
  current?: { references: SecretReference[]; toSecret: SecretReference[]; described: boolean };
  /** A CODE_DEPLOY service's deployment group, as CodeDeploy was asked (only for those whose live state is looked at). */
  group?: GroupLookup;
}

/** Everything one plan is made from. */
export interface Snapshot {
  secret: SecretState;
  /** Every consumer of the secret: their names, and the versions the rollout brings them to. */
  consumers: Consumer[];
  /** Those judged now. */
  seen: Seen[];
  /** The secret's ledger records, with what the schedule's poll learnt of their deployments. */
  records: LedgerRecord[];
  /** The rollout the secret's row records, whatever its versions. */
  rollout?: Rollout;
  /** Version id -> when it was created: the evidence for consumers first seen. */
  versionCreated: Record<string, string>;
  /** For a replica secret: its primary as read now (undefined: no replica, or the primary could not be read). */
  primary?: SecretState;
  /** For a replica secret whose primary could not be read: why. */
  primaryUnread?: string;
  /** The failed replication last announced for this secret (its row's `replicationNoticeFor`). */
  replicationNoticed?: string;
}

/** How this run plans. */
export interface PlanContext {
  now: Date;
  /** This run's claim token. */
  token: string;
  stamp: () => Stamp;
  /** False without a ledger (`--no-ledger`): every eligible consumer is due, nothing is recorded, no waves. */
  ledger: boolean;
  /** Redeploy even the consumers already at the current versions. */
  force: boolean;
  /** Release every wave at once (a manual emergency). */
  allWaves: boolean;
  origin: Origin;
  /** What runs: a reconcile of every indexed secret finds drift (what events missed). */
  scope: Scope;
  /** When the change was made, for a rollout that starts now. */
  changedAt?: string;
  clusters: string[];
  defaultWave: number;
  /** This deployment's region, when configured: a secret of another region is no drift. */
  region?: string;
  /** Restart windows: the stack's defaults, and `--ignore-windows` (none: no default window, a day's deadline). */
  restart?: RestartContext;
  /** Redeploy CODE_DEPLOY services through CodeDeploy (false: they are skipped with the reason; absent: true, the stack's default). */
  codeDeploy?: boolean;
}

/**
 * A consumer to redeploy now, with what the ledger said when it was read, and how: UpdateService
 * with forceNewDeployment, or a CodeDeploy deployment of the task definition it runs now (a
 * CODE_DEPLOY service). Both go through the same claim protocol.
 */
export type Redeploy = Unslotted & {
  /** Its place in the rollout: its wave (without a ledger too, where it only orders the report). */
  slot?: Slot;
};

/** A redeploy as judged, before the waves give it its place. */
type Unslotted = RedeployFields & RedeployVia;

/** How a redeploy is sent. */
type RedeployVia = { via: 'update-service' } | { via: 'codedeploy'; codeDeploy: CodeDeployTarget };

interface RedeployFields {
  /** As judged: on the task definition ECS shows, when the index was behind. */
  consumer: Consumer;
  service: ServiceSnapshot;
  desired: Versions;
  record?: LedgerRecord;
  decision: ClaimDecision;
  /** Redeploy even at the desired versions (forced, or a deployment that failed before `resume`). */
  force: boolean;
  /** What released it, for a consumer with a restart window: its window is open, its deadline passed, or windows are ignored. */
  window?: WindowFacts;
}

/** One service's index entries brought up to what ECS shows (`service` absent: it is gone). */
export interface Reindex {
  serviceArn: string;
  service?: ServiceSnapshot;
  references: SecretReference[];
  /** The references were described, not read from the revision cache: cache them. */
  cache?: boolean;
}

/** A record to write, conditionally on the revision read (none: the pair had no record). */
export interface LedgerWrite {
  next: LedgerRecord;
  expectedRev: number | undefined;
}

/** A consumer of an announcement, by ARN and name. */
interface Named {
  serviceArn: string;
  serviceName: string;
}

/**
 * A rollout's change, announced once the write that records it is known to be ours (so once):
 * it started (`wave`: the first released, none with every wave at once), a wave is done (the
 * next one released; the last one is done when the rollout completes), it halted at a failed
 * deployment, or it completed; consumers wait for their restart windows, or a deadline passed
 * while one still waited. `services` of a start or a wave: the names of those released now. Or a
 * failed replication of the replica secret its consumers read (recorded as the row's notice).
 */
export type Announcement =
  | { kind: 'rollout-started'; wave?: number; services: string[]; at: string }
  | { kind: 'wave-done'; wave: number; next: number; services: string[]; at: string }
  | { kind: 'rollout-halted'; wave: number; failed: Array<FailedDeployment & { serviceName: string }>; at: string }
  | { kind: 'rollout-completed'; services: number; waves: number[]; startedAt: string; at: string }
  /** The rollout started with consumers held for their restart window: when each opens, when each deadline falls. */
  | { kind: 'waiting-for-windows'; services: Array<Named & { opensAt?: string; deadline: string }>; at: string }
  /** Consumers still behind after their deadline (an earlier wave, a halted rollout held them): once each per rollout. */
  | { kind: 'deadline-missed'; services: Array<Named & { deadline: string; waitingFor: WaitingFor; reason: string }>; at: string }
  /** The replica secret the consumers read failed to replicate (once per failure). */
  | {
      kind: 'replication-failed';
      /** The replica's region (this one), and its primary's. */
      region: string;
      primaryRegion: string;
      statusMessage?: string;
      consumers: Array<{ service: string; serviceName: string; cluster: string }>;
      at: string;
    };

export interface ReconcilePlan {
  /** The rollout's key: the versions the consumers are brought to. */
  key: string;
  /** The rollout of these versions once the plan is applied (none without a ledger, or before its first wave). */
  rollout?: Rollout;
  /** The rollout to record in the secret's row, and what to announce when that write is ours. */
  change?: { next: Rollout; announce?: Announcement[] };
  /** Rows decided now (skipped, waiting). */
  rows: ServiceReport[];
  /** Consumers another run's live claim holds (and its wave, in this rollout): looked at again once it ends, or reported waiting. */
  busy: Array<{ consumer: Consumer; until: string; wave?: number }>;
  /** Released now, in this order. */
  redeploys: Redeploy[];
  writes: LedgerWrite[];
  reindex: Reindex[];
  /** Services found behind by a scheduled run, with no run nor rollout on them: what events missed. */
  drift: string[];
  warnings: string[];
  /** One-time reconciles of this secret when held consumers may go (their window opens, or their deadline falls). */
  wakeups: Wakeup[];
  /** For a replica secret: the hold on its consumers, and what it asks for. */
  replica?: {
    hold: ReplicaHold;
    /** The next look at the wait: a wakeup, among `wakeups` when the wait holds a consumer. */
    recheck?: Wakeup;
    /** A failed replication to announce, recorded in the secret's row as `replicationNoticeFor: key`. */
    notice?: { key: string; announce: Announcement };
  };
}

/** What a consumer's report row is made of beyond its verdict. */
interface RowExtra {
  desired?: Versions;
  record?: LedgerRecord;
  deploymentId?: string;
  codeDeploy?: ServiceReport['codeDeploy'];
  window?: WindowFacts;
}

/** A row of the report for a consumer. */
export function reportRow(consumer: Consumer, verdict: Verdict, reason: string, extra: RowExtra & { wave?: number } = {}): ServiceReport {
  const from = extra.record && Object.keys(extra.record.versions).length > 0 ? extra.record.versions : undefined;
  const released = verdict.outcome === 'waiting' ? undefined : releaseNote(extra.window);
  return {
    cluster: consumer.clusterArn,
    service: consumer.serviceArn,
    serviceName: consumer.serviceName,
    taskDefinition: consumer.taskDefinition,
    ...verdict,
    reason: released ? `${reason}; ${released}` : reason,
    ...(extra.deploymentId ? { deploymentId: extra.deploymentId } : {}),
    ...(extra.wave !== undefined ? { wave: extra.wave } : {}),
    ...(extra.desired ? { versions: { ...(from ? { from } : {}), to: extra.desired } } : {}),
    ...(extra.codeDeploy ? { codeDeploy: extra.codeDeploy } : {}),
    ...(extra.window ? { window: extra.window } : {}),
    references: consumer.references.map(toReportReference),
  };
}

/**
 * A consumer behind, to be redeployed in its wave; `deadline`: when its restart deadline falls;
 * `hold`: what keeps it back when its wave goes (its CodeDeploy group runs another deployment).
 */
interface Due {
  redeploy: Unslotted;
  wave: number;
  deadline: string;
  hold?: { reason: string; codeDeploy: NonNullable<ServiceReport['codeDeploy']> };
}

/** A consumer behind, held outside its restart window: what its row says, and why. */
interface Held {
  redeploy: Unslotted;
  wave: number;
  facts: WindowFacts;
  reason: string;
}

/** How one consumer was judged. */
type Judged = { kind: 'row'; row: ServiceReport } | { kind: 'busy'; until: string } | ({ kind: 'due' } & Due) | ({ kind: 'held' } & Held);

/**
 * What every consumer of one plan is judged against: the secret, the versions each consumer's
 * indexed references must run, the rollout's key (all of them together), the rollout of that key.
 */
export interface Frame {
  secret: SecretState;
  /** What each consumer's indexed references must run (by the references' array). */
  desired: Map<SecretReference[], Desired>;
  key: string;
  /** The rollout of `key` as recorded (none before its first wave went). */
  rollout?: Rollout;
  versionCreated: Record<string, string>;
}

/** The frame of a plan: what each consumer must run, the rollout's key from them all, and the recorded rollout if it is of that key. */
export function frameOf(snapshot: Pick<Snapshot, 'secret' | 'consumers' | 'rollout' | 'versionCreated'>): Frame {
  const { secret, consumers } = snapshot;
  const desired = new Map(consumers.map((c) => [c.references, desiredVersions(c.references, secret)]));
  const versions: Versions = {};
  for (const d of desired.values()) if (d.kind === 'follows') Object.assign(versions, d.versions);
  const key = versionKey(versions);
  const rollout = snapshot.rollout?.key === key ? snapshot.rollout : undefined;
  return { secret, desired, key, ...(rollout ? { rollout } : {}), versionCreated: snapshot.versionCreated };
}

/** The consumers the ledger alone does not decide (see judgedByLedger): their live state must be looked at. */
export function undecided(consumers: Consumer[], records: Map<string, LedgerRecord>, frame: Frame, ctx: PlanContext): Consumer[] {
  return consumers.filter((consumer) => {
    const record = records.get(consumer.serviceArn);
    return judgedByLedger({ consumer, ...(record ? { record } : {}) }, frame, ctx) === undefined;
  });
}

/** What judging the consumers adds beside their verdicts. */
interface Effects {
  writes: LedgerWrite[];
  reindex: Reindex[];
  warnings: string[];
}

/**
 * What the ledger alone says of a consumer, before anyone looks at ECS: pinned, unattached, up
 * to date, busy; undefined when its live state must decide (no record, or behind).
 */
export function judgedByLedger(seen: Pick<Seen, 'consumer' | 'record'>, frame: Frame, ctx: PlanContext): Judged | undefined {
  const { consumer, record } = seen;
  const desired = desiredOf(consumer, frame);
  if (desired.kind !== 'follows') return notFollowing(consumer, desired);
  if (!ctx.ledger || !record) return undefined;
  const decision = decide(record, desired.versions, frame, ctx);
  if (decision.action === 'up-to-date') return upToDate(consumer, record, desired.versions);
  if (decision.action === 'busy') return { kind: 'busy', until: decision.until };
  return undefined;
}

/** The plan of one reconcile. */
export function planReconcile(snapshot: Snapshot, ctx: PlanContext): ReconcilePlan {
  const frame = frameOf(snapshot);
  const effects: Effects = { writes: [], reindex: [], warnings: [] };
  const rows: ServiceReport[] = [];
  const busy: ReconcilePlan['busy'] = [];
  const due: Due[] = [];
  const held: Held[] = [];
  const planned = planReplica(snapshot, ctx);
  for (const seen of snapshot.seen) {
    const judged = heldForReplica(judgedByLedger(seen, frame, ctx) ?? judgeLive(seen, frame, ctx, effects), seen.consumer, planned);
    if (judged.kind === 'row') rows.push(judged.row);
    else if (judged.kind === 'busy') {
      const slot = seen.record?.state === 'claimed' ? seen.record.claim.slot : undefined;
      busy.push({ consumer: seen.consumer, until: judged.until, ...(slot?.key === frame.key ? { wave: slot.wave } : {}) });
    } else if (judged.kind === 'held') held.push(judged);
    else due.push(judged);
  }
  // A re-check only for a wait that holds someone (not for consumers all pinned, or none judged now).
  const holds = rows.some((r) => r.outcome === 'waiting' && r.kind === 'replica');
  const replica = planned?.recheck && !holds ? withoutRecheck(planned) : planned;
  const unread =
    replica && snapshot.primaryUnread
      ? [`its primary could not be read (${snapshot.primaryUnread}): the replica's own versions decide`]
      : [];
  const warnings = [...effects.warnings, ...unread, ...replicaWarnings(replica?.hold)];
  const base = { key: frame.key, busy, writes: effects.writes, reindex: effects.reindex, warnings, ...(replica ? { replica } : {}) };
  if (!ctx.ledger) {
    const redeploys = due.filter((d) => !d.hold).map(({ redeploy, wave }) => ({ ...redeploy, slot: { key: frame.key, wave } }));
    const waiting = [...held.map((h) => heldRow(h, false)), ...due.flatMap((d) => groupHeldRow(d) ?? [])];
    return { ...base, rows: [...rows, ...waiting], redeploys, drift: [], wakeups: [] };
  }
  const rollout = planRollout(snapshot, frame, due, held, rows, ctx);
  return { ...base, ...rollout, wakeups: [...rollout.wakeups, ...(replica?.recheck ? [replica.recheck] : [])] };
}

/**
 * A replica secret's hold on its consumers (undefined for any other secret): whether they wait
 * for the change to reach it, when the wait is looked at again, and a failed replication to
 * announce (once per failure, and only for a replica that services here use).
 */
function planReplica(snapshot: Snapshot, ctx: PlanContext): ReconcilePlan['replica'] {
  const { secret, primary } = snapshot;
  const role = replicationRole(secret);
  if (role.role !== 'replica') return undefined;
  const stages = [...new Set(snapshot.consumers.flatMap((c) => followedStages(c.references)))].sort();
  const hold = replicaHold(secret, primary, stages.length > 0 ? stages : ['AWSCURRENT'], ctx.now);
  if (hold.verdict === 'wait') {
    const at = replicaRecheckAt(hold, ctx.now);
    return { hold, ...(at ? { recheck: wakeupFor(secret.arn, waitKey(hold), at, 'replica', ctx.now) } : {}) };
  }
  if (hold.verdict === 'warn' && snapshot.consumers.length > 0) {
    const key = [hold.region, hold.statusMessage ?? '', versionOfStage(primary ?? secret, 'AWSCURRENT') ?? ''].join('|');
    if (snapshot.replicationNoticed !== key) {
      const consumers = snapshot.consumers
        .map((c) => ({ service: c.serviceArn, serviceName: c.serviceName, cluster: c.clusterArn }))
        .sort((a, b) => a.serviceName.localeCompare(b.serviceName));
      const announce: Announcement = {
        kind: 'replication-failed',
        region: hold.region,
        primaryRegion: role.primaryRegion,
        ...(hold.statusMessage ? { statusMessage: hold.statusMessage } : {}),
        consumers,
        at: ctx.now.toISOString(),
      };
      return { hold, notice: { key, announce } };
    }
  }
  return { hold };
}

/**
 * A consumer of a replica that waits for the change to reach it: one the replica's own versions
 * would redeploy (or leave as up to date) while a stage it follows is still behind the primary's.
 * Its row names the versions it waits for and when it is looked at again.
 */
function heldForReplica(judged: Judged, consumer: Consumer, replica: ReconcilePlan['replica']): Judged {
  const hold = replica?.hold;
  if (hold?.verdict !== 'wait') return judged;
  const stages = followedStages(consumer.references);
  const gaps = hold.behind.filter((g) => stages.includes(g.stage));
  if (stages.length === 0 || (hold.behind.length > 0 && gaps.length === 0)) return judged;
  const { recheck } = replica ?? {};
  const next = recheck
    ? `looked at again at ${recheck.at} (a wakeup), or by the next scheduled reconcile`
    : 'the next scheduled reconcile looks again';
  const reason = `${hold.reason}; ${next}`;
  const waitsFor: Versions = Object.fromEntries(gaps.flatMap((g) => (g.primaryVersion ? [[g.stage, g.primaryVersion]] : [])));
  const waiting: Verdict = { outcome: 'waiting', kind: 'replica' };
  if (judged.kind === 'due') {
    const { redeploy, wave } = judged;
    const group = redeploy.via === 'codedeploy' ? groupOfTarget(redeploy.codeDeploy) : undefined;
    const extra = {
      desired: { ...redeploy.desired, ...waitsFor },
      ...(redeploy.record ? { record: redeploy.record } : {}),
      wave,
      ...(group ? { codeDeploy: group } : {}),
    };
    return { kind: 'row', row: reportRow(redeploy.consumer, waiting, reason, extra) };
  }
  if (judged.kind === 'row' && judged.row.outcome === 'skipped' && judged.row.kind === 'up-to-date') {
    const { versions, ...row } = judged.row;
    const to = { ...(versions?.to ?? {}), ...waitsFor };
    return { kind: 'row', row: { ...row, ...waiting, reason, versions: { ...(versions?.from ? { from: versions.from } : {}), to } } };
  }
  return judged;
}

function withoutRecheck({ recheck: _, ...rest }: NonNullable<ReconcilePlan['replica']>): ReconcilePlan['replica'] {
  return rest;
}

/** What a replica's hold says in the report's warnings: a failed replication, or a wait past its bound. */
function replicaWarnings(hold: ReplicaHold | undefined): string[] {
  if (hold?.verdict === 'warn') return [`${hold.reason}: its consumers keep what the replica holds until replication is repaired`];
  if (hold?.verdict === 'overdue')
    return [`${hold.reason}: its consumers follow what the replica holds; the next reconcile after the change arrives redeploys them`];
  return [];
}

/** The rows of a dry run: what the plan's redeploys would do, and nothing done. */
export function preview(plan: ReconcilePlan, secret: SecretState): ServiceReport[] {
  return plan.redeploys.map((redeploy) => {
    const { consumer, record, desired, slot, window } = redeploy;
    const runs = record ? `runs ${describeRecord(record)}` : 'what it runs is unknown (no ledger record)';
    const through = redeploy.via === 'codedeploy' ? `; through CodeDeploy ${codeDeployText(redeploy.codeDeploy)}` : '';
    return reportRow(consumer, { outcome: 'would-redeploy' }, `${runs}; current is ${describeVersions(desired, secret.kind)}${through}`, {
      desired,
      ...(record ? { record } : {}),
      ...(slot ? { wave: slot.wave } : {}),
      ...(redeploy.via === 'codedeploy' ? { codeDeploy: groupOfTarget(redeploy.codeDeploy) } : {}),
      ...(window ? { window } : {}),
    });
  });
}

/** `app/group (task definition web:7, container web:8080)`, for reasons. */
function codeDeployText(target: CodeDeployTarget): string {
  return `${groupName({ application: target.application, name: target.group })} (task definition ${lastPathSegment(target.taskDefinition)}, container ${target.containerName}:${target.containerPort})`;
}

/** What the row of a redeploy's result carries beyond its verdict; `deploymentId`: the deployment it made. */
export function redeployExtra(redeploy: Redeploy, deploymentId?: string): RowExtra & { wave?: number } {
  const { desired, record, slot, window } = redeploy;
  const group = redeploy.via === 'codedeploy' ? groupOfTarget(redeploy.codeDeploy) : undefined;
  return {
    desired,
    ...(record ? { record } : {}),
    ...(slot ? { wave: slot.wave } : {}),
    ...(window ? { window } : {}),
    ...(deploymentId ? { deploymentId } : {}),
    ...(group ? { codeDeploy: { ...group, ...(deploymentId ? { deploymentId } : {}) } } : {}),
  };
}

/** The report's CodeDeploy fields of a redeploy through `target`. */
function groupOfTarget(target: CodeDeployTarget): NonNullable<ServiceReport['codeDeploy']> {
  return { application: target.application, group: target.group };
}

/** The row of a consumer another run's claim holds. */
export function busyRow(busy: ReconcilePlan['busy'][number]): ServiceReport {
  return reportRow(busy.consumer, { outcome: 'waiting', kind: 'claim' }, `another run is redeploying it (its claim ends ${busy.until})`, {
    ...(busy.wave !== undefined ? { wave: busy.wave } : {}),
  });
}

/**
 * The records of this rollout whose deployment was made and is followed: those the schedule's
 * poll asks ECS about, and the waves wait for. A deployment that failed before `resume` no
 * longer counts (its service is redeployed again).
 */
export function deployedInRollout(records: LedgerRecord[], frame: Pick<Frame, 'key' | 'rollout'>): LedgerRecord[] {
  return records.filter((r) => r.slot?.key === frame.key && r.deployment && !claimedFor(r, frame.key) && !failedBeforeResume(r, frame));
}

/** The consumer against ECS's view of it: gone, on another task definition, ineligible, without tasks, or due. */
function judgeLive(seen: Seen, frame: Frame, ctx: PlanContext, effects: Effects): Judged {
  const { secret } = frame;
  const { live } = seen;
  let { consumer, record } = seen;
  if (!live || live === 'gone' || live.status === 'INACTIVE') {
    if (ctx.ledger) effects.reindex.push({ serviceArn: consumer.serviceArn, references: [] });
    return rowOf(consumer, { outcome: 'skipped', kind: 'gone' }, 'service no longer exists');
  }
  if (seen.current) {
    // The index is behind: judge the task definition the next deployment starts, and repair the index.
    const { references, described } = seen.current;
    if (ctx.ledger) effects.reindex.push({ serviceArn: consumer.serviceArn, service: live, references, cache: described });
    const { otherSecrets: _, ...indexed } = consumer;
    consumer = { ...indexed, taskDefinition: live.taskDefinition, references: seen.current.toSecret };
    if (consumer.references.length === 0)
      return rowOf(
        consumer,
        { outcome: 'skipped', kind: 'unreferenced' },
        `task definition ${lastPathSegment(live.taskDefinition)} does not reference the secret`,
      );
    const ledgerSays = judgedByLedger({ consumer, record }, frame, ctx);
    if (ledgerSays) return ledgerSays;
  }
  const desired = desiredOf(consumer, frame);
  if (desired.kind !== 'follows') return notFollowing(consumer, desired);
  if (ctx.ledger && !record) {
    // First sight: what it runs is judged from evidence, and recorded.
    record = firstSightOf(secret, consumer, live, frame.versionCreated, ctx.stamp());
    effects.writes.push({ next: record, expectedRev: undefined });
    if (decide(record, desired.versions, frame, ctx).action === 'up-to-date') return upToDate(consumer, record, desired.versions);
  }
  const extra = { desired: desired.versions, ...(record ? { record } : {}) };
  const eligible = eligibility(live, ctx.clusters, { codeDeploy: ctx.codeDeploy !== false });
  if (eligible.action === 'skip') return rowOf(consumer, { outcome: 'skipped', kind: 'ineligible' }, eligible.reason, extra);
  if (eligible.action === 'no-tasks') {
    if (ctx.ledger) {
      const ids = { secretArn: secret.arn, serviceArn: consumer.serviceArn };
      effects.writes.push({ next: noTasks(record, ids, desired.versions, ctx.stamp()), expectedRev: record?.rev });
    }
    return rowOf(
      consumer,
      { outcome: 'skipped', kind: 'no-tasks' },
      'no running tasks (desiredCount 0): new tasks read the current version anyway',
      extra,
    );
  }
  const retry = record !== undefined && failedBeforeResume(record, frame);
  const decision: ClaimDecision = ctx.ledger ? decide(record, desired.versions, frame, ctx) : { action: 'claim' };
  const how = eligible.via === 'codedeploy' ? throughCodeDeploy(seen.group, live, decision) : { via: { via: 'update-service' as const } };
  if ('failed' in how) return rowOf(consumer, { outcome: 'failed' }, how.failed, extra);
  if ('skipped' in how) return rowOf(consumer, { outcome: 'skipped', kind: how.kind }, how.skipped, extra);
  const { wave, warning } = waveOf(live.tags, ctx.defaultWave);
  if (warning) effects.warnings.push(`${live.serviceName}: ${warning}`);
  const redeploy: Unslotted = {
    consumer,
    service: live,
    desired: desired.versions,
    ...(record ? { record } : {}),
    decision,
    force: ctx.force || retry,
    ...how.via,
  };
  // Its restart window and deadline: held outside the window until the deadline, released inside it or past it.
  const changedAt = changedAtOf(frame.rollout, ctx.changedAt, secret, ctx.now);
  const { verdict, problems } = judgeRestart(live.tags, ctx.restart, changedAt, ctx.now);
  for (const problem of problems) effects.warnings.push(`${live.serviceName}: ${problem}`);
  if (!verdict.go) return { kind: 'held', wave, redeploy, facts: verdict.facts, reason: verdict.reason };
  const window = verdict.facts ? { window: verdict.facts } : {};
  const hold = 'hold' in how ? { hold: how.hold } : {};
  return { kind: 'due', wave, deadline: verdict.deadline.toISOString(), redeploy: { ...redeploy, ...window }, ...hold };
}

/**
 * How a CODE_DEPLOY service is redeployed: through its one deployment group, with the AppSpec of
 * the task definition it runs now; held while the group runs another deployment (CodeDeploy
 * would refuse a second), unless this run recovers a claim whose deployment that may be.
 */
function throughCodeDeploy(
  lookup: GroupLookup | undefined,
  live: ServiceSnapshot,
  decision: ClaimDecision,
): { failed: string } | { skipped: string; kind: 'no-group' | 'ineligible' } | { via: RedeployVia; hold?: NonNullable<Due['hold']> } {
  if (!lookup) return { failed: 'its CodeDeploy deployment group was not looked up; the next run tries again' };
  if (lookup.kind === 'unreadable') return { failed: noGroupReason(lookup, live) };
  if (lookup.kind !== 'found') return { skipped: noGroupReason(lookup, live), kind: 'no-group' };
  const spec = appSpecFor(live, lookup.group);
  const name = groupName(lookup.group);
  if (spec.kind === 'unusable') return { skipped: `CodeDeploy group ${name}: ${spec.reason}`, kind: 'ineligible' };
  const via = { via: 'codedeploy' as const, codeDeploy: spec.target };
  const active = activeDeployment(lookup.group);
  if (!active || decision.action !== 'claim') return { via };
  const codeDeploy = { ...groupOfTarget(spec.target), deploymentId: active.deploymentId, status: active.status };
  const reason = `CodeDeploy group ${name} runs deployment ${active.deploymentId} (${active.status}): redeployed once it ends`;
  return { via, hold: { reason, codeDeploy } };
}

/** The row of a due consumer its CodeDeploy group held back when its wave went, if it did. */
function groupHeldRow(due: Due): ServiceReport | undefined {
  const { redeploy, wave, hold } = due;
  if (!hold) return undefined;
  return reportRow(redeploy.consumer, { outcome: 'waiting', kind: 'group' }, hold.reason, {
    desired: redeploy.desired,
    ...(redeploy.record ? { record: redeploy.record } : {}),
    codeDeploy: hold.codeDeploy,
    wave,
  });
}

/** The waves: which due consumers go now, which wait and why; the rollout started, halted or completed. */
function planRollout(
  snapshot: Snapshot,
  frame: Frame,
  due: Due[],
  held: Held[],
  rows: ServiceReport[],
  ctx: PlanContext,
): Pick<ReconcilePlan, 'rollout' | 'change' | 'redeploys' | 'drift' | 'rows' | 'wakeups'> {
  const { key, rollout } = frame;
  const names = new Map(snapshot.consumers.map((c) => [c.serviceArn, c.serviceName]));
  const nameOf = (arn: string) => names.get(arn) ?? lastPathSegment(arn);
  const dueArns = new Set([...due, ...held].map((d) => d.redeploy.consumer.serviceArn));
  const others = snapshot.records.filter((r) => !dueArns.has(r.serviceArn));
  // A redeploy of this rollout that another run claimed is in flight: it holds back the waves after its own.
  const inFlight: Member[] = others.flatMap((r) =>
    r.state === 'claimed' && r.claim.slot?.key === key
      ? [
          {
            kind: 'deployed' as const,
            serviceArn: r.serviceArn,
            name: nameOf(r.serviceArn),
            wave: r.claim.slot.wave,
            state: 'IN_PROGRESS' as const,
          },
        ]
      : [],
  );
  const deployed: Member[] = deployedInRollout(others, frame).map((r) => ({
    kind: 'deployed',
    serviceArn: r.serviceArn,
    name: nameOf(r.serviceArn),
    wave: r.slot?.wave ?? ctx.defaultWave,
    state: r.deployment?.state ?? 'IN_PROGRESS',
    ...(r.deploymentId ? { deploymentId: r.deploymentId } : {}),
    ...(r.deployment?.reason ? { reason: r.deployment.reason } : {}),
  }));
  const member = (kind: 'due' | 'held') => (d: Due | Held) => ({
    kind,
    serviceArn: d.redeploy.consumer.serviceArn,
    name: d.redeploy.consumer.serviceName,
    wave: d.wave,
  });
  const members: Member[] = [...due.map(member('due')), ...held.map(member('held')), ...inFlight, ...deployed];
  // Due consumers of no rollout (or of one completed), found by the reconcile of every secret,
  // mean the change's event never came: drift.
  // Not those of a secret of another region, whose events reach this region only if that region
  // forwards them: the schedule is how its changes arrive otherwise, by design. Nor those of a
  // replica: a change reaches it from its primary's region, asynchronously, with no event here
  // that AWS documents, so the schedule catching it up is one of the ways it arrives.
  const secretRegion = locationOf(frame.secret.arn)?.region;
  const elsewhere = ctx.region !== undefined && secretRegion !== undefined && secretRegion !== ctx.region;
  const replica = replicationRole(frame.secret).role === 'replica';
  const drift =
    ctx.scope === 'every-secret' && (!rollout || rollout.status === 'completed') && !elsewhere && !replica
      ? [...due, ...held].filter((d) => d.redeploy.record?.state !== 'claimed').map((d) => d.redeploy.consumer.serviceArn)
      : [];

  const decision = decideWaves(members, rollout, ctx.allWaves);
  const turn = due.filter((d) => decision.release === 'all' || d.wave === decision.release);
  // Its wave goes, but its CodeDeploy group runs another deployment: still due, so the waves after it wait.
  const go = turn.filter((d) => !d.hold);
  const waits = due.filter((d) => !turn.includes(d));
  // Held back by the waves past its deadline: a deadline missed.
  const missed = new Set(waits.filter((d) => Date.parse(d.deadline) <= ctx.now.getTime()));
  const waitRow = (d: Due) => {
    const { redeploy, wave } = d;
    const kind = decision.halted ? 'resume' : 'wave';
    const why = decision.waiting.get(redeploy.consumer.serviceArn) ?? 'waiting';
    const late = missed.has(d);
    // What its window says, not what would release it: it waits.
    const { released: _, ...facts } = redeploy.window ?? { deadline: d.deadline };
    const window =
      redeploy.window || late ? { window: { ...facts, deadline: d.deadline, ...(late ? { missed: true as const } : {}) } } : {};
    return reportRow(
      redeploy.consumer,
      { outcome: 'waiting', kind },
      late ? `${why}; its deadline ${instant(new Date(d.deadline))} has passed` : why,
      {
        desired: redeploy.desired,
        ...(redeploy.record ? { record: redeploy.record } : {}),
        wave,
        ...window,
      },
    );
  };
  const waiting = [...waits.map(waitRow), ...held.map((h) => heldRow(h, decision.halted)), ...turn.flatMap((d) => groupHeldRow(d) ?? [])];
  const redeploys = go.map(({ redeploy, wave }) => ({ ...redeploy, slot: { key, wave } }));
  const released = redeploys.map((r) => r.consumer.serviceName).sort();

  const { transition } = decision;
  const at = ctx.now.toISOString();
  const announce: Announcement[] = [];
  let next: Rollout | undefined;
  if (transition?.to === 'halted' && rollout) {
    const failed = transition.failed.map((f) => ({ ...f, serviceName: nameOf(f.serviceArn) }));
    next = haltRollout(rollout, ctx.now, transition.wave, transition.failed);
    announce.push({ kind: 'rollout-halted', wave: transition.wave, failed, at });
  } else if (transition?.to === 'completed' && rollout) {
    next = completeRollout(rollout, ctx.now);
    announce.push({ kind: 'rollout-completed', services: members.length, waves: transition.waves, startedAt: rollout.startedAt, at });
  } else if (!rollout && (redeploys.length > 0 || held.length > 0)) {
    // Started by the first run that sees the change, whether it redeploys or holds: the deadline counts from the change it records.
    const wave = typeof decision.release === 'number' ? decision.release : undefined;
    next = startRollout(key, ctx.now, ctx.changedAt ?? frame.secret.lastChangedDate, wave);
    announce.push({ kind: 'rollout-started', ...(wave !== undefined ? { wave } : {}), services: released, at });
    if (held.length > 0) announce.push({ kind: 'waiting-for-windows', services: held.map(heldNamed), at });
  } else if (rollout?.status === 'in-progress' && typeof decision.release === 'number' && decision.release !== rollout.wave) {
    // A later wave released: the one before it is done. (A rollout recorded before its wave was
    // kept learns it silently; an earlier wave, a consumer that joined late, changes nothing.)
    const previous = rollout.wave;
    if (previous === undefined || decision.release > previous) next = releaseWave(rollout, decision.release);
    if (previous !== undefined && decision.release > previous)
      announce.push({ kind: 'wave-done', wave: previous, next: decision.release, services: released, at });
  }
  const recorded = next ?? rollout;
  const announced = new Set(recorded?.deadlinesMissed ?? []);
  const newlyMissed = [...missed].filter((d) => !announced.has(d.redeploy.consumer.serviceArn));
  if (recorded && newlyMissed.length > 0) {
    const arns = [...announced, ...newlyMissed.map((d) => d.redeploy.consumer.serviceArn)].sort();
    next = { ...recorded, deadlinesMissed: arns };
    const services = newlyMissed.map((d) => {
      const row = waiting.find((r) => r.service === d.redeploy.consumer.serviceArn);
      const waitingFor: WaitingFor = decision.halted ? 'resume' : 'wave';
      return { ...heldNamed(d), deadline: d.deadline, waitingFor, reason: row?.reason ?? '' };
    });
    announce.push({ kind: 'deadline-missed', services, at });
  }
  const change = next ? { next, ...(announce.length > 0 ? { announce } : {}) } : undefined;
  const after = change?.next ?? rollout;
  const wakeups = decision.halted
    ? []
    : wakeupsOf(
        held.map((h) => h.facts),
        frame.secret.arn,
        key,
        ctx.now,
      );
  return { ...(after ? { rollout: after } : {}), ...(change ? { change } : {}), rows: [...rows, ...waiting], redeploys, drift, wakeups };
}

/** The row of a consumer held outside its restart window (in a halted rollout, it waits for `resume` first). */
function heldRow(held: Held, halted: boolean): ServiceReport {
  const { redeploy, wave, facts, reason } = held;
  return reportRow(
    redeploy.consumer,
    { outcome: 'waiting', kind: halted ? 'resume' : 'window' },
    halted ? `${reason}; and the rollout is halted: resume it once fixed` : reason,
    { desired: redeploy.desired, ...(redeploy.record ? { record: redeploy.record } : {}), wave, window: facts },
  );
}

function heldNamed(held: Due | Held): Named & { opensAt?: string; deadline: string } {
  const { consumer } = held.redeploy;
  const facts = 'facts' in held ? held.facts : undefined;
  return {
    serviceArn: consumer.serviceArn,
    serviceName: consumer.serviceName,
    ...(facts?.opensAt ? { opensAt: facts.opensAt } : {}),
    deadline: facts?.deadline ?? (held as Due).deadline,
  };
}

/** What a consumer must run: known from the frame for its indexed references, worked out for those of another task definition. */
function desiredOf(consumer: Consumer, frame: Frame): Desired {
  return frame.desired.get(consumer.references) ?? desiredVersions(consumer.references, frame.secret);
}

function decide(record: LedgerRecord | undefined, desired: Versions, frame: Frame, ctx: PlanContext): ClaimDecision {
  const retry = record !== undefined && failedBeforeResume(record, frame);
  return decideClaim(record, desired, ctx.now, ctx.token, ctx.force || retry);
}

/** A deployment of this rollout that failed before `resume`: it is made again. */
function failedBeforeResume(record: LedgerRecord, frame: Pick<Frame, 'key' | 'rollout'>): boolean {
  const resumedAt = frame.rollout?.resumedAt;
  return (
    resumedAt !== undefined &&
    record.slot?.key === frame.key &&
    record.deployment?.state === 'FAILED' &&
    Date.parse(record.deployment.at) <= Date.parse(resumedAt)
  );
}

function claimedFor(record: LedgerRecord, key: string): boolean {
  return record.state === 'claimed' && record.claim.slot?.key === key;
}

function notFollowing(consumer: Consumer, desired: Exclude<Desired, { kind: 'follows' }>): Judged {
  if (desired.kind === 'pinned') return rowOf(consumer, { outcome: 'skipped', kind: 'pinned' }, `pinned to ${desired.pins.join(', ')}`);
  return rowOf(consumer, { outcome: 'skipped', kind: 'unattached' }, `stage ${desired.stages.join(', ')} is not attached to any version`);
}

function upToDate(consumer: Consumer, record: LedgerRecord, desired: Versions): Judged {
  return rowOf(consumer, { outcome: 'skipped', kind: 'up-to-date' }, `up to date: runs ${describeRecord(record)}`, { desired, record });
}

function rowOf(consumer: Consumer, verdict: Verdict, reason: string, extra: RowExtra = {}): Judged {
  return { kind: 'row', row: reportRow(consumer, verdict, reason, extra) };
}
