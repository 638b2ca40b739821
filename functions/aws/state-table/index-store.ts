import { GetCommand, PutCommand, paginateQuery, paginateScan } from '@aws-sdk/lib-dynamodb';
import type { IndexDiff, IndexEntry, IndexMeta } from '../../domain/index/entries';
import type { IndexStore } from '../../ports/index-store';
import type { CachedRevisions } from '../../ports/revision-cache';
import { chunk } from '../../util/concurrency';
import { fromRevisionRow, REVISION_PREFIX, REVISION_SORT_KEY, revisionOf } from './revisions';
import { BATCH_WRITE_LIMIT, batchWrite, send, type Table } from './table';

const META_KEY = { pk: 'INDEX', sk: 'META' };

/** The index store on the state table. */
export function tableIndexStore(table: Table): IndexStore {
  const TableName = table.name;
  const items = (pages: AsyncIterable<{ Items?: Record<string, unknown>[] }>) =>
    send(table, async () => {
      const found: Record<string, unknown>[] = [];
      for await (const page of pages) found.push(...(page.Items ?? []));
      return found;
    });
  const collect = async (pages: AsyncIterable<{ Items?: Record<string, unknown>[] }>) => (await items(pages)).map(toEntry);

  // A secret's partition also holds its ledger records: index entries are the SERVICE# and TASK# items.
  const entryFilter = 'begins_with(sk, :service) OR begins_with(sk, :task)';
  const entryPrefixes = { ':service': 'SERVICE#', ':task': 'TASK#' };
  const allEntriesFilter = `begins_with(pk, :secret) AND (${entryFilter})`;
  return {
    // One Query; more pages only past 1 MB.
    entriesOf: (secretArn) =>
      collect(
        paginateQuery(
          { client: table.client },
          {
            TableName,
            KeyConditionExpression: 'pk = :pk',
            FilterExpression: entryFilter,
            ExpressionAttributeValues: { ':pk': `SECRET#${secretArn}`, ...entryPrefixes },
          },
        ),
      ),

    allEntries: () =>
      collect(
        paginateScan(
          { client: table.client },
          {
            TableName,
            FilterExpression: allEntriesFilter,
            ExpressionAttributeValues: { ':secret': 'SECRET#', ...entryPrefixes },
          },
        ),
      ),

    // The Scan of allEntries also returns the cache rows: reading the cache costs no call of its own.
    async stored() {
      const found = await items(
        paginateScan(
          { client: table.client },
          {
            TableName,
            FilterExpression: `(${allEntriesFilter}) OR (begins_with(pk, :revision) AND sk = :references)`,
            ExpressionAttributeValues: {
              ':secret': 'SECRET#',
              ...entryPrefixes,
              ':revision': REVISION_PREFIX,
              ':references': REVISION_SORT_KEY,
            },
          },
        ),
      );
      const entries = [];
      const revisions: CachedRevisions = new Map();
      for (const item of found) {
        const revision = revisionOf(item);
        if (revision === undefined) entries.push(toEntry(item));
        else revisions.set(revision, fromRevisionRow(item));
      }
      return { entries, revisions };
    },

    async meta() {
      const out = await send(table, () => table.client.send(new GetCommand({ TableName, Key: META_KEY })));
      return out.Item ? (out.Item.meta as IndexMeta) : undefined;
    },

    async writeMeta(meta) {
      await send(table, () => table.client.send(new PutCommand({ TableName, Item: { ...META_KEY, meta } })));
    },

    async secretsOfService(serviceArn) {
      const out = await send(table, () =>
        table.client.send(new GetCommand({ TableName, Key: { pk: `SERVICE#${serviceArn}`, sk: 'SECRETS' } })),
      );
      return (out.Item?.secrets as string[] | undefined) ?? [];
    },

    async apply(diff: IndexDiff, services: Map<string, string[]>) {
      const requests: Record<string, unknown>[] = [
        ...diff.put.map((entry) => ({ PutRequest: { Item: toItem(entry) } })),
        ...diff.remove.map((entry) => ({
          DeleteRequest: { Key: { pk: `SECRET#${entry.secretArn}`, sk: sortKey(entry.kind, entry.resourceArn) } },
        })),
        ...[...services.entries()].map(([serviceArn, secrets]) =>
          secrets.length > 0
            ? { PutRequest: { Item: { pk: `SERVICE#${serviceArn}`, sk: 'SECRETS', secrets: [...new Set(secrets)].sort() } } }
            : { DeleteRequest: { Key: { pk: `SERVICE#${serviceArn}`, sk: 'SECRETS' } } },
        ),
      ];
      for (const batch of chunk(requests, BATCH_WRITE_LIMIT)) await batchWrite(table, batch);
    },
  };
}

function sortKey(kind: IndexEntry['kind'], resourceArn: string): string {
  return `${kind === 'service' ? 'SERVICE' : 'TASK'}#${resourceArn}`;
}

function toItem(entry: IndexEntry): Record<string, unknown> {
  return { pk: `SECRET#${entry.secretArn}`, sk: sortKey(entry.kind, entry.resourceArn), ...entry };
}

function toEntry(item: Record<string, unknown>): IndexEntry {
  const { secretArn, kind, resourceArn, clusterArn, name, taskDefinition, references, otherSecrets } = item as unknown as IndexEntry;
  return { secretArn, kind, resourceArn, clusterArn, name, taskDefinition, references, ...(otherSecrets ? { otherSecrets } : {}) };
}
