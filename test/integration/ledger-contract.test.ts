/**
 * The ledger's contract, run against the state table on moto_server and against the in-memory
 * ledger the unit tests use: what the unit tests prove with the fake holds for the adapter only
 * if both keep the same contract (compare-and-set by revision, the stored row handed back when
 * the condition fails, the secret's own row apart from its consumers' rows, reads grouped by
 * secret, batched reads).
 */

import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { commitRecord, commitSecret } from '../../functions/app/compare-and-set';
import { createStateTable } from '../../functions/aws/state-table/admin';
import { tableLedger } from '../../functions/aws/state-table/ledger';
import type { Table } from '../../functions/aws/state-table/table';
import type { LedgerRecord, SecretRecord, SettledRecord } from '../../functions/domain/ledger/record';
import type { Ledger } from '../../functions/ports/ledger';
import { type Emulator, startEmulator } from '../kit/emulator';
import { secretArn, serviceArn } from '../kit/factories';
import { MemoryLedger } from '../kit/fakes/stores';

let emulator: Emulator;
let tables = 0;

beforeAll(async () => {
  emulator = await startEmulator();
}, 60_000);

afterAll(async () => {
  await emulator?.moto.stop();
});

/** A fresh state table on moto for each test: no test sees another's rows. */
async function motoTable(): Promise<Table> {
  tables += 1;
  const { table } = emulator.ports({ stateTable: `ledger-contract-${tables}` });
  await createStateTable(table);
  return table;
}

async function onMoto(): Promise<Ledger> {
  return tableLedger(await motoTable());
}

const S1 = secretArn('prod/db-AbCdEf');
const S2 = secretArn('prod/api-key-GhIjKl');
const A = serviceArn('web', 'a');
const B = serviceArn('web', 'b');

function record(secret: string, service: string, rev: number, extra: Partial<SettledRecord> = {}): SettledRecord {
  return {
    state: 'settled',
    secretArn: secret,
    serviceArn: service,
    versions: { AWSCURRENT: `v${rev}` },
    via: 'redeploy',
    at: '2026-11-20T08:00:00.000Z',
    rev,
    writeId: `w${rev}`,
    ...extra,
  };
}

function secretRecord(secret: string, rev: number, extra: Partial<SecretRecord> = {}): SecretRecord {
  return { secretArn: secret, rev, writeId: `s${rev}`, ...extra };
}

describe.each([
  ['the state table on moto_server', onMoto, onMotoLosing],
  ['the in-memory ledger of the unit tests', async (): Promise<Ledger> => new MemoryLedger(), inMemoryLosing],
])('ledger contract: %s', (_, make, losing) => {
  it('creates a record only where none exists, then changes it only at the revision read, handing back what is stored', async () => {
    const ledger = await make();
    expect(await ledger.write(record(S1, A, 1), undefined)).toEqual({ written: true });
    expect(await ledger.write(record(S1, A, 1, { writeId: 'other' }), undefined)).toEqual({ written: false, stored: record(S1, A, 1) });
    expect(await ledger.write(record(S1, A, 2), 5)).toEqual({ written: false, stored: record(S1, A, 1) });
    expect(await ledger.write(record(S1, A, 2), 1)).toEqual({ written: true });
    expect(await ledger.read(S1, A)).toEqual(record(S1, A, 2));
    expect(await ledger.write(record(S2, A, 2), 1)).toEqual({ written: false, stored: undefined });
  });

  it('keeps the nested parts of a record as written (claim, slot, deployment)', async () => {
    const ledger = await make();
    const full: LedgerRecord = {
      ...record(S1, A, 1, {
        slot: { key: 'AWSCURRENT=v1', wave: 1 },
        deployment: { state: 'FAILED', reason: 'circuit breaker', at: '2026-11-20T07:00:00.000Z' },
      }),
      state: 'claimed',
      claim: {
        token: 't',
        claimedAt: '2026-11-20T08:00:00.000Z',
        leaseUntil: '2026-11-20T08:01:00.000Z',
        target: { AWSCURRENT: 'v2' },
        slot: { key: 'AWSCURRENT=v2', wave: 2 },
      },
    };
    await ledger.write(full, undefined);
    expect(await ledger.read(S1, A)).toEqual(full);
  });

  it('reads many records at once, more than one batch of them, leaving out pairs without one', async () => {
    const ledger = await make();
    const services = Array.from({ length: 130 }, (_, i) => serviceArn('web', `s${i}`));
    for (const service of services) await ledger.write(record(S1, service, 1), undefined);

    const read = await ledger.readMany([...services, B].map((serviceArn) => ({ secretArn: S1, serviceArn })));

    expect(read.map((r) => r.serviceArn).sort()).toEqual([...services].sort());
  });

  it('recognises its own write after a lost answer, the record and the secret row alike, without reading them back', async () => {
    const { ledger, loseNext } = await losing();
    await ledger.write(record(S1, A, 1), undefined);
    await ledger.writeSecret(secretRecord(S1, 1), undefined);
    const read = jest.spyOn(ledger, 'read');
    const readSecret = jest.spyOn(ledger, 'readSecret');

    loseNext();
    expect(await commitRecord(ledger, record(S1, A, 2), 1)).toEqual({ written: true });
    loseNext();
    expect(await commitSecret(ledger, secretRecord(S1, 2), 1)).toEqual({ written: true });

    expect(read).not.toHaveBeenCalled();
    expect(readSecret).not.toHaveBeenCalled();
    expect(await ledger.read(S1, A)).toEqual(record(S1, A, 2));
    expect(await ledger.readSecret(S1)).toEqual(secretRecord(S1, 2));
  });

  it("keeps the secret's own record apart from its consumers', with the same compare-and-set", async () => {
    const ledger = await make();
    const rollout = { key: 'AWSCURRENT=v2', status: 'in-progress' as const, startedAt: '2026-11-20T08:00:00.000Z' };
    expect(await ledger.writeSecret(secretRecord(S1, 1, { rollout }), undefined)).toEqual({ written: true });
    expect(await ledger.writeSecret(secretRecord(S1, 1), undefined)).toEqual({ written: false, stored: secretRecord(S1, 1, { rollout }) });
    await ledger.write(record(S1, A, 1), undefined);

    expect(await ledger.readSecret(S1)).toEqual(secretRecord(S1, 1, { rollout }));
    expect(await ledger.records(S1)).toEqual({ services: [record(S1, A, 1)], secret: secretRecord(S1, 1, { rollout }) });
    expect(await ledger.writeSecret(secretRecord(S1, 2, { deletionNoticeFor: '2026-12-01T00:00:00.000Z' }), 1)).toEqual({ written: true });
    expect((await ledger.readSecret(S1))?.deletionNoticeFor).toBe('2026-12-01T00:00:00.000Z');
  });

  it("reads one secret's ledger without another's, and every ledger grouped by secret", async () => {
    const ledger = await make();
    await ledger.write(record(S1, A, 1), undefined);
    await ledger.write(record(S1, B, 1), undefined);
    await ledger.write(record(S2, A, 1), undefined);
    await ledger.writeSecret(secretRecord(S2, 1), undefined);

    const one = await ledger.records(S1);
    expect(one.services.map((r) => r.serviceArn).sort()).toEqual([A, B]);
    expect(one.secret).toBeUndefined();
    const all = await ledger.allRecords();
    expect([...all.keys()].sort()).toEqual([S1, S2].sort());
    expect(all.get(S2)).toEqual({ services: [record(S2, A, 1)], secret: secretRecord(S2, 1) });
  });

  it('forgets a pair, and answers nothing for what was never written', async () => {
    const ledger = await make();
    await ledger.write(record(S1, A, 1), undefined);
    await ledger.remove(S1, A);
    expect(await ledger.read(S1, A)).toBeUndefined();
    expect(await ledger.readSecret(S1)).toBeUndefined();
    expect(await ledger.records(S2)).toEqual({ services: [] });
  });
});

describe('ledger on the state table: rows of the earlier shape', () => {
  // A table kept across an upgrade holds rows written before records named their state and slot:
  // a claim in flight must still read as claimed, or a second run would redeploy beside it.
  it('reads a row with a claim as claimed, and the rollout key and wave kept apart as its slot', async () => {
    const table = await motoTable();
    const claim = {
      token: 't',
      claimedAt: '2026-11-20T08:00:00.000Z',
      leaseUntil: '2026-11-20T08:01:00.000Z',
      target: { AWSCURRENT: 'v2' },
    };
    const earlier = {
      secretArn: S1,
      serviceArn: A,
      versions: { AWSCURRENT: 'v1' },
      via: 'redeploy',
      at: claim.claimedAt,
      rev: 3,
      writeId: 'w3',
    };
    const put = (sk: string, item: object) =>
      table.client.send(new PutCommand({ TableName: table.name, Item: { pk: `SECRET#${S1}`, sk, ...item } }));
    await put(`LEDGER#${A}`, {
      ...earlier,
      claim: { ...claim, rollout: { key: 'AWSCURRENT=v2', wave: 2 } },
      rollout: 'AWSCURRENT=v1',
      wave: 1,
    });
    await put(`LEDGER#${B}`, { ...earlier, serviceArn: B });

    const ledger = tableLedger(table);

    expect(await ledger.read(S1, A)).toEqual({
      ...earlier,
      state: 'claimed',
      claim: { ...claim, slot: { key: 'AWSCURRENT=v2', wave: 2 } },
      slot: { key: 'AWSCURRENT=v1', wave: 1 },
    });
    expect(await ledger.read(S1, B)).toEqual({ ...earlier, serviceArn: B, state: 'settled' });
  });
});

/**
 * The state table whose next conditional write loses its answer once DynamoDB applied it: the
 * connection drops (ECONNRESET) after the response came, above the SDK's own retries.
 */
async function onMotoLosing(): Promise<{ ledger: Ledger; loseNext: () => void }> {
  const table = await motoTable();
  let lose = false;
  table.client.middlewareStack.add(
    (next, context) => async (args) => {
      const out = await next(args);
      if (lose && context.commandName === 'PutItemCommand') {
        lose = false;
        throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
      }
      return out;
    },
    { step: 'initialize', name: 'loseAnswer' },
  );
  return { ledger: tableLedger(table), loseNext: () => (lose = true) };
}

async function inMemoryLosing(): Promise<{ ledger: Ledger; loseNext: () => void }> {
  const ledger = new MemoryLedger();
  return { ledger, loseNext: () => (ledger.loseAnswers = 1) };
}
