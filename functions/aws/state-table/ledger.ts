import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Clock } from '../../ports/clock';
import type { LedgerKey, RedeployLedger } from '../../ports/ledger';
import { send, type Table } from './table';

/**
 * The exactly-once ledger on the state table: a conditional put per (service, secret, versions),
 * expiring after `ttlDays`.
 */
export function tableLedger(table: Table, ttlDays: number, clock: Clock): RedeployLedger {
  const TableName = table.name;
  const key = (k: LedgerKey) => ({ pk: `REDEPLOY#${k.serviceArn}`, sk: `${k.secretArn}#${k.versionKey}` });
  const nowSeconds = () => Math.floor(clock.now().getTime() / 1000);
  return {
    async claim(k, force) {
      const now = nowSeconds();
      try {
        await send(table, () =>
          table.client.send(
            new PutCommand({
              TableName,
              Item: { ...key(k), redeployedAt: new Date(now * 1000).toISOString(), expiresAt: now + ttlDays * 86400 },
              // An expired record that TTL has not deleted yet does not count.
              ...(force
                ? {}
                : { ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now', ExpressionAttributeValues: { ':now': now } }),
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
      await send(table, () => table.client.send(new DeleteCommand({ TableName, Key: key(k) })));
    },
    async has(k) {
      const out = await send(table, () => table.client.send(new GetCommand({ TableName, Key: key(k), ConsistentRead: true })));
      return out.Item !== undefined && Number(out.Item.expiresAt) >= nowSeconds();
    },
  };
}
