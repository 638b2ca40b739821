import { ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { StateTableMissingError } from '../../domain/errors';

/**
 * The DynamoDB state table, one table with a string `pk`/`sk` key:
 *
 * | pk                          | sk                      | what                                                  |
 * |-----------------------------|-------------------------|-------------------------------------------------------|
 * | `SECRET#<secret arn>`       | `SERVICE#<service arn>` | index entry: service, task definition, references     |
 * | `SECRET#<secret arn>`       | `TASK#<task arn>`       | standalone task seen at the last rebuild              |
 * | `SECRET#<secret arn>`       | `LEDGER#<service arn>`  | ledger: the versions the service runs, its claim      |
 * | `SERVICE#<service arn>`     | `SECRETS`               | the secrets a service is indexed under                |
 * | `INDEX`                     | `META`                  | when the index was last built, and its counts         |
 * | `REVISION#<task def arn>`   | `REFERENCES`            | revision cache: a revision's references, their format |
| `REBUILD`                   | `STATE`, `PAGE#...`     | the index rebuild in flight (state-table/rebuilds.ts) |
| `CONTINUATION`              | `TOKEN#<token>`         | a continuation's one-use token (continuations.ts)     |
 *
 * A secret's index entries and ledger records share its partition: one reconcile reads both.
 * Revision cache rows (functions/aws/state-table/revisions.ts) each have a partition of their
 * own, and are read by the Scan that reads the whole index for a rebuild.
 * `expiresAt` is the TTL attribute (items of earlier versions used it).
 */
export const TABLE_KEYS = { partition: 'pk', sort: 'sk', ttl: 'expiresAt' } as const;

/** The table an adapter works on. */
export interface Table {
  client: DynamoDBDocumentClient;
  name: string;
}

/** Every call to the table goes through here, so that a missing table is one recognisable error. */
export async function send<T>(table: Table, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof ResourceNotFoundException) {
      throw new StateTableMissingError(`state table "${table.name}" does not exist (run "ecs-secret-redeploy init")`, { cause: error });
    }
    throw error;
  }
}

/** BatchWriteItem takes at most 25 requests. */
export const BATCH_WRITE_LIMIT = 25;

/**
 * Sends a batch (`attempt` returns what DynamoDB left unprocessed) until all of it is processed:
 * the rest goes again after a growing pause, at most 8 times.
 */
export async function untilProcessed<T>(what: string, batch: T[], attempt: (pending: T[]) => Promise<T[]>): Promise<void> {
  let pending = batch;
  for (let n = 0; pending.length > 0; n++) {
    if (n > 0) {
      if (n > 8) throw new Error(`DynamoDB left ${pending.length} ${what} unprocessed after 8 retries`);
      await new Promise((resolve) => setTimeout(resolve, Math.min(2000, 50 * 2 ** n)));
    }
    pending = await attempt(pending);
  }
}

/** One BatchWriteItem, with what DynamoDB left unprocessed sent again after a growing pause. */
export async function batchWrite(table: Table, batch: Record<string, unknown>[]): Promise<void> {
  await untilProcessed('writes', batch, async (items) => {
    const out = await send(table, () => table.client.send(new BatchWriteCommand({ RequestItems: { [table.name]: items } as never })));
    return (out.UnprocessedItems?.[table.name] ?? []) as Record<string, unknown>[];
  });
}
