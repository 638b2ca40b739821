import type { Wakeup } from '../../../functions/domain/decode/wakeup-request';
import type { Wakeups } from '../../../functions/ports/wakeups';

/**
 * Wakeups in memory, as Scheduler holds one-time schedules: each name is taken until the wakeup
 * is taken out to run (`due`), as a schedule is until it fired and deleted itself; asking again
 * under a taken name is `exists`.
 */
export class RecordingWakeups implements Wakeups {
  /** Every wakeup created, in order, including those already taken out. */
  readonly created: Wakeup[] = [];
  private readonly waiting = new Map<string, Wakeup>();
  /** Set to make every call fail (a permission missing). */
  failWith?: Error;

  async schedule(wakeup: Wakeup): Promise<'created' | 'exists'> {
    if (this.failWith) throw this.failWith;
    if (this.waiting.has(wakeup.name)) return 'exists';
    this.waiting.set(wakeup.name, wakeup);
    this.created.push(wakeup);
    return 'created';
  }

  /** Takes out the wakeups due by `now` (epoch ms), as Scheduler fires and deletes them. */
  due(now: number): Wakeup[] {
    const due = [...this.waiting.values()].filter((w) => Date.parse(w.at) <= now);
    for (const wakeup of due) this.waiting.delete(wakeup.name);
    return due.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  }

  /** When the next wakeup waiting fires, if any. */
  nextAt(): number | undefined {
    const times = [...this.waiting.values()].map((w) => Date.parse(w.at));
    return times.length === 0 ? undefined : Math.min(...times);
  }
}
