import { DeleteCommand, GetCommand, PutCommand, paginateQuery, paginateScan } from '@aws-sdk/lib-dynamodb';
import type { LedgerRecord, SecretLedger, SecretRecord } from '../../domain/ledger/record';
import type { Ledger } from '../../ports/ledger';
import { send, type Table } from './table';

/** The secret's own row is `LEDGER`; its consumers' rows `LEDGER#<service arn>`: one prefix reads both. */
const SECRET_ROW = 'LEDGER';
const SERVICE_ROW = 'LEDGER#';

/**
 * The ledger on the state table, in the secret's partition (`SECRET#<secret arn>`), so that a
 * secret's consumers and their records are read together. Every write is a PutItem conditional
 * on the revision read.
 */
export function tableLedger(table: Table): Ledger {
  const TableName = table.name;
  const pk = (secretArn: string) => `SECRET#${secretArn}`;
  const rows = (pages: AsyncIterable<{ Items?: Record<string, unknown>[] }>) =>
    send(table, async () => {
      const items: Record<string, unknown>[] = [];
      for await (const page of pages) items.push(...(page.Items ?? []));
      return items;
    });

  const put = async (key: { pk: string; sk: string }, item: object, expectedRev: number | undefined): Promise<boolean> => {
    try {
      await send(table, () =>
        table.client.send(
          new PutCommand({
            TableName,
            Item: { ...key, ...item },
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
  };
  const get = async (key: { pk: string; sk: string }) =>
    (await send(table, () => table.client.send(new GetCommand({ TableName, Key: key, ConsistentRead: true })))).Item;

  return {
    records: async (secretArn) =>
      group(
        await rows(
          paginateQuery(
            { client: table.client },
            {
              TableName,
              ConsistentRead: true,
              KeyConditionExpression: 'pk = :pk AND begins_with(sk, :ledger)',
              ExpressionAttributeValues: { ':pk': pk(secretArn), ':ledger': SECRET_ROW },
            },
          ),
        ),
      ).get(secretArn) ?? { services: [] },

    allRecords: async () =>
      group(
        await rows(
          paginateScan(
            { client: table.client },
            { TableName, FilterExpression: 'begins_with(sk, :ledger)', ExpressionAttributeValues: { ':ledger': SECRET_ROW } },
          ),
        ),
      ),

    async read(secretArn, serviceArn) {
      const item = await get({ pk: pk(secretArn), sk: `${SERVICE_ROW}${serviceArn}` });
      return item ? strip<LedgerRecord>(item) : undefined;
    },

    write: (record, expectedRev) => put({ pk: pk(record.secretArn), sk: `${SERVICE_ROW}${record.serviceArn}` }, record, expectedRev),

    async remove(secretArn, serviceArn) {
      await send(table, () =>
        table.client.send(new DeleteCommand({ TableName, Key: { pk: pk(secretArn), sk: `${SERVICE_ROW}${serviceArn}` } })),
      );
    },

    async readSecret(secretArn) {
      const item = await get({ pk: pk(secretArn), sk: SECRET_ROW });
      return item ? strip<SecretRecord>(item) : undefined;
    },

    writeSecret: (record, expectedRev) => put({ pk: pk(record.secretArn), sk: SECRET_ROW }, record, expectedRev),
  };
}

/** Ledger rows grouped by secret: the consumers' records and the secret's own. */
function group(items: Record<string, unknown>[]): Map<string, SecretLedger> {
  const bySecret = new Map<string, SecretLedger>();
  for (const item of items) {
    const secretArn = String(item.secretArn);
    const ledger = bySecret.get(secretArn) ?? { services: [] };
    if (item.sk === SECRET_ROW) ledger.secret = strip<SecretRecord>(item);
    else ledger.services.push(strip<LedgerRecord>(item));
    bySecret.set(secretArn, ledger);
  }
  return bySecret;
}

/** A stored row as the record it holds (the rows are written only from records of that type). */
function strip<T>(item: Record<string, unknown>): T {
  const { pk: _, sk: __, ...record } = item;
  return record as T;
}
