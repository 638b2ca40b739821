import type { Clock } from '../../../functions/ports/clock';

/**
 * A virtual clock: `sleep` registers a timer, and once every task is idle (all waiting on timers:
 * the fakes answer through microtasks) time jumps to the earliest timer. Concurrent sleepers
 * wait in parallel, as they would in real time, so rate limits and deadlines can be simulated
 * for hours in milliseconds.
 */
export class VirtualClock implements Clock {
  private timers: Array<{ at: number; resolve: () => void }> = [];
  private pumping = false;

  constructor(private ms = Date.parse('2026-11-23T10:00:00Z')) {}

  now(): Date {
    return new Date(this.ms);
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.timers.push({ at: this.ms + Math.max(0, ms), resolve });
      this.pump();
    });
  }

  /** Moves time on by hand (a lease running out between two runs). */
  advance(ms: number): void {
    this.ms += ms;
  }

  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    // setImmediate runs after every pending microtask: everyone who will sleep now has registered.
    setImmediate(() => {
      this.pumping = false;
      if (this.timers.length === 0) return;
      const at = Math.min(...this.timers.map((t) => t.at));
      this.ms = Math.max(this.ms, at);
      const due = this.timers.filter((t) => t.at <= this.ms);
      this.timers = this.timers.filter((t) => t.at > this.ms);
      for (const t of due) t.resolve();
      if (this.timers.length > 0) this.pump();
    });
  }
}
