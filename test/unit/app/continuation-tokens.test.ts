import { admitContinuation, CONTINUATION_TOKEN_MS, withOneUseTokens } from '../../../functions/app/continuation-tokens';
import { handleEvent } from '../../../functions/app/handle-event';
import { rebuildIndex } from '../../../functions/app/refresh-index';
import {
  CONTINUATION_KEY,
  type ContinuationRequest,
  canonicalRequest,
  continuationPayload,
  decodeContinuation,
  type RunRequest,
} from '../../../functions/domain/decode/run-request';
import { MalformedEventError } from '../../../functions/domain/errors';
import { secretEvents } from '../../kit/events';
import { type FakeWorld, fakeWorld, type SeededFakes, seedFakes } from '../../kit/fakes/fake-world';
import { invocation, runChain } from '../../kit/fakes/invocations';
import { syntheticPlan } from '../../kit/simulated-account';
import { ACCOUNT, REGION } from '../../kit/test-account';

/*
 * The reconciler's continuations carry a one-use token, as the index rebuild's do (DESIGN "Least
 * privilege (rules)": inputs that move a rollout are verified, bounded, and from this account):
 * the sending run issues it for exactly the request it sends, the receiving run uses it once.
 */

let world: FakeWorld;
let seeded: SeededFakes;
const SECRET = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:prod/db-AbCdEf`;
const CONTINUE: RunRequest = {
  kind: 'continue-secret',
  secretArn: SECRET,
  origin: 'event',
  trigger: { source: 'aws.secretsmanager' },
  hop: 1,
};

/** The request a run hands over, as the next run receives it: with its token, through JSON. */
async function handedOver(request: RunRequest = CONTINUE): Promise<RunRequest> {
  await world.continuation.continueWith(request);
  return JSON.parse(JSON.stringify(world.continuation.requests.pop())) as RunRequest;
}

beforeEach(() => {
  world = fakeWorld();
});

describe('withOneUseTokens: the sending side', () => {
  it('issues a fresh token for exactly the request it sends, valid longer than the queue keeps an event', async () => {
    const first = await handedOver();
    const second = await handedOver();
    expect(first.token).toMatch(/^[0-9a-f-]{36}$/);
    expect(second.token).not.toBe(first.token);
    const stored = world.continuations.tokens.get(first.token as string);
    expect(stored?.request).toBe(canonicalRequest(decodeContinuation(continuationPayload(first))));
    expect(stored?.expiresAt).toBe(world.clock.now().getTime() + CONTINUATION_TOKEN_MS);
    expect(CONTINUATION_TOKEN_MS).toBeGreaterThan(6 * 3600 * 1000);
  });

  it('replaces a token the request already had (a continuation of a continuation gets its own)', async () => {
    const first = await handedOver();
    const next = await handedOver({ ...first, hop: 2 });
    expect(next.token).not.toBe(first.token);
  });

  it('issues before it sends, so a sent continuation always finds its token; a failed send leaves one never used', async () => {
    const sent: ContinuationRequest[] = [];
    const order: string[] = [];
    world.ports.continuations = {
      issue: async (...args) => {
        order.push('issue');
        return world.continuations.issue(...args);
      },
      use: (...args) => world.continuations.use(...args),
    };
    const continuation = withOneUseTokens(world.ports, {
      continueWith: async (r) => {
        order.push('send');
        sent.push(r);
      },
    });
    await continuation.continueWith(CONTINUE);
    expect(order).toEqual(['issue', 'send']);
    const failing = withOneUseTokens(world.ports, {
      continueWith: async () => {
        throw new Error('Lambda Invoke failed');
      },
    });
    await expect(failing.continueWith(CONTINUE)).rejects.toThrow('Lambda Invoke failed');
    expect([...world.continuations.tokens.values()].filter((t) => t.usedBy === undefined)).toHaveLength(2);
  });

  it("passes an index rebuild's continuation as it is: it carries its own lease token", async () => {
    const sent: ContinuationRequest[] = [];
    const rebuild: ContinuationRequest = { kind: 'rebuild-index', buildId: 'b', token: 'lease', trigger: { source: 'schedule' }, hop: 1 };
    await withOneUseTokens(world.ports, { continueWith: async (r) => void sent.push(r) }).continueWith(rebuild);
    expect(sent).toEqual([rebuild]);
    expect(world.continuations.tokens.size).toBe(0);
  });
});

describe('admitContinuation: the receiving side', () => {
  it('admits the request its token was issued for, once, and again for the same invocation (a retry, a lost answer)', async () => {
    const request = decodeContinuation(continuationPayload(await handedOver()));
    expect(await admitContinuation(world.ports, request, 'lambda-request-1')).toEqual({ admitted: true });
    expect(await admitContinuation(world.ports, request, 'lambda-request-1')).toEqual({ admitted: true });
    expect(await admitContinuation(world.ports, request, 'lambda-request-2')).toEqual({
      admitted: false,
      reason: 'continuation already run by invocation lambda-request-1: not run again',
    });
    expect(world.metrics.sum('EventsRefused')).toBe(1);
  });

  it.each<[string, (r: RunRequest) => RunRequest]>([
    ['a token never issued', (r) => ({ ...r, token: '00000000-0000-4000-8000-000000000000' })],
    ['a forged rate bucket', (r) => ({ ...r, bucket: { tokens: -1e9, at: 4e12 } })],
    ['another secret', (r) => ({ ...r, secretArn: SECRET.replace('prod/db', 'prod/other') })],
    ['another hop', (r) => ({ ...r, hop: 499 })],
    ['another trigger', (r) => ({ ...r, trigger: { source: 'manual', eventId: 'forged' } })],
  ])('refuses %s as bad input, counted, running nothing', async (_label, alter) => {
    const request = decodeContinuation(continuationPayload(alter(await handedOver())));
    await expect(admitContinuation(world.ports, request, 'lambda-request-1')).rejects.toThrow(
      new MalformedEventError('continuation refused: its token was never issued for this request, or has expired'),
    );
    expect(world.metrics.sum('EventsRefused')).toBe(1);
  });

  it('refuses a token used after it expired', async () => {
    const request = decodeContinuation(continuationPayload(await handedOver()));
    world.clock.advance(CONTINUATION_TOKEN_MS + 1);
    await expect(admitContinuation(world.ports, request)).rejects.toThrow(MalformedEventError);
  });
});

describe('handleEvent: a continuation runs once', () => {
  const K = 40;

  beforeEach(async () => {
    seeded = seedFakes(world, syntheticPlan(60, [K]));
    await rebuildIndex(world.ports);
    world.ports.config.updateRate = 2;
    world.ports.config.updateBurst = 5;
  });

  const rotated = () => seeded.secrets.get(`bench/rotated-k${K}`)?.arn as string;

  it('a chain of continuations redeploys every consumer exactly once, each continuation admitted by its token', async () => {
    world.secrets.rotate(rotated());
    const outcomes = await runChain(world, secretEvents(rotated(), { account: ACCOUNT, region: REGION }).putSecretValue(), 20);
    expect(outcomes.length).toBeGreaterThan(1);
    expect([...world.ecs.updatesPerService().values()].every((n) => n === 1)).toBe(true);
    expect([...world.ecs.updatesPerService().values()]).toHaveLength(K);
    expect([...world.continuations.tokens.values()].every((t) => t.usedBy !== undefined)).toBe(true);
  });

  it('a duplicate delivery or a replay of a continuation runs nothing; a forged one is refused; the genuine one runs', async () => {
    world.secrets.rotate(rotated());
    const first = await handleEvent(
      world.ports,
      secretEvents(rotated(), { account: ACCOUNT, region: REGION }).putSecretValue(),
      invocation(world, 20),
    );
    expect(first.kind === 'report' && first.report.continued).toBeTruthy();
    const payload = JSON.parse(JSON.stringify(continuationPayload(world.continuation.requests.pop() as RunRequest)));
    const before = world.ecs.updates.length;

    // Forged: the same request with a debt that would stop every UpdateService.
    const forged = structuredClone(payload);
    forged[CONTINUATION_KEY].bucket = { tokens: -1e9, at: world.clock.now().getTime() };
    await expect(handleEvent(world.ports, forged, invocation(world, 20))).rejects.toThrow(MalformedEventError);
    expect(world.ecs.updates.length).toBe(before);

    // Genuine: runs, and redeploys more.
    const run = { ...invocation(world, 20), invocationId: 'lambda-request-7' };
    const genuine = await handleEvent(world.ports, payload, run);
    expect(genuine.kind).toBe('report');
    const after = world.ecs.updates.length;
    expect(after).toBeGreaterThan(before);

    // A duplicate delivery (another invocation): nothing runs.
    const duplicate = await handleEvent(world.ports, payload, invocation(world, 20));
    expect(duplicate).toEqual({ kind: 'duplicate', reason: 'continuation already run by invocation lambda-request-7: not run again' });
    expect(world.ecs.updates.length).toBe(after);
  });
});
