import type { Trigger } from '../../domain/decode/events';
import { lastPathSegment } from '../../domain/identity/arn';
import type { ServiceSnapshot } from '../../domain/inventory/service';
import { desiredVersions } from '../../domain/ledger/desired';
import {
  describeRecord,
  describeVersions,
  type LedgerRecord,
  noTasks,
  type SecretRecord,
  type Versions,
  versionKey,
} from '../../domain/ledger/record';
import { eligibility } from '../../domain/plan/eligibility';
import type { SecretState } from '../../domain/plan/secret-state';
import { referencesTo } from '../../domain/references/match';
import { followedStage } from '../../domain/references/references';
import { type ServiceReport, toReportReference } from '../../domain/report/report';
import { waveOf } from '../../domain/rollout/waves';
import type { Ports } from '../../ports/ports';
import { mapWithConcurrency } from '../../util/concurrency';
import { describeLive } from '../describe-live';
import { firstSightRecords } from '../first-sight';
import { repairServiceIndex } from '../index-writes';
import type { Redeployer, Work, WorkResult } from '../redeploy';
import type { Consumer } from './consumers';
import type { ReconcileOptions } from './options';
import { RunRollout } from './rollout';

/** While a claim of another run is in flight, look again this often. */
const BUSY_POLL_MS = 5000;

type Step = { report: ServiceReport } | { consumer: Consumer; until: string };

/** The state of one reconcile of one secret. */
export class Run {
  unfinished = false;
  readonly warnings: string[] = [];
  readonly rollout: RunRollout;

  constructor(
    private readonly ports: Ports,
    private readonly secret: SecretState,
    trigger: Trigger,
    private readonly options: ReconcileOptions,
    private readonly redeployer: Redeployer,
    secretRecord: SecretRecord | undefined,
  ) {
    this.rollout = new RunRollout(ports, secret, trigger, options, redeployer, secretRecord);
  }

  /** Reconciles the consumers; those a live claim of another run holds are looked at again once it ends. */
  async reconcile(consumers: Consumer[], initialRecords: LedgerRecord[]): Promise<ServiceReport[]> {
    this.rollout.begin(
      versionKey(
        Object.assign(
          {},
          ...consumers.map((c) => desiredVersions(c.references, this.secret)).map((d) => (d.kind === 'follows' ? d.versions : {})),
        ),
      ),
    );
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
    const unseen = this.options.useLedger ? await describeLive(this.ports, unrecorded) : new Map<string, ServiceSnapshot>();
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
    const live = await describeLive(
      this.ports,
      due.map((d) => d.consumer),
    );
    const work: Array<{ consumer: Consumer; work: Work; wave: number }> = [];
    for (const { consumer, desired, force } of due) {
      const checked = await this.check(consumer, desired, force, live.get(consumer.serviceArn), recordOf.get(consumer.serviceArn));
      if ('work' in checked) work.push(checked);
      else if ('until' in checked) steps.push({ consumer, until: checked.until });
      else steps.push({ report: checked });
    }
    const released = await this.rollout.waves(work, records, all);
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
    const retry = this.rollout.failedBeforeResume(record);
    const decision = this.redeployer.decide(record, desired.versions, retry);
    if (decision.action === 'up-to-date') {
      return this.report(consumer, 'skipped', `up to date: runs ${describeRecord(record)}`, { desired: desired.versions, record });
    }
    if (decision.action === 'busy') return { until: decision.until };
    return { due: desired.versions, force: retry };
  }

  /**
   * First records, judged from evidence, for the consumers met without one (`live`: their state
   * as ECS shows it; one ECS does not show is left to its live check), recorded except in a dry run.
   */
  private firstSight(consumers: Consumer[], live: Map<string, ServiceSnapshot>): Promise<Map<string, LedgerRecord>> {
    const sightings = consumers
      .filter((c) => live.has(c.serviceArn))
      .map((c) => ({ serviceArn: c.serviceArn, references: c.references, service: live.get(c.serviceArn) }));
    return firstSightRecords(this.ports, this.secret, sightings, () => this.redeployer.stamp(), { record: !this.options.dryRun });
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
    // The index is behind when the service is gone or on another task definition: repaired from what ECS shows.
    const gone = !service || service.status === 'INACTIVE';
    const repaired =
      gone || service.taskDefinition !== consumer.taskDefinition
        ? await repairServiceIndex(this.ports, consumer.serviceArn, service, this.options)
        : undefined;
    if (gone) return this.report(consumer, 'skipped', 'service no longer exists');
    let current = consumer;
    let desired = due;
    if (repaired) {
      // Judge the task definition the next deployment starts.
      const references = await referencesTo(repaired, this.secret, (ref) => this.ports.secrets.resolve(ref));
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
    this.rollout.waveOfService.set(service.serviceArn, wave);
    const decision = this.options.useLedger ? this.redeployer.decide(record, desired, force) : { action: 'claim' as const };
    const others = current.otherSecrets ? { otherSecrets: current.otherSecrets } : {};
    return { consumer: current, work: { secretArn: this.secret.arn, service, desired, record, decision, force, ...others }, wave };
  }

  private async execute(work: Work, wave: number): Promise<WorkResult> {
    if (this.options.dryRun) {
      const runs = work.record ? `runs ${describeRecord(work.record)}` : 'what it runs is unknown (no ledger record)';
      return { outcome: 'would-redeploy', reason: `${runs}; current is ${this.versionsText(work.desired)}` };
    }
    if (!this.options.useLedger) return this.redeployer.redeployUnguarded(work.service);
    return this.redeployer.redeploy(work, { key: this.rollout.key, wave });
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
    const wave = this.rollout.waveOfService.get(consumer.serviceArn);
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
