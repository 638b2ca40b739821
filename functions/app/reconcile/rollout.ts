import { randomUUID } from 'node:crypto';
import type { Trigger } from '../../domain/decode/events';
import { lastPathSegment, locationOf } from '../../domain/identity/arn';
import { deploymentChanged, type LedgerRecord, type SecretRecord, versionsOfKey } from '../../domain/ledger/record';
import type { SecretState } from '../../domain/plan/secret-state';
import { secretIdentity } from '../../domain/report/report';
import {
  type DeploymentState,
  decideWaves,
  type Member,
  polledDeployment,
  type Rollout,
  type WaveDecision,
} from '../../domain/rollout/waves';
import type { Notification } from '../../ports/notifier';
import type { Ports } from '../../ports/ports';
import { rolloutCompleted, rolloutHalted } from '../notifications';
import type { Redeployer, Work } from '../redeploy';
import { type Consumer, describeLive } from './consumers';
import type { ReconcileOptions } from './options';

/** The rollout one reconcile works on: its waves, its record in the ledger, its transitions. */
export class RunRollout {
  /** Services a scheduled run found behind, that no run had claimed nor any rollout was taking care of. */
  readonly drift: string[] = [];
  /** The rollout of `key` as the ledger records it (none until its first wave goes). */
  rollout?: Rollout;
  /** The versions rolled out (see versionKey). */
  key = '';
  readonly transitions: Notification[] = [];
  readonly waveOfService = new Map<string, number>();

  constructor(
    private readonly ports: Ports,
    private readonly secret: SecretState,
    private readonly trigger: Trigger,
    private readonly options: ReconcileOptions,
    private readonly redeployer: Redeployer,
    private secretRecord: SecretRecord | undefined,
  ) {}

  /** The rollout of these versions (their key): the one recorded, if it is theirs. */
  begin(key: string): void {
    this.key = key;
    const current = this.secretRecord?.rollout;
    this.rollout = current?.key === this.key ? current : undefined;
  }

  /** A deployment of this rollout that failed before `resume`: it is made again. */
  failedBeforeResume(record: LedgerRecord): boolean {
    const resumedAt = this.rollout?.resumedAt;
    return (
      resumedAt !== undefined &&
      record.rollout === this.key &&
      record.deployment?.state === 'FAILED' &&
      Date.parse(record.deployment.at) <= Date.parse(resumedAt)
    );
  }

  /**
   * The waves: which due services go now, which wait and why; the rollout halted or completed
   * when the deployments of its members say so. Without a ledger there are no waves.
   */
  async waves(
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
    const common = { secret: secretIdentity(this.secret), versions: versionsOfKey(this.key), rollout: this.key };
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
    const live = await describeLive(
      this.ports,
      inFlight.map((r) => ({ serviceArn: r.serviceArn, clusterArn: clusterOf.get(r.serviceArn) ?? '' })),
    );
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

  /** True when the secret lives in another region than this deployment's (known only when the region is configured). */
  private inAnotherRegion(): boolean {
    const home = this.ports.config.region;
    const region = locationOf(this.secret.arn)?.region;
    return home !== undefined && region !== undefined && region !== home;
  }
}
