import type { ContinuationRequest } from '../../../functions/domain/decode/run-request';
import type { OneTimeSchedules } from '../../../functions/ports/one-time-schedules';

/** A later run asked for, as Scheduler would hold it until it runs (then deletes it). */
export interface AskedRun {
  name: string;
  at: Date;
  request: ContinuationRequest;
}

/**
 * One-time schedules in memory: each name is taken until the run is taken out (`due`), as a
 * schedule is until it ran and deleted itself; asking again under a taken name is `exists`.
 */
export class RecordingSchedules implements OneTimeSchedules {
  /** Every run asked for, in order, including those already taken out. */
  readonly asked: AskedRun[] = [];
  private readonly waiting = new Map<string, AskedRun>();
  /** Set to make every call fail (a permission missing). */
  failWith?: Error;

  async runAt(name: string, at: Date, request: ContinuationRequest): Promise<'scheduled' | 'exists'> {
    if (this.failWith) throw this.failWith;
    if (this.waiting.has(name)) return 'exists';
    const run = { name, at, request };
    this.waiting.set(name, run);
    this.asked.push(run);
    return 'scheduled';
  }

  /** Takes out the runs due by `now`, as Scheduler runs and deletes them. */
  due(now: number): AskedRun[] {
    const due = [...this.waiting.values()].filter((r) => r.at.getTime() <= now);
    for (const run of due) this.waiting.delete(run.name);
    return due.sort((a, b) => a.at.getTime() - b.at.getTime());
  }

  /** When the next run waiting is due, if any. */
  nextAt(): number | undefined {
    const times = [...this.waiting.values()].map((r) => r.at.getTime());
    return times.length === 0 ? undefined : Math.min(...times);
  }
}
