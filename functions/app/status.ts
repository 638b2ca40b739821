import { ForeignAccountError } from '../domain/errors';
import { locationOf } from '../domain/identity/arn';
import type { Target } from '../domain/identity/target';
import { desiredVersions } from '../domain/ledger/desired';
import { holds, type LedgerRecord, type Versions } from '../domain/ledger/record';
import { versionOfStage } from '../domain/plan/secret-state';
import type { Report } from '../domain/report/report';
import type { Ports } from './ports';

/** Where one consumer stands against the secret's current versions, from the ledger. */
export type ConsumerState =
  /** Runs the current versions. */
  | 'up-to-date'
  /** Behind: the next reconcile redeploys it. */
  | 'due'
  /** A run has claimed it and is redeploying it. */
  | 'pending'
  /** Pinned to version ids: never redeployed for a change of stages. */
  | 'pinned'
  /** A followed stage is attached to no version. */
  | 'unattached'
  /** Indexed before the ledger existed: the next reconcile records a baseline. */
  | 'no-record';

export interface ConsumerStatus {
  service: string;
  serviceName: string;
  cluster: string;
  state: ConsumerState;
  /** What its running deployment was started with, per the ledger. */
  runs?: Versions;
  /** What it must run now. */
  current?: Versions;
  via?: LedgerRecord['via'];
  deploymentId?: string;
  /** When `runs` was recorded. */
  since?: string;
  claim?: { claimedAt: string; leaseUntil: string; target: Versions };
  lastError?: string;
}

export interface SecretStatus {
  secret: Report['secret'];
  consumers: ConsumerStatus[];
  standaloneTasks: number;
  /** Consumers by state. */
  counts: Record<ConsumerState, number>;
}

/**
 * Where every consumer of a secret stands: the ledger against the secret's stages now. Reads the
 * secret, its index entries and its ledger records; calls no ECS API and changes nothing.
 */
export async function secretStatus(ports: Ports, target: Target): Promise<SecretStatus> {
  const secret = await ports.secrets.describe(target);
  const account = await ports.accountId();
  const owner = locationOf(secret.arn)?.account;
  if (owner !== undefined && owner !== account)
    throw new ForeignAccountError(`secret ${secret.arn} belongs to account ${owner}, not to this account (${account})`);
  const [entries, records] = await Promise.all([ports.index.entriesOf(secret.arn), ports.ledger.records(secret.arn)]);
  const recordOf = new Map(records.map((r) => [r.serviceArn, r]));
  const consumers = entries
    .filter((e) => e.kind === 'service')
    .map((entry): ConsumerStatus => {
      const record = recordOf.get(entry.resourceArn);
      const base = { service: entry.resourceArn, serviceName: entry.name, cluster: entry.clusterArn };
      const desired = desiredVersions(entry.references, secret);
      if (desired.kind === 'pinned') return { ...base, state: 'pinned' };
      if (desired.kind === 'unattached') return { ...base, state: 'unattached' };
      const known = record && {
        runs: record.versions,
        via: record.via,
        since: record.at,
        ...(record.deploymentId ? { deploymentId: record.deploymentId } : {}),
        ...(record.claim
          ? { claim: { claimedAt: record.claim.claimedAt, leaseUntil: record.claim.leaseUntil, target: record.claim.target } }
          : {}),
        ...(record.lastError ? { lastError: record.lastError } : {}),
      };
      return { ...base, ...known, current: desired.versions, state: stateOf(record, desired.versions) };
    })
    .sort((a, b) => a.serviceName.localeCompare(b.serviceName));
  const counts: Record<ConsumerState, number> = { 'up-to-date': 0, due: 0, pending: 0, pinned: 0, unattached: 0, 'no-record': 0 };
  for (const c of consumers) counts[c.state] += 1;
  return {
    secret: { arn: secret.arn, name: secret.name, versionId: versionOfStage(secret, 'AWSCURRENT'), kind: secret.kind },
    consumers,
    standaloneTasks: entries.filter((e) => e.kind === 'task').length,
    counts,
  };
}

function stateOf(record: LedgerRecord | undefined, current: Versions): ConsumerState {
  if (!record) return 'no-record';
  if (record.claim) return 'pending';
  return holds(record.versions, current) ? 'up-to-date' : 'due';
}
