/**
 * The reconciler function as deployed, on the fakes in virtual time: EventBridge delivers events
 * to it asynchronously, its reserved concurrency of 1 runs one invocation at a time (in one warm
 * container, whose UpdateService bucket its invocations share), and a run that reaches its
 * deadline continues in a new invocation through the same asynchronous queue.
 */
import { randomUUID } from 'node:crypto';
import { type EventOutcome, handleEvent } from '../../../functions/app/handle-event';
import type { RunContext } from '../../../functions/app/run-context';
import { continuationPayload } from '../../../functions/domain/decode/run-request';
import { wakeupPayload } from '../../../functions/domain/decode/wakeup-request';
import { deadlineIn } from '../../../functions/domain/rollout/deadline';
import type { FakeWorld } from './fake-world';

/**
 * A Lambda invocation of `seconds` starting now on the world's clock, with the stack's margin
 * (`deadlineMarginSeconds`, 10 s as deployed), in the world's warm container: its continuations
 * are kept, its UpdateService bucket is the container's.
 */
export function invocation(world: FakeWorld, seconds: number): RunContext {
  return {
    deadline: deadlineIn(world.clock.now().getTime(), seconds * 1000, world.ports.config.deadlineMarginSeconds * 1000),
    dryRun: false,
    // A new invocation each time (Lambda's request id).
    invocationId: randomUUID(),
    continuation: world.continuation,
    updateBucket: world.updateBucket,
  };
}

/** One invocation: what started it, what it returned, and when (virtual epoch ms). */
export interface Invocation {
  /** What the caller called the event, or `continuation (<kind>)`. */
  kind: string;
  outcome: EventOutcome;
  /** When the event was delivered, when the invocation started and ended. */
  at: number;
  start: number;
  end: number;
}

interface Pending {
  at: number;
  seq: number;
  kind: string;
  payload: unknown;
}

/** The reconciler's queue of deliveries: events, and the continuations its runs ask for. */
export class ReconcilerQueue {
  private pending: Pending[] = [];
  private seq = 0;
  readonly invocations: Invocation[] = [];

  constructor(
    private readonly world: FakeWorld,
    private readonly lambdaSeconds: number,
  ) {}

  /** Queues an event delivered at virtual time `at` (now when omitted). */
  deliver(kind: string, payload: unknown, at = this.world.clock.now().getTime()): void {
    this.pending.push({ at, seq: this.seq++, kind, payload });
  }

  /** The delivery time of the next event queued, if any. */
  nextAt(): number | undefined {
    return this.pending.length === 0 ? undefined : Math.min(...this.pending.map((p) => p.at));
  }

  /**
   * Runs the queued deliveries one invocation at a time, in delivery order, until none is due by
   * `until` (all of them when omitted). A continuation is delivered when the run that asked for
   * it ends, a wakeup of the world's at its time. Before each invocation `beforeEach` may change
   * the world at that time (a deployment ends) and queue more; `afterEach` hears of each
   * invocation that ended. When nothing is due, time jumps to the next delivery.
   */
  async run(
    options: { until?: number; beforeEach?: (now: number) => void; afterEach?: (done: Invocation) => void } = {},
  ): Promise<Invocation[]> {
    const ran: Invocation[] = [];
    for (;;) {
      options.beforeEach?.(this.world.clock.now().getTime());
      // A wakeup fires at its time, and keeps its name taken until then.
      for (const wakeup of this.world.wakeups.due(this.world.clock.now().getTime()))
        this.deliver(`wakeup (${wakeup.cause})`, wakeupPayload(wakeup), Date.parse(wakeup.at));
      const [queued, woken] = [this.nextAt(), this.world.wakeups.nextAt()];
      const next = queued === undefined ? woken : woken === undefined ? queued : Math.min(queued, woken);
      if (next === undefined || (options.until !== undefined && next > options.until)) return ran;
      const now = this.world.clock.now().getTime();
      if (next > now) {
        this.world.clock.advance(next - now);
        continue;
      }
      this.pending.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const item = this.pending.shift() as Pending;
      const start = this.world.clock.now().getTime();
      const outcome = await handleEvent(this.world.ports, item.payload, invocation(this.world, this.lambdaSeconds));
      const end = this.world.clock.now().getTime();
      const done = { kind: item.kind, outcome, at: item.at, start, end };
      this.invocations.push(done);
      ran.push(done);
      options.afterEach?.(done);
      for (const request of this.world.continuation.requests.splice(0))
        this.deliver(`continuation (${request.kind})`, continuationPayload(request), end);
    }
  }
}

/**
 * Runs an event, then every continuation it leads to, each as a new invocation of `seconds`
 * started as soon as the one before returned (their own latency aside).
 */
export async function runChain(world: FakeWorld, event: unknown, seconds: number): Promise<Invocation[]> {
  const queue = new ReconcilerQueue(world, seconds);
  queue.deliver('event', event);
  return queue.run();
}
