import { randomUUID } from 'node:crypto';
import { errorLine, OutcomeUnknownError, ThrottledError } from '../domain/errors';
import { primaryDeploymentId, type ServiceSnapshot } from '../domain/inventory/service';
import {
  type ClaimDecision,
  claimed,
  decideClaim,
  describeRecord,
  describeVersions,
  done,
  kindOf,
  type LedgerRecord,
  type RolloutSlot,
  released,
  type Stamp,
  type Versions,
} from '../domain/ledger/record';
import { canStart, type Deadline } from '../domain/rollout/deadline';
import type { BucketState, SharedBucket } from '../domain/rollout/rate-limiter';
import type { Ports } from '../ports/ports';
import { commitRecord } from './commit-record';
import { type DescribeOnce, describeOnce, readOtherSecrets, settleOtherSecrets } from './settle';
import { UpdatePacer } from './update-pacer';

/** A service that is due and may be redeployed, with what the ledger said when it was read. */
export interface Work {
  secretArn: string;
  service: ServiceSnapshot;
  desired: Versions;
  record: LedgerRecord | undefined;
  decision: ClaimDecision;
  /** Redeploy even at the desired versions (a deployment that failed before `resume`). */
  force?: boolean;
  /** The service's other secrets, as indexed; undefined: looked up before UpdateService. */
  otherSecrets?: string[];
}

/** How one piece of work ended. `busy`: another run holds the claim; `deferred`: left for a new run. */
export type WorkResult =
  | { outcome: 'redeployed'; reason: string; deploymentId?: string }
  | { outcome: 'would-redeploy'; reason: string }
  | { outcome: 'skipped'; reason: string }
  | { outcome: 'failed'; reason: string }
  | { outcome: 'busy'; until: string }
  | { outcome: 'deferred'; reason: string };

/** Attempts of UpdateService for one service before the run gives up on it (throttling aside). */
const MAX_UNKNOWN_OUTCOMES = 3;
/**
 * Throttled attempts in a row before a run without a deadline near (the CLI) gives up on a
 * service: about two minutes of backing off. A Lambda run hands the service over to its
 * continuation when its deadline comes first.
 */
const MAX_THROTTLED = 10;
/** Longest pause after ECS throttled us. */
const MAX_BACKOFF_MS = 30_000;

/**
 * One run's redeploys: its claim token, its UpdateService bucket, its deadline. Every service is
 * claimed in the ledger (two-phase: `pending` with a lease, then `done` with the deployment id)
 * and UpdateService is sent once per attempt: after a lost answer the service's deployments are
 * checked before anything is sent again, and nothing is recorded done before ECS applied it.
 */
export class Redeployer {
  readonly token = randomUUID();
  /** States of other secrets this run reads are at least this recent. */
  private readonly startedAt: Date;
  /** The states of the other secrets of the services this run redeploys, each read once. */
  private readonly describeOther: DescribeOnce;
  private writes = 0;
  private readonly pacer: UpdatePacer;

  /** `bucket` is the one a continuation carried; `shared` the one this process's runs share (see UpdatePacer). */
  constructor(
    private readonly ports: Ports,
    private readonly deadline: Deadline,
    bucket: BucketState | undefined,
    private readonly force: boolean,
    shared?: SharedBucket,
  ) {
    this.startedAt = ports.clock.now();
    this.describeOther = describeOnce(ports, this.startedAt);
    this.pacer = new UpdatePacer(ports, deadline, bucket, shared);
  }

  /** The bucket as this run leaves it, for a continuation. */
  bucketState(): BucketState {
    return this.pacer.bucketState();
  }

  /** True while new work may still start. */
  canStart(): boolean {
    return canStart(this.deadline, this.ports.clock.now().getTime());
  }

  /** What the ledger says about a record now, for this run; `force` claims it even at the desired versions. */
  decide(record: LedgerRecord | undefined, desired: Versions, force = false): ClaimDecision {
    return decideClaim(record, desired, this.ports.clock.now(), this.token, this.force || force);
  }

  /**
   * Redeploys one due service, exactly once however the calls around it fail; the record then
   * names the rollout and wave it was redeployed in.
   */
  async redeploy(work: Work, rollout?: RolloutSlot): Promise<WorkResult> {
    let { record, decision } = work;
    for (let round = 0; round < 5; round++) {
      switch (decision.action) {
        case 'up-to-date':
          return { outcome: 'skipped', reason: `redeployed meanwhile by another run (${describeRecord(record)})` };
        case 'busy':
          return { outcome: 'busy', until: decision.until };
        case 'mine':
          return this.deploy(work, record as LedgerRecord, rollout);
        case 'recover': {
          // The claimer died or lost its answers: a deployment created since its claim is the one it made.
          const primary = primaryDeploymentId(work.service);
          if (record && primary && primary !== decision.claim.priorDeploymentId) {
            const next = done(record, 'recovered', primary, this.stamp(), rollout ?? decision.claim.rollout);
            if (await this.commit(next, record.rev)) {
              return {
                outcome: 'redeployed',
                deploymentId: primary,
                reason: `deployment ${primary} was created after an interrupted claim: recorded, not sent again`,
              };
            }
            break;
          }
          const claim = await this.claim(work, record, rollout);
          if (claim === 'deadline') return DEADLINE;
          if (claim !== 'conflict') return this.deploy(work, claim, rollout);
          break;
        }
        case 'claim': {
          const claim = await this.claim(work, record, rollout);
          if (claim === 'deadline') return DEADLINE;
          if (claim !== 'conflict') return this.deploy(work, claim, rollout);
          break;
        }
      }
      // Someone else wrote the record since it was read: read it again and decide again.
      record = await this.ports.ledger.read(work.secretArn, work.service.serviceArn);
      decision = this.decide(record, work.desired, work.force);
    }
    return { outcome: 'failed', reason: 'the ledger record kept changing under this run; the next run tries again' };
  }

  /** Redeploys without a ledger (`--no-ledger`): no exactly-once guard, every attempt is sent. */
  async redeployUnguarded(service: ServiceSnapshot): Promise<WorkResult> {
    if (!(await this.pacer.takeToken())) return DEADLINE;
    try {
      const { deploymentId } = await this.ports.ecs.forceNewDeployment(service);
      return {
        outcome: 'redeployed',
        reason: 'no ledger: redeployed without the exactly-once guard',
        ...(deploymentId ? { deploymentId } : {}),
      };
    } catch (error) {
      return { outcome: 'failed', reason: `UpdateService failed: ${errorLine(error)}` };
    }
  }

  /** Takes a rate token and writes the claim: the claimed record, or why not. */
  private async claim(
    work: Work,
    previous: LedgerRecord | undefined,
    rollout?: RolloutSlot,
  ): Promise<LedgerRecord | 'conflict' | 'deadline'> {
    if (!(await this.pacer.takeToken())) return 'deadline';
    const next = claimed(
      previous,
      { secretArn: work.secretArn, serviceArn: work.service.serviceArn },
      { token: this.token, target: work.desired, ...priorOf(work.service), ...(rollout ? { rollout } : {}) },
      this.ports.config.claimLeaseSeconds,
      this.stamp(),
    );
    return (await this.commit(next, previous?.rev)) ? next : 'conflict';
  }

  /** UpdateService for a claimed record, then the record done; the claim released when ECS refused. */
  private async deploy(work: Work, pending: LedgerRecord, rollout: RolloutSlot | undefined): Promise<WorkResult> {
    const { service } = work;
    const prior = pending.claim?.priorDeploymentId;
    const slot = rollout ?? pending.claim?.rollout;
    // Read before the call: the new deployment's tasks read these versions, or newer ones.
    const others = await readOtherSecrets(
      this.ports,
      service.serviceArn,
      pending.secretArn,
      work.otherSecrets,
      this.describeOther,
      this.startedAt,
    );
    const settle = (deploymentId: string | undefined) =>
      settleOtherSecrets(this.ports, service.serviceArn, others, deploymentId, () => this.stamp());
    let unknown = 0;
    let throttled = 0;
    for (;;) {
      let sent: { deploymentId?: string; serviceDeploymentArn?: string };
      try {
        sent = await this.ports.ecs.forceNewDeployment(service);
      } catch (error) {
        if (error instanceof ThrottledError) {
          this.pacer.throttled();
          throttled += 1;
          if (throttled >= MAX_THROTTLED) {
            await this.release(pending, `ECS throttled UpdateService ${throttled} times`);
            return { outcome: 'failed', reason: `ECS throttled UpdateService ${throttled} times; it stays due for the next run` };
          }
          const pause = Math.min(MAX_BACKOFF_MS, 500 * 2 ** throttled) * (0.5 + Math.random() / 2);
          if (!canStart(this.deadline, this.ports.clock.now().getTime(), pause)) {
            await this.release(pending, "ECS throttled UpdateService until this run's deadline");
            return { outcome: 'deferred', reason: 'ECS throttled UpdateService; a new run continues' };
          }
          await this.ports.clock.sleep(pause);
          continue;
        }
        if (error instanceof OutcomeUnknownError) {
          unknown += 1;
          const created = await this.deploymentSince(service, prior);
          if (created) {
            const result = await this.recordDone(
              pending,
              'recovered',
              created,
              slot,
              `UpdateService's answer was lost; ECS shows deployment ${created}: recorded, not sent again`,
            );
            await settle(created);
            return result;
          }
          if (unknown >= MAX_UNKNOWN_OUTCOMES) {
            // Leave the claim: after its lease, the next run asks ECS again before sending anything.
            return { outcome: 'failed', reason: `${errorLine(error)}; no new deployment seen; checked again once the claim's lease ends` };
          }
          continue;
        }
        await this.release(pending, errorLine(error));
        return { outcome: 'failed', reason: `UpdateService failed: ${errorLine(error)}` };
      }
      const target = describeVersions(pending.claim?.target ?? {}, kindOf(pending.secretArn));
      const result = await this.recordDone(
        pending,
        'redeploy',
        sent.deploymentId,
        slot,
        `runs ${target} from now on`,
        sent.serviceDeploymentArn,
      );
      await settle(sent.deploymentId);
      return result;
    }
  }

  /**
   * A deployment created after the claim, if ECS shows one now. Checked twice a moment apart: a
   * request whose answer was lost may still be applied just after.
   */
  private async deploymentSince(service: ServiceSnapshot, prior: string | undefined): Promise<string | undefined> {
    for (let look = 0; look < 2; look++) {
      if (look > 0) await this.ports.clock.sleep(1000);
      const [now] = await this.ports.ecs.describeServices(service.clusterArn, [service.serviceArn]);
      const primary = now && primaryDeploymentId(now);
      if (primary && primary !== prior) return primary;
    }
    return undefined;
  }

  private async recordDone(
    pending: LedgerRecord,
    via: 'redeploy' | 'recovered',
    deploymentId: string | undefined,
    rollout: RolloutSlot | undefined,
    reason: string,
    serviceDeploymentArn?: string,
  ): Promise<WorkResult> {
    const result: WorkResult = { outcome: 'redeployed', reason, ...(deploymentId ? { deploymentId } : {}) };
    try {
      if (await this.commit(done(pending, via, deploymentId, this.stamp(), rollout, serviceDeploymentArn), pending.rev)) return result;
      return { ...result, reason: `${reason} (the ledger changed meanwhile: the next run checks the deployment)` };
    } catch (error) {
      // The deployment exists; the claim stays pending and the next run finds the deployment.
      return { ...result, reason: `${reason} (not recorded yet: ${errorLine(error)}; the next run records it)` };
    }
  }

  private async release(pending: LedgerRecord, why: string): Promise<void> {
    await this.commit(released(pending, why, this.stamp()), pending.rev).catch(() => undefined);
  }

  /**
   * Records what this run learnt without redeploying (a baseline, a service with no task): a
   * conflict or a failure only means the next run looks again, so neither fails the run.
   */
  async note(next: LedgerRecord, expectedRev: number | undefined): Promise<void> {
    await this.commit(next, expectedRev).catch(() => undefined);
  }

  /** A stamp for a record this run writes. */
  stamp(): Stamp {
    this.writes += 1;
    return { now: this.ports.clock.now(), writeId: `${this.token}/${this.writes}` };
  }

  private commit(next: LedgerRecord, expectedRev: number | undefined): Promise<boolean> {
    return commitRecord(this.ports.ledger, next, expectedRev);
  }
}

/** Nothing was claimed: the run reached its deadline first. */
const DEADLINE: WorkResult = { outcome: 'deferred', reason: 'this run reached its deadline; a new run continues' };

function priorOf(service: ServiceSnapshot): { priorDeploymentId?: string } {
  const id = primaryDeploymentId(service);
  return id ? { priorDeploymentId: id } : {};
}
