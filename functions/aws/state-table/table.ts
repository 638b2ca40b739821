import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
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
    if ((error as Error).name === 'ResourceNotFoundException') {
      throw new StateTableMissingError(`state table "${table.name}" does not exist (run "ecs-secret-redeploy init")`, { cause: error });
    }
    throw error;
  }
}
