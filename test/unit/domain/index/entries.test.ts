import { diffIndex, entriesFor, entryId, type IndexEntry } from '../../../../functions/domain/index/entries';
import type { SecretReference } from '../../../../functions/domain/references/references';
import { clusterArn, secretArn, serviceArn, smReference, taskDefinitionArn } from '../../../kit/factories';

const DB = secretArn('prod/db-AbCdEf');
const API_KEY = secretArn('prod/api-key-Q1w2E3');
const ORDERS = serviceArn('prod', 'orders-api');
const BILLING = serviceArn('prod', 'billing');

/** An index entry of the orders-api service under the DB secret; override anything. */
function entry(overrides: Partial<IndexEntry> = {}): IndexEntry {
  const secret = overrides.secretArn ?? DB;
  return {
    secretArn: secret,
    kind: 'service',
    resourceArn: ORDERS,
    clusterArn: clusterArn('prod'),
    name: 'orders-api',
    taskDefinition: taskDefinitionArn('orders-api:7'),
    references: [smReference(`${secret}:password::`)],
    ...overrides,
  };
}

/** A deep copy, as the same entry read back from the table would be. */
function stored(e: IndexEntry): IndexEntry {
  return JSON.parse(JSON.stringify(e));
}

/** The same value with every object's keys in reverse order (what a map read back may look like). */
function reorderKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map(reorderKeys) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .reverse()
        .map(([k, v]) => [k, reorderKeys(v)]),
    ) as T;
  }
  return value;
}

describe('entryId', () => {
  it('identifies an entry by secret, kind and resource', () => {
    expect(entryId({ secretArn: DB, kind: 'service', resourceArn: ORDERS })).toBe(`${DB}|service|${ORDERS}`);
  });

  it('tells a service and a task with the same ARN apart', () => {
    expect(entryId({ secretArn: DB, kind: 'task', resourceArn: ORDERS })).not.toBe(
      entryId({ secretArn: DB, kind: 'service', resourceArn: ORDERS }),
    );
  });
});

describe('diffIndex', () => {
  it('writes nothing for an empty index that should stay empty', () => {
    expect(diffIndex([], [])).toEqual({ put: [], remove: [] });
  });

  it('puts a new entry', () => {
    const added = entry();
    expect(diffIndex([], [added])).toEqual({ put: [added], remove: [] });
  });

  it('writes nothing for an unchanged entry read back from the table', () => {
    const e = entry();
    expect(diffIndex([stored(e)], [e])).toEqual({ put: [], remove: [] });
  });

  it('writes nothing for an unchanged entry whose references come back with their keys in another order', () => {
    // DynamoDB maps are unordered: a stored reference may come back with its keys reordered.
    const e = entry();
    expect(diffIndex([reorderKeys(stored(e))], [e])).toEqual({ put: [], remove: [] });
  });

  it('puts a service that moved to another task definition, without removing it', () => {
    const before = entry();
    const after = entry({ taskDefinition: taskDefinitionArn('orders-api:8') });
    expect(diffIndex([before], [after])).toEqual({ put: [after], remove: [] });
  });

  it('puts an entry whose references changed', () => {
    const before = entry();
    const after = entry({ references: [smReference(`${DB}::AWSPREVIOUS:`)] });
    expect(diffIndex([before], [after]).put).toEqual([after]);
  });

  it("puts an entry whose resource's other secrets changed, or that was stored before it named them", () => {
    expect(diffIndex([entry({ otherSecrets: [] })], [entry({ otherSecrets: [API_KEY] })]).put).toHaveLength(1);
    expect(diffIndex([entry()], [entry({ otherSecrets: [] })]).put).toHaveLength(1);
    expect(diffIndex([entry({ otherSecrets: [API_KEY] })], [entry({ otherSecrets: [API_KEY] })]).put).toEqual([]);
  });

  it('puts an entry whose name or cluster changed', () => {
    expect(diffIndex([entry()], [entry({ name: 'orders' })]).put).toHaveLength(1);
    expect(diffIndex([entry()], [entry({ clusterArn: clusterArn('prod-2') })]).put).toHaveLength(1);
  });

  it('removes the entry of a deleted service, by its key only', () => {
    const gone = entry({ resourceArn: BILLING, name: 'billing' });
    const kept = entry();
    expect(diffIndex([gone, kept], [kept])).toEqual({ put: [], remove: [{ secretArn: DB, kind: 'service', resourceArn: BILLING }] });
  });

  it('removes the entry of a secret the new task definition no longer references, and puts the rest', () => {
    const oldDb = entry();
    const oldKey = entry({ secretArn: API_KEY });
    const newKey = entry({ secretArn: API_KEY, taskDefinition: taskDefinitionArn('orders-api:8') });
    expect(diffIndex([oldDb, oldKey], [newKey])).toEqual({
      put: [newKey],
      remove: [{ secretArn: DB, kind: 'service', resourceArn: ORDERS }],
    });
  });

  it('keeps a service entry and a task entry of the same resource apart', () => {
    const asService = entry();
    const asTask = entry({ kind: 'task' });
    expect(diffIndex([asService], [asTask])).toEqual({ put: [asTask], remove: [{ secretArn: DB, kind: 'service', resourceArn: ORDERS }] });
  });

  it('handles adds, moves, removals and unchanged entries in one diff', () => {
    const unchanged = entry({ resourceArn: serviceArn('prod', 'web'), name: 'web' });
    const moved = entry();
    const removed = entry({ resourceArn: BILLING, name: 'billing' });
    const added = entry({ secretArn: API_KEY, resourceArn: BILLING, name: 'billing' });
    const movedNow = { ...moved, taskDefinition: taskDefinitionArn('orders-api:9') };
    const diff = diffIndex([unchanged, moved, removed].map(stored), [unchanged, movedNow, added]);
    expect(diff.put).toEqual([movedNow, added]);
    expect(diff.remove).toEqual([{ secretArn: DB, kind: 'service', resourceArn: BILLING }]);
  });
});

describe('entriesFor', () => {
  const resource = {
    kind: 'service' as const,
    resourceArn: ORDERS,
    clusterArn: clusterArn('prod'),
    name: 'orders-api',
    taskDefinition: taskDefinitionArn('orders-api:7'),
  };

  it("groups a resource's references by the secret they resolve to, each entry naming the resource's other secrets", () => {
    const a: SecretReference = smReference(`${DB}:username::`);
    const b: SecretReference = smReference(API_KEY);
    const c: SecretReference = smReference(`${DB}:password::`);
    expect(
      entriesFor(resource, [
        { reference: a, secretArn: DB },
        { reference: b, secretArn: API_KEY },
        { reference: c, secretArn: DB },
      ]),
    ).toEqual([
      { ...resource, secretArn: DB, references: [a, c], otherSecrets: [API_KEY] },
      { ...resource, secretArn: API_KEY, references: [b], otherSecrets: [DB] },
    ]);
  });

  it('leaves out references that resolve to no secret', () => {
    const resolved = smReference(DB);
    const unresolved = smReference(secretArn('prod/missing'));
    expect(entriesFor(resource, [{ reference: unresolved }, { reference: resolved, secretArn: DB }])).toEqual([
      { ...resource, secretArn: DB, references: [resolved], otherSecrets: [] },
    ]);
  });

  it('gives no entry when nothing resolves', () => {
    expect(entriesFor(resource, [{ reference: smReference(DB) }])).toEqual([]);
    expect(entriesFor(resource, [])).toEqual([]);
  });
});
