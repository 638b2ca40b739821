import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { ContinuationTokens } from '../../ports/continuation';
import { send, type Table } from './table';

/**
 * The reconciler's continuation tokens, one item each in the `CONTINUATION` partition:
 * `CONTINUATION` / `TOKEN#<token>` holds the request it was issued for, until when, and (once
 * used) by which invocation. DynamoDB's TTL removes it a while after `expiresAt`; until then an
 * expired token counts as never issued. Written with conditional PutItems only (the functions'
 * roles have no UpdateItem): one read, then a write that succeeds only if nobody used it between.
 */
const CONTINUATION_PARTITION = 'CONTINUATION';

export function tableContinuationTokens(table: Table): ContinuationTokens {
  const TableName = table.name;
  const key = (token: string) => ({ pk: CONTINUATION_PARTITION, sk: `TOKEN#${token}` });
  const conditionFailed = (error: unknown) => error instanceof ConditionalCheckFailedException;
  const read = async (token: string) =>
    (await send(table, () => table.client.send(new GetCommand({ TableName, Key: key(token), ConsistentRead: true })))).Item;

  return {
    async issue(token, request, expiresAt) {
      const item = { ...key(token), request, expiresAt: Math.ceil(expiresAt.getTime() / 1000) };
      try {
        await send(table, () =>
          table.client.send(new PutCommand({ TableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' })),
        );
      } catch (error) {
        // A retry after a lost answer finds the token it wrote itself.
        if (!conditionFailed(error) || (await read(token))?.request !== request) throw error;
      }
    },

    async use(token, request, invocation, now) {
      const item = await read(token);
      if (!item || item.request !== request || Number(item.expiresAt) * 1000 <= now.getTime()) return { used: false, why: 'unknown' };
      if (item.usedBy !== undefined)
        return item.usedBy === invocation ? { used: true } : { used: false, why: 'used-by-another', by: String(item.usedBy) };
      try {
        await send(table, () =>
          table.client.send(
            new PutCommand({
              TableName,
              Item: { ...item, usedBy: invocation, usedAt: now.toISOString() },
              ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(usedBy)',
            }),
          ),
        );
        return { used: true };
      } catch (error) {
        if (!conditionFailed(error)) throw error;
        // Another use won the race, or this one's answer was lost after it was applied.
        const after = await read(token);
        return after?.usedBy === invocation ? { used: true } : { used: false, why: 'used-by-another', by: String(after?.usedBy) };
      }
    },
  };
}
