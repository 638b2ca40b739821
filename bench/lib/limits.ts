/**
 * What the counted calls would cost in time under the ECS API's throttling, which the emulator
 * does not enforce. ECS throttles each API action per account and Region with a token bucket: the
 * bucket holds `burst` tokens (the burst rate) and refills at `refill` tokens per second (the
 * sustained rate); each call takes one token. Sources and which values are assumed:
 * docs/benchmarks.md.
 */
import { loadConfig } from '../../functions/config';
import type { Counts } from '../../test/kit/call-counter';

export interface Bucket {
  burst: number;
  /** Tokens per second. */
  refill: number;
  /** `documented`: the figure quoted from the ECS documentation; `assumed`: no figure found, same as the other read actions. */
  source: 'documented' | 'assumed';
}

/** ECS token buckets per action (default quotas, per account and Region). */
export const ECS_BUCKETS: Record<string, Bucket> = {
  UpdateService: { burst: 50, refill: 5, source: 'documented' },
  DescribeTaskDefinition: { burst: 50, refill: 20, source: 'documented' },
  DescribeServices: { burst: 100, refill: 20, source: 'documented' },
  ListServices: { burst: 100, refill: 20, source: 'documented' },
  ListClusters: { burst: 50, refill: 20, source: 'documented' },
  ListTasks: { burst: 100, refill: 20, source: 'assumed' },
  DescribeTasks: { burst: 100, refill: 20, source: 'assumed' },
};

/**
 * The tool's own UpdateService bucket as shipped (UPDATE_SERVICE_BURST, UPDATE_SERVICE_RATE): it
 * is slower than ECS's, so it sets the pace. The benchmark lifts it against moto (its waits are
 * projected here, not slept) and projects both.
 */
const shipped = loadConfig({});
export const OUR_UPDATE_SERVICE = { burst: shipped.updateBurst, refill: shipped.updateRate };

/** The projected cost of a run under the ECS limits. */
export interface Projection {
  /** Seconds spent waiting for tokens, per ECS action (0 while a run stays within the burst). */
  waitByAction: Map<string, number>;
  /** Sum over actions: the run's phases call one action after another, each starting from a full bucket. */
  seconds: number;
  /** The action that waits longest, or `-` when nothing waits. */
  dominant: string;
  /** ECS actions called that have no bucket above (their calls are not projected). */
  unknown: string[];
}

/**
 * The token-bucket floor of a run: an action called n times from a full bucket can finish no
 * sooner than (n - burst) / refill seconds after it starts (UpdateService: through ECS's bucket
 * and, with `ownBucket`, the tool's own, whichever is slower). Non-ECS calls (Secrets Manager
 * DescribeSecret, DynamoDB, EventBridge) are treated as not limiting.
 */
export function project(counts: Counts, isEcs: (operation: string) => boolean, ownBucket = true): Projection {
  const waitByAction = new Map<string, number>();
  const unknown: string[] = [];
  let seconds = 0;
  let dominant = '-';
  let longest = 0;
  for (const [operation, n] of counts) {
    if (!isEcs(operation)) continue;
    const bucket = ECS_BUCKETS[operation];
    if (!bucket) {
      unknown.push(operation);
      continue;
    }
    const own = ownBucket && operation === 'UpdateService' ? Math.max(0, (n - OUR_UPDATE_SERVICE.burst) / OUR_UPDATE_SERVICE.refill) : 0;
    const wait = Math.max(0, (n - bucket.burst) / bucket.refill, own);
    waitByAction.set(operation, wait);
    seconds += wait;
    if (wait > longest) {
      longest = wait;
      dominant = operation;
    }
  }
  return { waitByAction, seconds, dominant, unknown };
}
