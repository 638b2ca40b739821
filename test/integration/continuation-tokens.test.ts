/**
 * The continuation tokens' contract, run against the state table on moto_server and against the
 * in-memory store the unit tests use: a token is issued for one request, used once, used again
 * only by the invocation that used it (Lambda's retry of that invocation, or a use whose answer
 * was lost), and never for another request, after it expired, or if it was never issued.
 */
import type { Instrument } from '../../functions/aws/clients';
import { createStateTable } from '../../functions/aws/state-table/admin';
import { tableContinuationTokens } from '../../functions/aws/state-table/continuations';
import type { ContinuationTokens } from '../../functions/ports/continuation';
import { type Emulator, startEmulator } from '../kit/emulator';
import { MemoryContinuationTokens } from '../kit/fakes/stores';

let emulator: Emulator;
let tables = 0;

beforeAll(async () => {
  emulator = await startEmulator();
}, 60_000);

afterAll(async () => {
  await emulator?.moto.stop();
});

type Middleware = (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => (args: unknown) => Promise<unknown>;

/**
 * Loses the answer of the next `lose.n` PutItems after DynamoDB applied them, as a dropped
 * connection would (the document client's PutCommand is PutItem underneath); the SDK retries them.
 */
function losingPutAnswers(lose: { n: number }): Instrument {
  const middleware: Middleware = (next, context) => async (args) => {
    const out = await next(args);
    if (context.commandName === 'PutItemCommand' && lose.n > 0) {
      lose.n -= 1;
      throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
    }
    return out;
  };
  return (client) =>
    (client.middlewareStack as { add: (m: Middleware, o: object) => void }).add(middleware, { step: 'deserialize', name: 'lose-answers' });
}

/** A fresh state table on moto for each test. */
async function onMoto(instrument?: Instrument): Promise<ContinuationTokens> {
  tables += 1;
  const { table } = emulator.ports({ stateTable: `continuation-tokens-${tables}`, maxAttempts: 3 }, instrument ? { instrument } : {});
  await createStateTable(table);
  return tableContinuationTokens(table);
}

const NOW = new Date('2026-11-20T12:00:00Z');
const LATER = new Date('2026-11-21T12:00:00Z');
const REQUEST = '{"hop":1,"kind":"continue-secret"}';

describe.each([
  ['the state table on moto_server', () => onMoto()],
  ['the in-memory store of the unit tests', async (): Promise<ContinuationTokens> => new MemoryContinuationTokens()],
])('continuation tokens: %s', (_, make) => {
  it('a token is used once, by one invocation; that invocation may use it again, no other', async () => {
    const tokens = await make();
    await tokens.issue('t1', REQUEST, LATER);
    expect(await tokens.use('t1', REQUEST, 'invocation-a', NOW)).toEqual({ used: true });
    expect(await tokens.use('t1', REQUEST, 'invocation-a', NOW)).toEqual({ used: true });
    expect(await tokens.use('t1', REQUEST, 'invocation-b', NOW)).toEqual({ used: false, why: 'used-by-another', by: 'invocation-a' });
  });

  it('a token is never used for another request, after it expired, or when it was never issued', async () => {
    const tokens = await make();
    await tokens.issue('t2', REQUEST, LATER);
    expect(await tokens.use('t2', '{"hop":2,"kind":"continue-secret"}', 'invocation-a', NOW)).toEqual({ used: false, why: 'unknown' });
    expect(await tokens.use('t2', REQUEST, 'invocation-a', LATER)).toEqual({ used: false, why: 'unknown' });
    expect(await tokens.use('never-issued', REQUEST, 'invocation-a', NOW)).toEqual({ used: false, why: 'unknown' });
    // Refusing it used nothing: the genuine request still runs once.
    expect(await tokens.use('t2', REQUEST, 'invocation-b', NOW)).toEqual({ used: true });
  });

  it('issuing the same token again for the same request is its own retry; for another request it fails', async () => {
    const tokens = await make();
    await tokens.issue('t3', REQUEST, LATER);
    await expect(tokens.issue('t3', REQUEST, LATER)).resolves.toBeUndefined();
    await expect(tokens.issue('t3', '{"other":true}', LATER)).rejects.toThrow();
  });
});

describe('continuation tokens on the state table, after a lost answer', () => {
  it("a use whose answer was lost after DynamoDB applied it is that invocation's use (the SDK's retry finds it)", async () => {
    const lose = { n: 0 };
    const tokens = await onMoto(losingPutAnswers(lose));
    await tokens.issue('t4', REQUEST, LATER);
    lose.n = 1;
    expect(await tokens.use('t4', REQUEST, 'invocation-a', NOW)).toEqual({ used: true });
    expect(lose.n).toBe(0);
    expect(await tokens.use('t4', REQUEST, 'invocation-b', NOW)).toEqual({ used: false, why: 'used-by-another', by: 'invocation-a' });
  });

  it('an issue whose answer was lost after DynamoDB applied it succeeds on the retry', async () => {
    const lose = { n: 1 };
    const tokens = await onMoto(losingPutAnswers(lose));
    await expect(tokens.issue('t5', REQUEST, LATER)).resolves.toBeUndefined();
    expect(lose.n).toBe(0);
    expect(await tokens.use('t5', REQUEST, 'invocation-a', NOW)).toEqual({ used: true });
  });
});
