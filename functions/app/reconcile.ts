import { randomUUID } from 'node:crypto';
import type { Trigger } from '../domain/decode/events';
import { lastPathSegment, locationOf } from '../domain/identity/arn';
import { assertAllowedOwner } from '../domain/identity/owners';
import { accountOf, type Target, targetText } from '../domain/identity/target';
import type { IndexEntry } from '../domain/index/entries';
import type { ServiceSnapshot, StandaloneTask } from '../domain/inventory/service';
import { desiredVersions } from '../domain/ledger/desired';
import {
  deploymentChanged,
  describeVersions,
  type LedgerRecord,
  noTasks,
  type SecretLedger,
  type SecretRecord,
  type Versions,
  versionKey,
} from '../domain/ledger/record';
import { eligibility } from '../domain/plan/eligibility';
import { type SecretState, versionOfStage } from '../domain/plan/secret-state';
import { referencesTo } from '../domain/references/match';
import { followedStage, type SecretReference } from '../domain/references/references';
import { type InventoryInfo, type Origin, type Report, type ServiceReport, toReportReference } from '../domain/report/report';
import type { Deadline } from '../domain/rollout/deadline';
import type { BucketState, SharedBucket } from '../domain/rollout/rate-limiter';
import {
  type DeploymentState,
  decideWaves,
  type Member,
  polledDeployment,
  type Rollout,
  type WaveDecision,
  waveOf,
} from '../domain/rollout/waves';
import type { Notification } from '../ports/notifier';
import { mapWithConcurrency } from '../util/concurrency';
import { commitRecord } from './commit-record';
import { judgeFirstSight } from './first-sight';
import { rolloutCompleted, rolloutHalted, runNotifications, serviceRedeployed } from './notifications';
import type { Ports } from './ports';
import type { OnProgress } from './progress';
import { describeRecord, Redeployer, type Work, type WorkResult } from './redeploy';
import { writeServiceEntries } from './refresh-index';
import { revisionReferences, scanAccount } from './scan-account';
import { warnDeletion } from './warnings';

/** How a reconcile runs. */
export interface ReconcileOptions {
  dryRun: boolean;
  /** Redeploy every eligible consumer, even one already running the current versions. */
  force: boolean;
  /** False (`--no-ledger`): live scan, no exactly-once guard, every eligible consumer redeployed, no waves. */
  useLedger: boolean;
  /** Why there is no ledger, for the report (`--no-ledger`). */
  noLedgerNote?: string;
  /** `index`: the state table's index (a live scan only while it was never built); `scan`: a live scan. */
  inventory: 'index' | 'scan';
  origin: Origin;
  deadline: Deadline;
  /** Release every wave at once (a manual emergency), halted or not. */
  allWaves?: boolean;
  /** The UpdateService bucket handed over by the run this one continues. */
  bucket?: BucketState;
  /** The UpdateService bucket this process's runs share (RunContext.updateBucket). */
  sharedBucket?: SharedBucket;
  /** A redeployer shared with other reconciles of the same run (one bucket, one deadline). */
  redeployer?: Redeployer;
  /** Hears how a live scan and the redeploys advance (the CLI's progress display). */
  onProgress?: OnProgress;
  /** The rollout as a dry run of `resume` would leave it (resumed, nothing written). */
  resuming?: Rollout;
  /** The secret's index entries and ledger, already read (a scheduled run reads every secret's at once). */
  preloaded?: { entries: IndexEntry[]; ledger: SecretLedger };
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
  /** The other secrets its task definition references, as indexed (undefined: not known here). */
  otherSecrets?: string[];
  /** Known already when found by a live scan. */
  live?: ServiceSnapshot;
}

/** While a claim of another run is in flight, look again this often. */
const BUSY_POLL_MS = 5000;

/**
 * Level-triggered reconciliation of one secret: the versions its stages point to now, against
 * the versions each consumer's running deployment was started with (the ledger). Whatever
 * started it (an event of any shape, duplicated, late or out of order; the schedule; a person),
 * the same state gives the same answer: the consumers behind are redeployed once, in waves, the
 * others not. Throws only for bad input (an unknown secret, a secret of another account) and a
 * missing state table; every per-service problem is an outcome in the report.
 */
export async function reconcile(ports: Ports, target: Target, trigger: Trigger, options: ReconcileOptions): Promise<ReconcileResult> {
  const base = { trigger, origin: options.origin, dryRun: options.dryRun, services: [], standaloneTasks: [], warnings: [] };
  const account = await ports.accountId();
  assertAllowedOwner(targetText(target), accountOf(target), account, ports.config.secretOwners);
  const secret = await ports.secrets.describe(target);
  assertAllowedOwner(secret.arn, locationOf(secret.arn)?.account, account, ports.config.secretOwners);
  const identity = { arn: secret.arn, name: secret.name, versionId: versionOfStage(secret, 'AWSCURRENT'), kind: secret.kind };
  if (secret.deletedDate) {
    const report = await warnDeletion(ports, target, trigger, {
      dryRun: options.dryRun || !options.useLedger,
      origin: options.origin,
      secret,
      ...(options.preloaded
        ? { entries: options.preloaded.entries.filter((e) => e.secretArn === secret.arn), record: options.preloaded.ledger.secret }
        : {}),
    });
    return { report, secretArn: secret.arn, unfinished: false };
  }
  if (secret.kind === 'secret') ports.secrets.remember(secret);

  const found = await findConsumers(ports, secret, options);
  const redeployer = options.redeployer ?? new Redeployer(ports, options.deadline, options.bucket, options.force, options.sharedBucket);
  const secretRecord =
    found.ledger.secret && options.resuming ? { ...found.ledger.secret, rollout: options.resuming } : found.ledger.secret;
  const run = new Run(ports, secret, trigger, options, redeployer, secretRecord);
  const services = await run.reconcile(found.consumers, found.ledger.services);
  const report: Report = {
    ...base,
    secret: identity,
    action: 'redeploy',
    inventory: found.inventory,
    services: services.sort((a, b) => a.serviceName.localeCompare(b.serviceName) || a.service.localeCompare(b.service)),
    standaloneTasks: found.standaloneTasks,
    warnings: run.warnings,
  };
  if (options.origin === 'schedule' && run.drift.length > 0) report.drift = { services: run.drift.sort() };
  if (run.unfinished) report.continued = { reason: 'this run reached its deadline; a new run continues the rest' };
  if (!options.dryRun) {
    const warning = await ports.notifier.publish([...runNotifications(report), ...run.notifications(report)]);
    if (warning) report.warnings.push(warning);
    run.emitMetrics(report);
  }
  return { report, secretArn: secret.arn, unfinished: run.unfinished, bucket: redeployer.bucketState() };
}

type Step = { report: ServiceReport } | { consumer: Consumer; until: string };

/** The state of one reconcile of one secret. */
class Run {
  unfinished = false;
  /** Services a scheduled run found behind, that no run had claimed nor any rollout was taking care of. */
  readonly drift: string[] = [];
  readonly warnings: string[] = [];
  /** The rollout this run worked on, and its transitions. */
  private rollout?: Rollout;
  private secretRecord?: SecretRecord;
  private key = '';
  private readonly transitions: Notification[] = [];
  private readonly waveOfService = new Map<string, number>();

  constructor(
    private readonly ports: Ports,
    private readonly secret: SecretState,
    private readonly trigger: Trigger,
    private readonly options: ReconcileOptions,
    private readonly redeployer: Redeployer,
    secretRecord: SecretRecord | undefined,
  ) {
    this.secretRecord = secretRecord;
  }

  /** Reconciles the consumers; those a live claim of another run holds are looked at again once it ends. */
  async reconcile(consumers: Consumer[], initialRecords: LedgerRecord[]): Promise<ServiceReport[]> {
    this.key = versionKey(
      Object.assign(
        {},
        ...consumers.map((c) => desiredVersions(c.references, this.secret)).map((d) => (d.kind === 'follows' ? d.versions : {})),
      ),
    );
    const current = this.secretRecord?.rollout;
    this.rollout = current?.key === this.key ? current : undefined;
    const reports: ServiceReport[] = [];
    let pending = consumers;
    let records = initialRecords;
    while (pending.length > 0) {
      const busy: Array<{ consumer: Consumer; until: string }> = [];
      for (const step of await this.assess(pending, records, consumers)) {
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
      records = this.options.useLedger ? (await this.ports.ledger.records(this.secret.arn)).services : [];
    }
    return reports;
  }

  /** One pass: what the ledger says, the live state of the consumers that are due, the waves, the redeploys. */
  private async assess(consumers: Consumer[], records: LedgerRecord[], all: Consumer[]): Promise<Step[]> {
    const recordOf = new Map(records.map((r) => [r.serviceArn, r]));
    // Without a ledger (`--no-ledger`) nothing is recorded, and every eligible consumer is due.
    // A consumer every reference of which is pinned follows no stage: it never has a record.
    const unrecorded = consumers.filter((c) => !recordOf.has(c.serviceArn) && c.references.some((r) => followedStage(r) !== undefined));
    const unseen = this.options.useLedger ? await this.describe(unrecorded) : new Map<string, ServiceSnapshot>();
    for (const [serviceArn, record] of await this.firstSight(consumers, unseen)) recordOf.set(serviceArn, record);
    const steps: Step[] = [];
    const due: Array<{ consumer: Consumer; desired: Versions; force: boolean }> = [];
    for (const found of consumers) {
      const consumer = unseen.has(found.serviceArn) ? { ...found, live: unseen.get(found.serviceArn) } : found;
      const verdict = this.verdict(consumer, recordOf.get(consumer.serviceArn));
      if ('due' in verdict) due.push({ consumer, desired: verdict.due, force: verdict.force });
      else if ('until' in verdict) steps.push({ consumer, until: verdict.until });
      else steps.push({ report: verdict });
    }
    const live = await this.describe(due.map((d) => d.consumer));
    const work: Array<{ consumer: Consumer; work: Work; wave: number }> = [];
    for (const { consumer, desired, force } of due) {
      const checked = await this.check(consumer, desired, force, live.get(consumer.serviceArn), recordOf.get(consumer.serviceArn));
      if ('work' in checked) work.push(checked);
      else if ('until' in checked) steps.push({ consumer, until: checked.until });
      else steps.push({ report: checked });
    }
    const released = await this.waves(work, records, all);
    for (const { consumer, work: held, reason } of released.held)
      steps.push({ report: this.report(consumer, 'waiting', reason, { desired: held.desired, record: held.record }) });
    const onDone = (done: number) => this.options.onProgress?.({ phase: 'redeploy', done, total: released.go.length });
    const results = await mapWithConcurrency(released.go, { limit: this.ports.config.maxConcurrency, onDone }, async (item) => ({
      ...item,
      result: await this.execute(item.work, item.wave),
    }));
    for (const { consumer, work: done, result } of results) {
      if (result.outcome === 'busy') {
        steps.push({ consumer: { ...consumer, live: done.service }, until: result.until });
        continue;
      }
      if (result.outcome === 'deferred') this.unfinished = true;
      const outcome = result.outcome === 'deferred' ? 'waiting' : result.outcome;
      const deploymentId = 'deploymentId' in result ? result.deploymentId : undefined;
      steps.push({ report: this.report(consumer, outcome, result.reason, { desired: done.desired, record: done.record }, deploymentId) });
    }
    return steps;
  }

  /**
   * What the record says of a consumer: due (to these versions), a report, or busy until a
   * claim ends. A consumer without a record was judged from evidence before (firstSight); one
   * still without (ECS does not show the service, or a run without a ledger) is due, and its live
   * check says why not.
   */
  private verdict(
    consumer: Consumer,
    record: LedgerRecord | undefined,
  ): { due: Versions; force: boolean } | ServiceReport | { until: string } {
    const desired = desiredVersions(consumer.references, this.secret);
    if (desired.kind === 'pinned') return this.report(consumer, 'skipped', `pinned to ${desired.pins.join(', ')}`);
    if (desired.kind === 'unattached')
      return this.report(consumer, 'skipped', `stage ${desired.stages.join(', ')} is not attached to any version`);
    if (!record) return { due: desired.versions, force: false };
    // After `resume`, a deployment of this rollout that failed before it is made again.
    const retry = this.failedBeforeResume(record);
    const decision = this.redeployer.decide(record, desired.versions, retry);
    if (decision.action === 'up-to-date') {
      return this.report(consumer, 'skipped', `up to date: runs ${describeRecord(record)}`, { desired: desired.versions, record });
    }
    if (decision.action === 'busy') return { until: decision.until };
    return { due: desired.versions, force: retry };
  }

  /**
   * First records, judged from evidence, for the consumers met without one (`live`: their state
   * as ECS shows it; one ECS does not show is left to its live check). Recorded, except in a dry
   * run, where the judgement serves this run alone. When another run recorded the pair
   * meanwhile, its record stands.
   */
  private async firstSight(consumers: Consumer[], live: Map<string, ServiceSnapshot>): Promise<Map<string, LedgerRecord>> {
    const sightings = consumers
      .filter((c) => live.has(c.serviceArn))
      .map((c) => ({ serviceArn: c.serviceArn, references: c.references, service: live.get(c.serviceArn) }));
    if (sightings.length === 0) return new Map();
    const records = await judgeFirstSight(this.ports, this.secret, sightings, () => this.redeployer.stamp());
    if (this.options.dryRun) return records;
    await mapWithConcurrency([...records.values()], 8, async (record) => {
      if (await commitRecord(this.ports.ledger, record, undefined).catch(() => false)) return;
      const stored = await this.ports.ledger.read(record.secretArn, record.serviceArn).catch(() => undefined);
      if (stored) records.set(record.serviceArn, stored);
    });
    return records;
  }

  private failedBeforeResume(record: LedgerRecord): boolean {
    const resumedAt = this.rollout?.resumedAt;
    return (
      resumedAt !== undefined &&
      record.rollout === this.key &&
      record.deployment?.state === 'FAILED' &&
      Date.parse(record.deployment.at) <= Date.parse(resumedAt)
    );
  }

  /** DescribeServices (batches of ten, per cluster) for the due consumers not already seen live. */
  private async describe(
    consumers: Array<{ serviceArn: string; clusterArn: string; live?: ServiceSnapshot }>,
  ): Promise<Map<string, ServiceSnapshot>> {
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
    force: boolean,
    service: ServiceSnapshot | undefined,
    record: LedgerRecord | undefined,
  ): Promise<{ consumer: Consumer; work: Work; wave: number } | ServiceReport | { until: string }> {
    const { dryRun } = this.options;
    if (!service || service.status === 'INACTIVE') {
      if (!dryRun) await writeServiceEntries(this.ports, consumer.serviceArn, undefined, []);
      return this.report(consumer, 'skipped', 'service no longer exists');
    }
    let current = consumer;
    let desired = due;
    if (service.taskDefinition !== consumer.taskDefinition) {
      // The index is behind: judge the task definition the next deployment starts.
      // The revision cache lives in the state table, which a run without the ledger does not touch.
      const all = this.options.useLedger
        ? await revisionReferences(this.ports, service.taskDefinition, { store: !dryRun })
        : await this.ports.ecs.taskDefinitionReferences(service.taskDefinition);
      if (!dryRun) await writeServiceEntries(this.ports, service.serviceArn, service, all);
      const references = await referencesTo(all, this.secret, (ref) => this.ports.secrets.resolve(ref));
      const { otherSecrets: _, ...indexed } = consumer;
      current = { ...indexed, taskDefinition: service.taskDefinition, references, live: service };
      if (references.length === 0) {
        return this.report(current, 'skipped', `task definition ${lastPathSegment(service.taskDefinition)} does not reference the secret`);
      }
      // A secret new to this service: judged from its deployment, as re-indexing just recorded it.
      const judged = !record && this.options.useLedger;
      const known = judged ? (await this.firstSight([current], new Map([[service.serviceArn, service]]))).get(service.serviceArn) : record;
      const verdict = this.verdict(current, known);
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
    const { wave, warning } = waveOf(service.tags, this.ports.config.defaultWave);
    if (warning) this.warnings.push(`${service.serviceName}: ${warning}`);
    this.waveOfService.set(service.serviceArn, wave);
    const decision = this.options.useLedger ? this.redeployer.decide(record, desired, force) : { action: 'claim' as const };
    const others = current.otherSecrets ? { otherSecrets: current.otherSecrets } : {};
    return { consumer: current, work: { secretArn: this.secret.arn, service, desired, record, decision, force, ...others }, wave };
  }

  /**
   * The waves: which due services go now, which wait and why; the rollout halted or completed
   * when the deployments of its members say so. Without a ledger there are no waves.
   */
  private async waves(
    work: Array<{ consumer: Consumer; work: Work; wave: number }>,
    records: LedgerRecord[],
    all: Consumer[],
  ): Promise<{ go: typeof work; held: Array<{ consumer: Consumer; work: Work; reason: string }> }> {
    if (!this.options.useLedger) return { go: work, held: [] };
    const names = new Map(all.map((c) => [c.serviceArn, c.serviceName]));
    const nameOf = (arn: string) => names.get(arn) ?? lastPathSegment(arn);
    const others = records.filter((r) => !work.some((w) => w.work.service.serviceArn === r.serviceArn));
    // A redeploy of this rollout that another run has claimed is in flight: it holds back the waves after its own.
    const inFlight: Member[] = others
      .filter((r) => r.claim?.rollout?.key === this.key)
      .map((r) => ({
        kind: 'deployed',
        serviceArn: r.serviceArn,
        name: nameOf(r.serviceArn),
        wave: r.claim?.rollout?.wave ?? 0,
        state: 'IN_PROGRESS',
      }));
    // A failure from before `resume` no longer halts: its service is redeployed again (or, ineligible now, left).
    let deployed = others.filter(
      (r) => r.rollout === this.key && r.deployment && r.claim?.rollout?.key !== this.key && !this.failedBeforeResume(r),
    );
    if (this.options.origin === 'schedule') deployed = await this.poll(deployed, all);
    const members: Member[] = [
      ...work.map((w) => ({ kind: 'due' as const, serviceArn: w.work.service.serviceArn, name: w.consumer.serviceName, wave: w.wave })),
      ...inFlight,
      ...deployed.map((r) => ({
        kind: 'deployed' as const,
        serviceArn: r.serviceArn,
        name: nameOf(r.serviceArn),
        wave: r.wave ?? this.ports.config.defaultWave,
        state: r.deployment?.state as DeploymentState,
        ...(r.deploymentId ? { deploymentId: r.deploymentId } : {}),
        ...(r.deployment?.reason ? { reason: r.deployment.reason } : {}),
      })),
    ];
    for (const m of [...inFlight, ...deployed]) this.waveOfService.set(m.serviceArn, m.wave ?? this.ports.config.defaultWave);
    // Due services of no rollout (or of one already completed) mean the change's event never came: drift.
    // Those waiting for their wave in a rollout under way are not, nor those of a secret of another
    // region, whose events reach this region only if that region forwards them: the schedule is
    // how its changes arrive otherwise, by design, and DriftFound must not alarm at each of them.
    if (this.options.origin === 'schedule' && (!this.rollout || this.rollout.status === 'completed') && !this.inAnotherRegion())
      this.drift.push(...work.filter((w) => !w.work.record?.claim).map((w) => w.work.service.serviceArn));
    const decision = decideWaves(members, this.rollout ?? { status: 'in-progress' }, this.options.allWaves);
    if (!this.options.dryRun) await this.advance(decision, members, names);
    const go = work.filter((w) => decision.release === 'all' || w.wave === decision.release);
    const held = work
      .filter((w) => !go.includes(w))
      .map((w) => ({ ...w, reason: decision.waiting.get(w.work.service.serviceArn) ?? 'waiting' }));
    if (go.length > 0 && !this.options.dryRun) await this.startRollout();
    return { go, held };
  }

  /** Records a halt or a completion, once (the write is conditional), and announces it. */
  private async advance(decision: WaveDecision, members: Member[], names: Map<string, string>): Promise<void> {
    const { transition } = decision;
    if (!transition || !this.rollout) return;
    const now = this.ports.clock.now().toISOString();
    const next: Rollout =
      transition.to === 'halted'
        ? { ...this.rollout, status: 'halted', halted: { at: now, wave: transition.wave, failed: transition.failed } }
        : { ...this.rollout, status: 'completed', completedAt: now };
    if (!(await this.saveRollout(next))) return;
    const common = { secret: this.identity(), versions: this.versions(), rollout: this.key };
    if (transition.to === 'halted') {
      this.ports.metrics.add('RolloutHalted', 1);
      const failed = transition.failed.map((f) => ({
        service: f.serviceArn,
        serviceName: names.get(f.serviceArn) ?? lastPathSegment(f.serviceArn),
        ...f,
      }));
      this.transitions.push(
        rolloutHalted({ ...common, wave: transition.wave, failed: failed.map(({ serviceArn: _, ...f }) => f), haltedAt: now }),
      );
    } else {
      this.ports.metrics.add('RolloutCompleted', 1);
      this.transitions.push(
        rolloutCompleted({
          ...common,
          services: members.length,
          waves: transition.waves,
          startedAt: this.rollout.startedAt,
          completedAt: now,
        }),
      );
    }
  }

  /** The rollout of these versions, recorded when its first wave goes (a newer version replaces the older rollout). */
  private async startRollout(): Promise<void> {
    if (this.rollout) return;
    const now = this.ports.clock.now().toISOString();
    const changedAt = (this.trigger.time && this.options.origin === 'event' ? this.trigger.time : undefined) ?? this.secret.lastChangedDate;
    const rollout: Rollout = { key: this.key, status: 'in-progress', startedAt: now, ...(changedAt ? { changedAt } : {}) };
    // A conflict means another run started it meanwhile: the next pass reads theirs.
    if (await this.saveRollout(rollout)) this.rollout = rollout;
  }

  private async saveRollout(rollout: Rollout): Promise<boolean> {
    const previous = this.secretRecord;
    const next: SecretRecord = { ...previous, secretArn: this.secret.arn, rollout, rev: (previous?.rev ?? 0) + 1, writeId: randomUUID() };
    const saved = await this.ports.ledger.writeSecret(next, previous?.rev).catch(() => false);
    if (saved) {
      this.secretRecord = next;
      this.rollout = rollout;
    } else {
      this.secretRecord = await this.ports.ledger.readSecret(this.secret.arn);
      const theirs = this.secretRecord?.rollout;
      this.rollout = theirs?.key === this.key ? theirs : this.rollout;
    }
    return saved;
  }

  /**
   * The fallback for missed ECS deployment events (scheduled runs only): the rollout state of each
   * deployment still in progress, as DescribeServices shows it (see polledDeployment), with the
   * deployment timeout.
   */
  private async poll(deployed: LedgerRecord[], all: Consumer[]): Promise<LedgerRecord[]> {
    const inFlight = deployed.filter((r) => r.deployment?.state === 'IN_PROGRESS');
    if (inFlight.length === 0) return deployed;
    const clusterOf = new Map(all.map((c) => [c.serviceArn, c.clusterArn]));
    const live = await this.describe(inFlight.map((r) => ({ serviceArn: r.serviceArn, clusterArn: clusterOf.get(r.serviceArn) ?? '' })));
    return Promise.all(
      deployed.map(async (record) => {
        if (record.deployment?.state !== 'IN_PROGRESS') return record;
        const ended = polledDeployment(
          live.get(record.serviceArn),
          record.deploymentId,
          record.deployment.at,
          this.ports.clock.now(),
          this.ports.config.deploymentTimeoutMinutes,
        );
        if (!ended) return record;
        const next = deploymentChanged(record, ended.state, ended.reason, this.redeployer.stamp());
        await this.redeployer.note(next, record.rev);
        return next;
      }),
    );
  }

  private async execute(work: Work, wave: number): Promise<WorkResult> {
    if (this.options.dryRun) {
      const runs = work.record ? `runs ${describeRecord(work.record)}` : 'what it runs is unknown (no ledger record)';
      return { outcome: 'would-redeploy', reason: `${runs}; current is ${this.versionsText(work.desired)}` };
    }
    if (!this.options.useLedger) return this.redeployer.redeployUnguarded(work.service);
    return this.redeployer.redeploy(work, { key: this.key, wave });
  }

  /** True when the secret lives in another region than this deployment's (known only when the region is configured). */
  private inAnotherRegion(): boolean {
    const home = this.ports.config.region;
    const region = locationOf(this.secret.arn)?.region;
    return home !== undefined && region !== undefined && region !== home;
  }

  /** The events of this run beyond the run summary: one per service redeployed, and the rollout's transitions. */
  notifications(report: Report): Notification[] {
    const changedAt = this.rollout?.changedAt ? Date.parse(this.rollout.changedAt) : undefined;
    const now = this.ports.clock.now().getTime();
    const redeployed = report.services
      .filter((s) => s.outcome === 'redeployed')
      .map((s) =>
        serviceRedeployed({
          secret: report.secret,
          versions: s.versions?.to ?? {},
          service: { arn: s.service, name: s.serviceName, cluster: s.cluster },
          ...(s.deploymentId ? { deploymentId: s.deploymentId } : {}),
          wave: s.wave ?? this.ports.config.defaultWave,
          rollout: this.key,
          origin: this.options.origin,
          trigger: this.trigger,
          ...(changedAt ? { secondsFromChange: Math.max(0, Math.round((now - changedAt) / 1000)) } : {}),
        }),
      );
    return [...redeployed, ...this.transitions];
  }

  emitMetrics(report: Report): void {
    const redeployed = report.services.filter((s) => s.outcome === 'redeployed').length;
    const failed = report.services.filter((s) => s.outcome === 'failed').length;
    if (redeployed > 0) this.ports.metrics.add('ServicesRedeployed', redeployed);
    if (failed > 0) this.ports.metrics.add('RedeployFailed', failed);
    if (report.drift) this.ports.metrics.add('DriftFound', report.drift.services.length);
    const changedAt = this.rollout?.changedAt ? Date.parse(this.rollout.changedAt) : undefined;
    if (changedAt && redeployed > 0)
      this.ports.metrics.add('SecondsFromChangeToDeploy', Math.max(0, (this.ports.clock.now().getTime() - changedAt) / 1000));
  }

  private identity(): Report['secret'] {
    return { arn: this.secret.arn, name: this.secret.name, versionId: versionOfStage(this.secret, 'AWSCURRENT'), kind: this.secret.kind };
  }

  /** The versions of the rollout, as its key records them. */
  private versions(): Versions {
    return Object.fromEntries(
      this.key
        .split(',')
        .filter(Boolean)
        .map((pair) => pair.split('=') as [string, string]),
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
    const wave = this.waveOfService.get(consumer.serviceArn);
    return {
      cluster: consumer.clusterArn,
      service: consumer.serviceArn,
      serviceName: consumer.serviceName,
      taskDefinition: consumer.taskDefinition,
      outcome,
      reason,
      ...(deploymentId ? { deploymentId } : {}),
      ...(wave !== undefined ? { wave } : {}),
      ...(desired ? { versions: { ...(from ? { from } : {}), to: desired } } : {}),
      references: consumer.references.map(toReportReference),
    };
  }
}

interface Found {
  consumers: Consumer[];
  ledger: SecretLedger;
  standaloneTasks: StandaloneTask[];
  inventory: InventoryInfo;
}

async function findConsumers(ports: Ports, secret: SecretState, options: ReconcileOptions): Promise<Found> {
  if (!options.useLedger)
    return scanConsumers(
      ports,
      secret,
      { services: [] },
      options.noLedgerNote ?? 'no ledger: live scan, no exactly-once guard',
      options.onProgress,
    );
  const ledger = options.preloaded?.ledger ?? (await ports.ledger.records(secret.arn));
  if (options.inventory === 'scan') return scanConsumers(ports, secret, ledger, 'requested', options.onProgress);
  const entries = options.preloaded?.entries.filter((e) => e.secretArn === secret.arn) ?? (await ports.index.entriesOf(secret.arn));
  if (entries.length === 0 && !options.preloaded && !(await ports.index.meta())) {
    return scanConsumers(ports, secret, ledger, 'the index was never built: live scan (run "index rebuild")', options.onProgress);
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
        ...(e.otherSecrets ? { otherSecrets: e.otherSecrets } : {}),
      })),
    ledger,
    standaloneTasks: entries
      .filter((e) => e.kind === 'task')
      .map((e) => ({ clusterArn: e.clusterArn, taskArn: e.resourceArn, taskDefinition: e.taskDefinition })),
    inventory: { source: 'index' },
  };
}

async function scanConsumers(
  ports: Ports,
  secret: SecretState,
  ledger: SecretLedger,
  note: string,
  onProgress?: OnProgress,
): Promise<Found> {
  const scan = await scanAccount(ports, onProgress);
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
  return { consumers, ledger, standaloneTasks, inventory: { source: 'scan', note } };
}
