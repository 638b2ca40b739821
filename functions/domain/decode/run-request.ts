import { MalformedEventError } from '../errors';
import { parseArn } from '../identity/arn';
import type { Origin } from '../report/report';
import type { BucketState } from '../rollout/rate-limiter';
import { quoted, textField } from '../text';
import type { Trigger } from './events';

/** Where a scheduled reconcile (or its continuation) starts: every indexed secret, or those from this ARN on. */
export interface ReconcileAllRequest {
  kind: 'reconcile-all';
  /** Resume at this secret (inclusive), in ARN order. */
  from?: string;
  /** Who asked: the schedule, or a person (`reconcile` without SECRET). */
  origin: Extract<Origin, 'schedule' | 'manual'>;
  trigger: Trigger;
  bucket?: BucketState;
  hop: number;
  /** The one-use token of a continuation (issued when it is sent, used once when it runs); absent on the schedule's own event. */
  token?: string;
}

/** A run that continues the work of one secret another run left at its deadline. */
export interface ContinueSecretRequest {
  kind: 'continue-secret';
  secretArn: string;
  origin: Origin;
  trigger: Trigger;
  bucket?: BucketState;
  hop: number;
  /** The one-use token of the continuation (see ReconcileAllRequest.token). */
  token?: string;
  /** The run it continues ignored restart windows (`--ignore-windows`): so does this one. */
  ignoreWindows?: true;
}

export type RunRequest = ReconcileAllRequest | ContinueSecretRequest;

/**
 * A run of the refresh-index function that goes on with the index rebuild another run left at
 * its deadline: the build, and the lease token that run handed over with it.
 */
export interface RebuildIndexRequest {
  kind: 'rebuild-index';
  buildId: string;
  token: string;
  trigger: Trigger;
  hop: number;
}

/** What a run may hand over to a new one. */
export type ContinuationRequest = RunRequest | RebuildIndexRequest;

/** The field that marks this service's own continuation payloads. */
export const CONTINUATION_KEY = 'ecs-secret-redeploy:continuation';

/** What started a run, as a trigger names it: an event's source, the schedule, or a person. */
const TRIGGER_SOURCES = new Set(['aws.secretsmanager', 'aws.ssm', 'aws.ecs', 'aws.codedeploy', 'schedule', 'manual']);
/** A build id or a token: what randomUUID makes, and no more. */
const TOKEN = /^[A-Za-z0-9-]{1,64}$/;

type Json = Record<string, unknown>;

/** True for an EventBridge schedule's event (source aws.events, "Scheduled Event"). */
export function isScheduledEvent(input: unknown): boolean {
  return isObject(input) && input.source === 'aws.events' && input['detail-type'] === 'Scheduled Event';
}

/** True for a continuation payload this service sent itself. */
export function isContinuation(input: unknown): boolean {
  return isObject(input) && CONTINUATION_KEY in input;
}

/** The request of a scheduled event: reconcile every indexed secret. */
export function scheduledRequest(input: Json): ReconcileAllRequest {
  return {
    kind: 'reconcile-all',
    origin: 'schedule',
    trigger: {
      source: 'schedule',
      detailType: 'Scheduled Event',
      eventId: textField(input.id),
      time: textField(input.time),
      account: textField(input.account),
    },
    hop: 0,
  };
}

/** The payload that continues `request` in a new run. */
export function continuationPayload(request: ContinuationRequest): Json {
  return { [CONTINUATION_KEY]: request };
}

/**
 * Decodes a continuation payload of the reconciler, with its one-use token; throws
 * {@link MalformedEventError} for any other shape. Every field is checked as an event's would be
 * (the trigger's text escaped and cut, its source one this service writes); the rate bucket is
 * kept only with finite numbers (UpdatePacer bounds it to the configured rate before use).
 */
export function decodeContinuation(input: unknown): RunRequest {
  const body = isObject(input) ? input[CONTINUATION_KEY] : undefined;
  if (!isObject(body)) throw new MalformedEventError('continuation payload without a request and its trigger');
  const trigger = decodeTrigger(body.trigger);
  if (typeof body.hop !== 'number' || !Number.isInteger(body.hop) || body.hop < 1)
    throw new MalformedEventError('continuation payload without a positive hop count');
  if (body.kind !== 'reconcile-all' && body.kind !== 'continue-secret')
    throw new MalformedEventError(`continuation of unknown kind ${quoted(String(body.kind), 60)}`);
  if (typeof body.token !== 'string' || !TOKEN.test(body.token))
    throw new MalformedEventError('continuation payload without its one-use token');
  const bucket = isObject(body.bucket) && Number.isFinite(body.bucket.tokens) && Number.isFinite(body.bucket.at) ? body.bucket : undefined;
  const common = {
    trigger,
    hop: body.hop,
    ...(bucket ? { bucket: { tokens: bucket.tokens as number, at: bucket.at as number } } : {}),
    token: body.token,
  };
  if (body.kind === 'reconcile-all') {
    if (body.from !== undefined && (typeof body.from !== 'string' || !parseArn(body.from)))
      throw new MalformedEventError('continuation "from" must be a secret ARN');
    const origin = body.origin;
    if (origin !== 'schedule' && origin !== 'manual') throw new MalformedEventError('continuation "origin" is not one of schedule, manual');
    return { kind: 'reconcile-all', ...(body.from ? { from: body.from as string } : {}), origin, ...common };
  }
  if (typeof body.secretArn !== 'string' || !parseArn(body.secretArn))
    throw new MalformedEventError('continuation "secretArn" must be an ARN');
  if (body.origin !== 'event' && body.origin !== 'manual' && body.origin !== 'schedule')
    throw new MalformedEventError('continuation "origin" is not one of event, manual, schedule');
  if (body.ignoreWindows !== undefined && body.ignoreWindows !== true)
    throw new MalformedEventError('continuation "ignoreWindows" must be true or absent');
  const ignore = body.ignoreWindows === true ? { ignoreWindows: true as const } : {};
  return { kind: 'continue-secret', secretArn: body.secretArn, origin: body.origin, ...common, ...ignore };
}

/**
 * A run request as one string, the same on both ends of a continuation: its fields in a fixed
 * order, the token left out (it is what the string is stored under). What the sender issues the
 * token for, and what the receiver must present to use it.
 */
export function canonicalRequest(request: RunRequest): string {
  const { token: _, ...rest } = request;
  return JSON.stringify(sortedKeys(rest));
}

function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (!isObject(value)) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .filter((k) => value[k] !== undefined)
      .map((k) => [k, sortedKeys(value[k])]),
  );
}

/** A continuation's trigger, checked as an event's fields are: a known source, the rest escaped and cut, nothing else. */
function decodeTrigger(value: unknown): Trigger {
  if (!isObject(value) || typeof value.source !== 'string')
    throw new MalformedEventError('continuation payload without a request and its trigger');
  if (!TRIGGER_SOURCES.has(value.source))
    throw new MalformedEventError(`continuation trigger of unknown source ${quoted(value.source, 60)}`);
  const field = (key: 'detailType' | 'eventName' | 'eventId' | 'time' | 'account') => {
    const text = textField(value[key], 256);
    return text ? { [key]: text } : {};
  };
  return {
    source: value.source,
    ...field('detailType'),
    ...field('eventName'),
    ...field('eventId'),
    ...field('time'),
    ...field('account'),
  };
}

/** True for a continuation payload of an index rebuild (the refresh-index function's own). */
export function isRebuildContinuation(input: unknown): boolean {
  return (
    isContinuation(input) &&
    isObject((input as Json)[CONTINUATION_KEY]) &&
    ((input as Json)[CONTINUATION_KEY] as Json).kind === 'rebuild-index'
  );
}

/** Decodes an index rebuild's continuation payload; throws {@link MalformedEventError} for any other shape. */
export function decodeRebuildContinuation(input: unknown): RebuildIndexRequest {
  const body = isObject(input) ? input[CONTINUATION_KEY] : undefined;
  if (!isObject(body) || body.kind !== 'rebuild-index') throw new MalformedEventError('not an index rebuild continuation');
  const trigger = decodeTrigger(body.trigger);
  if (typeof body.hop !== 'number' || !Number.isInteger(body.hop) || body.hop < 1)
    throw new MalformedEventError('continuation payload without a positive hop count');
  if (typeof body.buildId !== 'string' || !TOKEN.test(body.buildId) || typeof body.token !== 'string' || !TOKEN.test(body.token))
    throw new MalformedEventError('index rebuild continuation without a build id and lease token');
  return { kind: 'rebuild-index', buildId: body.buildId, token: body.token, trigger, hop: body.hop };
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
