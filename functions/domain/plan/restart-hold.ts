/**
 * The restart windows' part of a reconcile's plan: whether a consumer behind goes now or waits
 * for its window, from when its deadline counts, and the one-time wakeups that reconcile again
 * when a held consumer may go. Pure.
 */

import { type Wakeup, type WakeupCause, wakeupFor } from '../decode/wakeup-request';
import type { Rollout } from '../rollout/rollout';
import { NO_RESTART_DEFAULTS, type RestartDefaults, type RestartVerdict, restartPolicyOf, restartVerdict } from '../windows/restart-policy';
import type { SecretState } from './secret-state';

/** What a plan is told of restart windows: the stack's defaults, and whether a person ignores windows now. */
export interface RestartContext {
  defaults: RestartDefaults;
  /** `redeploy --ignore-windows` (a leaked credential): every consumer behind goes at once. */
  ignoreWindows: boolean;
}

/** Most wakeups one plan asks for (the earliest); a later reconcile asks for the others. */
export const MAX_WAKEUPS = 10;

/**
 * When the change was made, which the deadline counts from: as the rollout recorded it (its
 * event's time, else the secret's last change when the rollout started), else this run's event,
 * else the secret's last change; failing all, when the rollout started, or now.
 */
export function changedAtOf(rollout: Rollout | undefined, eventTime: string | undefined, secret: SecretState, now: Date): Date {
  for (const text of [rollout?.changedAt, eventTime, secret.lastChangedDate, rollout?.startedAt]) {
    const ms = text ? Date.parse(text) : Number.NaN;
    if (Number.isFinite(ms)) return new Date(ms);
  }
  return now;
}

/** A consumer's verdict from its tags, with the tags that do not parse (for the report's warnings). */
export function judgeRestart(
  tags: Record<string, string>,
  restart: RestartContext | undefined,
  changedAt: Date,
  now: Date,
): { verdict: RestartVerdict; problems: string[] } {
  const policy = restartPolicyOf(tags, restart?.defaults ?? NO_RESTART_DEFAULTS);
  return { verdict: restartVerdict(policy, changedAt, now, restart?.ignoreWindows === true), problems: policy.problems };
}

/**
 * The wakeups for held consumers: one per instant at which one of them may go (its window opens,
 * or its deadline falls first), the earliest {@link MAX_WAKEUPS}.
 */
export function wakeupsOf(held: Array<{ opensAt?: string; deadline: string }>, secretArn: string, rollout: string, now: Date): Wakeup[] {
  const instants = new Map<number, WakeupCause>();
  for (const h of held) {
    const opens = h.opensAt ? Date.parse(h.opensAt) : Number.POSITIVE_INFINITY;
    const deadline = Date.parse(h.deadline);
    const [at, cause]: [number, WakeupCause] = opens <= deadline ? [opens, 'window'] : [deadline, 'deadline'];
    if (!instants.has(at)) instants.set(at, cause);
  }
  return [...instants]
    .sort(([a], [b]) => a - b)
    .slice(0, MAX_WAKEUPS)
    .map(([at, cause]) => wakeupFor(secretArn, rollout, new Date(at), cause, now));
}
