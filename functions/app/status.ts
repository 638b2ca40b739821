import { locationOf } from '../domain/identity/arn';
import { assertAllowedOwner } from '../domain/identity/owners';
import type { Target } from '../domain/identity/target';
import { type Deployment, describeStrategy, primaryTaskSet, type RunningTask, type ServiceSnapshot } from '../domain/inventory/service';
import { desiredVersions } from '../domain/ledger/desired';
import { describeVersions, holds, type LedgerRecord, type Versions } from '../domain/ledger/record';
import { versionOfStage } from '../domain/plan/secret-state';
import { type Report, secretIdentity } from '../domain/report/report';
import type { Rollout } from '../domain/rollout/rollout';
import type { Ports } from '../ports/ports';
import { mapWithConcurrency } from '../util/concurrency';
import { type CodeDeploymentStatus, codeDeploymentStatus, codeDeploymentsOf } from './codedeploy-deployments';
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
  /** Live: the CodeDeploy deployment that brought `runs`, for a CODE_DEPLOY service (its id, status and waits). */
  codeDeployment?: CodeDeploymentStatus;
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
  /** True when nothing is left to do or to wait for: every consumer fully on the current versions (pinned ones aside). */
  done: boolean;
}

/**
 * Where every consumer of a secret stands: the ledger against the secret's stages now, and with
 * `live`, what ECS shows: each deployment's rollout state and the running tasks that older
 * deployments started (one DescribeServices per ten consumers, a ListTasks and DescribeTasks per
 * consumer), and for CODE_DEPLOY services CodeDeploy's deployments (one BatchGetDeployments per
 * 25, none without them). Changes nothing.
 */
export async function secretStatus(ports: Ports, target: Target, options: { live: boolean } = { live: true }): Promise<SecretStatus> {
  const secret = await ports.secrets.describe(target);
  const account = await ports.accountId();
  assertAllowedOwner(secret.arn, locationOf(secret.arn)?.account, account, ports.config.secretOwners);
  const [entries, ledger] = await Promise.all([ports.index.entriesOf(secret.arn), ports.ledger.records(secret.arn)]);
  const recordOf = new Map(ledger.services.map((r) => [r.serviceArn, r]));
  const services = entries.filter((e) => e.kind === 'service');
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
  const codeDeployments = options.live
    ? await codeDeploymentsOf(
        ports,
        ledger.services.filter((r) => r.state === 'settled'),
      )
    : new Map();

  const consumers = await mapWithConcurrency(services, 4, async (entry): Promise<ConsumerStatus> => {
    const record = recordOf.get(entry.resourceArn);
    const base = { service: entry.resourceArn, serviceName: entry.name, cluster: entry.clusterArn };
    const desired = desiredVersions(entry.references, secret);
    if (desired.kind === 'pinned') return { ...base, state: 'pinned', fullyOnCurrent: false, now: 'pinned' };
    if (desired.kind === 'unattached') return { ...base, state: 'unattached', fullyOnCurrent: false, now: 'unattached' };
    const state = stateOf(record, desired.versions);
    const service: ServiceSnapshot | undefined = live.get(entry.resourceArn);
    const deployment = record?.deploymentId ? service?.deployments.find((d) => d.id === record.deploymentId) : undefined;
    const byCodeDeploy = codeDeploymentStatus(codeDeployments, record);
    const deploymentState = record?.codeDeploy
      ? (codeDeployState(byCodeDeploy.codeDeployment?.status) ?? record.deployment?.state)
      : (deployment?.rolloutState ?? (service && record?.deploymentId ? 'replaced by a newer deployment' : record?.deployment?.state));
    const tasks = service ? await ports.ecs.runningTasks(service) : undefined;
    const onOlder =
      tasks &&
      (record?.codeDeploy
        ? countOlderThanTaskSet(tasks, state, record, service)
        : countOlder(tasks, state, record, service?.deployments ?? []));
    const settled = !record?.deploymentId || deploymentState === 'COMPLETED' || deploymentState === 'replaced by a newer deployment';
    const fullyOnCurrent = state === 'up-to-date' && settled && (onOlder ?? 0) === 0;
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
      now: nowOf(state, fullyOnCurrent, settled, deploymentState),
      ...(service ? { strategy: service.deploymentController === 'CODE_DEPLOY' ? 'CODE_DEPLOY' : describeStrategy(service.strategy) } : {}),
      ...(found && record && !record.codeDeploy ? deploymentRecordStatus(found, record, service) : {}),
      ...byCodeDeploy,
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
  const others = Object.entries(now)
    .filter(([what]) => what !== 'on current')
    .map(([what, n]) => `${n} ${what}`);
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
  };
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

/** A CodeDeploy status in the words of ECS's rollout states, which the rest of the status reads. */
function codeDeployState(status: string | undefined): string | undefined {
  if (status === undefined) return undefined;
  if (status === 'Succeeded') return 'COMPLETED';
  return status === 'Failed' || status === 'Stopped' ? 'FAILED' : 'IN_PROGRESS';
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
