/**
 * The one-time schedule a reconcile creates for the moment a held consumer may go (its window
 * opens, or its deadline falls), and the payload that schedule sends the reconciler: reconcile
 * this secret now. A payload of its own kind, beside the continuations, decoded strictly: it
 * only ever names a secret to reconcile, which any run may do at any time (the ledger keeps it
 * exactly once), and it is bounded so that no input makes it large.
 */

import { createHash } from 'node:crypto';
import { MalformedEventError } from '../errors';
import { parseArn } from '../identity/arn';
import type { Trigger } from './events';

/** The field that marks a wakeup's payload. */
export const WAKEUP_KEY = 'ecs-secret-redeploy:wakeup';

/** Why the schedule fires: a window opens, or a deadline falls. */
export type WakeupCause = 'window' | 'deadline';

/** A reconcile of one secret at one instant, for the consumers held until then. */
export interface Wakeup {
  /** The schedule's name: the same for the same secret, versions and instant, so that creating it twice makes one. */
  name: string;
  /** When it fires (ISO 8601, whole seconds). */
  at: string;
  secretArn: string;
  /** The rollout's key: the versions the held consumers are brought to. */
  rollout: string;
  cause: WakeupCause;
}

/** What the schedule's payload carries. */
export interface WakeupRequest {
  secretArn: string;
  rollout: string;
  at: string;
  cause: WakeupCause;
}

const MAX_ARN = 2048;
const MAX_ROLLOUT = 4096;

/**
 * The wakeup for a secret's rollout at an instant: named after all three (schedule names are at
 * most 64 of `0-9 a-z A-Z - _ .`), firing at the instant, or a minute from now if that is sooner
 * (a schedule must lie ahead when it is created).
 */
export function wakeupFor(secretArn: string, rollout: string, at: Date, cause: WakeupCause, now: Date): Wakeup {
  const hash = createHash('sha256').update(`${secretArn}\n${rollout}\n${at.toISOString()}`).digest('hex').slice(0, 40);
  const stamp = at.toISOString().slice(0, 16).replace(/[-:]/g, '');
  const fires = new Date(Math.max(at.getTime(), now.getTime() + 60_000));
  return { name: `esr-${stamp}-${hash}`, at: `${fires.toISOString().slice(0, 19)}Z`, secretArn, rollout, cause };
}

/** The payload the wakeup's schedule sends. */
export function wakeupPayload(wakeup: Wakeup): Record<string, unknown> {
  const { secretArn, rollout, at, cause } = wakeup;
  return { [WAKEUP_KEY]: { secretArn, rollout, at, cause } };
}

/** True for a wakeup's payload (decode it with {@link decodeWakeup}). */
export function isWakeup(input: unknown): boolean {
  return isObject(input) && WAKEUP_KEY in input;
}

/** Decodes a wakeup's payload; throws {@link MalformedEventError} for any other shape or an oversized field. */
export function decodeWakeup(input: unknown): WakeupRequest {
  const body = isObject(input) ? input[WAKEUP_KEY] : undefined;
  if (!isObject(body)) throw new MalformedEventError('wakeup payload without its request');
  const extra = Object.keys(input as object).filter((k) => k !== WAKEUP_KEY);
  const unknown = Object.keys(body).filter((k) => !['secretArn', 'rollout', 'at', 'cause'].includes(k));
  if (extra.length > 0 || unknown.length > 0) throw new MalformedEventError('wakeup payload with fields of no wakeup');
  const { secretArn, rollout, at, cause } = body;
  if (typeof secretArn !== 'string' || secretArn.length > MAX_ARN || !parseArn(secretArn))
    throw new MalformedEventError('wakeup "secretArn" must be a secret or parameter ARN');
  if (typeof rollout !== 'string' || rollout.length > MAX_ROLLOUT || !/^[\x21-\x7e]+$/.test(rollout))
    throw new MalformedEventError('wakeup "rollout" must be a rollout key (STAGE=VERSION,...)');
  if (typeof at !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(at) || Number.isNaN(Date.parse(at)))
    throw new MalformedEventError('wakeup "at" must be an instant (YYYY-MM-DDTHH:MM:SSZ)');
  if (cause !== 'window' && cause !== 'deadline') throw new MalformedEventError('wakeup "cause" must be window or deadline');
  return { secretArn, rollout, at, cause };
}

/** The trigger of the run a wakeup starts, as its report shows it. */
export function wakeupTrigger(request: WakeupRequest): Trigger {
  return {
    source: 'schedule',
    detailType: request.cause === 'window' ? 'Restart Window Opens' : 'Restart Deadline Falls',
    time: request.at,
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
