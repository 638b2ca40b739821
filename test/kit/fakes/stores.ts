import { OutcomeUnknownError, UnknownSecretError } from '../../../functions/domain/errors';
import { locationOf, partialSecretArn, type SecretsManagerRef } from '../../../functions/domain/identity/arn';
import { arnInRegion } from '../../../functions/domain/identity/replica';
import { regionOf, type Target } from '../../../functions/domain/identity/target';
import { diffIndex, type IndexDiff, type IndexEntry, type IndexMeta } from '../../../functions/domain/index/entries';
import type { LedgerRecord, SecretLedger, SecretRecord } from '../../../functions/domain/ledger/record';
import type { SecretState } from '../../../functions/domain/plan/secret-state';
import type { SecretReference } from '../../../functions/domain/references/references';
import type { ChatNotification } from '../../../functions/domain/report/chat';
import type { Chat } from '../../../functions/ports/chat';
import type { Clock } from '../../../functions/ports/clock';
import type { ContinuationTokens, TokenUse } from '../../../functions/ports/continuation';
import type { IndexStore, StoredIndex } from '../../../functions/ports/index-store';
import type { Ledger, Pair, Written } from '../../../functions/ports/ledger';
import type { MetricName, Metrics } from '../../../functions/ports/metrics';
import type { Notification, Notifier } from '../../../functions/ports/notifier';
import type { CachedRevisions, RevisionCache } from '../../../functions/ports/revision-cache';
import type { SecretStore } from '../../../functions/ports/secrets';
import { REGION } from '../test-account';

/** Secrets Manager and SSM in memory: states by full ARN, found by full ARN, partial ARN or name. */
export class FakeSecrets implements SecretStore {
  readonly states = new Map<string, SecretState>();
  readonly calls: Record<string, number> = {};
  private versionSeq = 0;
  /** `<arn>|<version>` -> when the version was created, on the clock given (the epoch without one). */
  private readonly created = new Map<string, string>();

  constructor(private readonly clock?: Clock) {}

  /** Adds a secret (or parameter) with one version holding AWSCURRENT; returns its state. */
  add(arn: string, name: string, kind: SecretState['kind'] = 'secret'): SecretState {
    const version = kind === 'parameter' ? '1' : this.nextVersion();
    const state: SecretState = { kind, arn, name, versionIdsToStages: { [version]: ['AWSCURRENT'] } };
    this.states.set(arn, state);
    this.stampVersion(arn, version);
    return state;
  }

  /** A new version becomes AWSCURRENT, the old current AWSPREVIOUS (PutSecretValue, or a finished rotation). */
  rotate(arn: string): string {
    const state = this.get(arn);
    const version = state.kind === 'parameter' ? String(Number(this.current(arn)) + 1) : this.nextVersion();
    const stages: Record<string, string[]> = {};
    for (const [v, labels] of Object.entries(state.versionIdsToStages)) {
      const kept = labels.filter((l) => l !== 'AWSPREVIOUS' && l !== 'AWSCURRENT');
      if (labels.includes('AWSCURRENT') && state.kind === 'secret') kept.push('AWSPREVIOUS');
      if (kept.length > 0) stages[v] = kept;
    }
    stages[version] = ['AWSCURRENT'];
    state.versionIdsToStages = stages;
    this.stampVersion(arn, version);
    this.replicate(arn);
    return version;
  }

  /** Moves a stage to a version (UpdateSecretVersionStage); AWSCURRENT takes AWSPREVIOUS along. */
  moveStage(arn: string, stage: string, version: string): void {
    const state = this.get(arn);
    const previous = this.versionOf(arn, stage);
    const stages: Record<string, string[]> = {};
    for (const [v, labels] of Object.entries(state.versionIdsToStages)) {
      const kept = labels.filter((l) => l !== stage && !(stage === 'AWSCURRENT' && l === 'AWSPREVIOUS'));
      if (kept.length > 0) stages[v] = kept;
    }
    stages[version] = [...(stages[version] ?? []), stage];
    if (stage === 'AWSCURRENT' && previous && previous !== version) stages[previous] = [...(stages[previous] ?? []), 'AWSPREVIOUS'];
    state.versionIdsToStages = stages;
    this.replicate(arn);
  }

  /**
   * Replicates a secret to `region` (AddReplicaRegions): the replica has the primary's name,
   * versions and suffix, and names the primary's region; the primary lists it. Returns the replica.
   */
  addReplica(primaryArn: string, region: string): SecretState {
    const primary = this.get(primaryArn);
    const arn = arnInRegion(primary, region);
    if (!arn) throw new Error(`fake: ${primaryArn} cannot have a replica in ${region}`);
    primary.replicationStatus = [
      ...(primary.replicationStatus ?? []).filter((r) => r.region !== region),
      { region, status: 'InSync', statusMessage: 'Replication succeeded' },
    ];
    const replica: SecretState = {
      kind: 'secret',
      arn,
      name: primary.name,
      versionIdsToStages: structuredClone(primary.versionIdsToStages),
      primaryRegion: locationOf(primaryArn)?.region,
    };
    this.states.set(arn, replica);
    for (const version of Object.keys(primary.versionIdsToStages)) {
      const created = this.created.get(`${primaryArn}|${version}`);
      if (created) this.created.set(`${arn}|${version}`, created);
    }
    return replica;
  }

  /**
   * Sets how replication to a replica stands on its primary. While it is not InSync, changes of
   * the primary do not reach the replica (AWS replicates asynchronously); back InSync, the replica
   * holds the primary's versions again.
   */
  setReplication(replicaArn: string, status: string, statusMessage?: string): void {
    const replica = this.get(replicaArn);
    const region = locationOf(replicaArn)?.region;
    const primaryArn = replica.primaryRegion && arnInRegion(replica, replica.primaryRegion);
    const primary = primaryArn ? this.get(primaryArn) : undefined;
    const entry = primary?.replicationStatus?.find((r) => r.region === region);
    if (!primary || !entry) throw new Error(`fake: ${replicaArn} is no replica`);
    entry.status = status;
    if (statusMessage === undefined) delete entry.statusMessage;
    else entry.statusMessage = statusMessage;
    this.replicate(primary.arn);
  }

  /** Copies a primary's versions to its replicas that are InSync. */
  private replicate(primaryArn: string): void {
    const primary = this.get(primaryArn);
    for (const entry of primary.replicationStatus ?? []) {
      const arn = arnInRegion(primary, entry.region);
      const replica = arn ? this.states.get(arn) : undefined;
      if (!arn || !replica || entry.status !== 'InSync') continue;
      replica.versionIdsToStages = structuredClone(primary.versionIdsToStages);
      for (const version of Object.keys(primary.versionIdsToStages)) {
        const created = this.created.get(`${primaryArn}|${version}`);
        if (created) this.created.set(`${arn}|${version}`, created);
      }
    }
  }

  current(arn: string): string {
    return this.versionOf(arn, 'AWSCURRENT') as string;
  }

  versionOf(arn: string, stage: string): string | undefined {
    return Object.entries(this.get(arn).versionIdsToStages).find(([, labels]) => labels.includes(stage))?.[0];
  }

  async describe(target: Target): Promise<SecretState> {
    this.count(target.kind === 'parameter' ? 'DescribeParameters' : 'DescribeSecret');
    const id = target.kind === 'parameter' ? target.arn : target.secretId;
    const state = this.find(id, regionOf(target));
    if (!state) throw new UnknownSecretError(`secret not found: ${id}`);
    return structuredClone(state);
  }

  async resolve(ref: SecretsManagerRef): Promise<string | undefined> {
    this.count('DescribeSecret');
    return this.find(ref.secretId, ref.location.region)?.arn;
  }

  remember(): void {}

  async versionDates(secret: SecretState): Promise<Record<string, string>> {
    if (secret.kind === 'secret') this.count('ListSecretVersionIds');
    const dates: Record<string, string> = {};
    for (const version of Object.keys(this.get(secret.arn).versionIdsToStages)) {
      const created = this.created.get(`${secret.arn}|${version}`);
      if (created) dates[version] = created;
    }
    return dates;
  }

  /** Sets when a version was created (a version made before the fake's clock started, say). */
  setCreated(arn: string, version: string, at: Date): void {
    this.created.set(`${arn}|${version}`, at.toISOString());
  }

  private stampVersion(arn: string, version: string): void {
    this.created.set(`${arn}|${version}`, (this.clock?.now() ?? new Date(0)).toISOString());
  }

  /** A state by full ARN, partial ARN or name; a name is read in `region` (the home region unless told), as AWS does. */
  private find(id: string, region = REGION): SecretState | undefined {
    // By full ARN at once (the states' key): a benchmark resolves tens of thousands of references.
    const byArn = this.states.get(id);
    if (byArn) return byArn;
    // A primary and its replicas share a name: only a partial ARN or the region tells them apart.
    let first: SecretState | undefined;
    for (const s of this.states.values()) {
      if (s.name !== id && !(s.kind === 'secret' && partialSecretArn(s.arn, s.name) === id)) continue;
      if (locationOf(s.arn)?.region === region) return s;
      first ??= s;
    }
    return first;
  }

  private get(arn: string): SecretState {
    const state = this.states.get(arn);
    if (!state) throw new Error(`fake: no secret ${arn}`);
    return state;
  }

  private nextVersion(): string {
    this.versionSeq += 1;
    return `v${this.versionSeq}`;
  }

  private count(operation: string): void {
    this.calls[operation] = (this.calls[operation] ?? 0) + 1;
  }
}

/** The revision cache in memory. */
export class MemoryRevisionCache implements RevisionCache {
  /** Its rows: undefined stands for a row that cannot be read (corrupt, or another format). */
  readonly rows: CachedRevisions = new Map();
  /** Calls, by method. */
  readonly calls: Record<'cachedRevision' | 'cacheRevisions' | 'dropRevisions', number> = {
    cachedRevision: 0,
    cacheRevisions: 0,
    dropRevisions: 0,
  };

  async cachedRevision(taskDefinitionArn: string): Promise<SecretReference[] | undefined> {
    this.calls.cachedRevision += 1;
    return structuredClone(this.rows.get(taskDefinitionArn));
  }

  async cacheRevisions(revisions: Map<string, SecretReference[]>): Promise<void> {
    this.calls.cacheRevisions += 1;
    for (const [arn, references] of revisions) this.rows.set(arn, structuredClone(references));
  }

  async dropRevisions(taskDefinitionArns: string[]): Promise<void> {
    this.calls.dropRevisions += 1;
    for (const arn of taskDefinitionArns) this.rows.delete(arn);
  }
}

/** The index in memory; a rebuild reads it with the revision cache it shares a table with. */
export class MemoryIndexStore implements IndexStore {
  readonly entries = new Map<string, IndexEntry>();
  private built?: IndexMeta;
  private readonly secretsByService = new Map<string, string[]>();

  constructor(private readonly revisions = new MemoryRevisionCache()) {}

  async entriesOf(secretArn: string): Promise<IndexEntry[]> {
    return structuredClone([...this.entries.values()].filter((e) => e.secretArn === secretArn));
  }

  async allEntries(): Promise<IndexEntry[]> {
    return structuredClone([...this.entries.values()]);
  }

  async stored(): Promise<StoredIndex> {
    return { entries: await this.allEntries(), revisions: structuredClone(this.revisions.rows) };
  }

  async meta(): Promise<IndexMeta | undefined> {
    return this.built;
  }

  async writeMeta(meta: IndexMeta): Promise<void> {
    this.built = meta;
  }

  async secretsOfService(serviceArn: string): Promise<string[]> {
    return this.secretsByService.get(serviceArn) ?? [];
  }

  async apply(diff: IndexDiff, services: Map<string, string[]>): Promise<void> {
    for (const e of diff.remove) this.entries.delete(`${e.secretArn}|${e.kind}|${e.resourceArn}`);
    for (const e of diff.put) this.entries.set(`${e.secretArn}|${e.kind}|${e.resourceArn}`, structuredClone(e));
    for (const [service, secrets] of services) {
      if (secrets.length > 0) this.secretsByService.set(service, [...secrets]);
      else this.secretsByService.delete(service);
    }
  }

  /** Indexes entries as a rebuild would (no baselines: tests that want them write records). */
  async put(entries: IndexEntry[]): Promise<void> {
    await this.apply(
      diffIndex([], entries),
      new Map(entries.filter((e) => e.kind === 'service').map((e) => [e.resourceArn, [e.secretArn]])),
    );
  }
}

/**
 * The ledger in memory, with DynamoDB's conditional-write semantics. `loseAnswers` makes the
 * next writes apply and then fail as a dropped connection would.
 */
export class MemoryLedger implements Ledger {
  readonly items = new Map<string, LedgerRecord>();
  readonly secrets = new Map<string, SecretRecord>();
  loseAnswers = 0;
  writes = 0;
  /** readMany calls (BatchGetItem). */
  batchReads = 0;

  async records(secretArn: string): Promise<SecretLedger> {
    const secret = this.secrets.get(secretArn);
    return structuredClone({ services: [...this.items.values()].filter((r) => r.secretArn === secretArn), ...(secret ? { secret } : {}) });
  }

  async allRecords(): Promise<Map<string, SecretLedger>> {
    const arns = new Set([...[...this.items.values()].map((r) => r.secretArn), ...this.secrets.keys()]);
    const all = new Map<string, SecretLedger>();
    for (const arn of arns) all.set(arn, await this.records(arn));
    return all;
  }

  async read(secretArn: string, serviceArn: string): Promise<LedgerRecord | undefined> {
    return structuredClone(this.items.get(`${secretArn}|${serviceArn}`));
  }

  async readMany(pairs: Pair[]): Promise<LedgerRecord[]> {
    this.batchReads += 1;
    return pairs.flatMap((p) => {
      const record = this.items.get(`${p.secretArn}|${p.serviceArn}`);
      return record ? [structuredClone(record)] : [];
    });
  }

  async write(record: LedgerRecord, expectedRev: number | undefined): Promise<Written<LedgerRecord>> {
    return this.put(this.items, `${record.secretArn}|${record.serviceArn}`, record, expectedRev);
  }

  async remove(secretArn: string, serviceArn: string): Promise<void> {
    this.items.delete(`${secretArn}|${serviceArn}`);
  }

  async readSecret(secretArn: string): Promise<SecretRecord | undefined> {
    return structuredClone(this.secrets.get(secretArn));
  }

  async writeSecret(record: SecretRecord, expectedRev: number | undefined): Promise<Written<SecretRecord>> {
    return this.put(this.secrets, record.secretArn, record, expectedRev);
  }

  /** A conditional write, as DynamoDB's with ALL_OLD: the stored row back on a failed condition; `loseAnswers` applies a write and loses its answer. */
  private put<T extends { rev: number }>(map: Map<string, T>, key: string, record: T, expectedRev: number | undefined): Written<T> {
    this.writes += 1;
    const stored = map.get(key);
    if (expectedRev === undefined ? stored !== undefined : stored?.rev !== expectedRev)
      return { written: false, stored: structuredClone(stored) };
    map.set(key, structuredClone(record));
    if (this.loseAnswers > 0) {
      this.loseAnswers -= 1;
      throw new OutcomeUnknownError('PutItem got no answer (socket hang up)');
    }
    return { written: true };
  }
}

/** Keeps what was published. */
/** Metrics kept in memory: each name with the values added, in order. */
export class RecordingMetrics implements Metrics {
  readonly values = new Map<MetricName, number[]>();

  add(name: MetricName, value: number): void {
    this.values.set(name, [...(this.values.get(name) ?? []), value]);
  }

  /** The sum of a metric's values (0 when never added). */
  sum(name: MetricName): number {
    return (this.values.get(name) ?? []).reduce((a, b) => a + b, 0);
  }
}

export class RecordingNotifier implements Notifier {
  readonly published: Notification[] = [];

  async publish(notifications: Notification[]): Promise<string | undefined> {
    this.published.push(...notifications);
    return undefined;
  }
}

/** The continuations' one-use tokens in memory, with the state table's semantics (continuations.ts). */
export class MemoryContinuationTokens implements ContinuationTokens {
  readonly tokens = new Map<string, { request: string; expiresAt: number; usedBy?: string }>();

  async issue(token: string, request: string, expiresAt: Date): Promise<void> {
    const found = this.tokens.get(token);
    if (found && found.request !== request) throw new Error(`token ${token} was issued for another request`);
    this.tokens.set(token, found ?? { request, expiresAt: expiresAt.getTime() });
  }

  async use(token: string, request: string, invocation: string, now: Date): Promise<TokenUse> {
    const found = this.tokens.get(token);
    if (!found || found.request !== request || found.expiresAt <= now.getTime()) return { used: false, why: 'unknown' };
    if (found.usedBy !== undefined && found.usedBy !== invocation) return { used: false, why: 'used-by-another', by: found.usedBy };
    found.usedBy = invocation;
    return { used: true };
  }
}

/** A chat channel that keeps what it was sent, for tests to read. */
export class RecordingChat implements Chat {
  readonly posted: ChatNotification[] = [];

  async post(messages: ChatNotification[]): Promise<string | undefined> {
    this.posted.push(...messages);
    return undefined;
  }
}
