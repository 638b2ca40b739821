import { locationOf } from '../domain/identity/arn';
import { assertAllowedOwner } from '../domain/identity/owners';
import type { Target } from '../domain/identity/target';
import { type Deployment, describeStrategy, type RunningTask, type ServiceSnapshot } from '../domain/inventory/service';
import { desiredVersions } from '../domain/ledger/desired';
import { describeVersions, holds, type LedgerRecord, type Versions, versionKey } from '../domain/ledger/record';
import { changedAtOf } from '../domain/plan/restart-hold';
import { versionOfStage } from '../domain/plan/secret-state';
import { type Report, secretIdentity } from '../domain/report/report';
import type { Rollout } from '../domain/rollout/rollout';
import { waveOf } from '../domain/rollout/waves';
import { instant, restartPolicyOf, restartVerdict, type WindowFacts } from '../domain/windows/restart-policy';
import type { Ports } from '../ports/ports';
import { mapWithConcurrency } from '../util/concurrency';
import { describeLive } from './describe-live';
import { deploymentRecordStatus, type ServiceDeploymentStatus, serviceDeploymentsOf } from './poll-deployments';

/** Where one consumer stands against the secret's current versions, from the ledger. */
export type ConsumerState =
  /** Runs the current versions. */
  | 'up-to-date'
  /** Behind: the next reconcile redeploys it. */
  | 'due'
  /** A run has claimed it and is redeploying it. */
  | 'pending'
  /** Pinned to version ids: never redeployed for a change of stages. */
  | 'pinned'
  /** A followed stage is attached to no version. */
  | 'unattached'
  /** Not recorded yet (indexed since the last reconcile): the next reconcile judges it from evidence. */
  | 'no-record';

/**
 * What is true of one consumer now, in the words a reader checks the summary against: the ledger's
 * state, completed by what ECS shows of the deployment that brought it there.
 */
export type ConsumerNow =
  /** Every task runs the current versions. */
  | 'on current'
  /** Its deployment for the current versions is in progress. */
  | 'deploying'
  /** Its deployment for the current versions failed (circuit breaker, or stopped). */
  | 'deploy failed'
  /** Its deployment completed, but tasks from an older deployment still run. */
  | 'old tasks'
  /** A run has claimed it and is redeploying it. */
  | 'redeploying'
  /** Behind: the next reconcile redeploys it. */
  | 'due'
  /** Behind, and held outside its restart window until it opens (or its deadline falls). */
  | 'window'
  /** No ledger record yet: the next reconcile records what it runs. */
  | 'no record'
  | 'pinned'
  | 'unattached';

/** Those that change without anyone running anything: ECS is at work on them. */
export const MOVING: ReadonlySet<ConsumerNow> = new Set(['deploying', 'redeploying', 'old tasks']);

export interface ConsumerStatus {
  service: string;
  serviceName: string;
  cluster: string;
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
  /** Runs the current versions everywhere: up to date, its deployment completed, no task left from before. */
  fullyOnCurrent: boolean;
  /** What is true now (what the table shows). */
  now: ConsumerNow;
  /** Live: how ECS deploys it (`BLUE_GREEN (bake 90 min)`; ROLLING when it names no strategy). */
  strategy?: string;
  /** Live: ECS's record of the deployment that brought `runs`, where ECS offers its records. */
  serviceDeployment?: ServiceDeploymentStatus;
  /** Live, when behind: what its restart window and deadline say (when it opens, when the deadline falls), and why it waits. */
  window?: WindowFacts & { waits?: string };
}

export interface SecretStatus {
  secret: Report['secret'];
  rollout?: Rollout;
  consumers: ConsumerStatus[];
  standaloneTasks: number;
  /** Consumers by state. */
  counts: Record<ConsumerState, number>;
  /** Consumers by what is true now. */
  now: Partial<Record<ConsumerNow, number>>;
  /** "N of M services fully on version X; K tasks still on older versions". */
  summary: string;
  /** Live: the consumers held for their restart window, the soonest opening, the soonest deadline; and the waves they hold back. */
  windows?: { waiting: number; opensAt?: string; deadline: string; holds: string[] };
  /** True when nothing is left to do or to wait for: every consumer fully on the current versions (pinned ones aside). */
  done: boolean;
}

/**
 * Where every consumer of a secret stands: the ledger against the secret's stages now, and with
 * `live`, what ECS shows: each deployment's rollout state and the running tasks that older
 * deployments started (one DescribeServices per ten consumers, a ListTasks and DescribeTasks per
 * consumer). Changes nothing.
 */
export async function secretStatus(ports: Ports, target: Target, options: { live: boolean } = { live: true }): Promise<SecretStatus> {
  const secret = await ports.secrets.describe(target);
  const account = await ports.accountId();
  assertAllowedOwner(secret.arn, locationOf(secret.arn)?.account, account, ports.config.secretOwners);
  const [entries, ledger] = await Promise.all([ports.index.entriesOf(secret.arn), ports.ledger.records(secret.arn)]);
  const recordOf = new Map(ledger.services.map((r) => [r.serviceArn, r]));
  const services = entries.filter((e) => e.kind === 'service');
  // The deadline counts from the change the rollout of the current versions recorded (else the secret's last change).
  const currentKey = versionKey(
    Object.assign({}, ...services.map((e) => desiredVersions(e.references, secret)).map((d) => (d.kind === 'follows' ? d.versions : {}))),
  );
  const rollout = ledger.secret?.rollout?.key === currentKey ? ledger.secret.rollout : undefined;
  const changedAt = changedAtOf(rollout, undefined, secret, ports.clock.now());
  const waveOfLive = new Map<string, number>();
  const live = options.live
    ? await describeLive(
        ports,
        services.map((e) => ({ serviceArn: e.resourceArn, clusterArn: e.clusterArn })),
      )
    : new Map();
  // ECS's records of the deployments the ledger holds (one listing each until the ledger keeps its ARN, then 20 per call).
  const found = options.live
    ? await serviceDeploymentsOf(
        ports,
        ledger.services.filter((r) => r.deploymentId && r.state === 'settled'),
        new Map(services.map((e) => [e.resourceArn, e.clusterArn])),
      )
    : undefined;

  const consumers = await mapWithConcurrency(services, 4, async (entry): Promise<ConsumerStatus> => {
    const record = recordOf.get(entry.resourceArn);
    const base = { service: entry.resourceArn, serviceName: entry.name, cluster: entry.clusterArn };
    const desired = desiredVersions(entry.references, secret);
    if (desired.kind === 'pinned') return { ...base, state: 'pinned', fullyOnCurrent: false, now: 'pinned' };
    if (desired.kind === 'unattached') return { ...base, state: 'unattached', fullyOnCurrent: false, now: 'unattached' };
    const state = stateOf(record, desired.versions);
    const service: ServiceSnapshot | undefined = live.get(entry.resourceArn);
    const deployment = record?.deploymentId ? service?.deployments.find((d) => d.id === record.deploymentId) : undefined;
    const deploymentState =
      deployment?.rolloutState ?? (service && record?.deploymentId ? 'replaced by a newer deployment' : record?.deployment?.state);
    const tasks = service ? await ports.ecs.runningTasks(service) : undefined;
    const onOlder = tasks && countOlder(tasks, state, record, service?.deployments ?? []);
    const settled = !record?.deploymentId || deploymentState === 'COMPLETED' || deploymentState === 'replaced by a newer deployment';
    const fullyOnCurrent = state === 'up-to-date' && settled && (onOlder ?? 0) === 0;
    // Behind, as ECS shows it: its restart window and deadline say whether the next reconcile redeploys it.
    const policy = service && state === 'due' ? restartPolicyOf(service.tags, ports.config.restartDefaults) : undefined;
    const verdict = policy && restartVerdict(policy, changedAt, ports.clock.now());
    if (service) waveOfLive.set(entry.resourceArn, waveOf(service.tags, ports.config.defaultWave).wave);
    const window = verdict?.facts ? { window: { ...verdict.facts, ...(verdict.go ? {} : { waits: verdict.reason }) } } : {};
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
      ...(deploymentState ? { deploymentState } : {}),
      ...(deployment?.rolloutStateReason
        ? { deploymentReason: deployment.rolloutStateReason }
        : record?.deployment?.reason
          ? { deploymentReason: record.deployment.reason }
          : {}),
      ...(tasks && onOlder !== undefined ? { tasks: { running: tasks.length, onOlderVersions: onOlder } } : {}),
      fullyOnCurrent,
      now: verdict && !verdict.go ? 'window' : nowOf(state, fullyOnCurrent, settled, deploymentState),
      ...(service ? { strategy: describeStrategy(service.strategy) } : {}),
      ...(found && record ? deploymentRecordStatus(found, record, service) : {}),
      ...window,
    };
  });
  consumers.sort((a, b) => a.serviceName.localeCompare(b.serviceName));
  const counts: Record<ConsumerState, number> = { 'up-to-date': 0, due: 0, pending: 0, pinned: 0, unattached: 0, 'no-record': 0 };
  for (const c of consumers) counts[c.state] += 1;
  const following = consumers.filter((c) => c.state !== 'pinned' && c.state !== 'unattached');
  const fully = following.filter((c) => c.fullyOnCurrent).length;
  const olderTasks = consumers.reduce((n, c) => n + (c.tasks?.onOlderVersions ?? 0), 0);
  const current = following[0]?.current;
  const version = current ? describeVersions(current, secret.kind) : (versionOfStage(secret, 'AWSCURRENT') ?? 'none');
  const taskPart = options.live ? `; ${olderTasks} task(s) still on older versions` : '';
  const now: Partial<Record<ConsumerNow, number>> = {};
  for (const c of following) now[c.now] = (now[c.now] ?? 0) + 1;
  const windows = windowsOf(consumers, waveOfLive);
  const others = Object.entries(now)
    .filter(([what]) => what !== 'on current')
    .map(([what, n]) => (what === 'window' && windows ? `${n} ${what} ${windowNote(windows)}` : `${n} ${what}`));
  const nowPart = others.length > 0 ? `; ${others.join(', ')}` : '';
  return {
    secret: secretIdentity(secret),
    ...(ledger.secret?.rollout ? { rollout: ledger.secret.rollout } : {}),
    consumers,
    standaloneTasks: entries.filter((e) => e.kind === 'task').length,
    counts,
    now,
    summary: `${fully} of ${following.length} services fully on ${version}${nowPart}${taskPart}`,
    done: fully === following.length,
    ...(windows ? { windows } : {}),
  };
}

/**
 * The consumers held for their restart window: how many, the soonest opening and deadline, and
 * the waves behind them that wait (a wave whose services wait for their window holds the next).
 */
function windowsOf(consumers: ConsumerStatus[], waves: Map<string, number>): SecretStatus['windows'] {
  const held = consumers.filter((c) => c.now === 'window' && c.window);
  if (held.length === 0) return undefined;
  const soonest = (values: Array<string | undefined>) => values.filter((v): v is string => v !== undefined).sort()[0];
  const lowest = Math.min(...held.map((c) => waves.get(c.service) ?? Number.POSITIVE_INFINITY));
  const behind = consumers.filter((c) => c.now === 'due' && (waves.get(c.service) ?? Number.NEGATIVE_INFINITY) > lowest);
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

function nowOf(state: ConsumerState, fullyOnCurrent: boolean, settled: boolean, deploymentState: string | undefined): ConsumerNow {
  if (state === 'due') return 'due';
  if (state === 'pending') return 'redeploying';
  if (state === 'no-record') return 'no record';
  if (state === 'pinned' || state === 'unattached') return state;
  if (fullyOnCurrent) return 'on current';
  if (deploymentState === 'FAILED' || deploymentState === 'STOPPED') return 'deploy failed';
  return settled ? 'old tasks' : 'deploying';
}

function stateOf(record: LedgerRecord | undefined, current: Versions): ConsumerState {
  if (!record) return 'no-record';
  if (record.state === 'claimed') return 'pending';
  return holds(record.versions, current) ? 'up-to-date' : 'due';
}

/**
 * Running tasks left from before the current versions: for a service behind, all of them; for one
 * up to date by a deployment we know, those started by a deployment older than it (a deployment
 * made after ours, the team's own deploy, started its tasks with the current versions too). A
 * baseline (no deployment of ours) is taken to run the current versions in every task.
 */
function countOlder(tasks: RunningTask[], state: ConsumerState, record: LedgerRecord | undefined, deployments: Deployment[]): number {
  if (state === 'due' || state === 'pending' || state === 'no-record') return tasks.length;
  const ours = record?.deploymentId;
  if (!ours) return 0;
  const listed = deployments.find((d) => d.id === ours);
  // When ECS no longer lists ours, every deployment it lists replaced it.
  const isNewer = (d: Deployment) =>
    !listed || (listed.createdAt !== undefined && d.createdAt !== undefined && Date.parse(d.createdAt) > Date.parse(listed.createdAt));
  const newer = new Set(deployments.filter((d) => d.id !== ours && isNewer(d)).map((d) => d.id));
  return tasks.filter((t) => t.startedBy !== ours && !(t.startedBy && newer.has(t.startedBy))).length;
}
