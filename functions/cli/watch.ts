import type { SecretStatus } from '../app/status';
import { WORDS, type WordEntry, wordSummary } from '../domain/report/vocabulary';
import { escapeControl } from '../domain/text';
import { EXIT } from './exit';

/** How `status --watch` refreshes and when it gives up. */
export interface WatchOptions {
  intervalMs: number;
  /** Stop after this long even if something may still change. */
  timeoutMs: number;
  /** Refreshes in a row with nothing in progress before the watch calls it idle (a change may not have been picked up yet). */
  idleRefreshes: number;
  /** The SECRET as given, to name it in what to run next. */
  secret: string;
}

/** Why a watch stopped: one line for the reader, and the exit code. */
export interface WatchEnd {
  reason: 'done' | 'halted' | 'failed' | 'idle' | 'timeout';
  line: string;
  code: number;
}

/** What the loop needs from outside: read, show, wait, and the time (injectable for tests). */
export interface WatchDeps {
  read(): Promise<SecretStatus>;
  show(status: SecretStatus, refreshedAt: Date): void;
  sleep(ms: number): Promise<void>;
  now(): number;
}

/** Refreshes until {@link watchEnd} says nothing more will change, then returns why. */
export async function watchStatus(deps: WatchDeps, options: WatchOptions): Promise<WatchEnd> {
  const started = deps.now();
  options = { ...options, secret: escapeControl(options.secret) };
  let idle = 0;
  for (;;) {
    const status = await deps.read();
    deps.show(status, new Date(deps.now()));
    idle = isIdle(status) ? idle + 1 : 0;
    const end = watchEnd(status, { idle, elapsedMs: deps.now() - started }, options);
    if (end) return end;
    await deps.sleep(Math.min(options.intervalMs, Math.max(0, options.timeoutMs - (deps.now() - started))));
  }
}

/** Nothing is in progress: no consumer's word moves by itself (a deployment for the current versions, a run's claim). */
function isIdle(status: SecretStatus): boolean {
  return !status.consumers.some((c) => WORDS[c.now].moving);
}

/**
 * Whether to stop after this refresh: every consumer on the current versions; the rollout halted;
 * nothing in progress for `idleRefreshes` refreshes in a row (what is left waits for a run, or
 * failed); or the time is up. Undefined while something may still change by itself.
 */
export function watchEnd(status: SecretStatus, seen: { idle: number; elapsedMs: number }, options: WatchOptions): WatchEnd | undefined {
  if (status.done) {
    const behind = status.consumers.filter((c) => (WORDS[c.now] as WordEntry).leftBehind).map((c) => c.now);
    const line =
      behind.length > 0
        ? `watch ended: nothing left to do; ${behind.length} consumer(s) keep older versions, not redeployed (${wordSummary(behind)})`
        : 'watch ended: every consumer runs the current versions';
    return { reason: 'done', line, code: EXIT.done };
  }
  if (status.rollout?.status === 'halted') {
    return {
      reason: 'halted',
      line: `watch ended: the rollout halted at wave ${status.rollout.halted.wave}; fix it, then: ecs-secret-redeploy resume ${options.secret}`,
      code: EXIT.failed,
    };
  }
  if (seen.idle >= options.idleRefreshes) {
    const failed = status.now['deploy failed'] ?? 0;
    if (failed > 0)
      return {
        reason: 'failed',
        line: `watch ended: nothing in progress; ${failed} deployment(s) failed (see the table)`,
        code: EXIT.failed,
      };
    const still = status.consumers.filter((c) => !WORDS[c.now].settled && !WORDS[c.now].moving);
    // A consumer held for its restart window goes by its wakeup when the window opens: a run now would hold it again.
    const windowed = still.filter((c) => c.now === 'window').length;
    const forRun = still.length - windowed;
    const parts = [
      ...(forRun > 0 || windowed === 0 ? [`${forRun} consumer(s) wait for a run: ecs-secret-redeploy reconcile ${options.secret}`] : []),
      ...(windowed > 0 ? [`${windowed} consumer(s) wait for their restart window`] : []),
    ];
    return { reason: 'idle', line: `watch ended: nothing in progress; ${parts.join('; ')}`, code: EXIT.done };
  }
  if (seen.elapsedMs >= options.timeoutMs) {
    return {
      reason: 'timeout',
      line: `watch ended after --timeout ${Math.round(options.timeoutMs / 1000)}s, still ${stillMoving(status)}`,
      code: EXIT.done,
    };
  }
  return undefined;
}

/** "3 deploying, 1 due": the consumers with something left to do or to wait for, by their word. */
function stillMoving(status: SecretStatus): string {
  return wordSummary(status.consumers.map((c) => c.now).filter((word) => !WORDS[word].settled));
}

/** Clears a terminal and puts the cursor top left: the next frame replaces the last one. */
export const CLEAR_SCREEN = '\u001b[H\u001b[2J';

/** "08:41:07 UTC" */
export function clockTime(at: Date): string {
  return `${at.toISOString().slice(11, 19)} UTC`;
}
