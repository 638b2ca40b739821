import type { SecretReference } from '../references/references';

/** One index entry: a service (or standalone task) whose task definition references a secret. */
export interface IndexEntry {
  secretArn: string;
  kind: 'service' | 'task';
  /** Service ARN or task ARN. */
  resourceArn: string;
  clusterArn: string;
  name: string;
  taskDefinition: string;
  references: SecretReference[];
  /**
   * The other secrets the same task definition references: a redeploy for this one settles the
   * records of those. Absent in entries stored before it was kept (then looked up).
   */
  otherSecrets?: string[];
}

/** Counts stored with the index when it is built. */
export interface IndexMeta {
  builtAt: string;
  clusters: number;
  services: number;
  taskDefinitions: number;
  secrets: number;
  standaloneTasks: number;
  /** References to secrets or parameters that do not exist, with the consumers that make them. */
  missingSecrets?: MissingSecret[];
}

/** A reference that names no existing secret: the task fails to start until it is fixed. */
export interface MissingSecret {
  reference: string;
  /** Names of the services and tasks whose task definition makes it (at most 20 listed). */
  consumers: string[];
  consumerCount: number;
}

/** What to write to bring the stored index to the desired one. */
export interface IndexDiff {
  put: IndexEntry[];
  remove: Pick<IndexEntry, 'secretArn' | 'kind' | 'resourceArn'>[];
}

/** Identity of an entry in the table. */
export function entryId(entry: Pick<IndexEntry, 'secretArn' | 'kind' | 'resourceArn'>): string {
  return `${entry.secretArn}|${entry.kind}|${entry.resourceArn}`;
}

/**
 * Compares stored and desired entries: new or changed entries are put (a service that moved to
 * another task definition, or whose references changed), entries no longer desired are removed
 * (a deleted service, a task definition that dropped the reference). Unchanged entries cost
 * no write. Pure.
 */
export function diffIndex(stored: IndexEntry[], desired: IndexEntry[]): IndexDiff {
  const before = new Map(stored.map((e) => [entryId(e), e]));
  const after = new Map(desired.map((e) => [entryId(e), e]));
  const put = [...after.values()].filter((e) => {
    const old = before.get(entryId(e));
    return (
      !old ||
      old.taskDefinition !== e.taskDefinition ||
      old.name !== e.name ||
      old.clusterArn !== e.clusterArn ||
      canonical(old.references) !== canonical(e.references) ||
      canonical(old.otherSecrets ?? null) !== canonical(e.otherSecrets ?? null)
    );
  });
  const remove = [...before.values()]
    .filter((e) => !after.has(entryId(e)))
    .map(({ secretArn, kind, resourceArn }) => ({ secretArn, kind, resourceArn }));
  return { put, remove };
}

/** JSON with object keys sorted: DynamoDB returns map attributes in no particular order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

/**
 * Groups a resource's matched references by the secret they resolve to: one index entry per
 * (secret, resource). References that resolve to no secret are left out.
 */
export function entriesFor(
  resource: Omit<IndexEntry, 'secretArn' | 'references' | 'otherSecrets'>,
  resolved: { reference: SecretReference; secretArn?: string }[],
): IndexEntry[] {
  const bySecret = new Map<string, SecretReference[]>();
  for (const { reference, secretArn } of resolved) {
    if (!secretArn) continue;
    bySecret.set(secretArn, [...(bySecret.get(secretArn) ?? []), reference]);
  }
  const secrets = [...bySecret.keys()].sort();
  return [...bySecret.entries()].map(([secretArn, references]) => ({
    ...resource,
    secretArn,
    references,
    otherSecrets: secrets.filter((other) => other !== secretArn),
  }));
}
