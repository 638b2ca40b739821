import { canStart, type Deadline } from '../domain/rollout/deadline';
import {
  admissible,
  type BucketState,
  drained,
  fullBucket,
  leanest,
  type RateSettings,
  reserve,
  type SharedBucket,
} from '../domain/rollout/rate-limiter';
import type { Ports } from '../ports/ports';

/**
 * A run's UpdateService pace: a token bucket at the configured rate, within the run's deadline.
 * It starts from the leaner of the bucket a continuation carried and the one this process's runs
 * share (a Lambda container's), full only when neither is known, and keeps the shared one up to
 * date with every token it takes: a run started by another event (a rotation emits up to five)
 * or by the schedule does not burst again on top of a chain of continuations still at work, so
 * the configured rate stays the function's whole rate.
 */
export class UpdatePacer {
  private bucket: BucketState;
  private readonly rate: RateSettings;

  constructor(
    private readonly ports: Ports,
    private readonly deadline: Deadline,
    bucket: BucketState | undefined,
    private readonly shared?: SharedBucket,
  ) {
    this.rate = { perSecond: ports.config.updateRate, burst: ports.config.updateBurst };
    // The bucket a continuation carried came from outside this process: bounded before it counts.
    const handed = bucket && admissible(bucket, this.rate, this.nowMs());
    this.bucket = leanest([handed, shared?.state], this.rate, this.nowMs()) ?? fullBucket(this.rate, this.nowMs());
    this.keep(this.bucket);
  }

  /** The bucket as this run leaves it, for a continuation. */
  bucketState(): BucketState {
    return this.bucket;
  }

  /** ECS throttled UpdateService: the account's bucket is empty, whatever ours said. */
  throttled(): void {
    this.keep(drained(this.bucket, this.rate, this.nowMs()));
  }

  /** Waits for a rate token; false (and no token taken) when the wait would pass the deadline. */
  async takeToken(): Promise<boolean> {
    const now = this.nowMs();
    if (!canStart(this.deadline, now)) return false;
    const { state, waitMs } = reserve(this.bucket, this.rate, now);
    if (!canStart(this.deadline, now, waitMs)) return false;
    this.keep(state);
    if (waitMs > 0) await this.ports.clock.sleep(waitMs);
    return true;
  }

  private keep(state: BucketState): void {
    this.bucket = state;
    if (this.shared) this.shared.state = state;
  }

  private nowMs(): number {
    return this.ports.clock.now().getTime();
  }
}
