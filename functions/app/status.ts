import { randomUUID } from 'node:crypto';
import { locationOf } from '../domain/identity/arn';
import { assertAllowedOwner } from '../domain/identity/owners';
import type { Target } from '../domain/identity/target';
import { type Deployment, describeStrategy, primaryTaskSet, type RunningTask, type ServiceSnapshot } from '../domain/inventory/service';
import { desiredVersions } from '../domain/ledger/desired';
import { describeVersions, holds, type LedgerRecord, type Versions } from '../domain/ledger/record';
import { busyRow, type Frame, frameOf, judgedByLedger, type PlanContext, planReconcile, preview } from '../domain/plan/reconcile-plan';
import { type ReplicaHold, type ReplicationView, replicaHold, replicationRole, replicationView } from '../domain/plan/replication';
import type { SecretState } from '../domain/plan/secret-state';
import { versionOfStage } from '../domain/plan/secret-state';
import { followedStages } from '../domain/references/references';
import { type Report, type ServiceReport, secretIdentity, type Verdict } from '../domain/report/report';
import {
  countWords,
  LEDGER_ONLY_WORDS,
  REPLACED,
  SETTLEMENT_WORDS,
  settlementOf,
  verdictWord,
  WORDS,
  type Word,
  wordSummary,
} from '../domain/report/vocabulary';
import { NO_DEADLINE } from '../domain/rollout/deadline';
import type { Rollout } from '../domain/rollout/rollout';
import { instant, type WindowFacts } from '../domain/windows/restart-policy';
import type { Ports } from '../ports/ports';
import { mapWithConcurrency } from '../util/concurrency';
import { type CodeDeploymentStatus, codeDeploymentStatus, codeDeploymentsOf } from './codedeploy-deployments';
import { DeploymentGroups } from './deployment-groups';
import { describeLive } from './describe-live';
import { deploymentRecordStatus, type ServiceDeploymentStatus, serviceDeploymentsOf } from './poll-deployments';
import { type Found, indexedConsumers } from './reconcile/consumers';
import { gather } from './reconcile/gather';
import { replicaFacts } from './replicas';

/** What the ledger alone says of one consumer against the secret's current versions. */
export type ConsumerState =
  /** Its record holds the current versions. */
  | 'up-to-date'
  /** Its record holds older versions. */
  | 'behind'
  /** A run has claimed it. */
  | 'claimed'
  /** Pinned to version ids: never redeployed for a change of stages. */
  | 'pinned'
  /** A followed stage is attached to no version. */
  | 'unattached'
  /** Not recorded yet (indexed since the last reconcile). */
  | 'no-record';

export interface ConsumerStatus {
  service: string;
  serviceName: string;
  cluster: string;
  /** What the ledger alone says (the table shows `now`, which also weighs what ECS shows). */
  state: ConsumerState;
  /** What its running deployment was started with, per the ledger. */
  runs?: Versions;
  /** What it must run now. */
  current?: Versions;
  via?: LedgerRecord['via'];
  /** The deployment that brought `runs`, and its state: as ECS shows it now (live), else as last recorded. */
  deploymentId?: string;
  deploymentState?: string;
  deploymentReason?: string;
  wave?: number;
  /** When `runs` was recorded. */
  since?: string;
  claim?: { claimedAt: string; leaseUntil: string; target: Versions };
  lastError?: string;
  /** Live: the running tasks, and those started by another deployment than the one for `current`. */
  tasks?: { running: number; onOlderVersions: number };
  /** Every task runs the current versions (`now` is `current`). */
  fullyOnCurrent: boolean;
  /** What is true now, in the screens' vocabulary (functions/domain/report/vocabulary.ts): what the table shows. */
  now: Word;
  /** Why, as the plan says it (the report's reason), where the plan judged it. */
  reason?: string;
  /** Live: how ECS deploys it (`BLUE_GREEN (bake 90 min)`; ROLLING when it names no strategy). */
  strategy?: string;
  /** Live: ECS's record of the deployment that brought `runs`, where ECS offers its records. */
  serviceDeployment?: ServiceDeploymentStatus;
  /** Live: the CodeDeploy deployment that brought `runs`, for a CODE_DEPLOY service (its id, status and waits). */
  codeDeployment?: CodeDeploymentStatus;
  /** Live, when behind: what its restart window and deadline say (when it opens, when the deadline falls), and why it waits. */
  window?: WindowFacts & { waits?: string };
}

export interface SecretStatus {
  secret: Report['secret'];
  rollout?: Rollout;
  consumers: ConsumerStatus[];
  standaloneTasks: number;
  /** Consumers by what the ledger alone says. */
  counts: Record<ConsumerState, number>;
  /** Consumers by what is true now (the words of the rows). */
  now: Partial<Record<Word, number>>;
  /** "5 service(s) on AWSCURRENT=v2: 1 current, 3 deploying, 1 pinned; 0 task(s) on older versions": the words of the rows, counted (the narrow table prints them without the version, which its secret line has). */
  summary: string;
  /** Live: the consumers held for their restart window, the soonest opening, the soonest deadline; and the waves they hold back. */
  windows?: { waiting: number; opensAt?: string; deadline: string; holds: string[] };
  /** True when nothing is left to do or to wait for: every consumer's word is settled (and a replica holds its primary's versions). */
  done: boolean;
  /**
   * A replicated secret: a replica (its primary's region, how replication to it stands, and what
   * its consumers wait for while the primary's change is not here yet), or a primary with its replicas.
   */
  replication?: ReplicationView & { holds?: string };
  /** What needs seeing beside the rows: a failed replication, a replica behind past its bound, a primary that could not be read. */
  warnings?: string[];
}

/**
 * Where every consumer of a secret stands, judged by the same plan as a reconcile (`plan` shows
 * the same word for the same consumer at the same moment): the ledger against the secret's
 * stages now and, with `live`, what ECS shows (the services, first sight's evidence, the waves);
 * for a consumer the plan finds up to date, how its deployment stands and which running tasks an
 * older deployment started (one DescribeServices per ten consumers, a ListTasks and DescribeTasks
 * per consumer), and for CODE_DEPLOY services CodeDeploy's deployments (one BatchGetDeployments
 * per 25, none without them). Without `live`, the ledger alone. Changes nothing.
 */
export async function secretStatus(ports: Ports, target: Target, options: { live: boolean } = { live: true }): Promise<SecretStatus> {
  const secret = await ports.secrets.describe(target);
  const account = await ports.accountId();
  assertAllowedOwner(secret.arn, locationOf(secret.arn)?.account, account, ports.config.secretOwners);
  const [entries, ledger] = await Promise.all([ports.index.entriesOf(secret.arn), ports.ledger.records(secret.arn)]);
  const recordOf = new Map(ledger.services.map((r) => [r.serviceArn, r]));
  const { consumers: list, standaloneTasks } = indexedConsumers(entries);
  const live: Map<string, ServiceSnapshot> = options.live ? await describeLive(ports, list) : new Map();
  const found: Found = { consumers: list, ledger, live, standaloneTasks, inventory: { source: 'index' } };
  const verdicts = options.live ? await planned(ports, secret, found) : ledgerOnly(ports, secret, found);
  // ECS's records of the deployments the ledger holds (one listing each until the ledger keeps its ARN, then 20 per call).
  const deploymentRecords = options.live
    ? await serviceDeploymentsOf(
        ports,
        ledger.services.filter((r) => r.deploymentId && r.state === 'settled' && !r.codeDeploy),
        new Map(list.map((c) => [c.serviceArn, c.clusterArn])),
      )
    : undefined;
  const codeDeployments = options.live
    ? await codeDeploymentsOf(
        ports,
        ledger.services.filter((r) => r.state === 'settled'),
      )
    : new Map();

  const replica = await replicaStatus(ports, secret, list);

  const consumers = await mapWithConcurrency(list, 4, async (consumer): Promise<ConsumerStatus> => {
    const record = recordOf.get(consumer.serviceArn);
    const base = { service: consumer.serviceArn, serviceName: consumer.serviceName, cluster: consumer.clusterArn };
    const verdict = verdicts.get(consumer.serviceArn) ?? { word: 'no record' as const };
    const desired = desiredVersions(consumer.references, secret);
    if (desired.kind !== 'follows') return { ...base, state: desired.kind, fullyOnCurrent: false, now: verdict.word, ...reasonOf(verdict) };
    const state = stateOf(record, desired.versions);
    const service = live.get(consumer.serviceArn);
    const deployment = record?.deploymentId ? service?.deployments.find((d) => d.id === record.deploymentId) : undefined;
    const byCodeDeploy = codeDeploymentStatus(codeDeployments, record);
    const deploymentState = record?.codeDeploy
      ? (codeDeployState(byCodeDeploy.codeDeployment?.status) ?? record.deployment?.state)
      : (deployment?.rolloutState ?? (service && record?.deploymentId ? REPLACED : record?.deployment?.state));
    const tasks = service ? await ports.ecs.runningTasks(service) : undefined;
    const onOlder =
      tasks &&
      (record?.codeDeploy
        ? countOlderThanTaskSet(tasks, state, record, service)
        : countOlder(tasks, state, record, service?.deployments ?? []));
    // What the plan finds up to date, ECS (or CodeDeploy) says more of: how its deployment stands, and its tasks.
    const now =
      verdict.word === 'up to date' && service
        ? SETTLEMENT_WORDS[settlementOf({ ...(deploymentState ? { deploymentState } : {}), olderTasks: onOlder ?? 0 })]
        : verdict.word;
    return {
      ...base,
      state,
      current: desired.versions,
      ...(record
        ? {
            runs: record.versions,
            via: record.via,
            since: record.at,
            ...(record.deploymentId ? { deploymentId: record.deploymentId } : {}),
            ...(record.slot ? { wave: record.slot.wave } : {}),
            ...(record.state === 'claimed'
              ? { claim: { claimedAt: record.claim.claimedAt, leaseUntil: record.claim.leaseUntil, target: record.claim.target } }
              : {}),
            ...(record.lastError ? { lastError: record.lastError } : {}),
          }
        : {}),
      ...(verdict.row?.wave !== undefined && !record?.slot ? { wave: verdict.row.wave } : {}),
      ...(deploymentState ? { deploymentState } : {}),
      ...(deployment?.rolloutStateReason
        ? { deploymentReason: deployment.rolloutStateReason }
        : record?.deployment?.reason
          ? { deploymentReason: record.deployment.reason }
          : {}),
      ...(tasks && onOlder !== undefined ? { tasks: { running: tasks.length, onOlderVersions: onOlder } } : {}),
      fullyOnCurrent: now === 'current',
      now,
      ...reasonOf(verdict),
      ...(service ? { strategy: service.deploymentController === 'CODE_DEPLOY' ? 'CODE_DEPLOY' : describeStrategy(service.strategy) } : {}),
      ...(deploymentRecords && record && !record.codeDeploy ? deploymentRecordStatus(deploymentRecords, record, service) : {}),
      ...byCodeDeploy,
      ...windowOf(verdict),
    };
  });
  consumers.sort((a, b) => a.serviceName.localeCompare(b.serviceName));
  const counts: Record<ConsumerState, number> = { 'up-to-date': 0, behind: 0, claimed: 0, pinned: 0, unattached: 0, 'no-record': 0 };
  for (const c of consumers) counts[c.state] += 1;
  const olderTasks = consumers.reduce((n, c) => n + (c.tasks?.onOlderVersions ?? 0), 0);
  const words = consumers.map((c) => c.now);
  const taskPart = options.live ? `; ${olderTasks} task(s) on older versions` : '';
  const windows = windowsOf(consumers);
  const waits = replica.hold?.verdict === 'wait' ? "; the replica does not hold the primary's change yet" : '';
  const current = consumers.find((c) => c.current)?.current;
  const version = current ? describeVersions(current, secret.kind) : (versionOfStage(secret, 'AWSCURRENT') ?? 'none');
  return {
    secret: secretIdentity(secret),
    ...(ledger.secret?.rollout ? { rollout: ledger.secret.rollout } : {}),
    consumers,
    standaloneTasks: standaloneTasks.length,
    counts,
    now: Object.fromEntries(countWords(words)),
    summary: `${consumers.length} service(s) on ${version}: ${wordSummary(words, windows ? { window: windowNote(windows) } : {}) || 'no consumers'}${waits}${taskPart}`,
    ...(windows ? { windows } : {}),
    done: consumers.every((c) => WORDS[c.now].settled) && waits === '',
    ...(replica.view ? { replication: replica.view } : {}),
    ...(replica.warnings.length > 0 ? { warnings: replica.warnings } : {}),
  };
}

/**
 * A replicated secret's place in replication; for a replica, its primary read (one DescribeSecret
 * in the primary's region) and the hold on its consumers, as the reconcile's plan judges it.
 */
async function replicaStatus(
  ports: Ports,
  secret: SecretState,
  consumers: Found['consumers'],
): Promise<{ view?: SecretStatus['replication']; hold?: ReplicaHold; warnings: string[] }> {
  if (replicationRole(secret).role !== 'replica') {
    const view = replicationView(secret);
    return { ...(view ? { view } : {}), warnings: [] };
  }
  const { primary, primaryUnread } = await replicaFacts(ports, secret, undefined);
  const stages = [...new Set(consumers.flatMap((c) => followedStages(c.references)))].sort();
  const hold = replicaHold(secret, primary, stages.length > 0 ? stages : ['AWSCURRENT'], ports.clock.now());
  const view = replicationView(secret, primary) as ReplicationView;
  const warnings = [
    ...(primaryUnread ? [`its primary could not be read (${primaryUnread}): the replica's own versions decide`] : []),
    ...(hold.verdict === 'warn' || hold.verdict === 'overdue' ? [hold.reason] : []),
  ];
  return { view: { ...view, ...(hold.verdict === 'wait' ? { holds: hold.reason } : {}) }, hold, warnings };
}

/** What its restart window says of a consumer the plan judged: the row's facts, and its reason when it waits for it. */
function windowOf(judged: Judged): { window?: WindowFacts & { waits?: string } } {
  const row = judged.row;
  if (!row?.window) return {};
  return { window: { ...row.window, ...(row.outcome === 'waiting' && row.kind === 'window' ? { waits: row.reason ?? '' } : {}) } };
}

/**
 * The consumers held for their restart window: how many, the soonest opening and deadline, and
 * the waves behind them that wait (a wave whose services wait for their window holds the next).
 */
function windowsOf(consumers: ConsumerStatus[]): SecretStatus['windows'] {
  const held = consumers.filter((c) => c.now === 'window' && c.window);
  if (held.length === 0) return undefined;
  const soonest = (values: Array<string | undefined>) => values.filter((v): v is string => v !== undefined).sort()[0];
  const lowest = Math.min(...held.map((c) => c.wave ?? Number.POSITIVE_INFINITY));
  const behind = consumers.filter((c) => c.now === 'waiting' && (c.wave ?? Number.NEGATIVE_INFINITY) > lowest);
  const holds =
    behind.length > 0
      ? [`wave ${lowest} waits for a window, and the waves after it with it: ${behind.map((c) => c.serviceName).join(', ')}`]
      : [];
  const opensAt = soonest(held.map((c) => c.window?.opensAt));
  return { waiting: held.length, ...(opensAt ? { opensAt } : {}), deadline: soonest(held.map((c) => c.window?.deadline)) as string, holds };
}

/** "(the first opens 2026-11-24T02:00Z; deadline 2026-11-24T14:00Z)" */
export function windowNote(windows: NonNullable<SecretStatus['windows']>): string {
  const opens = windows.opensAt ? `the first opens ${instant(new Date(windows.opensAt))}; ` : '';
  return `(${opens}deadline ${instant(new Date(windows.deadline))})`;
}

/** How one consumer was judged: its word, and the plan's row where the plan judged it. */
interface Judged {
  word: Word;
  row?: ServiceReport;
}

function reasonOf(judged: Judged): { reason?: string } {
  return judged.row?.reason ? { reason: judged.row.reason } : {};
}

/**
 * Every consumer judged as a dry run of a reconcile would judge it now: the same gather (with the
 * services already described) and the same pure plan; its rows, its redeploys (`due`) and the
 * consumers another run's claim holds, by service. Nothing is written.
 */
async function planned(ports: Ports, secret: SecretState, found: Found): Promise<Map<string, Judged>> {
  const ctx = statusContext(ports);
  const options = {
    dryRun: true,
    force: false,
    useLedger: true,
    inventory: 'index' as const,
    origin: ctx.origin,
    scope: ctx.scope,
    deadline: NO_DEADLINE,
  };
  const gathered = await gather(ports, secret, found, options, ctx, new DeploymentGroups(ports));
  const plan = planReconcile(gathered.snapshot, ctx);
  const rows = [...plan.rows, ...preview(plan, secret), ...plan.busy.map(busyRow)];
  return new Map(rows.map((row) => [row.service, { word: verdictWord(row), row }]));
}

/** Without ECS: what the ledger alone decides (the plan's own rule), else behind or not recorded. */
function ledgerOnly(ports: Ports, secret: SecretState, found: Found): Map<string, Judged> {
  const ctx = statusContext(ports);
  const records = new Map(found.ledger.services.map((r) => [r.serviceArn, r]));
  const frame: Frame = frameOf({ secret, consumers: found.consumers, versionCreated: {} });
  return new Map(
    found.consumers.map((consumer) => {
      const record = records.get(consumer.serviceArn);
      const judged = judgedByLedger({ consumer, ...(record ? { record } : {}) }, frame, ctx);
      if (judged?.kind === 'row') return [consumer.serviceArn, { word: verdictWord(judged.row), row: judged.row }];
      if (judged?.kind === 'busy') return [consumer.serviceArn, { word: verdictWord(BUSY) }];
      return [consumer.serviceArn, { word: LEDGER_ONLY_WORDS[record ? 'behind' : 'no-record'] }];
    }),
  );
}

const BUSY: Verdict = { outcome: 'waiting', kind: 'claim' };

/**
 * How status plans: as a person's look at one secret, with a token no claim holds (it claims
 * nothing) and stamps of writes it never makes.
 */
function statusContext(ports: Ports): PlanContext {
  const now = ports.clock.now();
  const token = `status-${randomUUID()}`;
  return {
    now,
    token,
    stamp: () => ({ now, writeId: token }),
    ledger: true,
    force: false,
    allWaves: false,
    origin: 'manual',
    scope: 'one-secret',
    clusters: ports.config.clusters,
    codeDeploy: ports.config.codeDeployRedeploys,
    defaultWave: ports.config.defaultWave,
    ...(ports.config.region ? { region: ports.config.region } : {}),
    restart: { defaults: ports.config.restartDefaults, ignoreWindows: false },
  };
}

/** A CodeDeploy status in the words of ECS's rollout states, which the rest of the status reads. */
function codeDeployState(status: string | undefined): string | undefined {
  if (status === undefined) return undefined;
  if (status === 'Succeeded') return 'COMPLETED';
  return status === 'Failed' || status === 'Stopped' ? 'FAILED' : 'IN_PROGRESS';
}

function stateOf(record: LedgerRecord | undefined, current: Versions): ConsumerState {
  if (!record) return 'no-record';
  if (record.state === 'claimed') return 'claimed';
  return holds(record.versions, current) ? 'up-to-date' : 'behind';
}

/**
 * Running tasks left from before the current versions: for a service behind, all of them; for one
 * up to date by a deployment we know, those started by a deployment older than it (a deployment
 * made after ours, the team's own deploy, started its tasks with the current versions too). A
 * baseline (no deployment of ours) is taken to run the current versions in every task.
 */
function countOlder(tasks: RunningTask[], state: ConsumerState, record: LedgerRecord | undefined, deployments: Deployment[]): number {
  if (state === 'behind' || state === 'claimed' || state === 'no-record') return tasks.length;
  const ours = record?.deploymentId;
  if (!ours) return 0;
  const listed = deployments.find((d) => d.id === ours);
  // When ECS no longer lists ours, every deployment it lists replaced it.
  const isNewer = (d: Deployment) =>
    !listed || (listed.createdAt !== undefined && d.createdAt !== undefined && Date.parse(d.createdAt) > Date.parse(listed.createdAt));
  const newer = new Set(deployments.filter((d) => d.id !== ours && isNewer(d)).map((d) => d.id));
  return tasks.filter((t) => t.startedBy !== ours && !(t.startedBy && newer.has(t.startedBy))).length;
}

/**
 * Running tasks left from before the current versions, for a CODE_DEPLOY service whose record is
 * up to date by a CodeDeploy deployment: those not started by its PRIMARY task set, once that task
 * set was created after our claim (CodeDeploy made it for us, or a later deployment did); before
 * the traffic shifted, all of them.
 */
function countOlderThanTaskSet(
  tasks: RunningTask[],
  state: ConsumerState,
  record: LedgerRecord,
  service: ServiceSnapshot | undefined,
): number {
  if (state !== 'up-to-date') return tasks.length;
  const primary = service && primaryTaskSet(service);
  const claimedAt = record.deployment?.claimedAt ?? record.at;
  const ours = primary?.createdAt !== undefined && Date.parse(primary.createdAt) >= Date.parse(claimedAt) ? primary.id : undefined;
  return tasks.filter((t) => ours === undefined || t.startedBy !== ours).length;
}
