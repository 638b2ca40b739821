import { MalformedEventError } from '../errors';
import { parseArn } from '../identity/arn';
import type { BucketState } from '../rollout/rate-limiter';
import { textField } from '../text';
import type { Trigger } from './events';

/** Where a scheduled reconcile (or its continuation) starts: every indexed secret, or those from this ARN on. */
export interface ReconcileAllRequest {
  kind: 'reconcile-all';
  /** Resume at this secret (inclusive), in ARN order. */
  from?: string;
  trigger: Trigger;
  bucket?: BucketState;
  hop: number;
}

/** A run that continues the work of one secret another run left at its deadline. */
export interface ContinueSecretRequest {
  kind: 'continue-secret';
  secretArn: string;
  origin: 'event' | 'manual' | 'schedule';
  trigger: Trigger;
  bucket?: BucketState;
  hop: number;
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

/** Decodes a continuation payload; throws {@link MalformedEventError} for any other shape. */
export function decodeContinuation(input: unknown): RunRequest {
  const body = isObject(input) ? input[CONTINUATION_KEY] : undefined;
  if (!isObject(body) || !isObject(body.trigger) || typeof body.trigger.source !== 'string') {
    throw new MalformedEventError('continuation payload without a request and its trigger');
  }
  if (typeof body.hop !== 'number' || !Number.isInteger(body.hop) || body.hop < 1)
    throw new MalformedEventError('continuation payload without a positive hop count');
  const bucket =
    isObject(body.bucket) && typeof body.bucket.tokens === 'number' && typeof body.bucket.at === 'number' ? body.bucket : undefined;
  const common = {
    trigger: body.trigger as unknown as Trigger,
    hop: body.hop,
    ...(bucket ? { bucket: { tokens: bucket.tokens as number, at: bucket.at as number } } : {}),
  };
  if (body.kind === 'reconcile-all') {
    if (body.from !== undefined && (typeof body.from !== 'string' || !parseArn(body.from)))
      throw new MalformedEventError('continuation "from" must be a secret ARN');
    return { kind: 'reconcile-all', ...(body.from ? { from: body.from as string } : {}), ...common };
  }
  if (body.kind === 'continue-secret') {
    if (typeof body.secretArn !== 'string' || !parseArn(body.secretArn))
      throw new MalformedEventError('continuation "secretArn" must be an ARN');
    if (body.origin !== 'event' && body.origin !== 'manual' && body.origin !== 'schedule')
      throw new MalformedEventError('continuation "origin" is not one of event, manual, schedule');
    if (body.ignoreWindows !== undefined && body.ignoreWindows !== true)
      throw new MalformedEventError('continuation "ignoreWindows" must be true or absent');
    const ignore = body.ignoreWindows === true ? { ignoreWindows: true as const } : {};
    return { kind: 'continue-secret', secretArn: body.secretArn, origin: body.origin, ...common, ...ignore };
  }
  throw new MalformedEventError(`continuation of unknown kind "${String(body.kind)}"`);
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
  if (!isObject(body.trigger) || typeof body.trigger.source !== 'string')
    throw new MalformedEventError('continuation payload without a request and its trigger');
  if (typeof body.hop !== 'number' || !Number.isInteger(body.hop) || body.hop < 1)
    throw new MalformedEventError('continuation payload without a positive hop count');
  const id = /^[A-Za-z0-9-]{1,64}$/;
  if (typeof body.buildId !== 'string' || !id.test(body.buildId) || typeof body.token !== 'string' || !id.test(body.token))
    throw new MalformedEventError('index rebuild continuation without a build id and lease token');
  return { kind: 'rebuild-index', buildId: body.buildId, token: body.token, trigger: body.trigger as unknown as Trigger, hop: body.hop };
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
