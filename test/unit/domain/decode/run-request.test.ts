import {
  CONTINUATION_KEY,
  type ContinueSecretRequest,
  canonicalRequest,
  continuationPayload,
  decodeContinuation,
  decodeRebuildContinuation,
  isContinuation,
  isRebuildContinuation,
  isScheduledEvent,
  type RebuildIndexRequest,
  type ReconcileAllRequest,
  type RunRequest,
  scheduledRequest,
} from '../../../../functions/domain/decode/run-request';
import { MalformedEventError } from '../../../../functions/domain/errors';
import { loadEvent } from '../../../kit/events';

/*
 * A run is started by the schedule (EventBridge "Scheduled Event", fixture
 * non-matching/scheduled-event.json, shape from the EventBridge docs "scheduled rules") or by a
 * run of this service that reached its deadline and sends the rest to a new run (the
 * continuation payload, our own format: DESIGN "Lambda deadlines").
 */

const SECRET = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/orders-db-a1B2c3';
const PARAMETER = 'arn:aws:ssm:eu-west-1:111122223333:parameter/prod/orders/api-token';
const TRIGGER = { source: 'schedule', detailType: 'Scheduled Event', eventId: 'e-1', time: '2026-11-20T12:00:00Z' };
const BUCKET = { tokens: -1.5, at: 1_795_000_000_000 };
/** The one-use token a run issues for the continuation it sends (randomUUID). */
const TOKEN = '5e3f8a2c-1b4d-4e6f-9a7b-0c1d2e3f4a5b';

const RECONCILE_ALL: ReconcileAllRequest = {
  kind: 'reconcile-all',
  from: SECRET,
  origin: 'schedule',
  trigger: TRIGGER,
  bucket: BUCKET,
  hop: 2,
  token: TOKEN,
};
const CONTINUE_SECRET: ContinueSecretRequest = {
  kind: 'continue-secret',
  secretArn: SECRET,
  origin: 'event',
  trigger: { source: 'aws.secretsmanager', eventName: 'PutSecretValue' },
  bucket: BUCKET,
  hop: 1,
  token: TOKEN,
};

/** A continuation payload as the next run receives it: through JSON, like a Lambda invoke. */
function overTheWire(request: RunRequest): unknown {
  return JSON.parse(JSON.stringify(continuationPayload(request)));
}

/** A well-formed continuation body with some fields replaced (undefined deletes). */
function payloadWith(base: RunRequest, changes: Record<string, unknown>): Record<string, unknown> {
  const body: Record<string, unknown> = { ...base, ...changes };
  for (const [key, value] of Object.entries(changes)) if (value === undefined) delete body[key];
  return { [CONTINUATION_KEY]: body };
}

describe('scheduled events', () => {
  it('recognises an EventBridge schedule', () => {
    expect(isScheduledEvent(loadEvent('non-matching/scheduled-event.json'))).toBe(true);
  });

  it.each<[string, unknown]>([
    ['an ECS event', loadEvent('ecs-deployment.completed.json')],
    ['a secret event', loadEvent('put-secret-value.current.json')],
    ['aws.events with another detail-type', { ...loadEvent('non-matching/scheduled-event.json'), 'detail-type': 'Other' }],
    ['another source with the Scheduled Event detail-type', { ...loadEvent('non-matching/scheduled-event.json'), source: 'my.app' }],
    ['a continuation payload', continuationPayload(RECONCILE_ALL)],
    ['null', null],
    ['an array', [loadEvent('non-matching/scheduled-event.json')]],
  ])('does not take %s for a schedule', (_label, input) => {
    expect(isScheduledEvent(input)).toBe(false);
  });

  it('asks to reconcile every secret from the start, with the event as the trigger', () => {
    expect(scheduledRequest(loadEvent('non-matching/scheduled-event.json'))).toEqual({
      kind: 'reconcile-all',
      origin: 'schedule',
      trigger: {
        source: 'schedule',
        detailType: 'Scheduled Event',
        eventId: '5d1a2b3c-4e5f-4a6b-8c7d-9e0f1a2b0008',
        time: '2026-11-20T12:00:00Z',
        account: '111122223333',
      },
      hop: 0,
    });
  });
});

describe('continuation payloads', () => {
  it('are recognised by their key, and nothing else is', () => {
    expect(isContinuation(continuationPayload(CONTINUE_SECRET))).toBe(true);
    expect(isContinuation(loadEvent('non-matching/scheduled-event.json'))).toBe(false);
    expect(isContinuation(null)).toBe(false);
    expect(isContinuation('ecs-secret-redeploy:continuation')).toBe(false);
  });

  it.each<[string, RunRequest]>([
    ['reconcile-all from a secret, with a bucket', RECONCILE_ALL],
    ['reconcile-all from an SSM parameter (parameters are indexed too)', { ...RECONCILE_ALL, from: PARAMETER }],
    ['reconcile-all from the start, without a bucket', { kind: 'reconcile-all', origin: 'manual', trigger: TRIGGER, hop: 1, token: TOKEN }],
    ['continue-secret after an event', CONTINUE_SECRET],
    // Regression: the continuation of a run a CodeDeploy deployment event started was refused (unknown source).
    [
      'continue-secret after a CodeDeploy deployment event',
      { ...CONTINUE_SECRET, trigger: { source: 'aws.codedeploy', detailType: 'CodeDeploy Deployment State-change Notification' } },
    ],
    ['continue-secret after a manual request', { ...CONTINUE_SECRET, origin: 'manual', trigger: { source: 'manual' } }],
    ['continue-secret of a scheduled run, without a bucket', { ...CONTINUE_SECRET, origin: 'schedule', bucket: undefined, hop: 7 }],
    ['continue-secret of a parameter', { ...CONTINUE_SECRET, secretArn: PARAMETER }],
    ['continue-secret of a run that ignores restart windows', { ...CONTINUE_SECRET, origin: 'manual', ignoreWindows: true }],
  ])('round-trip: %s', (_label, request) => {
    const expected = JSON.parse(JSON.stringify(request));
    expect(decodeContinuation(overTheWire(request))).toEqual(expected);
  });

  it('refuses a reconcile-all without its origin, or with an origin it cannot have', () => {
    const { origin: _, ...older } = RECONCILE_ALL;
    expect(() => decodeContinuation(overTheWire(older as RunRequest))).toThrow(
      new MalformedEventError('continuation "origin" is not one of schedule, manual'),
    );
    expect(() => decodeContinuation(payloadWith(RECONCILE_ALL, { origin: 'event' }))).toThrow(MalformedEventError);
  });

  describe('the rate bucket', () => {
    // A bucket is only an optimisation (the limiter starts full without one): a bad one is dropped, not fatal.
    it.each<[string, unknown]>([
      ['null', null],
      ['a number', 3],
      ['tokens as a string', { tokens: '1', at: BUCKET.at }],
      ['no at', { tokens: 1 }],
      ['no tokens', { at: BUCKET.at }],
      // JSON cannot carry them, but a payload built by hand in code can.
      ['tokens without end', { tokens: Number.NEGATIVE_INFINITY, at: BUCKET.at }],
      ['tokens not a number', { tokens: Number.NaN, at: BUCKET.at }],
      ['at without end', { tokens: 1, at: Number.POSITIVE_INFINITY }],
    ])('drops a bucket that is %s', (_label, bucket) => {
      const decoded = decodeContinuation(payloadWith(RECONCILE_ALL, { bucket }));
      expect(decoded).not.toHaveProperty('bucket');
      expect(decoded.kind).toBe('reconcile-all');
    });

    it('keeps only tokens and at', () => {
      const decoded = decodeContinuation(payloadWith(CONTINUE_SECRET, { bucket: { ...BUCKET, extra: 'x' } }));
      expect(decoded.bucket).toEqual(BUCKET);
    });
  });

  describe('the trigger, checked as an event field is', () => {
    it('keeps the known fields escaped and cut to 256 characters, and drops any other', () => {
      const trigger = {
        source: 'aws.ecs',
        eventName: `SERVICE\u202e${'x'.repeat(400)}`,
        eventId: 'e\n1',
        detail: { huge: true },
        account: 7,
      };
      expect(decodeContinuation(payloadWith(CONTINUE_SECRET, { trigger })).trigger).toEqual({
        source: 'aws.ecs',
        eventName: `SERVICE\\u202e${'x'.repeat(248)}`,
        eventId: 'e\\n1',
      });
    });

    it.each(['aws.secretsmanager', 'aws.ssm', 'aws.ecs', 'schedule', 'manual'])('takes the source %s', (source) => {
      expect(decodeContinuation(payloadWith(RECONCILE_ALL, { trigger: { source } })).trigger).toEqual({ source });
    });
  });

  it('does not carry unknown fields of the body into the request', () => {
    const decoded = decodeContinuation(payloadWith(CONTINUE_SECRET, { from: SECRET, injected: true }));
    expect(decoded).toEqual(CONTINUE_SECRET);
  });

  it('refuses an ignoreWindows that is not true', () => {
    expect(() => decodeContinuation(payloadWith(CONTINUE_SECRET, { ignoreWindows: 'yes' }))).toThrow(
      /"ignoreWindows" must be true or absent/,
    );
  });

  describe('malformed continuations', () => {
    it.each<[string, unknown]>([
      ['null', null],
      ['an array', [continuationPayload(RECONCILE_ALL)]],
      ['an object without the key', { kind: 'reconcile-all', trigger: TRIGGER, hop: 1 }],
      ['a body that is not an object', { [CONTINUATION_KEY]: 'reconcile-all' }],
      ['a body that is an array', { [CONTINUATION_KEY]: [RECONCILE_ALL] }],
      ['no trigger', payloadWith(RECONCILE_ALL, { trigger: undefined })],
      ['a trigger without a source', payloadWith(RECONCILE_ALL, { trigger: { detailType: 'Scheduled Event' } })],
      ['a trigger that is a string', payloadWith(CONTINUE_SECRET, { trigger: 'schedule' })],
      ['no hop', payloadWith(RECONCILE_ALL, { hop: undefined })],
      // hop 0 is the run the schedule started: a continuation is at least the first hop.
      ['hop 0', payloadWith(RECONCILE_ALL, { hop: 0 })],
      ['a negative hop', payloadWith(CONTINUE_SECRET, { hop: -1 })],
      ['a fractional hop', payloadWith(RECONCILE_ALL, { hop: 1.5 })],
      ['hop as a string', payloadWith(CONTINUE_SECRET, { hop: '1' })],
      ['no kind', payloadWith(RECONCILE_ALL, { kind: undefined })],
      ['an unknown kind', payloadWith(RECONCILE_ALL, { kind: 'reconcile-everything' })],
      ['from that is not an ARN', payloadWith(RECONCILE_ALL, { from: 'prod/orders-db' })],
      ['from that is empty', payloadWith(RECONCILE_ALL, { from: '' })],
      ['from that is a number', payloadWith(RECONCILE_ALL, { from: 42 })],
      ['no secretArn', payloadWith(CONTINUE_SECRET, { secretArn: undefined })],
      ['a secretArn that is a name', payloadWith(CONTINUE_SECRET, { secretArn: 'prod/orders-db' })],
      ['a secretArn of an unknown partition', payloadWith(CONTINUE_SECRET, { secretArn: SECRET.replace('arn:aws:', 'arn:nope:') })],
      ['no origin', payloadWith(CONTINUE_SECRET, { origin: undefined })],
      ['origin "continuation"', payloadWith(CONTINUE_SECRET, { origin: 'continuation' })],
      ['origin in capitals', payloadWith(CONTINUE_SECRET, { origin: 'EVENT' })],
      ['a trigger of a source this service never writes', payloadWith(CONTINUE_SECRET, { trigger: { source: 'evil.app' } })],
      ['a trigger source with a control character', payloadWith(CONTINUE_SECRET, { trigger: { source: 'manual\n' } })],
      // Every continuation of the reconciler carries the one-use token its sender issued.
      ['no token', payloadWith(RECONCILE_ALL, { token: undefined })],
      ['an empty token', payloadWith(CONTINUE_SECRET, { token: '' })],
      ['a token with other characters', payloadWith(CONTINUE_SECRET, { token: 'a b' })],
      ['a token too long', payloadWith(CONTINUE_SECRET, { token: 'a'.repeat(65) })],
      ['a token that is a number', payloadWith(RECONCILE_ALL, { token: 42 })],
    ])('rejects %s', (_label, input) => {
      expect(() => decodeContinuation(input)).toThrow(MalformedEventError);
    });
  });
});

describe('canonicalRequest: what a token is issued for', () => {
  it('is the same whatever the order of the fields, and leaves the token out', () => {
    const reordered = {
      ...(Object.fromEntries(Object.entries(CONTINUE_SECRET).reverse()) as ContinueSecretRequest),
      bucket: { at: BUCKET.at, tokens: BUCKET.tokens },
      token: 'other',
    };
    expect(Object.keys(reordered)[0]).toBe('token');
    expect(canonicalRequest(reordered)).toBe(canonicalRequest(CONTINUE_SECRET));
    expect(canonicalRequest(CONTINUE_SECRET)).not.toContain(TOKEN);
  });

  it.each<[string, Partial<ContinueSecretRequest>]>([
    ['another secret', { secretArn: PARAMETER }],
    ['another hop', { hop: 2 }],
    ['another bucket', { bucket: { tokens: -1000, at: BUCKET.at } }],
    ['another trigger', { trigger: { source: 'manual' } }],
    ['another origin', { origin: 'manual' }],
  ])('differs for %s', (_label, change) => {
    expect(canonicalRequest({ ...CONTINUE_SECRET, ...change })).not.toBe(canonicalRequest(CONTINUE_SECRET));
  });
});

describe('index rebuild continuations', () => {
  const request: RebuildIndexRequest = {
    kind: 'rebuild-index',
    buildId: '0b6f2a57-7e42-4b8e-9a53-3c1f1f2f9b10',
    token: '9d1c3f4e-2b5a-4c6d-8e7f-0a1b2c3d4e5f',
    trigger: { source: 'schedule' },
    hop: 2,
  };

  it('round-trips through the payload refresh-index sends itself', () => {
    const payload = continuationPayload(request);
    expect(isRebuildContinuation(payload)).toBe(true);
    expect(decodeRebuildContinuation(JSON.parse(JSON.stringify(payload)))).toEqual(request);
  });

  it('is not the reconciler’s: its decoder refuses the kind', () => {
    expect(() => decodeContinuation(continuationPayload(request))).toThrow(MalformedEventError);
    expect(
      isRebuildContinuation(continuationPayload({ kind: 'reconcile-all', origin: 'schedule', trigger: { source: 'schedule' }, hop: 1 })),
    ).toBe(false);
  });

  it.each([
    ['no build id', { ...request, buildId: undefined }],
    ['a token with other characters', { ...request, token: 'a b' }],
    ['hop 0', { ...request, hop: 0 }],
    ['no trigger', { ...request, trigger: undefined }],
    ['a trigger of an unknown source', { ...request, trigger: { source: 'evil.app' } }],
  ])('refuses %s', (_, body) => {
    expect(() => decodeRebuildContinuation({ 'ecs-secret-redeploy:continuation': body })).toThrow(MalformedEventError);
  });
});
