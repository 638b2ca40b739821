import { describeOnce, readOtherSecrets, settleOtherSecrets } from '../../../functions/app/settle';
import { claimed, firstSightRecord, type LedgerRecord } from '../../../functions/domain/ledger/record';
import { secretArn, serviceArn } from '../../kit/factories';
import { type FakeWorld, fakeWorld } from '../../kit/fakes/fake-world';

const DB = secretArn('prod/db-AbCdEf');
const KEY = secretArn('prod/key-GhIjKl');
const SERVICE = serviceArn('web', 'api');

let world: FakeWorld;
let stampN = 0;
const stamp = () => ({ now: world.clock.now(), writeId: `w${++stampN}` });

function recordOf(secret: string, versions: Record<string, string>): LedgerRecord {
  return firstSightRecord(secret, SERVICE, { versions, stale: [] }, stamp());
}

/** The other secrets of SERVICE, read now for a redeploy of DB, by a run of its own. */
async function readNow(known: string[] | undefined) {
  const services = [{ serviceArn: SERVICE, ...(known ? { otherSecrets: known } : {}) }];
  const others = await readOtherSecrets(world.ports, DB, services, describeOnce(world.ports, world.clock.now()), world.clock.now());
  return others.get(SERVICE);
}

beforeEach(async () => {
  world = fakeWorld();
  world.secrets.add(DB, 'prod/db');
  world.secrets.add(KEY, 'prod/key');
  await world.index.apply(
    {
      put: [DB, KEY].map((secret) => ({
        secretArn: secret,
        kind: 'service' as const,
        resourceArn: SERVICE,
        clusterArn: 'c',
        name: 'api',
        taskDefinition: 't',
        references: [],
      })),
      remove: [],
    },
    new Map([[SERVICE, [DB, KEY]]]),
  );
  await world.ledger.write(recordOf(KEY, { AWSCURRENT: world.secrets.current(KEY) }), undefined);
});

describe('one deployment settles every secret of its service', () => {
  it('advances the record of another secret to the version read before UpdateService', async () => {
    world.clock.advance(1000);
    const rotated = world.secrets.rotate(KEY);
    const others = await readNow(undefined);

    await settleOtherSecrets(world.ports, SERVICE, others, 'ecs-svc/9', stamp);

    expect(await world.ledger.read(KEY, SERVICE)).toMatchObject({
      versions: { AWSCURRENT: rotated },
      via: 'settled',
      deploymentId: 'ecs-svc/9',
    });
  });

  it('uses the other secrets the index entry names, without asking the index', async () => {
    world.index.secretsOfService = async () => {
      throw new Error('not asked');
    };
    const others = await readNow([KEY]);
    expect(others?.pairs.map((s) => s.secretArn)).toEqual([KEY]);
  });

  it("reads the services' records of their other secrets in one batch, before anything is sent", async () => {
    const second = serviceArn('web', 'worker');
    const read = jest.spyOn(world.ledger, 'read');
    const services = [SERVICE, second].map((serviceArn) => ({ serviceArn, otherSecrets: [KEY] }));

    const others = await readOtherSecrets(world.ports, DB, services, describeOnce(world.ports, world.clock.now()), world.clock.now());

    expect(world.ledger.batchReads).toBe(1);
    expect(read).not.toHaveBeenCalled();
    expect(others.get(SERVICE)?.pairs[0].record).toMatchObject({ secretArn: KEY, serviceArn: SERVICE });
    expect(others.get(second)?.pairs).toEqual([{ secretArn: KEY, versions: { AWSCURRENT: world.secrets.current(KEY) } }]);
  });

  it('leaves a record written after the versions were read: it may know a newer deployment', async () => {
    const others = await readNow(undefined);
    world.clock.advance(1000);
    world.secrets.rotate(KEY);
    const newer = recordOf(KEY, { AWSCURRENT: world.secrets.current(KEY) });
    await world.ledger.write({ ...newer, rev: 2 }, 1);

    const [pair] = others?.pairs ?? [];
    await settleOtherSecrets(
      world.ports,
      SERVICE,
      others && { ...others, pairs: [{ ...pair, versions: { AWSCURRENT: 'old' } }] },
      'd',
      stamp,
    );

    expect((await world.ledger.read(KEY, SERVICE))?.versions).toEqual(newer.versions);
  });

  it('leaves a record another run has claimed, and a pair without a record', async () => {
    const record = (await world.ledger.read(KEY, SERVICE)) as LedgerRecord;
    const claim = claimed(record, { secretArn: KEY, serviceArn: SERVICE }, { token: 'other', target: { AWSCURRENT: 'x' } }, 300, stamp());
    await world.ledger.write(claim, record.rev);
    world.clock.advance(1000);
    const third = secretArn('prod/third-MnOpQr');
    world.secrets.add(third, 'prod/third');
    const others = await readNow([KEY, third]);

    await settleOtherSecrets(world.ports, SERVICE, others, 'd', stamp);

    expect(await world.ledger.read(KEY, SERVICE)).toEqual(claim);
    expect(await world.ledger.read(third, SERVICE)).toBeUndefined();
  });

  it('describes each other secret once per run, however many of its services are redeployed', async () => {
    const describe = describeOnce(world.ports, world.clock.now());
    world.secrets.calls.DescribeSecret = 0;
    await Promise.all(
      [1, 2, 3].map(() => readOtherSecrets(world.ports, DB, [{ serviceArn: SERVICE, otherSecrets: [KEY] }], describe, world.clock.now())),
    );
    expect(world.secrets.calls.DescribeSecret).toBe(1);
  });

  it('settles nothing, and fails nothing, when the other secrets cannot be read', async () => {
    world.secrets.describe = async () => {
      throw new Error('throttled');
    };
    const others = await readNow([KEY]);
    expect(others?.pairs).toEqual([]);
  });
});
