import { CreateTableCommand, DescribeTableCommand, ResourceInUseException, UpdateTimeToLiveCommand, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  paginateQuery,
  paginateScan,
} from '@aws-sdk/lib-dynamodb';
import { chunk } from '../core/concurrency';
import { StateTableMissingError } from '../core/errors';
import type { IndexDiff, IndexEntry } from '../core/index-diff';
import type { LedgerKey, RedeployLedger } from '../core/redeploy';
import type { Deps } from './clients';

/**
 * The DynamoDB state table, one table with a string `pk`/`sk` key:
 *
 * | pk                     | sk                          | what                                     |
 * |------------------------|-----------------------------|------------------------------------------|
 * | `SECRET#<secret arn>`  | `SERVICE#<service arn>`     | index entry: service, task definition, references |
 * | `SECRET#<secret arn>`  | `TASK#<task arn>`           | standalone task seen at the last rebuild |
 * | `SERVICE#<service arn>`| `SECRETS`                   | the secrets a service is indexed under (for re-indexing one service) |
 * | `INDEX`                | `META`                      | when the index was last built, and its counts |
 * | `REDEPLOY#<service arn>`| `<secret arn>#<versions>`  | exactly-once record, expires (`expiresAt`, TTL) |
 */
export const TABLE_KEYS = { partition: 'pk', sort: 'sk', ttl: 'expiresAt' } as const;

/** Counts stored with the index when it is built. */
export interface IndexMeta {
  builtAt: string;
  clusters: number;
  services: number;
  taskDefinitions: number;
  secrets: number;
  standaloneTasks: number;
}

const META_KEY = { pk: 'INDEX', sk: 'META' };

/** Creates the table when missing (on-demand, TTL on the ledger); true when it created it. */
export async function createStateTable(deps: Deps): Promise<boolean> {
  const TableName = deps.config.stateTable;
  try {
    await deps.dynamo.send(
      new CreateTableCommand({
        TableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
      }),
    );
  } catch (error) {
    if (error instanceof ResourceInUseException || (error as Error).name === 'ResourceInUseException') return false;
    throw error;
  }
  await waitUntilTableExists({ client: deps.dynamo, maxWaitTime: 120 }, { TableName });
  await deps.dynamo.send(new UpdateTimeToLiveCommand({ TableName, TimeToLiveSpecification: { Enabled: true, AttributeName: TABLE_KEYS.ttl } }));
  return true;
}

/** True when the state table exists. */
export async function stateTableExists(deps: Deps): Promise<boolean> {
  try {
    await deps.dynamo.send(new DescribeTableCommand({ TableName: deps.config.stateTable }));
    return true;
  } catch (error) {
    if ((error as Error).name === 'ResourceNotFoundException') return false;
    throw error;
  }
}

/** Every call to the table goes through here, so that a missing table is one recognisable error. */
async function send<T>(deps: Deps, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if ((error as Error).name === 'ResourceNotFoundException') {
      throw new StateTableMissingError(`state table "${deps.config.stateTable}" does not exist (run "ecs-secret-redeploy init")`, { cause: error });
    }
    throw error;
  }
}

/** The index entries of one secret: one Query (more pages only past 1 MB). */
export async function queryIndex(deps: Deps, secretArn: string): Promise<IndexEntry[]> {
  return collect(deps, paginateQuery({ client: deps.dynamo }, {
    TableName: deps.config.stateTable,
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': `SECRET#${secretArn}` },
  }));
}

/** Every index entry of the table (all secrets), for `index show` and the rebuild's diff. */
export async function scanIndex(deps: Deps): Promise<IndexEntry[]> {
  return collect(deps, paginateScan({ client: deps.dynamo }, {
    TableName: deps.config.stateTable,
    FilterExpression: 'begins_with(pk, :secret)',
    ExpressionAttributeValues: { ':secret': 'SECRET#' },
  }));
}

async function collect(deps: Deps, pages: AsyncIterable<{ Items?: Record<string, unknown>[] }>): Promise<IndexEntry[]> {
  return send(deps, async () => {
    const items: Record<string, unknown>[] = [];
    for await (const page of pages) items.push(...(page.Items ?? []));
    return items.map(toEntry);
  });
}

/** When the index was built, or undefined if never. */
export async function readIndexMeta(deps: Deps): Promise<IndexMeta | undefined> {
  const out = await send(deps, () => deps.dynamo.send(new GetCommand({ TableName: deps.config.stateTable, Key: META_KEY })));
  return out.Item ? (out.Item.meta as IndexMeta) : undefined;
}

/** Records a completed rebuild. */
export async function writeIndexMeta(deps: Deps, meta: IndexMeta): Promise<void> {
  await send(deps, () => deps.dynamo.send(new PutCommand({ TableName: deps.config.stateTable, Item: { ...META_KEY, meta } })));
}

/** The secrets a service is indexed under (empty when it is not indexed). */
export async function readServiceSecrets(deps: Deps, serviceArn: string): Promise<string[]> {
  const out = await send(deps, () =>
    deps.dynamo.send(new GetCommand({ TableName: deps.config.stateTable, Key: { pk: `SERVICE#${serviceArn}`, sk: 'SECRETS' } })),
  );
  return (out.Item?.secrets as string[] | undefined) ?? [];
}

/**
 * Applies an index diff, and keeps each touched service's list of secrets in step so that one
 * service can later be re-indexed without a scan. `services` maps every service the diff covers
 * to the secrets it is now indexed under.
 */
export async function applyIndexDiff(deps: Deps, diff: IndexDiff, services: Map<string, string[]>): Promise<void> {
  const TableName = deps.config.stateTable;
  const requests: Record<string, unknown>[] = [
    ...diff.put.map((entry) => ({ PutRequest: { Item: toItem(entry) } })),
    ...diff.remove.map((entry) => ({ DeleteRequest: { Key: { pk: `SECRET#${entry.secretArn}`, sk: sortKey(entry.kind, entry.resourceArn) } } })),
    ...[...services.entries()].map(([serviceArn, secrets]) =>
      secrets.length > 0
        ? { PutRequest: { Item: { pk: `SERVICE#${serviceArn}`, sk: 'SECRETS', secrets: [...new Set(secrets)].sort() } } }
        : { DeleteRequest: { Key: { pk: `SERVICE#${serviceArn}`, sk: 'SECRETS' } } },
    ),
  ];
  for (const batch of chunk(requests, 25)) {
    let pending: Record<string, Record<string, unknown>[]> | undefined = { [TableName]: batch };
    for (let attempt = 0; pending && Object.keys(pending).length > 0; attempt++) {
      if (attempt > 0) {
        if (attempt > 8) throw new Error(`DynamoDB left ${pending[TableName]?.length ?? 0} index writes unprocessed after 8 retries`);
        await new Promise((resolve) => setTimeout(resolve, Math.min(2000, 50 * 2 ** attempt)));
      }
      const requestItems: Record<string, Record<string, unknown>[]> = pending;
      const out = await send(deps, () => deps.dynamo.send(new BatchWriteCommand({ RequestItems: requestItems as never })));
      pending = out.UnprocessedItems as Record<string, Record<string, unknown>[]> | undefined;
    }
  }
}

function sortKey(kind: IndexEntry['kind'], resourceArn: string): string {
  return `${kind === 'service' ? 'SERVICE' : 'TASK'}#${resourceArn}`;
}

function toItem(entry: IndexEntry): Record<string, unknown> {
  return { pk: `SECRET#${entry.secretArn}`, sk: sortKey(entry.kind, entry.resourceArn), ...entry };
}

function toEntry(item: Record<string, unknown>): IndexEntry {
  const { secretArn, kind, resourceArn, clusterArn, name, taskDefinition, references } = item as unknown as IndexEntry;
  return { secretArn, kind, resourceArn, clusterArn, name, taskDefinition, references };
}

/**
 * The exactly-once ledger on the state table: a conditional put per (service, secret, versions),
 * expiring after `config.idempotencyTtlDays`.
 */
export function tableLedger(deps: Deps): RedeployLedger {
  const TableName = deps.config.stateTable;
  const key = (k: LedgerKey) => ({ pk: `REDEPLOY#${k.serviceArn}`, sk: `${k.secretArn}#${k.versionKey}` });
  return {
    async claim(k, force) {
      const now = Math.floor(Date.now() / 1000);
      try {
        await send(deps, () =>
          deps.dynamo.send(
            new PutCommand({
              TableName,
              Item: { ...key(k), redeployedAt: new Date(now * 1000).toISOString(), expiresAt: now + deps.config.idempotencyTtlDays * 86400 },
              // An expired record that TTL has not deleted yet does not count.
              ...(force ? {} : { ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now', ExpressionAttributeValues: { ':now': now } }),
            }),
          ),
        );
        return true;
      } catch (error) {
        if ((error as Error).name === 'ConditionalCheckFailedException') return false;
        throw error;
      }
    },
    async release(k) {
      await send(deps, () => deps.dynamo.send(new DeleteCommand({ TableName, Key: key(k) })));
    },
    async has(k) {
      const out = await send(deps, () => deps.dynamo.send(new GetCommand({ TableName, Key: key(k), ConsistentRead: true })));
      return out.Item !== undefined && Number(out.Item.expiresAt) >= Math.floor(Date.now() / 1000);
    },
  };
}
