import { randomUUID } from 'node:crypto';
import { errorLine, GroupBusyError, OutcomeUnknownError, ThrottledError } from '../domain/errors';
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
import { type DeployCall, deployCall, type Sent } from './deploy-call';
import { DeploymentGroups } from './deployment-groups';
import { type DescribeOnce, describeOnce, type OtherSecrets, readOtherSecrets, settleOtherSecrets } from './settle';
import { UpdatePacer } from './update-pacer';

/**
 * How one redeploy ended. `busy`: another run holds the claim; `deferred`: left for a new run;
 * `group-busy`: CodeDeploy refused it, the group running another deployment (nothing was created).
 */
export type RedeployResult =
  | { outcome: 'redeployed'; reason: string; deploymentId?: string }
  | { outcome: 'skipped'; reason: string }
  | { outcome: 'failed'; reason: string }
  | { outcome: 'busy'; until: string }
  | { outcome: 'deferred'; reason: string }
  | { outcome: 'group-busy'; reason: string };

/** Attempts of the deploy call for one service before the run gives up on it (throttling aside). */
const MAX_UNKNOWN_OUTCOMES = 3;
/**
 * Throttled attempts in a row before a run gives up on a service. The backing off also ends
 * before the claim's lease does (another run could take the service over past it) and, in a
 * Lambda run, before its deadline (the service goes to its continuation).
 */
const MAX_THROTTLED = 10;
/** Longest pause after ECS throttled us. */
const MAX_BACKOFF_MS = 30_000;
/** A pause must end this long before the claim's lease does, so that no other run can take the service over mid-attempt. */
const LEASE_MARGIN_MS = 5_000;
/** Decisions about one record (each after a write that lost to another run's) before the run gives up on it. */
const MAX_ROUNDS = 5;

/**
 * One run's redeploys: its claim token, its UpdateService bucket, its deadline. Every service is
 * claimed in the ledger (two-phase: a claim with a lease, then done with the deployment id)
 * and its deploy call (UpdateService, or CodeDeploy's CreateDeployment for a CODE_DEPLOY
 * service: see deploy-call.ts) is sent once per attempt: after a lost answer the deployments are
 * checked before anything is sent again, and nothing is recorded done before the call was applied.
 * CreateDeployment takes its token from the same bucket: CodeDeploy starts the task set through ECS.
 */
export class Redeployer {
  readonly token = randomUUID();
  /** States of other secrets this run reads are at least this recent. */
  private readonly startedAt: Date;
  /** The states of the other secrets of the services this run redeploys, each read once. */
  private readonly describeOther: DescribeOnce;
  private writes = 0;
  private readonly pacer: UpdatePacer;
  /** The CodeDeploy deployment groups of this run's CODE_DEPLOY services, read once. */
  readonly groups: DeploymentGroups;

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
    this.groups = new DeploymentGroups(ports);
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
    const call = deployCall(this.ports, work, secretArn);
    let claim: Claimed;
    try {
      claim = await this.claim(work, secretArn, call);
    } catch (error) {
      return {
        outcome: 'failed',
        reason: `the ledger could not be written (${errorLine(error)}); nothing was sent, the next run tries again`,
      };
    }
    return claim.kind === 'claimed' ? this.deploy(work, claim.record, call, others) : claim.result;
  }

  /**
   * The record claimed for this run, or how the redeploy ended without sending anything. A
   * record another run wrote meanwhile comes back from the write that lost to it, and is
   * decided again.
   */
  private async claim(work: Redeploy, secretArn: string, call: DeployCall): Promise<Claimed> {
    let { record, decision } = work;
    // One UpdateService token per service, not per claim write: a round lost to another run's write sends nothing.
    let paced = false;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      if (decision.action === 'up-to-date')
        return ended({ outcome: 'skipped', reason: `redeployed meanwhile by another run (${describeRecord(record)})` });
      if (decision.action === 'busy') return ended({ outcome: 'busy', until: decision.until });
      if (decision.action === 'mine' && record?.state === 'claimed') return { kind: 'claimed', record };
      // The claimer died or lost its answers: a deployment created since its claim is the one it made.
      let created: string | undefined;
      if (decision.action === 'recover' && record?.state === 'claimed') {
        try {
          created = await call.createdSince(decision.claim, false);
        } catch (error) {
          return ended({
            outcome: 'failed',
            reason: `could not look for the deployment of an interrupted claim (${errorLine(error)}); nothing was sent, the next run looks again`,
          });
        }
      }
      let written: Written<LedgerRecord>;
      if (created && record?.state === 'claimed') {
        const recovered = done(record, 'recovered', created, this.stamp(), work.slot ?? record.claim.slot, call.recorded);
        written = await this.commit(recovered, record.rev);
        if (written.written)
          return ended({
            outcome: 'redeployed',
            deploymentId: created,
            reason: `deployment ${created} was created after an interrupted claim: recorded, not sent again`,
          });
      } else {
        if (!paced && !(await this.pacer.takeToken())) return ended(DEADLINE);
        paced = true;
        const next = claimed(
          record,
          { secretArn, serviceArn: work.service.serviceArn },
          {
            token: this.token,
            target: work.desired,
            ...(call.prior ? { priorDeploymentId: call.prior } : {}),
            ...(work.slot ? { slot: work.slot } : {}),
          },
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
  async redeployUnguarded(work: Redeploy, secretArn: string): Promise<RedeployResult> {
    const call = deployCall(this.ports, work, secretArn);
    if (!(await this.pacer.takeToken())) return DEADLINE;
    try {
      const { deploymentId } = await call.send();
      return {
        outcome: 'redeployed',
        reason: `no ledger: redeployed without the exactly-once guard${call.through()}`,
        ...(deploymentId ? { deploymentId } : {}),
      };
    } catch (error) {
      if (error instanceof GroupBusyError)
        return { outcome: 'group-busy', reason: `${errorLine(error)}: not sent, try again once it ends` };
      return { outcome: 'failed', reason: `${call.operation} failed: ${errorLine(error)}` };
    }
  }

  /**
   * The deploy call for a claimed record, then the record done; the claim released when the call
   * was refused. `others` were read before: the new deployment's tasks read those versions, or newer.
   */
  private async deploy(
    work: Redeploy,
    pending: ClaimedRecord,
    call: DeployCall,
    others: OtherSecrets | undefined,
  ): Promise<RedeployResult> {
    const { service } = work;
    const { operation, by } = call;
    const slot = work.slot ?? pending.claim.slot;
    const settle = (deploymentId: string | undefined) =>
      settleOtherSecrets(this.ports, service.serviceArn, others, deploymentId, () => this.stamp(), call.recorded.codeDeploy);
    let unknown = 0;
    let throttled = 0;
    for (;;) {
      let sent: Sent;
      try {
        sent = await call.send();
      } catch (error) {
        if (error instanceof ThrottledError) {
          this.pacer.throttled();
          throttled += 1;
          if (throttled >= MAX_THROTTLED) {
            const why = `${by} throttled ${operation} ${throttled} times`;
            return this.stop(pending, unknown, call, why, { outcome: 'failed', reason: `${why}; it stays due for the next run` });
          }
          const pause = Math.min(MAX_BACKOFF_MS, 500 * 2 ** throttled) * (0.5 + Math.random() / 2);
          const now = this.ports.clock.now().getTime();
          if (!canStart(this.deadline, now, pause)) {
            const why = `${by} throttled ${operation} until this run's deadline`;
            return this.stop(pending, unknown, call, why, {
              outcome: 'deferred',
              reason: `${by} throttled ${operation}; a new run continues`,
            });
          }
          // Past the claim's lease another run may take the service over and send: this one must not send too.
          if (now + pause + LEASE_MARGIN_MS >= Date.parse(pending.claim.leaseUntil)) {
            const why = `${by} throttled ${operation} until the claim's lease ends`;
            return this.stop(pending, unknown, call, why, { outcome: 'failed', reason: `${why}; it stays due for the next run` });
          }
          await this.ports.clock.sleep(pause);
          continue;
        }
        if (error instanceof GroupBusyError) {
          // Nothing was created by this call: the service stays due, and goes once the group's deployment ended.
          return this.stop(pending, unknown, call, errorLine(error), {
            outcome: 'group-busy',
            reason: `${errorLine(error)}: redeployed once it ends`,
          });
        }
        if (error instanceof OutcomeUnknownError) {
          unknown += 1;
          let created: string | undefined;
          try {
            created = await call.createdSince(pending.claim, true);
          } catch (check) {
            // Never sent again unseen: after the claim's lease, the next run looks before sending anything.
            return {
              outcome: 'failed',
              reason: `${errorLine(error)}; the deployments could not be checked (${errorLine(check)}); checked again once the claim's lease ends`,
            };
          }
          if (created) {
            const result = await this.recordDone(
              pending,
              'recovered',
              created,
              slot,
              `${operation}'s answer was lost; ${by} shows deployment ${created}: recorded, not sent again${call.through()}`,
              call,
            );
            await settle(created);
            return result;
          }
          if (unknown >= MAX_UNKNOWN_OUTCOMES) {
            // Leave the claim: after its lease, the next run looks again before sending anything.
            return { outcome: 'failed', reason: `${errorLine(error)}; no new deployment seen; checked again once the claim's lease ends` };
          }
          continue;
        }
        return this.stop(pending, unknown, call, errorLine(error), {
          outcome: 'failed',
          reason: `${operation} failed: ${errorLine(error)}`,
        });
      }
      const target = describeVersions(pending.claim.target, kindOf(pending.secretArn));
      const reason = `runs ${target} from now on${call.through()}`;
      const result = await this.recordDone(pending, 'redeploy', sent.deploymentId, slot, reason, call, sent.serviceDeploymentArn);
      await settle(sent.deploymentId);
      return result;
    }
  }

  private async recordDone(
    pending: ClaimedRecord,
    via: 'redeploy' | 'recovered',
    deploymentId: string | undefined,
    slot: Slot | undefined,
    reason: string,
    call: DeployCall,
    serviceDeploymentArn?: string,
  ): Promise<RedeployResult> {
    const result: RedeployResult = { outcome: 'redeployed', reason, ...(deploymentId ? { deploymentId } : {}) };
    const found = { ...call.recorded, ...(serviceDeploymentArn ? { serviceDeploymentArn } : {}) };
    try {
      if ((await this.commit(done(pending, via, deploymentId, this.stamp(), slot, found), pending.rev)).written) return result;
      return { ...result, reason: `${reason} (the ledger changed meanwhile: the next run checks the deployment)` };
    } catch (error) {
      // The deployment exists; the claim stays pending and the next run finds the deployment.
      return { ...result, reason: `${reason} (not recorded yet: ${errorLine(error)}; the next run records it)` };
    }
  }

  /**
   * Ends the attempts on a claimed record without a deployment: the claim released when no call
   * can have been applied, so the service stays due; kept after a lost answer, since the call that
   * got none may have been applied (a busy group may be busy with it): once the lease ends, the
   * next run looks for its deployment before sending anything.
   */
  private async stop(
    pending: ClaimedRecord,
    unknown: number,
    call: DeployCall,
    why: string,
    result: RedeployResult,
  ): Promise<RedeployResult> {
    if (unknown > 0)
      return { outcome: 'failed', reason: `${why}, after ${call.operation}'s answer was lost; checked again once the claim's lease ends` };
    try {
      await this.commit(released(pending, why, this.stamp()), pending.rev);
    } catch (error) {
      // The claim then expires by its lease: the service waits that long, nothing is lost.
      this.ports.log.warn('claim not released', { service: pending.serviceArn, error: errorLine(error) });
    }
    return result;
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
