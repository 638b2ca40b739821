import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { REFERENCES_FORMAT, type SecretReference } from '../../domain/references/references';
import type { RevisionCache } from '../../ports/revision-cache';
import { chunk } from '../../util/concurrency';
import { BATCH_WRITE_LIMIT, batchWrite, send, type Table } from './table';

/**
 * Rows of the revision cache: one per task definition revision, `REVISION#<task definition
 * ARN>` / `REFERENCES`, holding the revision's parsed references (an empty list for a revision
 * that references nothing) and the format they were written in.
 */
export const REVISION_PREFIX = 'REVISION#';
export const REVISION_SORT_KEY = 'REFERENCES';

/**
 * DynamoDB refuses an item over 400 KB, and with it the whole BatchWriteItem: a revision whose
 * references would come near that is not cached (it is described at every rebuild instead).
 */
const MAX_ROW_CHARS = 300_000;

/** The revision cache on the state table. */
export function tableRevisionCache(table: Table): RevisionCache {
  return {
    async cachedRevision(taskDefinitionArn) {
      const out = await send(table, () =>
        table.client.send(new GetCommand({ TableName: table.name, Key: revisionKey(taskDefinitionArn) })),
      );
      return out.Item ? fromRevisionRow(out.Item) : undefined;
    },

    async cacheRevisions(revisions) {
      const requests = [...revisions]
        .map(([arn, references]) => toRevisionRow(arn, references))
        .filter((row) => row !== undefined)
        .map((Item) => ({ PutRequest: { Item } }));
      for (const batch of chunk(requests, BATCH_WRITE_LIMIT)) await batchWrite(table, batch);
    },

    async dropRevisions(taskDefinitionArns) {
      const requests = [...new Set(taskDefinitionArns)].map((arn) => ({ DeleteRequest: { Key: revisionKey(arn) } }));
      for (const batch of chunk(requests, BATCH_WRITE_LIMIT)) await batchWrite(table, batch);
    },
  };
}

export function revisionKey(taskDefinitionArn: string): { pk: string; sk: string } {
  return { pk: `${REVISION_PREFIX}${taskDefinitionArn}`, sk: REVISION_SORT_KEY };
}

/** The row for a revision, or undefined when it is too large to cache. */
export function toRevisionRow(taskDefinitionArn: string, references: SecretReference[]): Record<string, unknown> | undefined {
  const row = { ...revisionKey(taskDefinitionArn), format: REFERENCES_FORMAT, references };
  return JSON.stringify(row).length > MAX_ROW_CHARS ? undefined : row;
}

/** The task definition ARN a cache row is for, or undefined when the item is no cache row. */
export function revisionOf(item: Record<string, unknown>): string | undefined {
  const { pk, sk } = item;
  if (typeof pk !== 'string' || !pk.startsWith(REVISION_PREFIX) || sk !== REVISION_SORT_KEY) return undefined;
  const arn = pk.slice(REVISION_PREFIX.length);
  return arn === '' ? undefined : arn;
}

/**
 * The references a cache row holds, or undefined when it cannot be trusted: written in another
 * format (an older or newer version of this tool), or not in the shape this version writes.
 * Such a revision is described again, never read half-way.
 */
export function fromRevisionRow(item: Record<string, unknown>): SecretReference[] | undefined {
  if (item.format !== REFERENCES_FORMAT || !Array.isArray(item.references)) return undefined;
  return item.references.every(isSecretReference) ? (item.references as SecretReference[]) : undefined;
}

const FIELDS: ReadonlySet<unknown> = new Set<SecretReference['field']>([
  'secrets',
  'logConfiguration.secretOptions',
  'repositoryCredentials',
  'fsxWindowsFileServerVolumeConfiguration',
]);

function isSecretReference(value: unknown): boolean {
  if (!isRecord(value) || !FIELDS.has(value.field) || typeof value.valueFrom !== 'string') return false;
  if (!optionalStrings(value, ['container', 'volume', 'name'])) return false;
  if (value.store === 'secretsmanager') {
    const secret = value.secret;
    return (
      isRecord(secret) &&
      typeof secret.secretId === 'string' &&
      typeof secret.namePart === 'string' &&
      typeof secret.isArn === 'boolean' &&
      optionalStrings(secret, ['jsonKey', 'versionStage', 'versionId']) &&
      isRecord(secret.location) &&
      ['partition', 'region', 'account'].every((k) => typeof (secret.location as Record<string, unknown>)[k] === 'string') &&
      value.parameterArn === undefined
    );
  }
  if (value.store === 'ssm') {
    return (
      typeof value.parameterArn === 'string' && optionalStrings(value, ['parameterVersion', 'parameterLabel']) && value.secret === undefined
    );
  }
  return false;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalStrings(value: Record<string, unknown>, keys: string[]): boolean {
  return keys.every((k) => value[k] === undefined || typeof value[k] === 'string');
}
