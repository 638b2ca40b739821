import { errorLine, UnknownSecretError } from '../domain/errors';
import type { SecretsManagerRef } from '../domain/identity/arn';
import { lastPathSegment } from '../domain/identity/arn';
import { parseTarget, type Target } from '../domain/identity/target';
import type { IndexEntry } from '../domain/index/entries';
import { replicationRole } from '../domain/plan/replication';
import type { SecretState } from '../domain/plan/secret-state';
import {
  type Consumer,
  type Lookup,
  nameInArn,
  restartSummary,
  type UnresolvedReference,
  type UsageMap,
  type Use,
  usageMap,
} from '../domain/usage/usage';
import type { Ports } from '../ports/ports';
import type { ScheduledTask, ScheduledTasks } from '../ports/schedules';
import { mapWithConcurrency } from '../util/concurrency';
import { describeLive } from './describe-live';
import type { OnProgress } from './progress';
import { primaryOf } from './replicas';
import { scanAccount } from './scan-account';

/** The ports the usage map reads. */
export interface UsagePorts extends Pick<Ports, 'config' | 'ecs' | 'index' | 'secrets' | 'clock'> {
  schedules: ScheduledTasks;
}

export interface UsageOptions {
  /** `index` reads consumers from the index (a scan when it was never built); `scan` lists the account. */
  inventory: 'index' | 'scan';
  onProgress?: OnProgress;
}

/** DescribeSecret and DescribeParameters calls at once (Secrets Manager allows 50 per second). */
const DESCRIBE_CONCURRENCY = 8;

/**
 * Builds the account's secret-usage map: every secret and parameter that task definitions of
 * services, standalone tasks and scheduled tasks reference, each described once (existence,
 * deletion, current version), with what needs attention. Reads only: no writes, no values.
 */
export async function buildUsageMap(ports: UsagePorts, options: UsageOptions): Promise<UsageMap> {
  const notes: string[] = [];
  const unresolved: UnresolvedReference[] = [];
  const fromIndex = options.inventory === 'index' ? await indexedUses(ports, notes, unresolved) : undefined;
  const listed = await withRestart(ports, fromIndex ?? (await scannedUses(ports, unresolved, options.onProgress)), notes);
  if (options.inventory === 'index' && !fromIndex) notes.push('the index was never built: consumers found by a live scan');
  const scheduled = await scheduledUses(ports, notes);
  const uses = [...listed, ...scheduled];

  const subjects = new Map(uses.map((use) => subjectOf(use)).map((subject) => [subject.key, subject]));
  const lookups = new Map<string, Lookup>();
  await mapWithConcurrency(
    [...subjects.values()],
    { limit: DESCRIBE_CONCURRENCY, onDone: (done) => options.onProgress?.({ phase: 'describe', done, total: subjects.size }) },
    async (subject) => {
      lookups.set(subject.key, await lookUp(ports, subject));
    },
  );
  const resolved: Use[] = uses.map((use) => ({
    consumer: use.consumer,
    reference: use.reference,
    lookup: lookups.get(subjectOf(use).key) as Lookup,
  }));
  return usageMap(
    resolved,
    {
      generatedAt: ports.clock.now().toISOString(),
      source: fromIndex ? 'index' : 'scan',
      notes,
      unresolved,
    },
    ports.config.secretOwners,
    await primariesOf(ports, [...lookups.values()], notes),
  );
}

/**
 * The primaries of the replicas the map found (one DescribeSecret each, in the primary's region),
 * for how replication to each replica stands: the primary reports it. One that cannot be read
 * leaves a note; its replica is shown with what its own answer says.
 */
async function primariesOf(ports: UsagePorts, lookups: Lookup[], notes: string[]): Promise<Map<string, SecretState>> {
  const replicas = lookups.flatMap((l) => (l.found && replicationRole(l.state).role === 'replica' ? [l.state] : []));
  const primaries = new Map<string, SecretState>();
  await mapWithConcurrency(replicas, DESCRIBE_CONCURRENCY, async (replica) => {
    try {
      const primary = await primaryOf(ports, replica, { readSince: new Date(0) });
      if (primary) primaries.set(primary.arn, primary);
    } catch (error) {
      notes.push(
        `the primary of the replica ${replica.arn} could not be read (${errorLine(error)}): its replication status is the replica's own`,
      );
    }
  });
  return primaries;
}

/** A use before its secret is described; `secretArn` when the index already resolved it; a scanned service's tags. */
type Unresolved = Omit<Use, 'lookup' | 'consumer'> & { consumer: Consumer & { tags?: Record<string, string> }; secretArn?: string };

/** Consumers from the index; undefined when it was never built. */
async function indexedUses(ports: UsagePorts, notes: string[], unresolved: UnresolvedReference[]): Promise<Unresolved[] | undefined> {
  const meta = await ports.index.meta();
  if (!meta) return undefined;
  notes.push(`consumers as indexed at ${meta.builtAt}; --scan reads the task definitions as they are now`);
  // The rebuild recorded the references to secrets that did not exist: worth seeing before a rotation.
  for (const missing of meta.missingSecrets ?? []) {
    const more = missing.consumerCount - missing.consumers.length;
    unresolved.push({
      reference: missing.reference,
      reason: `no such secret at the index rebuild of ${meta.builtAt}: tasks that need it cannot start`,
      consumers: more > 0 ? [...missing.consumers, `${more} more`] : missing.consumers,
    });
  }
  const entries = await ports.index.allEntries();
  return entries.flatMap((entry) =>
    entry.references.map((reference) => ({ consumer: indexedConsumer(entry), reference, secretArn: entry.secretArn })),
  );
}

function indexedConsumer(entry: IndexEntry): Consumer {
  return { kind: entry.kind, name: entry.name, arn: entry.resourceArn, clusterArn: entry.clusterArn, taskDefinition: entry.taskDefinition };
}

/**
 * The services' restart policies, from their tags: those a scan described already carry them; the
 * others (the index keeps no tags) are described, ten at a time per cluster, once each.
 */
async function withRestart(ports: UsagePorts, uses: Unresolved[], notes: string[]): Promise<Unresolved[]> {
  const services = [...new Map(uses.filter((u) => u.consumer.kind === 'service').map((u) => [u.consumer.arn, u.consumer])).values()];
  const described = await describeLive(
    ports,
    services.filter((s) => !s.tags).map((s) => ({ serviceArn: s.arn, clusterArn: s.clusterArn })),
    (cluster, error) =>
      notes.push(
        `the services of ${lastPathSegment(cluster)} could not be described (${errorLine(error)}): their restart windows are not shown`,
      ),
  );
  const tagsOf = new Map([
    ...services.flatMap((s) => (s.tags ? [[s.arn, s.tags] as const] : [])),
    ...[...described.values()].map((s) => [s.serviceArn, s.tags] as const),
  ]);
  return uses.map((use) => {
    const tags = tagsOf.get(use.consumer.arn);
    if (use.consumer.kind !== 'service' || !tags) return use;
    const { tags: _, ...consumer } = use.consumer;
    return { ...use, consumer: { ...consumer, restart: restartSummary(tags, ports.config.restartDefaults) } };
  });
}

/** Consumers from a live scan of the account (or of the configured clusters). */
async function scannedUses(ports: UsagePorts, unresolved: UnresolvedReference[], onProgress?: OnProgress): Promise<Unresolved[]> {
  const scan = await scanAccount(ports, onProgress);
  const of = (consumer: Unresolved['consumer']) =>
    (scan.references.get(consumer.taskDefinition) ?? []).map((reference) => ({ consumer, reference }));
  // References ECS cannot resolve as written (read with the others: no more calls), by reference.
  const users = new Map<string, string[]>();
  for (const consumer of [
    ...scan.services.map((s) => ({ td: s.taskDefinition, name: s.serviceName })),
    ...scan.standaloneTasks.map((t) => ({ td: t.taskDefinition, name: lastPathSegment(t.taskArn) })),
  ])
    users.set(consumer.td, [...(users.get(consumer.td) ?? []), consumer.name]);
  const unusable = new Map<string, UnresolvedReference>();
  for (const [taskDefinition, names] of users) {
    for (const reference of (await ports.ecs.taskDefinitionUnusable?.(taskDefinition)) ?? []) {
      const known = unusable.get(reference.valueFrom) ?? { reference: reference.valueFrom, reason: reference.reason, consumers: [] };
      known.consumers = [...new Set([...known.consumers, ...names])].sort();
      unusable.set(reference.valueFrom, known);
    }
  }
  unresolved.push(...unusable.values());
  return [
    ...scan.services.flatMap((s) =>
      of({
        kind: 'service',
        name: s.serviceName,
        arn: s.serviceArn,
        clusterArn: s.clusterArn,
        taskDefinition: s.taskDefinition,
        tags: s.tags,
      }),
    ),
    ...scan.standaloneTasks.flatMap((t) =>
      of({
        kind: 'task',
        name: t.taskArn.slice(t.taskArn.lastIndexOf('/') + 1),
        arn: t.taskArn,
        clusterArn: t.clusterArn,
        taskDefinition: t.taskDefinition,
      }),
    ),
  ];
}

/**
 * Tasks started by EventBridge rules and Scheduler schedules, with the references of their task
 * definitions. A source that cannot be read (no permission) leaves a note, not a failure.
 */
async function scheduledUses(ports: UsagePorts, notes: string[]): Promise<Unresolved[]> {
  const sources: [string, () => Promise<ScheduledTask[]>][] = [
    ['EventBridge rules', () => ports.schedules.fromRules()],
    ['EventBridge Scheduler schedules', () => ports.schedules.fromSchedules()],
  ];
  const tasks: ScheduledTask[] = [];
  for (const [what, list] of sources) {
    try {
      tasks.push(...(await list()));
    } catch (error) {
      notes.push(`${what} could not be listed (${errorLine(error)}): their tasks are missing from the map`);
    }
  }
  const uses = await mapWithConcurrency(tasks, 4, async (task) => {
    const consumer: Consumer = {
      kind: 'scheduled-task',
      name: task.name,
      arn: task.arn,
      clusterArn: task.clusterArn,
      taskDefinition: task.taskDefinition,
      schedule: task.schedule ?? 'event pattern',
      via: task.via,
    };
    try {
      const references = await ports.ecs.taskDefinitionReferences(task.taskDefinition);
      return references.map((reference) => ({ consumer, reference }));
    } catch (error) {
      notes.push(`the task definition ${task.taskDefinition} of ${task.name} could not be read (${errorLine(error)})`);
      return [];
    }
  });
  return uses.flat();
}

/** What to describe for a use: a key to describe each secret once, the target, and the ARN to show if it is missing. */
interface Subject {
  key: string;
  target: Target | undefined;
  arn: string;
}

/**
 * The secret a use names: the ARN the index resolved, the ARN as written, or a plain name (read
 * in the task definition's own region, which is the region mapped).
 */
function subjectOf(use: Unresolved): Subject {
  const { reference } = use;
  const known = use.secretArn ?? reference.parameterArn ?? (reference.secret?.isArn ? reference.secret.secretId : undefined);
  if (known) return { key: known, target: parseTarget(known), arn: known };
  const secret = reference.secret as SecretsManagerRef;
  const { partition, region, account } = secret.location;
  const arn = `arn:${partition}:secretsmanager:${region}:${account}:secret:${secret.secretId}`;
  return { key: arn, target: { kind: 'secret', secretId: secret.secretId, region }, arn };
}

/** Describes one secret or parameter; a missing one, or one that cannot be described, is a finding, not a failure. */
async function lookUp(ports: UsagePorts, subject: Subject): Promise<Lookup> {
  const kind = subject.target?.kind ?? 'secret';
  const notFound = (problem: 'missing' | 'unreadable', detail?: string): Lookup => ({
    found: false,
    arn: subject.arn,
    name: nameInArn(subject.arn),
    kind,
    problem,
    ...(detail ? { detail } : {}),
  });
  if (!subject.target) return notFound('unreadable', 'not a secret or parameter ARN');
  try {
    return { found: true, state: await ports.secrets.describe(subject.target) };
  } catch (error) {
    return error instanceof UnknownSecretError ? notFound('missing') : notFound('unreadable', errorLine(error));
  }
}
