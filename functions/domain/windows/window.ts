/**
 * Restart windows: when a service may be restarted, written `DAYS HH:MM-HH:MM ZONE` (tag
 * `ecs-secret-redeploy:window`, or the stack's default). Pure: parsing, and whether a window is
 * open at an instant or when it opens next.
 *
 * Time zones come from the IANA database the runtime's Intl carries, read through @date-fns/tz's
 * `tzOffset` (a zone's UTC offset at an instant): no rule of any zone (which Sunday, which hour)
 * is written here. The one choice made here is what a wall-clock time means on the two days a
 * year it is not one instant, as Temporal's `compatible` disambiguation (and RFC 5545) decides:
 * a time the clock skips (02:30 on a spring-forward night) moves forward by the gap (03:30), and a
 * time the clock shows twice (a fall-back night) is its first occurrence.
 */

import { tzOffset } from '@date-fns/tz';
import { quoted } from '../text';

export const WINDOW_TAG = 'ecs-secret-redeploy:window';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const DAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;

/** One restart window. */
export interface RestartWindow {
  /** As written. */
  text: string;
  /** The local days it opens on: 0 Sunday ... 6 Saturday. A window that crosses midnight closes the day after. */
  days: number[];
  /** Minutes after local midnight when it opens, and when it closes (at or before `opens`: the next day; 1440: the end of the day). */
  opens: number;
  closes: number;
  /** IANA time zone. */
  zone: string;
}

/** The grammar, as said to whoever wrote a value that does not follow it. */
export const WINDOW_GRAMMAR = 'DAYS HH:MM-HH:MM ZONE, e.g. "Mon-Fri 02:00-04:00 Europe/Berlin" (DAYS: daily, Sat or Mon-Fri)';

/** Parses `DAYS HH:MM-HH:MM ZONE`; a value that does not follow the grammar gets the reason. */
export function parseWindow(text: string): RestartWindow | { problem: string } {
  const parts = text.trim().split(/\s+/);
  if (parts.length !== 3) return { problem: `expected ${WINDOW_GRAMMAR}` };
  const [dayText, rangeText, zone] = parts;
  const days = parseDays(dayText);
  if ('problem' in days) return days;
  const range = /^(\d{2}):(\d{2})-(\d{2}):(\d{2})$/.exec(rangeText);
  if (!range) return { problem: `${quoted(rangeText, 40)} is not HH:MM-HH:MM (24-hour clock, e.g. 02:00-04:00)` };
  const [openH, openM, closeH, closeM] = range.slice(1).map(Number);
  if (openH > 23 || openM > 59) return { problem: `${quoted(rangeText.slice(0, 5))} is not a time of day (00:00 to 23:59)` };
  if (closeM > 59 || closeH > 24 || (closeH === 24 && closeM > 0))
    return { problem: `${quoted(rangeText.slice(6))} is not a time of day (00:00 to 24:00)` };
  const opens = openH * 60 + openM;
  const closes = closeH * 60 + closeM;
  if (opens === closes) return { problem: `${quoted(rangeText)} opens and closes at once (the whole day is 00:00-24:00)` };
  if (!isTimeZone(zone)) return { problem: `${quoted(zone, 60)} is not an IANA time zone (e.g. Europe/Berlin, America/New_York, UTC)` };
  return { text: text.trim(), days: days.days, opens, closes, zone };
}

function parseDays(text: string): { days: number[] } | { problem: string } {
  if (text.toLowerCase() === 'daily') return { days: [0, 1, 2, 3, 4, 5, 6] };
  const [from, to, ...rest] = text.split('-');
  const first = dayNumber(from);
  const last = to === undefined ? first : dayNumber(to);
  if (rest.length > 0 || first === undefined || last === undefined)
    return { problem: `${quoted(text, 40)} is not daily, a day (Mon ... Sun) or a range of days (Mon-Fri)` };
  const days: number[] = [];
  // A range may wrap around the week: Fri-Mon is Friday to Monday.
  for (let d = first; ; d = (d + 1) % 7) {
    days.push(d);
    if (d === last) break;
  }
  return { days: days.sort((a, b) => a - b) };
}

function dayNumber(text: string | undefined): number | undefined {
  const i = DAY_NAMES.findIndex((d) => d.toLowerCase() === text?.toLowerCase());
  return i < 0 ? undefined : i;
}

/** True for a name the runtime's time zone database knows (an offset such as +02:00 is not a zone). */
function isTimeZone(zone: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(zone)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Where a set of windows stands at an instant: open until, or when one opens next (none: none ever opens). */
export type WindowState = { open: true; window: RestartWindow; closesAt: Date } | { open: false; window?: RestartWindow; opensAt?: Date };

/**
 * Whether any of `windows` is open at `now`, and until when; else which opens next and when.
 * Looks eight days ahead: every window opens within a week but on a day whose clock skips the
 * whole of it.
 */
export function windowState(windows: RestartWindow[], now: Date): WindowState {
  const t = now.getTime();
  let next: { window: RestartWindow; at: number } | undefined;
  for (const window of windows) {
    const today = Math.floor(wallOf(t, window.zone) / DAY);
    for (let day = today - 1; day <= today + 8; day += 1) {
      if (!window.days.includes(weekday(day))) continue;
      const opens = instantOf(day * DAY + window.opens * MINUTE, window.zone);
      const closesDay = window.closes <= window.opens ? day + 1 : day;
      const closes = instantOf(closesDay * DAY + window.closes * MINUTE, window.zone);
      if (closes <= opens) continue; // the clock skipped all of it that day
      if (opens <= t && t < closes) return { open: true, window, closesAt: new Date(closes) };
      if (opens > t && (!next || opens < next.at)) next = { window, at: opens };
    }
  }
  return next ? { open: false, window: next.window, opensAt: new Date(next.at) } : { open: false };
}

/** The day of the week of a local day (days since 1970-01-01, a Thursday). */
function weekday(day: number): number {
  return (((day + 4) % 7) + 7) % 7;
}

/** The wall-clock time in `zone` at instant `t`, as milliseconds of a UTC clock showing it. */
function wallOf(t: number, zone: string): number {
  return t + tzOffset(zone, new Date(t)) * MINUTE;
}

/**
 * The instant a wall-clock time in `zone` falls at (`compatible`, see the top of this file):
 * each UTC offset the zone has around that time gives a candidate that is kept when the zone
 * really has that offset then; two candidates (a clock set back) give the earlier, none (a
 * clock set forward) the offset before the gap.
 */
function instantOf(wall: number, zone: string): number {
  const before = tzOffset(zone, new Date(wall - DAY));
  const after = tzOffset(zone, new Date(wall + DAY));
  const candidates = [...new Set([before, after])].map((offset) => wall - offset * MINUTE).filter((t) => wallOf(t, zone) === wall);
  return candidates.length > 0 ? Math.min(...candidates) : wall - before * MINUTE;
}

/** An instant as a window's zone shows it: `Mon 02:00 Europe/Berlin`. */
export function localTime(at: Date, zone: string): string {
  const wall = new Date(wallOf(at.getTime(), zone));
  const hhmm = `${String(wall.getUTCHours()).padStart(2, '0')}:${String(wall.getUTCMinutes()).padStart(2, '0')}`;
  return `${DAY_NAMES[wall.getUTCDay()]} ${hhmm} ${zone}`;
}
