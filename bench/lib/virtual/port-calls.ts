/**
 * The AWS calls the AWS adapters would make for what the use cases ask of the in-memory ports
 * (test/kit/fakes), so that runs in virtual time report calls by operation like the runs
 * against moto. ECS calls are the fake's own counts (it counts as the adapter calls: one
 * DescribeServices per batch of ten, a throttled UpdateService included). The state table and
 * EventBridge follow functions/aws: one GetItem, PutItem or DeleteItem per record, a Query or
 * Scan per 1 MB page read (DynamoDB reads the items a filter then drops: an index Query reads the
 * secret's whole partition, a Scan the whole table; item sizes are estimated as their JSON
 * length), BatchWriteItem per 25 requests, PutEvents per 10 notifications.
 */
import type { IndexStore } from '../../../functions/ports/index-store';
import type { Ledger } from '../../../functions/ports/ledger';
import type { Notifier } from '../../../functions/ports/notifier';
import type { RevisionCache } from '../../../functions/ports/revision-cache';
import type { SecretStore } from '../../../functions/ports/secrets';
import type { Counts } from '../../../test/kit/call-counter';
import type { FakeWorld } from '../../../test/kit/fakes/fake-world';

const MB = 1024 * 1024;

/** Counts calls from now on; `take()` returns those since the last take. */
export interface PortCalls {
  take(): Counts;
}

/** Wraps the world's state table, notifier and secrets ports with counters (ECS counts itself). */
export function countPortCalls(world: FakeWorld): PortCalls {
  let counts: Counts = new Map();
  let ecsSeen: Record<string, number> = { ...world.ecs.calls };
  const add = (op: string, n = 1) => {
    if (n > 0) counts.set(op, (counts.get(op) ?? 0) + n);
  };
  const size = (items: unknown[]) => items.reduce<number>((sum, item) => sum + JSON.stringify(item).length, 0);
  const pages = (bytes: number) => Math.max(1, Math.ceil(bytes / MB));
  const entryBytes = (secretArn?: string) =>
    size([...world.index.entries.values()].filter((e) => secretArn === undefined || e.secretArn === secretArn));
  const ledgerBytes = (secretArn?: string) =>
    size([...world.ledger.items.values()].filter((r) => secretArn === undefined || r.secretArn === secretArn)) +
    size([...world.ledger.secrets.values()].filter((r) => secretArn === undefined || r.secretArn === secretArn));
  const revisionBytes = () => size([...world.revisions.rows]);
  const tableBytes = () => entryBytes() + ledgerBytes() + revisionBytes();

  const index = world.ports.index;
  const countedIndex: IndexStore = {
    entriesOf: async (secretArn) => {
      add('Query', pages(entryBytes(secretArn) + ledgerBytes(secretArn)));
      return index.entriesOf(secretArn);
    },
    allEntries: async () => {
      add('Scan', pages(tableBytes()));
      return index.allEntries();
    },
    meta: async () => {
      add('GetItem');
      return index.meta();
    },
    writeMeta: async (meta) => {
      add('PutItem');
      return index.writeMeta(meta);
    },
    secretsOfService: async (serviceArn) => {
      add('GetItem');
      return index.secretsOfService(serviceArn);
    },
    apply: async (diff, services) => {
      add('BatchWriteItem', Math.ceil((diff.put.length + diff.remove.length + services.size) / 25));
      return index.apply(diff, services);
    },
    // The Scan of allEntries also returns the revision cache's rows (functions/aws/state-table/index-store.ts).
    stored: async () => {
      add('Scan', pages(tableBytes()));
      return index.stored();
    },
  };
  const revisions = world.ports.revisions;
  const countedRevisions: RevisionCache = {
    cachedRevision: async (taskDefinitionArn) => {
      add('GetItem');
      return revisions.cachedRevision(taskDefinitionArn);
    },
    cacheRevisions: async (rows) => {
      add('BatchWriteItem', Math.ceil(rows.size / 25));
      return revisions.cacheRevisions(rows);
    },
    dropRevisions: async (taskDefinitionArns) => {
      add('BatchWriteItem', Math.ceil(new Set(taskDefinitionArns).size / 25));
      return revisions.dropRevisions(taskDefinitionArns);
    },
  };
  const ledger = world.ports.ledger;
  const countedLedger: Ledger = {
    records: async (secretArn) => {
      add('Query', pages(ledgerBytes(secretArn)));
      return ledger.records(secretArn);
    },
    allRecords: async () => {
      add('Scan', pages(tableBytes()));
      return ledger.allRecords();
    },
    read: async (secretArn, serviceArn) => {
      add('GetItem');
      return ledger.read(secretArn, serviceArn);
    },
    readMany: async (pairs) => {
      add('BatchGetItem', Math.ceil(new Set(pairs.map((p) => `${p.secretArn}|${p.serviceArn}`)).size / 100));
      return ledger.readMany(pairs);
    },
    write: async (record, expectedRev) => {
      add('PutItem');
      return ledger.write(record, expectedRev);
    },
    remove: async (secretArn, serviceArn) => {
      add('DeleteItem');
      return ledger.remove(secretArn, serviceArn);
    },
    readSecret: async (secretArn) => {
      add('GetItem');
      return ledger.readSecret(secretArn);
    },
    writeSecret: async (record, expectedRev) => {
      add('PutItem');
      return ledger.writeSecret(record, expectedRev);
    },
  };
  const notifier = world.ports.notifier;
  const countedNotifier: Notifier = {
    publish: async (notifications) => {
      if (world.ports.config.notificationBus) add('PutEvents', Math.ceil(notifications.length / 10));
      return notifier.publish(notifications);
    },
  };
  const secrets = world.ports.secrets;
  // The adapter resolves each spelling of a secret once per container; the fake asks every time.
  const resolved = new Set<string>();
  const countedSecrets: SecretStore = {
    describe: async (target, options) => {
      add(target.kind === 'parameter' ? 'DescribeParameters' : 'DescribeSecret');
      return secrets.describe(target, options);
    },
    resolve: async (ref) => {
      if (!resolved.has(ref.secretId)) add('DescribeSecret');
      const arn = await secrets.resolve(ref);
      if (arn) resolved.add(ref.secretId);
      return arn;
    },
    remember: (state) => secrets.remember(state),
    versionDates: async (state) => {
      if (state.kind === 'secret') add('ListSecretVersionIds');
      return secrets.versionDates(state);
    },
  };
  Object.assign(world.ports, {
    index: countedIndex,
    revisions: countedRevisions,
    ledger: countedLedger,
    notifier: countedNotifier,
    secrets: countedSecrets,
  });

  return {
    take() {
      for (const [op, n] of Object.entries(world.ecs.calls)) add(op, n - (ecsSeen[op] ?? 0));
      ecsSeen = { ...world.ecs.calls };
      const taken = counts;
      counts = new Map();
      return taken;
    },
  };
}
