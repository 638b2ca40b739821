/**
 * When a consumer behind the current versions may be redeployed: inside one of its restart
 * windows, and never later than its deadline after the change (a rotated credential may have
 * leaked). Pure: the service's tags and the stack's defaults make its policy; the policy, the
 * time of the change and the time now make the verdict.
 */

import { quoted } from '../text';
import { localTime, parseWindow, type RestartWindow, WINDOW_TAG, windowState } from './window';

export const DEADLINE_TAG = 'ecs-secret-redeploy:deadline';

/** The stack's deadline when it sets none: a day. */
export const DEFAULT_DEADLINE_MINUTES = 24 * 60;

const MAX_DEADLINE_MINUTES = 365 * 24 * 60;
const UNIT_MINUTES: Record<string, number> = { m: 1, h: 60, d: 24 * 60 };

/** What the stack says for services whose tags say nothing. */
export interface RestartDefaults {
  windows: RestartWindow[];
  deadlineMinutes: number;
}

export const NO_RESTART_DEFAULTS: RestartDefaults = { windows: [], deadlineMinutes: DEFAULT_DEADLINE_MINUTES };

/** A window, with the tag it came from (`default` for the stack's). */
export type TaggedWindow = RestartWindow & { tag: string };

/** One service's restart policy. */
export interface RestartPolicy {
  /** The windows that parse. */
  windows: TaggedWindow[];
  /** True when any window was asked for, by a tag (one that parses or not) or by the stack. */
  windowed: boolean;
  deadlineMinutes: number;
  /** Tags that do not parse, each with why and what is done instead. */
  problems: string[];
}

/** `30m`, `24h`, `7d`: minutes, from one minute to a year. */
export function parseDeadline(text: string): number | { problem: string } {
  const match = /^(\d{1,6})([mhd])$/.exec(text.trim());
  if (!match) return { problem: `${quoted(text, 40)} is not a duration such as 30m, 24h or 7d` };
  const minutes = Number(match[1]) * UNIT_MINUTES[match[2]];
  if (minutes < 1 || minutes > MAX_DEADLINE_MINUTES) return { problem: `${quoted(text, 40)} is not from 1m to 365d` };
  return minutes;
}

/** `ecs-secret-redeploy:window`, then `...:window-2`, `...:window-3` and on, in that order. */
function windowTagOrder(tag: string): number | undefined {
  if (tag === WINDOW_TAG) return 1;
  const n = new RegExp(`^${WINDOW_TAG}-(\\d{1,3})$`).exec(tag)?.[1];
  return n === undefined ? undefined : Number(n);
}

/**
 * The policy of a service from its tags: window tags replace the stack's default windows, a
 * deadline tag its default deadline. A window tag that does not parse opens never (the service
 * is held until its deadline, never restarted at a time its team tried to rule out); a deadline
 * tag that does not parse leaves the stack's deadline. Both are problems, reported.
 */
export function restartPolicyOf(tags: Record<string, string>, defaults: RestartDefaults): RestartPolicy {
  const problems: string[] = [];
  const tagged = Object.keys(tags)
    .filter((tag) => tag.startsWith(WINDOW_TAG))
    .flatMap((tag) => {
      const order = windowTagOrder(tag);
      if (order === undefined) problems.push(`tag ${quoted(tag, 80)} is not a window tag (${WINDOW_TAG}, ${WINDOW_TAG}-2, ...): ignored`);
      return order === undefined ? [] : [{ tag, order }];
    })
    .sort((a, b) => a.order - b.order);
  const windows: TaggedWindow[] = [];
  for (const { tag } of tagged) {
    const parsed = parseWindow(tags[tag]);
    if ('problem' in parsed) problems.push(`tag ${tag}=${quoted(tags[tag], 80)} does not parse (${parsed.problem}): it never opens`);
    else windows.push({ ...parsed, tag });
  }
  if (tagged.length === 0) windows.push(...defaults.windows.map((w) => ({ ...w, tag: 'default' })));

  let deadlineMinutes = defaults.deadlineMinutes;
  const deadlineTag = tags[DEADLINE_TAG];
  if (deadlineTag !== undefined) {
    const parsed = parseDeadline(deadlineTag);
    if (typeof parsed === 'number') deadlineMinutes = parsed;
    else problems.push(`tag ${DEADLINE_TAG}=${quoted(deadlineTag, 40)} does not parse (${parsed.problem}): the stack's deadline applies`);
  }
  return { windows, windowed: tagged.length > 0 || windows.length > 0, deadlineMinutes, problems };
}

/**
 * What a consumer's row says of its window and deadline (the report's `window` field): the
 * window open now or opening next (its tag, as written), when it opens or closes, when the
 * deadline falls, what released it, and the tags that do not parse.
 */
export interface WindowFacts {
  tag?: string;
  value?: string;
  opensAt?: string;
  closesAt?: string;
  deadline: string;
  /** Why it goes now: its window is open, its deadline passed, or windows were ignored (`--ignore-windows`). */
  released?: 'open' | 'deadline' | 'ignored';
  /** Its deadline passed while it still waited (an earlier wave, a halted rollout). */
  missed?: true;
  problems?: string[];
}

/** Whether a consumer behind may be redeployed now, and what its row says of its window. */
export type RestartVerdict =
  | { go: true; deadline: Date; facts?: WindowFacts }
  | { go: false; deadline: Date; facts: WindowFacts; reason: string };

/**
 * The verdict at `now` for a change made at `changedAt`: without a window, at once; with one,
 * inside it, or once the deadline passed, whatever the window; `ignore` (a leaked credential,
 * `--ignore-windows`) at once.
 */
export function restartVerdict(policy: RestartPolicy, changedAt: Date, now: Date, ignore = false): RestartVerdict {
  const deadline = new Date(changedAt.getTime() + policy.deadlineMinutes * 60_000);
  if (!policy.windowed) return { go: true, deadline };
  const problems = policy.problems.length > 0 ? { problems: policy.problems } : {};
  const base = { deadline: deadline.toISOString(), ...problems };
  if (ignore) return { go: true, deadline, facts: { ...base, released: 'ignored' } };
  const state = windowState(policy.windows, now);
  const named = state.window ? { tag: (state.window as TaggedWindow).tag, value: state.window.text } : {};
  if (state.open) return { go: true, deadline, facts: { ...named, closesAt: state.closesAt.toISOString(), ...base, released: 'open' } };
  const opens = state.opensAt ? { opensAt: state.opensAt.toISOString() } : {};
  if (now.getTime() >= deadline.getTime()) return { go: true, deadline, facts: { ...named, ...opens, ...base, released: 'deadline' } };
  const facts: WindowFacts = { ...named, ...opens, ...base };
  return { go: false, deadline, facts, reason: heldReason(facts, state.window, state.opensAt, deadline) };
}

/** Why a consumer waits, in words: which window, when it opens (in its zone and in UTC), when the deadline falls. */
function heldReason(facts: WindowFacts, window: RestartWindow | undefined, opensAt: Date | undefined, deadline: Date): string {
  const due = `deadline ${instant(deadline)}`;
  if (!window || !opensAt) {
    const why = facts.problems ? 'its window tags do not parse' : 'none of its windows opens in the next 8 days';
    return `no window opens (${why}): held until its ${due}`;
  }
  const which = `${facts.tag === 'default' ? "the stack's window" : `window ${facts.tag}`} ${window.text}`;
  const opens = `opens ${localTime(opensAt, window.zone)} (${instant(opensAt)})`;
  if (opensAt.getTime() > deadline.getTime()) return `waits for ${which}, which ${opens} after its ${due}: redeployed at the deadline`;
  return `waits for ${which}: ${opens}; ${due}`;
}

/** What a released consumer's row adds to its reason, when the deadline or a person released it. */
export function releaseNote(facts: WindowFacts | undefined): string | undefined {
  if (facts?.released === 'deadline')
    return `released by its deadline ${instant(new Date(facts.deadline))}${facts.value ? `, its window ${facts.value} being closed` : ''}`;
  if (facts?.released === 'ignored') return 'restart windows ignored (--ignore-windows)';
  return undefined;
}

/** An instant as the reports write it: to the minute, UTC. */
export function instant(at: Date): string {
  return `${at.toISOString().slice(0, 16)}Z`;
}
