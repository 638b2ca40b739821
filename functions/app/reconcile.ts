import type { Trigger } from '../domain/decode/events';
import { ForeignAccountError } from '../domain/errors';
import { lastPathSegment, locationOf } from '../domain/identity/arn';
import { accountOf, type Target, targetText } from '../domain/identity/target';
import type { IndexEntry } from '../domain/index/entries';
import type { ServiceSnapshot, StandaloneTask } from '../domain/inventory/service';
import { desiredVersions } from '../domain/ledger/desired';
import { baseline, describeVersions, type LedgerRecord, noTasks, type Versions } from '../domain/ledger/record';
import { eligibility } from '../domain/plan/eligibility';
import { type SecretState, versionOfStage } from '../domain/plan/secret-state';
import { referencesTo } from '../domain/references/match';
import type { SecretReference } from '../domain/references/references';
import { type InventoryInfo, type Origin, type Report, type ServiceReport, toReportReference } from '../domain/report/report';
import type { Deadline } from '../domain/rollout/deadline';
import type { BucketState } from '../domain/rollout/rate-limiter';
import { mapWithConcurrency } from '../util/concurrency';
import { runNotifications } from './notifications';
import type { Ports } from './ports';
import { describeRecord, Redeployer, type Work, type WorkResult } from './redeploy';
import { writeServiceEntries } from './refresh-index';
import { scanAccount } from './scan-account';

/** How a reconcile runs. */
export interface ReconcileOptions {
  dryRun: boolean;
  /** Redeploy every eligible consumer, even one already running the current versions. */
  force: boolean;
  /** False (`--no-ledger`): live scan, no exactly-once guard, every eligible consumer redeployed. */
  useLedger: boolean;
  /** `index`: the state table's index (a live scan only while it was never built); `scan`: a live scan. */
  inventory: 'index' | 'scan';
  origin: Origin;
  deadline: Deadline;
  /** The UpdateService bucket handed over by the run this one continues. */
  bucket?: BucketState;
  /** A redeployer shared with other reconciles of the same run (one bucket, one deadline). */
  redeployer?: Redeployer;
  /** The secret's index entries and ledger records, already read (a scheduled run reads every secret's at once). */
  preloaded?: { entries: IndexEntry[]; records: LedgerRecord[] };
}

/** A reconcile's report, and what a continuation needs. */
export interface ReconcileResult {
  report: Report;
  /** The secret's full ARN, once described. */
  secretArn?: string;
  /** Work is left for a new run (the deadline came first). */
  unfinished: boolean;
  bucket?: BucketState;
}

/** A service whose task definition references the secret. */
interface Consumer {
  serviceArn: string;
  clusterArn: string;
  serviceName: string;
  taskDefinition: string;
  /** Its references to this secret. */
  references: SecretReference[];
  /** Known already when found by a live scan. */
  live?: ServiceSnapshot;
}

/** While a claim of another run is in flight, look again this often. */
const BUSY_POLL_MS = 5000;

/**
 * Level-triggered reconciliation of one secret: the versions its stages point to now, against
 * the versions each consumer's running deployment was started with (the ledger). Whatever
 * started it (an event of any shape, duplicated, late or out of order; the schedule; a person),
 * the same state gives the same answer: the consumers behind are redeployed once, the others not.
 * Throws only for bad input (an unknown secret, a secret of another account) and a missing state
 * table; every per-service problem is an outcome in the report.
 */
export async function reconcile(ports: Ports, target: Target, trigger: Trigger, options: ReconcileOptions): Promise<ReconcileResult> {
  const base = { trigger, origin: options.origin, dryRun: options.dryRun, services: [], standaloneTasks: [], warnings: [] };
  const account = await ports.accountId();
  assertOwnAccount(targetText(target), accountOf(target), account);
  const secret = await ports.secrets.describe(target);
  assertOwnAccount(secret.arn, locationOf(secret.arn)?.account, account);
  const identity = { arn: secret.arn, name: secret.name, versionId: versionOfStage(secret, 'AWSCURRENT'), kind: secret.kind };
  if (secret.deletedDate) {
    const reason = `secret is scheduled for deletion (${secret.deletedDate}): new tasks could not start`;
    return { report: { ...base, secret: identity, action: 'ignore', reason }, secretArn: secret.arn, unfinished: false };
  }
  if (secret.kind === 'secret') ports.secrets.remember(secret);

  const found = await findConsumers(ports, secret, options);
  const redeployer = options.redeployer ?? new Redeployer(ports, options.deadline, options.bucket, options.force);
  const run = new Run(ports, secret, options, redeployer);
  const services = await run.reconcile(found.consumers, found.records);
  const report: Report = {
    ...base,
    secret: identity,
    action: 'redeploy',
    inventory: found.inventory,
    services: services.sort((a, b) => a.serviceName.localeCompare(b.serviceName) || a.service.localeCompare(b.service)),
    standaloneTasks: found.standaloneTasks,
  };
  if (options.origin === 'schedule' && run.drift.length > 0) report.drift = { services: run.drift.sort() };
  if (run.unfinished) report.continued = { reason: 'this run reached its deadline; a new run continues the rest' };
  if (!options.dryRun) {
    const warning = await ports.notifier.publish(runNotifications(report));
    if (warning) report.warnings.push(warning);
  }
  return { report, secretArn: secret.arn, unfinished: run.unfinished, bucket: redeployer.bucketState() };
}

/** The state of one reconcile of one secret. */
class Run {
  unfinished = false;
  /** Services a scheduled run found behind, that no run had claimed. */
  readonly drift: string[] = [];

  constructor(
    private readonly ports: Ports,
    private readonly secret: SecretState,
    private readonly options: ReconcileOptions,
    private readonly redeployer: Redeployer,
  ) {}

  /** Reconciles the consumers; those a live claim of another run holds are looked at again once it ends. */
  async reconcile(consumers: Consumer[], initialRecords: LedgerRecord[]): Promise<ServiceReport[]> {
    const reports: ServiceReport[] = [];
    let pending = consumers;
    let records = initialRecords;
    while (pending.length > 0) {
      const busy: Array<{ consumer: Consumer; until: string }> = [];
      for (const step of await this.assess(pending, records)) {
        if ('report' in step) reports.push(step.report);
        else busy.push(step);
      }
      if (busy.length === 0) break;
      const now = this.ports.clock.now().getTime();
      const wait = Math.min(BUSY_POLL_MS, Math.max(0, Math.min(...busy.map((b) => Date.parse(b.until))) - now) + 1000);
      // A scheduled run leaves them to the run that holds the claim (or, if it died, to the next schedule).
      const leave = this.options.dryRun || this.options.origin === 'schedule';
      if (leave || !this.redeployer.canStart() || now + wait > this.options.deadline.stopAt) {
        for (const { consumer, until } of busy)
          reports.push(this.report(consumer, 'waiting', `another run is redeploying it (its claim ends ${until})`));
        this.unfinished ||= !leave;
        break;
      }
      await this.ports.clock.sleep(wait);
      pending = busy.map((b) => b.consumer);
      records = this.options.useLedger ? await this.ports.ledger.records(this.secret.arn) : [];
    }
    return reports;
  }

  /** One pass: what the ledger says, the live state of the consumers that are due, the redeploys. */
  private async assess(
    consumers: Consumer[],
    records: LedgerRecord[],
  ): Promise<Array<{ report: ServiceReport } | { consumer: Consumer; until: string }>> {
    const recordOf = new Map(records.map((r) => [r.serviceArn, r]));
    const steps: Array<{ report: ServiceReport } | { consumer: Consumer; until: string }> = [];
    const due: Array<{ consumer: Consumer; desired: Versions }> = [];
    for (const consumer of consumers) {
      const verdict = this.verdict(consumer, recordOf.get(consumer.serviceArn));
      if ('due' in verdict) due.push({ consumer, desired: verdict.due });
      else if ('baseline' in verdict) steps.push({ report: await this.recordBaseline(consumer, verdict.baseline) });
      else if ('until' in verdict) steps.push({ consumer, until: verdict.until });
      else steps.push({ report: verdict });
    }
    const live = await this.describe(due.map((d) => d.consumer));
    const work: Array<{ consumer: Consumer; work: Work }> = [];
    for (const { consumer, desired } of due) {
      const checked = await this.check(consumer, desired, live.get(consumer.serviceArn), recordOf.get(consumer.serviceArn));
      if ('work' in checked) work.push(checked);
      else if ('until' in checked) steps.push({ consumer, until: checked.until });
      else steps.push({ report: checked });
    }
    const results = await mapWithConcurrency(work, this.ports.config.maxConcurrency, async (item) => ({
      ...item,
      result: await this.execute(item.work),
    }));
    for (const { consumer, work, result } of results) {
      if (result.outcome === 'busy') {
        steps.push({ consumer: { ...consumer, live: work.service }, until: result.until });
        continue;
      }
      if (result.outcome === 'deferred') this.unfinished = true;
      const outcome = result.outcome === 'deferred' ? 'waiting' : result.outcome;
      const deploymentId = 'deploymentId' in result ? result.deploymentId : undefined;
      steps.push({ report: this.report(consumer, outcome, result.reason, work, deploymentId) });
    }
    return steps;
  }

  /**
   * What the ledger alone says of a consumer: due (to these versions), a report, busy until a
   * claim ends, or to be baselined: an indexed consumer without a record was indexed before the
   * ledger existed, so what it runs is unknown; redeploying every such consumer at once (an
   * upgrade's first scheduled run would) is worse than assuming, as indexing does, that it runs
   * the current versions. A consumer found by a live scan (no index) has no record either: due.
   */
  private verdict(
    consumer: Consumer,
    record: LedgerRecord | undefined,
  ): { due: Versions } | { baseline: Versions } | ServiceReport | { until: string } {
    const desired = desiredVersions(consumer.references, this.secret);
    if (desired.kind === 'pinned') return this.report(consumer, 'skipped', `pinned to version id ${desired.versionIds.join(', ')}`);
    if (desired.kind === 'unattached')
      return this.report(consumer, 'skipped', `stage ${desired.stages.join(', ')} is not attached to any version`);
    if (!this.options.useLedger) return { due: desired.versions };
    if (!record && !consumer.live) return { baseline: desired.versions };
    const decision = this.redeployer.decide(record, desired.versions);
    if (decision.action === 'up-to-date') {
      return this.report(consumer, 'skipped', `up to date: runs ${describeRecord(record)}`, { desired: desired.versions, record });
    }
    if (decision.action === 'busy') return { until: decision.until };
    return { due: desired.versions };
  }

  /** DescribeServices (batches of ten, per cluster) for the due consumers not already seen live. */
  private async describe(consumers: Consumer[]): Promise<Map<string, ServiceSnapshot>> {
    const live = new Map<string, ServiceSnapshot>();
    const byCluster = new Map<string, string[]>();
    for (const c of consumers) {
      if (c.live) live.set(c.serviceArn, c.live);
      else byCluster.set(c.clusterArn, [...(byCluster.get(c.clusterArn) ?? []), c.serviceArn]);
    }
    const described = await Promise.all([...byCluster].map(([cluster, arns]) => this.ports.ecs.describeServices(cluster, arns)));
    for (const service of described.flat()) live.set(service.serviceArn, service);
    return live;
  }

  /** A due consumer against its live state: work to do, or why not. */
  private async check(
    consumer: Consumer,
    due: Versions,
    service: ServiceSnapshot | undefined,
    record: LedgerRecord | undefined,
  ): Promise<{ consumer: Consumer; work: Work } | ServiceReport | { until: string }> {
    const { dryRun } = this.options;
    if (!service || service.status === 'INACTIVE') {
      if (!dryRun) await writeServiceEntries(this.ports, consumer.serviceArn, undefined, []);
      return this.report(consumer, 'skipped', 'service no longer exists');
    }
    let current = consumer;
    let desired = due;
    if (service.taskDefinition !== consumer.taskDefinition) {
      // The index is behind: judge the task definition the next deployment starts.
      const all = await this.ports.ecs.taskDefinitionReferences(service.taskDefinition);
      if (!dryRun) await writeServiceEntries(this.ports, service.serviceArn, service, all);
      const references = await referencesTo(all, this.secret, (ref) => this.ports.secrets.resolve(ref));
      current = { ...consumer, taskDefinition: service.taskDefinition, references, live: service };
      if (references.length === 0) {
        return this.report(current, 'skipped', `task definition ${lastPathSegment(service.taskDefinition)} does not reference the secret`);
      }
      // Re-indexing wrote a baseline if the secret is new to this service: its new deployment reads the current versions.
      const verdict = this.verdict({ ...current, live: undefined }, record);
      if ('baseline' in verdict)
        return this.report(current, 'skipped', `newly uses the secret: recorded as running ${this.versionsText(verdict.baseline)}`);
      if (!('due' in verdict)) return verdict;
      desired = verdict.due;
    }
    const eligible = eligibility(service, this.ports.config.clusters);
    if (eligible.action === 'skip') return this.report(current, 'skipped', eligible.reason, { desired, record });
    if (eligible.action === 'no-tasks') {
      if (!dryRun && this.options.useLedger) await this.recordNoTasks(record, service, desired);
      return this.report(current, 'skipped', 'no running tasks (desiredCount 0): new tasks read the current version anyway', {
        desired,
        record,
      });
    }
    if (this.options.origin === 'schedule' && !record?.claim) this.drift.push(service.serviceArn);
    const decision = this.options.useLedger ? this.redeployer.decide(record, desired) : { action: 'claim' as const };
    return { consumer: current, work: { secretArn: this.secret.arn, service, desired, record, decision } };
  }

  private async execute(work: Work): Promise<WorkResult> {
    if (this.options.dryRun)
      return { outcome: 'would-redeploy', reason: `runs ${describeRecord(work.record)}; current is ${this.versionsText(work.desired)}` };
    if (!this.options.useLedger) return this.redeployer.redeployUnguarded(work.service);
    return this.redeployer.redeploy(work);
  }

  private async recordBaseline(consumer: Consumer, versions: Versions): Promise<ServiceReport> {
    if (!this.options.dryRun) {
      const record = baseline(this.secret.arn, consumer.serviceArn, versions, {
        now: this.ports.clock.now(),
        writeId: `${this.redeployer.token}/baseline`,
      });
      await this.ports.ledger.write(record, undefined);
    }
    return this.report(
      consumer,
      'skipped',
      `not in the ledger yet (indexed before it existed): recorded as running ${this.versionsText(versions)}`,
      { desired: versions },
    );
  }

  private versionsText(versions: Versions): string {
    return describeVersions(versions, this.secret.kind);
  }

  private async recordNoTasks(record: LedgerRecord | undefined, service: ServiceSnapshot, desired: Versions): Promise<void> {
    const ids = { secretArn: this.secret.arn, serviceArn: service.serviceArn };
    await this.redeployer.note(noTasks(record, ids, desired, this.redeployer.stamp()), record?.rev);
  }

  private report(
    consumer: Consumer,
    outcome: ServiceReport['outcome'],
    reason: string,
    extra: { desired?: Versions; record?: LedgerRecord } = {},
    deploymentId?: string,
  ): ServiceReport {
    const { desired } = extra;
    const from = extra.record && Object.keys(extra.record.versions).length > 0 ? extra.record.versions : undefined;
    return {
      cluster: consumer.clusterArn,
      service: consumer.serviceArn,
      serviceName: consumer.serviceName,
      taskDefinition: consumer.taskDefinition,
      outcome,
      reason,
      ...(deploymentId ? { deploymentId } : {}),
      ...(desired ? { versions: { ...(from ? { from } : {}), to: desired } } : {}),
      references: consumer.references.map(toReportReference),
    };
  }
}

interface Found {
  consumers: Consumer[];
  records: LedgerRecord[];
  standaloneTasks: StandaloneTask[];
  inventory: InventoryInfo;
}

async function findConsumers(ports: Ports, secret: SecretState, options: ReconcileOptions): Promise<Found> {
  if (!options.useLedger) return scanConsumers(ports, secret, [], 'no ledger: live scan, no exactly-once guard');
  const records = options.preloaded?.records.filter((r) => r.secretArn === secret.arn) ?? (await ports.ledger.records(secret.arn));
  if (options.inventory === 'scan') return scanConsumers(ports, secret, records, 'requested');
  const entries = options.preloaded?.entries.filter((e) => e.secretArn === secret.arn) ?? (await ports.index.entriesOf(secret.arn));
  if (entries.length === 0 && !options.preloaded && !(await ports.index.meta())) {
    return scanConsumers(ports, secret, records, 'the index was never built: live scan (run "index rebuild")');
  }
  return {
    consumers: entries
      .filter((e) => e.kind === 'service')
      .map((e) => ({
        serviceArn: e.resourceArn,
        clusterArn: e.clusterArn,
        serviceName: e.name,
        taskDefinition: e.taskDefinition,
        references: e.references,
      })),
    records,
    standaloneTasks: entries
      .filter((e) => e.kind === 'task')
      .map((e) => ({ clusterArn: e.clusterArn, taskArn: e.resourceArn, taskDefinition: e.taskDefinition })),
    inventory: { source: 'index' },
  };
}

async function scanConsumers(ports: Ports, secret: SecretState, records: LedgerRecord[], note: string): Promise<Found> {
  const scan = await scanAccount(ports);
  const resolve = (ref: Parameters<Ports['secrets']['resolve']>[0]) => ports.secrets.resolve(ref);
  const referencesOf = (taskDefinition: string) => referencesTo(scan.references.get(taskDefinition) ?? [], secret, resolve);
  const consumers: Consumer[] = [];
  for (const service of scan.services) {
    const references = await referencesOf(service.taskDefinition);
    if (references.length > 0) {
      consumers.push({
        serviceArn: service.serviceArn,
        clusterArn: service.clusterArn,
        serviceName: service.serviceName,
        taskDefinition: service.taskDefinition,
        references,
        live: service,
      });
    }
  }
  const standaloneTasks: StandaloneTask[] = [];
  for (const task of scan.standaloneTasks) if ((await referencesOf(task.taskDefinition)).length > 0) standaloneTasks.push(task);
  return { consumers, records, standaloneTasks, inventory: { source: 'scan', note } };
}

function assertOwnAccount(secretId: string, secretAccount: string | undefined, account: string): void {
  if (secretAccount !== undefined && secretAccount !== account) {
    throw new ForeignAccountError(`secret ${secretId} belongs to account ${secretAccount}, not to this account (${account})`);
  }
}
