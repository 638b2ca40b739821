import { withOneUseTokens } from '../../../functions/app/continuation-tokens';
import { type ReconcileOptions, type ReconcileResult, reconcile } from '../../../functions/app/reconcile';
import { type Config, loadConfig } from '../../../functions/config';
import type { ContinuationRequest } from '../../../functions/domain/decode/run-request';
import { parseTarget, type Target } from '../../../functions/domain/identity/target';
import { extractReferences } from '../../../functions/domain/references/references';
import { NO_DEADLINE } from '../../../functions/domain/rollout/deadline';
import type { SharedBucket } from '../../../functions/domain/rollout/rate-limiter';
import type { Continuation } from '../../../functions/ports/continuation';
import { silentLogger } from '../../../functions/ports/logger';
import type { Ports } from '../../../functions/ports/ports';
import { type ContainerSpec, containerSpecs, renderRef, type SeededSecret, type WorldPlan } from '../simulated-account';
import { ACCOUNT, REGION } from '../test-account';
import { VirtualClock } from './clock';
import { FakeCodeDeploy } from './codedeploy';
import { FakeEcs } from './ecs';
import { MemoryRebuildStore } from './rebuilds';
import {
  FakeSecrets,
  MemoryContinuationTokens,
  MemoryIndexStore,
  MemoryLedger,
  MemoryRevisionCache,
  RecordingChat,
  RecordingMetrics,
  RecordingNotifier,
} from './stores';
import { RecordingWakeups } from './wakeups';

/** Every port in memory, on a virtual clock, with handles to inspect and steer them. */
export interface FakeWorld {
  ports: Ports;
  ecs: FakeEcs;
  codeDeploy: FakeCodeDeploy;
  secrets: FakeSecrets;
  index: MemoryIndexStore;
  revisions: MemoryRevisionCache;
  rebuilds: MemoryRebuildStore;
  ledger: MemoryLedger;
  continuations: MemoryContinuationTokens;
  notifier: RecordingNotifier;
  chat: RecordingChat;
  metrics: RecordingMetrics;
  clock: VirtualClock;
  /**
   * A continuation that keeps the requests (each with its one-use token, issued as the Lambda's
   * is), for a test to run them as the next invocation would.
   */
  continuation: Continuation & { requests: ContinuationRequest[] };
  /** The UpdateService bucket of the Lambda container the world's invocations run in (one, warm). */
  updateBucket: SharedBucket;
  /** The one-time reconciles the world's runs create (the ports' wakeups unless a test sets others). */
  wakeups: RecordingWakeups;
}

export function fakeWorld(config: Partial<Config> = {}): FakeWorld {
  const clock = new VirtualClock();
  const ecs = new FakeEcs(clock);
  const codeDeploy = new FakeCodeDeploy(clock, ecs);
  const secrets = new FakeSecrets(clock);
  const revisions = new MemoryRevisionCache();
  const index = new MemoryIndexStore(revisions);
  const rebuilds = new MemoryRebuildStore();
  const ledger = new MemoryLedger();
  const continuations = new MemoryContinuationTokens();
  const notifier = new RecordingNotifier();
  const chat = new RecordingChat();
  const metrics = new RecordingMetrics();
  const requests: ContinuationRequest[] = [];
  const wakeups = new RecordingWakeups();
  const ports: Ports = {
    config: { ...loadConfig({}), region: REGION, ...config },
    secrets,
    ecs,
    codeDeploy,
    index,
    revisions,
    rebuilds,
    ledger,
    continuations,
    notifier,
    chat,
    clock,
    log: silentLogger,
    metrics,
    wakeups,
    accountId: async () => ACCOUNT,
  };
  return {
    ports,
    ecs,
    codeDeploy,
    secrets,
    index,
    revisions,
    rebuilds,
    ledger,
    continuations,
    notifier,
    chat,
    metrics,
    clock,
    continuation: { requests, ...withOneUseTokens(ports, { continueWith: async (r) => void requests.push(r) }) },
    updateBucket: {},
    wakeups,
  };
}

const arn = (service: string, resource: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}:${resource}`;

/** What seeding an account plan into the fakes created, by name. */
export interface SeededFakes {
  clusterArns: string[];
  secrets: Map<string, SeededSecret>;
  serviceArns: Map<string, string>;
}

/**
 * Creates a planned account (test/kit/simulated-account.ts: the demo's, or a synthetic one of any size)
 * in the fakes: the same task definitions, read into references by the same code as the AWS path.
 */
export function seedFakes(world: FakeWorld, plan: WorldPlan): SeededFakes {
  const clusterArns = plan.clusterNames.map((name) => arn('ecs', `cluster/${name}`));
  const secrets = new Map<string, SeededSecret>();
  plan.secretNames.forEach((name, i) => {
    const state = world.secrets.add(arn('secretsmanager', `secret:${name}-${suffix(i)}`), name);
    secrets.set(name, { arn: state.arn, name, versionId: Object.keys(state.versionIdsToStages)[0] });
  });
  const render = (ref: Parameters<typeof renderRef>[0]) => renderRef(ref, secrets.get(ref.secret) as SeededSecret);
  const latest = plan.families.map((family) => {
    const taskDefinitionArn = arn('ecs', `task-definition/${family.name}:${family.revisions}`);
    const containers = containerSpecs(family.latest, render, family.revisions).map(toContainerDefinition);
    world.ecs.taskDefinitions.set(taskDefinitionArn, extractReferences({ taskDefinitionArn, containerDefinitions: containers }));
    return taskDefinitionArn;
  });
  const serviceArns = new Map<string, string>();
  for (const service of plan.services) {
    const cluster = plan.clusterNames[service.cluster];
    const serviceArn = arn('ecs', `service/${cluster}/${service.name}`);
    world.ecs.addService({
      clusterArn: clusterArns[service.cluster],
      serviceArn,
      serviceName: service.name,
      desiredCount: service.desiredCount ?? 1,
      taskDefinition: latest[service.family],
      ...(service.tags ? { tags: service.tags } : {}),
    });
    serviceArns.set(service.name, serviceArn);
  }
  return { clusterArns, secrets, serviceArns };
}

/** The container definition ECS would hold for a planned container. */
function toContainerDefinition({ name, secrets, logSecrets, repositoryCredentials }: ContainerSpec) {
  return {
    name,
    secrets,
    logConfiguration: logSecrets ? { secretOptions: logSecrets } : undefined,
    repositoryCredentials: repositoryCredentials ? { credentialsParameter: repositoryCredentials } : undefined,
  };
}

/** A deterministic 6-character suffix, as Secrets Manager appends to a secret's name in its ARN. */
function suffix(i: number): string {
  return `Sx${String(i).padStart(4, '0')}`;
}

/**
 * One reconcile of a secret as the reconciler runs it for an event (a PutSecretValue), for the
 * schedule, or for a person; without a deadline unless `options` sets one.
 */
/**
 * A reconcile's options as an event's run has them (the ledger, the index, no deadline), with
 * overrides; the schedule's run reconciles every secret (its scope) unless told otherwise.
 */
/** Makes a seeded service blue/green by CodeDeploy: the same service, its controller CODE_DEPLOY, one PRIMARY task set. */
export function deployedByCodeDeploy(world: FakeWorld, serviceArn: string): void {
  const service = world.ecs.services.get(serviceArn);
  if (!service) throw new Error(`test setup: no service ${serviceArn}`);
  world.ecs.addService({
    clusterArn: service.clusterArn,
    serviceArn: service.serviceArn,
    serviceName: service.serviceName,
    desiredCount: 2,
    taskDefinition: service.taskDefinition,
    deploymentController: 'CODE_DEPLOY',
  });
}

export function reconcileOptions(overrides: Partial<ReconcileOptions> = {}): ReconcileOptions {
  const scope = overrides.origin === 'schedule' ? 'every-secret' : 'one-secret';
  return { dryRun: false, force: false, useLedger: true, inventory: 'index', origin: 'event', scope, deadline: NO_DEADLINE, ...overrides };
}

export function reconcileSecret(
  world: FakeWorld,
  secretArn: string,
  origin: 'event' | 'schedule' | 'manual' = 'event',
  options: Partial<ReconcileOptions> = {},
): Promise<ReconcileResult> {
  const trigger = origin === 'event' ? { source: 'aws.secretsmanager', eventName: 'PutSecretValue' } : { source: origin };
  return reconcile(world.ports, parseTarget(secretArn) as Target, trigger, reconcileOptions({ origin, ...options }));
}
