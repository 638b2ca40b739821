import { randomUUID } from 'node:crypto';
import { errorLine, OutcomeUnknownError, ThrottledError } from '../domain/errors';
import { primaryDeploymentId, type ServiceSnapshot } from '../domain/inventory/service';
import {
  type ClaimedRecord,
  claimed,
  decideClaim,
  describeRecord,
  describeVersions,
  done,
  kindOf,
  type LedgerRecord,
  released,
  type Slot,
  type Stamp,
} from '../domain/ledger/record';
import type { Redeploy } from '../domain/plan/reconcile-plan';
import { canStart, type Deadline } from '../domain/rollout/deadline';
import type { BucketState, SharedBucket } from '../domain/rollout/rate-limiter';
import type { Written } from '../ports/ledger';
import type { Ports } from '../ports/ports';
import { commitRecord } from './compare-and-set';
import { type DescribeOnce, describeOnce, type OtherSecrets, readOtherSecrets, settleOtherSecrets } from './settle';
import { UpdatePacer } from './update-pacer';

/** How one redeploy ended. `busy`: another run holds the claim; `deferred`: left for a new run. */
export type RedeployResult =
  | { outcome: 'redeployed'; reason: string; deploymentId?: string }
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
/** Decisions about one record (each after a write that lost to another run's) before the run gives up on it. */
const MAX_ROUNDS = 5;

/**
 * One run's redeploys: its claim token, its UpdateService bucket, its deadline. Every service is
 * claimed in the ledger (two-phase: a claim with a lease, then done with the deployment id)
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

  /**
   * Before any of these services' UpdateService is sent: the stages of their other secrets, and
   * their records of them (see settleOtherSecrets), by service ARN.
   */
  readOthers(secretArn: string, redeploys: Redeploy[]): Promise<Map<string, OtherSecrets>> {
    const services = redeploys.map((r) => ({
      serviceArn: r.service.serviceArn,
      ...(r.consumer.otherSecrets ? { otherSecrets: r.consumer.otherSecrets } : {}),
    }));
    return readOtherSecrets(this.ports, secretArn, services, this.describeOther, this.startedAt);
  }

  /**
   * Redeploys one due service, exactly once however the calls around it fail; the record then
   * names the rollout and wave it was redeployed in.
   */
  async redeploy(work: Redeploy, secretArn: string, others?: OtherSecrets): Promise<RedeployResult> {
    let claim: Claimed;
    try {
      claim = await this.claim(work, secretArn);
    } catch (error) {
      return {
        outcome: 'failed',
        reason: `the ledger could not be written (${errorLine(error)}); nothing was sent, the next run tries again`,
      };
    }
    return claim.kind === 'claimed' ? this.deploy(work, claim.record, others) : claim.result;
  }

  /**
   * The record claimed for this run, or how the redeploy ended without sending anything. A
   * record another run wrote meanwhile comes back from the write that lost to it, and is
   * decided again.
   */
  private async claim(work: Redeploy, secretArn: string): Promise<Claimed> {
    let { record, decision } = work;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      if (decision.action === 'up-to-date')
        return ended({ outcome: 'skipped', reason: `redeployed meanwhile by another run (${describeRecord(record)})` });
      if (decision.action === 'busy') return ended({ outcome: 'busy', until: decision.until });
      if (decision.action === 'mine' && record?.state === 'claimed') return { kind: 'claimed', record };
      // The claimer died or lost its answers: a deployment created since its claim is the one it made.
      const primary = primaryDeploymentId(work.service);
      let written: Written<LedgerRecord>;
      if (decision.action === 'recover' && record?.state === 'claimed' && primary && primary !== decision.claim.priorDeploymentId) {
        written = await this.commit(done(record, 'recovered', primary, this.stamp(), work.slot ?? record.claim.slot), record.rev);
        if (written.written)
          return ended({
            outcome: 'redeployed',
            deploymentId: primary,
            reason: `deployment ${primary} was created after an interrupted claim: recorded, not sent again`,
          });
      } else {
        if (!(await this.pacer.takeToken())) return ended(DEADLINE);
        const next = claimed(
          record,
          { secretArn, serviceArn: work.service.serviceArn },
          { token: this.token, target: work.desired, ...priorOf(work.service), ...(work.slot ? { slot: work.slot } : {}) },
          this.ports.config.claimLeaseSeconds,
          this.stamp(),
        );
        written = await this.commit(next, record?.rev);
        if (written.written) return { kind: 'claimed', record: next };
      }
      record = written.stored;
      decision = decideClaim(record, work.desired, this.ports.clock.now(), this.token, work.force);
    }
    return ended({ outcome: 'failed', reason: 'the ledger record kept changing under this run; the next run tries again' });
  }

  /** Redeploys without a ledger (`--no-ledger`): no exactly-once guard, every attempt is sent. */
  async redeployUnguarded(service: ServiceSnapshot): Promise<RedeployResult> {
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

  /**
   * UpdateService for a claimed record, then the record done; the claim released when ECS
   * refused. `others` were read before: the new deployment's tasks read those versions, or newer.
   */
  private async deploy(work: Redeploy, pending: ClaimedRecord, others: OtherSecrets | undefined): Promise<RedeployResult> {
    const { service } = work;
    const prior = pending.claim.priorDeploymentId;
    const slot = work.slot ?? pending.claim.slot;
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
      const target = describeVersions(pending.claim.target, kindOf(pending.secretArn));
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
    pending: ClaimedRecord,
    via: 'redeploy' | 'recovered',
    deploymentId: string | undefined,
    slot: Slot | undefined,
    reason: string,
    serviceDeploymentArn?: string,
  ): Promise<RedeployResult> {
    const result: RedeployResult = { outcome: 'redeployed', reason, ...(deploymentId ? { deploymentId } : {}) };
    try {
      if ((await this.commit(done(pending, via, deploymentId, this.stamp(), slot, serviceDeploymentArn), pending.rev)).written)
        return result;
      return { ...result, reason: `${reason} (the ledger changed meanwhile: the next run checks the deployment)` };
    } catch (error) {
      // The deployment exists; the claim stays pending and the next run finds the deployment.
      return { ...result, reason: `${reason} (not recorded yet: ${errorLine(error)}; the next run records it)` };
    }
  }

  /** Drops the claim: UpdateService is known not to have been applied (a failure only leaves it to expire). */
  private async release(pending: ClaimedRecord, why: string): Promise<void> {
    await this.commit(released(pending, why, this.stamp()), pending.rev).catch(() => undefined);
  }

  /** A stamp for a record this run writes. */
  stamp(): Stamp {
    this.writes += 1;
    return { now: this.ports.clock.now(), writeId: `${this.token}/${this.writes}` };
  }

  private commit(next: LedgerRecord, expectedRev: number | undefined): Promise<Written<LedgerRecord>> {
    return commitRecord(this.ports.ledger, next, expectedRev);
  }
}

/** What claiming came to: the record claimed for this run, or the redeploy ended without a call. */
type Claimed = { kind: 'claimed'; record: ClaimedRecord } | { kind: 'ended'; result: RedeployResult };

function ended(result: RedeployResult): Claimed {
  return { kind: 'ended', result };
}

/** Nothing was claimed: the run reached its deadline first. */
const DEADLINE: RedeployResult = { outcome: 'deferred', reason: 'this run reached its deadline; a new run continues' };

function priorOf(service: ServiceSnapshot): { priorDeploymentId?: string } {
  const id = primaryDeploymentId(service);
  return id ? { priorDeploymentId: id } : {};
}
