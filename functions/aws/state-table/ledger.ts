import { DeleteCommand, GetCommand, PutCommand, paginateQuery, paginateScan } from '@aws-sdk/lib-dynamodb';
import type { LedgerRecord } from '../../domain/ledger/record';
import type { Ledger } from '../../ports/ledger';
import { send, type Table } from './table';

const PREFIX = 'LEDGER#';

/**
 * The ledger on the state table: one item per (service, secret) in the secret's partition
 * (`SECRET#<secret arn>` / `LEDGER#<service arn>`), so that the consumers and their records of
 * one secret are read together. Every write is a PutItem conditional on the revision read.
 */
export function tableLedger(table: Table): Ledger {
  const TableName = table.name;
  const key = (secretArn: string, serviceArn: string) => ({ pk: `SECRET#${secretArn}`, sk: `${PREFIX}${serviceArn}` });
  const collect = (pages: AsyncIterable<{ Items?: Record<string, unknown>[] }>) =>
    send(table, async () => {
      const records: LedgerRecord[] = [];
      for await (const page of pages) records.push(...(page.Items ?? []).map(toRecord));
      return records;
    });

  return {
    records: (secretArn) =>
      collect(
        paginateQuery(
          { client: table.client },
          {
            TableName,
            ConsistentRead: true,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :ledger)',
            ExpressionAttributeValues: { ':pk': `SECRET#${secretArn}`, ':ledger': PREFIX },
          },
        ),
      ),

    allRecords: () =>
      collect(
        paginateScan(
          { client: table.client },
          { TableName, FilterExpression: 'begins_with(sk, :ledger)', ExpressionAttributeValues: { ':ledger': PREFIX } },
        ),
      ),

    async read(secretArn, serviceArn) {
      const out = await send(table, () =>
        table.client.send(new GetCommand({ TableName, Key: key(secretArn, serviceArn), ConsistentRead: true })),
      );
      return out.Item ? toRecord(out.Item) : undefined;
    },

    async write(record, expectedRev) {
      try {
        await send(table, () =>
          table.client.send(
            new PutCommand({
              TableName,
              Item: { ...key(record.secretArn, record.serviceArn), ...record },
              ...(expectedRev === undefined
                ? { ConditionExpression: 'attribute_not_exists(pk)' }
                : { ConditionExpression: 'rev = :rev', ExpressionAttributeValues: { ':rev': expectedRev } }),
            }),
          ),
        );
        return true;
      } catch (error) {
        if ((error as Error).name === 'ConditionalCheckFailedException') return false;
        throw error;
      }
    },

    async remove(secretArn, serviceArn) {
      await send(table, () => table.client.send(new DeleteCommand({ TableName, Key: key(secretArn, serviceArn) })));
    },
  };
}

function toRecord(item: Record<string, unknown>): LedgerRecord {
  const { pk: _, sk: __, ...record } = item;
  return record as unknown as LedgerRecord;
}
