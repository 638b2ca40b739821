/**
 * The ledger's contract, run against the state table on moto_server and against the in-memory
 * ledger the unit tests use: what the unit tests prove with the fake holds for the adapter only
 * if both keep the same contract (compare-and-set by revision, the secret's own row apart from
 * its consumers' rows, reads grouped by secret).
 */

import { createStateTable } from '../../functions/aws/state-table/admin';
import { tableLedger } from '../../functions/aws/state-table/ledger';
import type { LedgerRecord, SecretRecord } from '../../functions/domain/ledger/record';
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
async function onMoto(): Promise<Ledger> {
  tables += 1;
  const { table } = emulator.ports({ stateTable: `ledger-contract-${tables}` });
  await createStateTable(table);
  return tableLedger(table);
}

const S1 = secretArn('prod/db-AbCdEf');
const S2 = secretArn('prod/api-key-GhIjKl');
const A = serviceArn('web', 'a');
const B = serviceArn('web', 'b');

function record(secret: string, service: string, rev: number, extra: Partial<LedgerRecord> = {}): LedgerRecord {
  return {
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
  ['the state table on moto_server', onMoto],
  ['the in-memory ledger of the unit tests', async (): Promise<Ledger> => new MemoryLedger()],
])('ledger contract: %s', (_, make) => {
  it('creates a record only where none exists, then changes it only at the revision read', async () => {
    const ledger = await make();
    expect(await ledger.write(record(S1, A, 1), undefined)).toBe(true);
    expect(await ledger.write(record(S1, A, 1, { writeId: 'other' }), undefined)).toBe(false);
    expect(await ledger.write(record(S1, A, 2), 5)).toBe(false);
    expect(await ledger.write(record(S1, A, 2), 1)).toBe(true);
    expect(await ledger.read(S1, A)).toEqual(record(S1, A, 2));
  });

  it('keeps the nested parts of a record as written (claim, rollout, deployment)', async () => {
    const ledger = await make();
    const full = record(S1, A, 1, {
      claim: {
        token: 't',
        claimedAt: '2026-11-20T08:00:00.000Z',
        leaseUntil: '2026-11-20T08:01:00.000Z',
        target: { AWSCURRENT: 'v2' },
        rollout: { key: 'AWSCURRENT=v2', wave: 2 },
      },
      rollout: 'AWSCURRENT=v1',
      wave: 1,
      deployment: { state: 'FAILED', reason: 'circuit breaker', at: '2026-11-20T07:00:00.000Z' },
    });
    await ledger.write(full, undefined);
    expect(await ledger.read(S1, A)).toEqual(full);
  });

  it("keeps the secret's own record apart from its consumers', with the same compare-and-set", async () => {
    const ledger = await make();
    const rollout = { key: 'AWSCURRENT=v2', status: 'in-progress' as const, startedAt: '2026-11-20T08:00:00.000Z' };
    expect(await ledger.writeSecret(secretRecord(S1, 1, { rollout }), undefined)).toBe(true);
    expect(await ledger.writeSecret(secretRecord(S1, 1), undefined)).toBe(false);
    await ledger.write(record(S1, A, 1), undefined);

    expect(await ledger.readSecret(S1)).toEqual(secretRecord(S1, 1, { rollout }));
    expect(await ledger.records(S1)).toEqual({ services: [record(S1, A, 1)], secret: secretRecord(S1, 1, { rollout }) });
    expect(await ledger.writeSecret(secretRecord(S1, 2, { deletionNoticeFor: '2026-12-01T00:00:00.000Z' }), 1)).toBe(true);
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
