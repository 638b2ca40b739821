import { rebuildIndex } from '../../../functions/app/refresh-index';
import { primaryOf, replicaFacts, targetsInRegion } from '../../../functions/app/replicas';
import { ForeignAccountError, UnknownSecretError } from '../../../functions/domain/errors';
import { parseTarget, type Target } from '../../../functions/domain/identity/target';
import { replicaHold } from '../../../functions/domain/plan/replication';
import { extractReferences } from '../../../functions/domain/references/references';
import { type FakeWorld, fakeWorld, reconcileSecret } from '../../kit/fakes/fake-world';
import { ACCOUNT, REGION } from '../../kit/test-account';

/*
 * A secret whose primary lives in us-east-1, replicated to eu-west-1 (REGION, where this
 * deployment and the consumers are) and to ap-southeast-2. The consumers reference the replica's
 * ARN in their own region, so the index holds them under it.
 */

const PRIMARY_REGION = 'us-east-1';
const arnIn = (region: string, name = 'prod/db-AbCdEf') => `arn:aws:secretsmanager:${region}:${ACCOUNT}:secret:${name}`;
const PRIMARY = arnIn(PRIMARY_REGION);
const REPLICA = arnIn(REGION);
const FAR_REPLICA = arnIn('ap-southeast-2');
const target = (arn: string) => parseTarget(arn) as Target;

let world: FakeWorld;

beforeEach(() => {
  world = fakeWorld();
  world.secrets.add(PRIMARY, 'prod/db');
  world.secrets.addReplica(PRIMARY, REGION);
  world.secrets.addReplica(PRIMARY, 'ap-southeast-2');
});

describe('targetsInRegion: what a change leads to in this region', () => {
  it("adds the replica here to a primary named from the primary's region (a forwarded event)", async () => {
    const found = await targetsInRegion(world.ports, target(PRIMARY), REGION);
    expect(found.targets.map((t) => (t.kind === 'secret' ? t.secretId : t.arn))).toEqual([PRIMARY, REPLICA]);
    expect(found.local).toMatchObject({ arn: REPLICA, role: 'replica', status: { region: REGION, status: 'InSync' } });
    expect(found.primary?.arn).toBe(PRIMARY);
    expect(world.secrets.calls.DescribeSecret).toBe(1);
  });

  it('reads a forwarded event that names the primary by name alone in its own region, not the replica here', async () => {
    const found = await targetsInRegion(world.ports, parseTarget('prod/db', PRIMARY_REGION) as Target, REGION);
    expect(found.named?.arn).toBe(PRIMARY);
    expect(found.local?.arn).toBe(REPLICA);
  });

  it('adds nothing for a secret of this region, primary or replica', async () => {
    const here = await targetsInRegion(world.ports, target(REPLICA), REGION);
    expect(here.targets).toEqual([target(REPLICA)]);
    expect(here.local).toBeUndefined();
    const primaryHere = await targetsInRegion(world.ports, target(PRIMARY), PRIMARY_REGION);
    expect(primaryHere.local).toBeUndefined();
  });

  it('adds the primary here to a replica of another region', async () => {
    const found = await targetsInRegion(world.ports, target(REPLICA), PRIMARY_REGION);
    expect(found.local).toEqual({ arn: PRIMARY, target: target(PRIMARY), role: 'primary' });
  });

  it("follows a replica of a third region to its primary for this region's replica", async () => {
    const found = await targetsInRegion(world.ports, target(FAR_REPLICA), REGION);
    expect(found.local).toMatchObject({ arn: REPLICA, role: 'replica' });
    expect(found.primary?.arn).toBe(PRIMARY);
    expect(world.secrets.calls.DescribeSecret).toBe(2);
  });

  it('adds nothing for a primary without a replica here, or a secret never replicated', async () => {
    const lonely = arnIn(PRIMARY_REGION, 'prod/other-ZyXwVu');
    world.secrets.add(lonely, 'prod/other');
    expect((await targetsInRegion(world.ports, target(lonely), REGION)).targets).toEqual([target(lonely)]);
    expect((await targetsInRegion(world.ports, target(PRIMARY), 'eu-central-1')).local).toBeUndefined();
  });

  it('reads nothing for an SSM parameter', async () => {
    const parameter = target(`arn:aws:ssm:${PRIMARY_REGION}:${ACCOUNT}:parameter/prod/token`);
    expect(await targetsInRegion(world.ports, parameter, REGION)).toEqual({ targets: [parameter] });
    expect(world.secrets.calls).toEqual({});
  });

  it('refuses a secret of an account not allowed before reading anything, as the reconcile does', async () => {
    const foreign = target(`arn:aws:secretsmanager:${PRIMARY_REGION}:210987654321:secret:prod/db-AbCdEf`);
    await expect(targetsInRegion(world.ports, foreign, REGION)).rejects.toThrow(ForeignAccountError);
    expect(world.secrets.calls).toEqual({});
  });

  it('throws UnknownSecretError for a secret that does not exist, as the reconcile does', async () => {
    await expect(targetsInRegion(world.ports, target(arnIn(PRIMARY_REGION, 'prod/nope-AbCdEf')), REGION)).rejects.toThrow(
      UnknownSecretError,
    );
  });
});

describe('primaryOf', () => {
  it("reads a replica's primary in its region", async () => {
    const replica = await world.ports.secrets.describe(target(REPLICA));
    expect((await primaryOf(world.ports, replica))?.arn).toBe(PRIMARY);
  });

  it('gives undefined for a secret that is no replica, and for a primary gone', async () => {
    expect(await primaryOf(world.ports, await world.ports.secrets.describe(target(PRIMARY)))).toBeUndefined();
    const replica = await world.ports.secrets.describe(target(REPLICA));
    world.secrets.states.delete(PRIMARY);
    expect(await primaryOf(world.ports, replica)).toBeUndefined();
  });
});

describe('replicaFacts: what the plan of a replica needs', () => {
  const row = { secretArn: REPLICA, replicationNoticeFor: 'eu-west-1|KMS|v1', rev: 2, writeId: 'w' };

  it("reads the primary in its region, and the failure last announced from the replica's row", async () => {
    const replica = await world.ports.secrets.describe(target(REPLICA));
    expect(await replicaFacts(world.ports, replica, row)).toEqual({
      primary: expect.objectContaining({ arn: PRIMARY }),
      replicationNoticed: 'eu-west-1|KMS|v1',
    });
  });

  it("says why when the primary's region does not answer, instead of failing the replica's reconcile", async () => {
    const replica = await world.ports.secrets.describe(target(REPLICA));
    const unreachable = {
      secrets: { ...world.ports.secrets, describe: () => Promise.reject(new Error('connect ETIMEDOUT secretsmanager.us-east-1')) },
    };
    expect(await replicaFacts(unreachable, replica, undefined)).toEqual({
      primaryUnread: 'connect ETIMEDOUT secretsmanager.us-east-1',
    });
  });

  it('says so when the primary is gone (a promotion in flight)', async () => {
    const replica = await world.ports.secrets.describe(target(REPLICA));
    world.secrets.states.delete(PRIMARY);
    expect(await replicaFacts(world.ports, replica, undefined)).toEqual({ primaryUnread: expect.stringContaining('no longer exists') });
  });

  it('reads nothing for a secret that is no replica', async () => {
    const primary = await world.ports.secrets.describe(target(PRIMARY));
    const before = world.secrets.calls.DescribeSecret;
    expect(await replicaFacts(world.ports, primary, row)).toEqual({});
    expect(world.secrets.calls.DescribeSecret).toBe(before);
  });
});

describe("the replica's consumers, reconciled by the replica's ARN (today's level-triggered reconcile)", () => {
  const SERVICE = `arn:aws:ecs:${REGION}:${ACCOUNT}:service/prod/orders-api`;

  beforeEach(async () => {
    const taskDefinitionArn = `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/orders-api:1`;
    const containerDefinitions = [{ name: 'app', secrets: [{ name: 'DB', valueFrom: REPLICA }] }];
    world.ecs.taskDefinitions.set(taskDefinitionArn, extractReferences({ taskDefinitionArn, containerDefinitions }));
    world.ecs.addService({
      clusterArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/prod`,
      serviceArn: SERVICE,
      serviceName: 'orders-api',
      desiredCount: 1,
      taskDefinition: taskDefinitionArn,
    });
    await rebuildIndex(world.ports);
  });

  const redeployed = () => world.ecs.updates.map((u) => u.serviceArn);

  it('indexes the consumers under the replica ARN, not the primary', async () => {
    expect((await world.index.entriesOf(REPLICA)).map((e) => e.resourceArn)).toEqual([SERVICE]);
    expect(await world.index.entriesOf(PRIMARY)).toEqual([]);
  });

  it('redeploys nothing while the replica does not hold the change, then once when it does', async () => {
    world.secrets.setReplication(REPLICA, 'InProgress');
    world.secrets.rotate(PRIMARY);

    const found = await targetsInRegion(world.ports, target(PRIMARY), REGION);
    const replica = await world.ports.secrets.describe(target(REPLICA));
    expect(replicaHold(replica, found.primary).verdict).toBe('wait');
    await reconcileSecret(world, REPLICA);
    expect(redeployed()).toEqual([]);

    world.secrets.setReplication(REPLICA, 'InSync', 'Replication succeeded');
    const synced = await world.ports.secrets.describe(target(REPLICA));
    expect(replicaHold(synced, await primaryOf(world.ports, synced)).verdict).toBe('free');
    await reconcileSecret(world, REPLICA);
    await reconcileSecret(world, REPLICA);
    expect(redeployed()).toEqual([SERVICE]);
  });
});
