import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DeleteCommand, GetCommand, PutCommand, paginateQuery, paginateScan } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { OutcomeUnknownError } from '../../domain/errors';
import type { Claim, LedgerRecord, SecretLedger, SecretRecord, Slot } from '../../domain/ledger/record';
import { type Ledger, type Pair, pairId, type Written } from '../../ports/ledger';
import { mayHaveBeenApplied } from '../failures';
import { send, type Table, untilProcessed } from './table';

/** The secret's own row is `LEDGER`; its consumers' rows `LEDGER#<service arn>`: one prefix reads both. */
const SECRET_ROW = 'LEDGER';
const SERVICE_ROW = 'LEDGER#';
/** BatchGetItem takes at most 100 keys. */
const BATCH_GET_LIMIT = 100;

type Key = { pk: string; sk: string };

/**
 * The ledger on the state table, in the secret's partition (`SECRET#<secret arn>`), so that a
 * secret's consumers and their records are read together. Every write (forgetting a pair aside:
 * see Ledger.remove) is a PutItem conditional
 * on the revision read, which asks for the stored item back when the condition fails
 * (`ReturnValuesOnConditionCheckFailure: ALL_OLD`): the caller learns in the same answer what
 * won, and recognises its own write after a lost answer.
 */
export function tableLedger(table: Table): Ledger {
  const TableName = table.name;
  const pk = (secretArn: string) => `SECRET#${secretArn}`;
  const serviceKey = (p: Pair): Key => ({ pk: pk(p.secretArn), sk: `${SERVICE_ROW}${p.serviceArn}` });
  const rows = (pages: AsyncIterable<{ Items?: Record<string, unknown>[] }>) =>
    send(table, async () => {
      const items: Record<string, unknown>[] = [];
      for await (const page of pages) items.push(...(page.Items ?? []));
      return items;
    });

  const put = async (key: Key, item: object, expectedRev: number | undefined): Promise<Written<Record<string, unknown>>> => {
    try {
      await send(table, () =>
        table.client.send(
          new PutCommand({
            TableName,
            Item: { ...key, ...item },
            ...(expectedRev === undefined
              ? { ConditionExpression: 'attribute_not_exists(pk)' }
              : { ConditionExpression: 'rev = :rev', ExpressionAttributeValues: { ':rev': expectedRev } }),
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        ),
      );
      return { written: true };
    } catch (error) {
      // The DocumentClient hands the failed condition's item back as DynamoDB sent it (marshalled).
      if (error instanceof ConditionalCheckFailedException) return { written: false, stored: error.Item && unmarshall(error.Item) };
      if (mayHaveBeenApplied(error))
        throw new OutcomeUnknownError(`PutItem got no answer (${(error as Error).name}: ${(error as Error).message})`, { cause: error });
      throw error;
    }
  };
  const get = async (key: Key) =>
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
      const item = await get(serviceKey({ secretArn, serviceArn }));
      return item ? toRecord(item) : undefined;
    },

    async readMany(pairs) {
      const keys = [...new Map(pairs.map((p) => [pairId(p), serviceKey(p)])).values()];
      const found: LedgerRecord[] = [];
      for (let i = 0; i < keys.length; i += BATCH_GET_LIMIT) {
        await untilProcessed('reads', keys.slice(i, i + BATCH_GET_LIMIT), async (batch) => {
          const out = await send(table, () =>
            table.client.send(new BatchGetCommand({ RequestItems: { [TableName]: { Keys: batch, ConsistentRead: true } } })),
          );
          found.push(...(out.Responses?.[TableName] ?? []).map(toRecord));
          return (out.UnprocessedKeys?.[TableName]?.Keys ?? []) as Key[];
        });
      }
      return found;
    },

    async write(record, expectedRev) {
      const written = await put(serviceKey(record), record, expectedRev);
      return written.written ? written : { written: false, stored: written.stored && toRecord(written.stored) };
    },

    async remove(secretArn, serviceArn) {
      await send(table, () => table.client.send(new DeleteCommand({ TableName, Key: serviceKey({ secretArn, serviceArn }) })));
    },

    async readSecret(secretArn) {
      const item = await get({ pk: pk(secretArn), sk: SECRET_ROW });
      return item ? strip<SecretRecord>(item) : undefined;
    },

    async writeSecret(record, expectedRev) {
      const written = await put({ pk: pk(record.secretArn), sk: SECRET_ROW }, record, expectedRev);
      return written.written ? written : { written: false, stored: written.stored && strip<SecretRecord>(written.stored) };
    },
  };
}

/** Ledger rows grouped by secret: the consumers' records and the secret's own. */
function group(items: Record<string, unknown>[]): Map<string, SecretLedger> {
  const bySecret = new Map<string, SecretLedger>();
  for (const item of items) {
    const secretArn = String(item.secretArn);
    const ledger = bySecret.get(secretArn) ?? { services: [] };
    if (item.sk === SECRET_ROW) ledger.secret = strip<SecretRecord>(item);
    else ledger.services.push(toRecord(item));
    bySecret.set(secretArn, ledger);
  }
  return bySecret;
}

/**
 * A stored consumer row as the record it holds. Rows written before records named their state
 * and slot (a table kept across an upgrade) said "claimed" by having a `claim`, and kept the
 * rollout's key (`rollout`) and `wave` apart: read the same.
 */
function toRecord(item: Record<string, unknown>): LedgerRecord {
  const { rollout, wave, claim, state: _, ...rest } = strip<Record<string, unknown>>(item);
  const slot = (rest.slot as Slot | undefined) ?? (typeof rollout === 'string' ? { key: rollout, wave: Number(wave ?? 0) } : undefined);
  const fields = { ...rest, ...(slot ? { slot } : {}) } as Omit<LedgerRecord, 'state'>;
  if (!claim) return { ...fields, state: 'settled' };
  const { rollout: claimedFor, ...claimFields } = claim as Claim & { rollout?: Slot };
  const claimSlot = claimFields.slot ?? claimedFor;
  return { ...fields, state: 'claimed', claim: { ...claimFields, ...(claimSlot ? { slot: claimSlot } : {}) } };
}

/** A stored row without its key (the rows are written only from records of that type). */
function strip<T>(item: Record<string, unknown>): T {
  const { pk: _, sk: __, ...record } = item;
  return record as T;
}
