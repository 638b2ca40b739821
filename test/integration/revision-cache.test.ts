/**
 * The revision cache on the state table (moto_server): its contract, run against the adapter and
 * against the in-memory store the unit tests use; how many DynamoDB calls it costs; rows it must
 * not trust; and a rebuild of the demo account that describes nothing the second time.
 */

import { UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { rebuildIndex } from '../../functions/app/refresh-index';
import { createStateTable } from '../../functions/aws/state-table/admin';
import type { IndexEntry } from '../../functions/domain/index/entries';
import type { SecretReference } from '../../functions/domain/references/references';
import type { IndexStore } from '../../functions/ports/index-store';
import type { RevisionCache } from '../../functions/ports/revision-cache';
import { CallCounter } from '../kit/call-counter';
import { type Emulator, startEmulator } from '../kit/emulator';
import { secretArn, serviceArn, smReference, ssmReference, taskDefinitionArn } from '../kit/factories';
import { MemoryIndexStore, MemoryRevisionCache } from '../kit/fakes/stores';
import { registerTaskDefinition, seedDemoAccount } from '../kit/simulated-account';

let emulator: Emulator;
let tables = 0;

beforeAll(async () => {
  emulator = await startEmulator();
}, 60_000);

afterAll(async () => {
  await emulator?.moto.stop();
});

/** A fresh state table on moto for each test, with a counter of the calls its adapter makes. */
async function freshTable(counter?: CallCounter) {
  tables += 1;
  const ports = emulator.ports({ stateTable: `revision-cache-${tables}` }, counter ? { instrument: counter.instrument } : {});
  await createStateTable(ports.table);
  counter?.take();
  return ports;
}

const DB = secretArn('prod/db-AbCdEf');
const API_1 = taskDefinitionArn('orders-api:1');
const API_2 = taskDefinitionArn('orders-api:2');
const PLAIN = taskDefinitionArn('plain:4');
const API_REFS: SecretReference[] = [
  smReference(`${DB}:password::`),
  ssmReference('arn:aws:ssm:eu-west-1:111122223333:parameter/prod/token', 'logConfiguration.secretOptions'),
];
const ENTRY: IndexEntry = {
  secretArn: DB,
  kind: 'service',
  resourceArn: serviceArn('web', 'orders-api'),
  clusterArn: 'arn:aws:ecs:eu-west-1:111122223333:cluster/web',
  name: 'orders-api',
  taskDefinition: API_1,
  references: [API_REFS[0]],
};

/** The index and the revision cache, which share the state table (and one Scan). */
type Stores = { index: IndexStore; revisions: RevisionCache };

describe.each([
  [
    'the state table on moto_server',
    async (): Promise<Stores> => {
      const { index, revisions } = await freshTable();
      return { index, revisions };
    },
  ],
  [
    'the in-memory stores of the unit tests',
    async (): Promise<Stores> => {
      const revisions = new MemoryRevisionCache();
      return { index: new MemoryIndexStore(revisions), revisions };
    },
  ],
])('revision cache contract: %s', (_, make) => {
  it('reads back what it cached, an empty list too, and nothing for a revision never cached', async () => {
    const { revisions } = await make();
    await revisions.cacheRevisions(
      new Map([
        [API_1, API_REFS],
        [PLAIN, []],
      ]),
    );
    expect(await revisions.cachedRevision(API_1)).toEqual(API_REFS);
    expect(await revisions.cachedRevision(PLAIN)).toEqual([]);
    expect(await revisions.cachedRevision(API_2)).toBeUndefined();
  });

  it('reads the index entries and the cached revisions together, apart from each other', async () => {
    const { index, revisions } = await make();
    await index.apply({ put: [ENTRY], remove: [] }, new Map([[ENTRY.resourceArn, [DB]]]));
    await revisions.cacheRevisions(new Map([[API_1, API_REFS]]));

    const stored = await index.stored();

    expect(stored.entries).toEqual([ENTRY]);
    expect(stored.revisions).toEqual(new Map([[API_1, API_REFS]]));
    expect(await index.allEntries()).toEqual([ENTRY]);
  });

  it('drops revisions, and leaves the others', async () => {
    const { index, revisions } = await make();
    await revisions.cacheRevisions(
      new Map([
        [API_1, API_REFS],
        [API_2, API_REFS],
        [PLAIN, []],
      ]),
    );
    await revisions.dropRevisions([API_1, PLAIN]);
    expect([...(await index.stored()).revisions.keys()]).toEqual([API_2]);
    expect(await revisions.cachedRevision(API_1)).toBeUndefined();
  });
});

describe('revision cache on the state table', () => {
  it('writes and drops in batches of 25, and is read by the one Scan that reads the index', async () => {
    const counter = new CallCounter();
    const ports = await freshTable(counter);
    const revisions = new Map(Array.from({ length: 60 }, (_, i) => [taskDefinitionArn(`family-${i}:1`), i % 2 === 0 ? API_REFS : []]));

    await ports.revisions.cacheRevisions(revisions);
    expect(Object.fromEntries(counter.take())).toEqual({ BatchWriteItem: 3 });

    const stored = await ports.index.stored();
    expect(Object.fromEntries(counter.take())).toEqual({ Scan: 1 });
    expect(stored.revisions).toEqual(revisions);

    await ports.revisions.dropRevisions([...revisions.keys()]);
    expect(Object.fromEntries(counter.take())).toEqual({ BatchWriteItem: 3 });
    expect((await ports.index.stored()).revisions.size).toBe(0);
  });

  it('reads a row of another format, or of an unexpected shape, as unseen, and keeps it out of the index and the ledger', async () => {
    const ports = await freshTable();
    await ports.revisions.cacheRevisions(new Map([[API_1, API_REFS]]));
    const put = (Item: Record<string, unknown>) => ports.table.client.send(new PutCommand({ TableName: ports.table.name, Item }));
    const key = (arn: string) => ({ pk: `REVISION#${arn}`, sk: 'REFERENCES' });
    await put({ ...key(API_2), format: 999, references: API_REFS });
    await put({ ...key(PLAIN), format: 1, references: { secrets: 'prod/db' } });
    const broken = taskDefinitionArn('broken:1');
    await put({ ...key(broken), format: 1, references: [{ field: 'secrets', valueFrom: 'prod/db', store: 'secretsmanager' }] });

    const stored = await ports.index.stored();

    expect(stored.revisions).toEqual(
      new Map([
        [API_1, API_REFS],
        [API_2, undefined],
        [PLAIN, undefined],
        [broken, undefined],
      ]),
    );
    expect(await ports.revisions.cachedRevision(API_2)).toBeUndefined();
    expect(await ports.revisions.cachedRevision(broken)).toBeUndefined();
    expect(stored.entries).toEqual([]);
    expect(await ports.index.allEntries()).toEqual([]);
    expect((await ports.ledger.allRecords()).size).toBe(0);
  });
});

describe('rebuild of the demo account with the revision cache', () => {
  it('describes every revision in use once, then none; then only a revision whose row is corrupt, or a new one', async () => {
    const account = await seedDemoAccount(emulator.ecs, emulator.sm);
    const counter = new CallCounter();
    const ports = await freshTable(counter);
    // Fresh adapters for each rebuild, as in a new Lambda container: the ECS adapter keeps what it described.
    const rebuild = async () => {
      const summary = await rebuildIndex(emulator.ports({ stateTable: ports.table.name }, { instrument: counter.instrument }));
      return { summary, counts: Object.fromEntries(counter.take()) };
    };

    const first = await rebuild();
    expect(first.counts.DescribeTaskDefinition).toBe(first.summary.taskDefinitions);
    expect(first.summary.taskDefinitionsDescribed).toBe(first.summary.taskDefinitions);

    const second = await rebuild();
    expect(second.summary).toMatchObject({ taskDefinitionsDescribed: 0, revisionsDropped: 0, entriesWritten: 0, entriesRemoved: 0 });
    expect(second.counts.DescribeTaskDefinition).toBeUndefined();
    // Only the build's own progress, deleted at its end.
    expect(second.counts.BatchWriteItem).toBe(1);
    // The index's Scan (which reads the cache too) and the ledger's; the rebuild record, and the build's progress (taken, checked).
    expect(second.counts.Scan).toBe(2);
    expect(second.counts.PutItem).toBe(1 + 2);

    const stored = await ports.index.stored();
    const [corrupt] = [...stored.revisions.keys()];
    await ports.table.client.send(
      new PutCommand({ TableName: ports.table.name, Item: { pk: `REVISION#${corrupt}`, sk: 'REFERENCES', format: 1, references: 7 } }),
    );
    counter.take();
    const third = await rebuild();
    expect(third.counts.DescribeTaskDefinition).toBe(1);
    expect(third.summary).toMatchObject({ taskDefinitionsDescribed: 1, entriesWritten: 0, entriesRemoved: 0 });
    const row = await ports.table.client.send(
      new GetCommand({ TableName: ports.table.name, Key: { pk: `REVISION#${corrupt}`, sk: 'REFERENCES' } }),
    );
    expect(row.Item?.references).toEqual(stored.revisions.get(corrupt));

    // A new revision of a service's task definition: described once, the revision before dropped.
    const before = (await ports.index.stored()).revisions;
    const next = await registerTaskDefinition(emulator.ecs, 'plain-payments', [{ name: 'app' }]);
    await emulator.ecs.send(new UpdateServiceCommand({ cluster: account.clusters.batch, service: 'payments', taskDefinition: next }));
    counter.take();
    const fourth = await rebuild();
    expect(fourth.counts.DescribeTaskDefinition).toBe(1);
    const after = (await ports.index.stored()).revisions;
    expect(after.get(next)).toEqual([]);
    expect(fourth.summary.revisionsDropped).toBe(before.size + 1 - after.size);
    expect(fourth.summary.revisionsDropped).toBe(1);
  });
});
