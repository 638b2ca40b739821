import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, paginateQuery } from '@aws-sdk/lib-dynamodb';
import type { ServiceSnapshot, StandaloneTask } from '../../domain/inventory/service';
import type { ListedPage, RebuildLease, RebuildProgress, RebuildStore } from '../../ports/rebuild-store';
import { chunk } from '../../util/concurrency';
import { BATCH_WRITE_LIMIT, batchWrite, send, type Table } from './table';

/**
 * The index rebuild in flight, in one partition of the state table: `REBUILD` / `STATE` holds its
 * progress and lease, `REBUILD` / `PAGE#<build id>#<page>#<part>` the services and standalone tasks
 * of each page it listed (a page is split into parts to stay far below DynamoDB's 400 KB an item).
 * The partition is deleted when the build completes.
 */
export const REBUILD_PARTITION = 'REBUILD';
const STATE_KEY = { pk: REBUILD_PARTITION, sk: 'STATE' };
const PART_CHARS = 150_000;

export function tableRebuildStore(table: Table): RebuildStore {
  const TableName = table.name;
  const query = async (prefix: string, keysOnly = false) =>
    send(table, async () => {
      const found: Record<string, unknown>[] = [];
      const pages = paginateQuery(
        { client: table.client },
        {
          TableName,
          // The whole partition for no prefix (DynamoDB refuses an empty one).
          KeyConditionExpression: prefix ? 'pk = :pk AND begins_with(sk, :prefix)' : 'pk = :pk',
          ExpressionAttributeValues: { ':pk': REBUILD_PARTITION, ...(prefix ? { ':prefix': prefix } : {}) },
          ProjectionExpression: keysOnly ? 'pk, sk' : undefined,
          ConsistentRead: true,
        },
      );
      for await (const page of pages) found.push(...(page.Items ?? []));
      return found;
    });
  return {
    async current() {
      const out = await send(table, () => table.client.send(new GetCommand({ TableName, Key: STATE_KEY, ConsistentRead: true })));
      const item = out.Item;
      if (!item || typeof item.progress !== 'object' || typeof item.lease !== 'object') return undefined;
      return { progress: item.progress as RebuildProgress, lease: item.lease as RebuildLease };
    },

    async save(progress, lease, expected) {
      const condition = expected
        ? {
            ConditionExpression: 'lease.#owner = :owner AND lease.#until = :until',
            ExpressionAttributeNames: { '#owner': 'owner', '#until': 'until' },
            ExpressionAttributeValues: { ':owner': expected.owner, ':until': expected.until },
          }
        : { ConditionExpression: 'attribute_not_exists(pk)' };
      try {
        await send(table, () => table.client.send(new PutCommand({ TableName, Item: { ...STATE_KEY, progress, lease }, ...condition })));
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },

    async savePage(buildId, page, listed) {
      const requests = parts(listed).map((part, i) => ({
        PutRequest: { Item: { pk: REBUILD_PARTITION, sk: `${pagePrefix(buildId)}${pad(page, 6)}#${pad(i, 3)}`, ...part } },
      }));
      for (const batch of chunk(requests, BATCH_WRITE_LIMIT)) await batchWrite(table, batch);
    },

    async pages(buildId, pages) {
      const listed: ListedPage = { services: [], standaloneTasks: [] };
      if (pages === 0) return listed;
      const items = await query(pagePrefix(buildId));
      for (const item of items) {
        const page = Number((item.sk as string).slice(pagePrefix(buildId).length).split('#')[0]);
        if (!(page < pages)) continue;
        listed.services.push(...((item.services as ServiceSnapshot[] | undefined) ?? []));
        listed.standaloneTasks.push(...((item.standaloneTasks as StandaloneTask[] | undefined) ?? []));
      }
      return listed;
    },

    async clear() {
      const items = await query('', true);
      const requests = items.map((item) => ({ DeleteRequest: { Key: { pk: item.pk, sk: item.sk } } }));
      for (const batch of chunk(requests, BATCH_WRITE_LIMIT)) await batchWrite(table, batch);
    },
  };
}

function pagePrefix(buildId: string): string {
  return `PAGE#${buildId}#`;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** A page split into parts of at most about PART_CHARS of JSON each (one part for an empty page). */
function parts(listed: ListedPage): ListedPage[] {
  const out: ListedPage[] = [];
  let current: ListedPage = { services: [], standaloneTasks: [] };
  let size = 0;
  const add = (kind: keyof ListedPage, value: ServiceSnapshot | StandaloneTask) => {
    const chars = JSON.stringify(value).length;
    if (size + chars > PART_CHARS && size > 0) {
      out.push(current);
      current = { services: [], standaloneTasks: [] };
      size = 0;
    }
    (current[kind] as unknown[]).push(value);
    size += chars;
  };
  for (const service of listed.services) add('services', service);
  for (const task of listed.standaloneTasks) add('standaloneTasks', task);
  out.push(current);
  return out;
}
