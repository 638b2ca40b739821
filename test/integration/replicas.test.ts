/**
 * Replica secrets against ONE moto_server serving two regions: the primary lives in us-east-1,
 * its replica (AddReplicaRegions) in eu-west-1 (REGION), where this service is deployed and the
 * consumers run. The consumers reference the replica, their own region's copy, by full ARN, by
 * partial ARN and by name; one references the primary across regions.
 *
 * What this file proves today: the adapter's replication facts as moto answers them, the identity
 * rule against moto's replica ARN, the expansion of a forwarded primary event to the replica here,
 * and that the level-triggered reconcile of the replica's ARN redeploys its consumers once the
 * replica holds the change, never before (replication held open in the launcher, as AWS's is
 * asynchronous). The hold as an outcome (waiting) and its re-check come with the reconcile's plan.
 */
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  TagResourceCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-secrets-manager';
import { reconcile } from '../../functions/app/reconcile';
import { rebuildIndex } from '../../functions/app/refresh-index';
import { primaryOf, targetsInRegion } from '../../functions/app/replicas';
import { createStateTable } from '../../functions/aws/state-table/admin';
import { decodeEvent } from '../../functions/domain/decode/events';
import { arnInRegion } from '../../functions/domain/identity/replica';
import { parseTarget, type Target } from '../../functions/domain/identity/target';
import { replicaHold, replicationRole } from '../../functions/domain/plan/replication';
import { versionOfStage } from '../../functions/domain/plan/secret-state';
import { type Emulator, MOTO_ACCOUNT, startEmulator } from '../kit/emulator';
import { type EventOrigin, secretEvents } from '../kit/events';
import { reconcileOptions } from '../kit/fakes/fake-world';
import { HOLD_REPLICATION_TAG } from '../kit/moto';
import {
  newDeployments as countNewDeployments,
  createClusters,
  createService,
  emulatorClientConfig,
  registerTaskDefinition,
} from '../kit/simulated-account';
import { REGION } from '../kit/test-account';

const PRIMARY_REGION = 'us-east-1';
const FROM_PRIMARY_REGION: EventOrigin = { account: MOTO_ACCOUNT, region: PRIMARY_REGION };
const NAME = 'prod/replicated-db';
const REPLICA_CONSUMERS = ['rep-full', 'rep-partial', 'rep-name'];
const SERVICES = [...REPLICA_CONSUMERS, 'xr-primary'];

let emulator: Emulator;
let smPrimary: SecretsManagerClient;
let primaryArn: string;
let replicaArn: string;
let cluster: string;

beforeAll(async () => {
  emulator = await startEmulator();
  smPrimary = new SecretsManagerClient(emulatorClientConfig(emulator.moto.endpoint, PRIMARY_REGION));
  const created = await smPrimary.send(
    new CreateSecretCommand({ Name: NAME, SecretString: JSON.stringify({ password: 'one' }), AddReplicaRegions: [{ Region: REGION }] }),
  );
  primaryArn = created.ARN as string;
  replicaArn = arnInRegion({ arn: primaryArn, name: NAME }, REGION) as string;

  [cluster] = await createClusters(emulator.ecs, ['replicas']);
  const families: Array<[string, Parameters<typeof registerTaskDefinition>[2]]> = [
    ['rep-full', [{ name: 'app', secrets: [{ name: 'DB', valueFrom: `${replicaArn}:password::` }] }]],
    ['rep-partial', [{ name: 'app', secrets: [{ name: 'DB', valueFrom: replicaArn.slice(0, replicaArn.lastIndexOf('-')) }] }]],
    // A plain secret name (repository credentials take one) is read in the task definition's own region: the replica.
    ['rep-name', [{ name: 'app', repositoryCredentials: NAME }]],
    ['xr-primary', [{ name: 'app', secrets: [{ name: 'DB', valueFrom: primaryArn }] }]],
  ];
  for (const [name, containers] of families) {
    await createService(emulator.ecs, { cluster, name, taskDefinition: await registerTaskDefinition(emulator.ecs, name, containers) });
  }
  await createStateTable(emulator.ports().table);
  await rebuildIndex(emulator.ports());
}, 60_000);

afterAll(async () => {
  await emulator?.moto.stop();
});

const describeTarget = (arn: string) => emulator.ports().secrets.describe(parseTarget(arn) as Target);

/** How many new deployments each service got while `run` ran. */
const newDeployments = (run: () => Promise<unknown>) => countNewDeployments(emulator.ecs, cluster, SERVICES, run);

const none = Object.fromEntries(SERVICES.map((name) => [name, 0]));
const replicaConsumersOnce = Object.fromEntries(REPLICA_CONSUMERS.map((name) => [name, 1]));

/**
 * The eu-west-1 deployment handles an event forwarded from us-east-1 as the plan will: the
 * signal's target, then its copy here, each reconciled through the index with the ledger.
 */
async function deliverForwarded(event: unknown): Promise<string[]> {
  const signal = decodeEvent(event);
  if (signal.action !== 'check') throw new Error(`expected a check signal, got ${signal.action}`);
  const ports = emulator.ports();
  const found = await targetsInRegion(ports, signal.target, REGION);
  for (const target of found.targets) await reconcile(ports, target, signal.trigger, reconcileOptions());
  return found.targets.map((t) => (t.kind === 'secret' ? t.secretId : t.arn));
}

async function putPrimaryValue(): Promise<string> {
  const out = await smPrimary.send(
    new PutSecretValueCommand({ SecretId: primaryArn, SecretString: JSON.stringify({ password: `p-${Date.now()}` }) }),
  );
  return out.VersionId as string;
}

describe('a secret in us-east-1 replicated to eu-west-1, its consumers in eu-west-1', () => {
  it("gives the replica the primary's ARN with only the region replaced, as moto names it", async () => {
    expect((await describeTarget(replicaArn)).arn).toBe(replicaArn);
    expect(replicaArn).toBe(primaryArn.replace(`:${PRIMARY_REGION}:`, `:${REGION}:`));
  });

  it('reads the replication facts from DescribeSecret: the primary lists the replica, the replica names its primary region', async () => {
    const primary = await describeTarget(primaryArn);
    const replica = await describeTarget(replicaArn);
    expect(primary.replicationStatus).toEqual([expect.objectContaining({ region: REGION, status: 'InSync' })]);
    expect(replicationRole(primary)).toMatchObject({ role: 'primary', replicas: [{ region: REGION, arn: replicaArn }] });
    expect(replica.primaryRegion).toBe(PRIMARY_REGION);
    expect(replicationRole(replica)).toMatchObject({ role: 'replica', primaryRegion: PRIMARY_REGION, primaryArn });
    expect((await primaryOf(emulator.ports(), replica))?.arn).toBe(primaryArn);
  });

  it("has the replica's versions follow the primary's, with the same version ids and creation dates", async () => {
    const version = await putPrimaryValue();
    const replica = await describeTarget(replicaArn);
    const primary = await describeTarget(primaryArn);
    expect(versionOfStage(replica, 'AWSCURRENT')).toBe(version);
    expect(replica.versionIdsToStages).toEqual(primary.versionIdsToStages);
    const secrets = emulator.ports().secrets;
    expect(await secrets.versionDates(replica)).toEqual(await secrets.versionDates(primary));
  });

  it('indexes the replica consumers under the replica ARN, whatever the spelling, and the cross-region one under the primary', async () => {
    const index = emulator.ports().index;
    expect((await index.entriesOf(replicaArn)).map((e) => e.name).sort()).toEqual([...REPLICA_CONSUMERS].sort());
    expect((await index.entriesOf(primaryArn)).map((e) => e.name)).toEqual(['xr-primary']);
  });

  it('redeploys the consumers of the replica and of the primary once on an event forwarded from us-east-1; the same events again do nothing', async () => {
    // The index rebuild above baselined the ledger; the value put in the test before is the change.
    const events = secretEvents(primaryArn, FROM_PRIMARY_REGION);
    let targets: string[] = [];
    const counts = await newDeployments(async () => {
      targets = await deliverForwarded(events.putSecretValue());
    });
    const again = await newDeployments(async () => {
      await deliverForwarded(events.putSecretValue());
      await deliverForwarded(events.labelUpdated('AWSCURRENT', 'whatever'));
    });

    expect(targets).toEqual([primaryArn, replicaArn]);
    expect(counts).toEqual({ ...replicaConsumersOnce, 'xr-primary': 1 });
    expect(again).toEqual(none);
  });

  it('redeploys no replica consumer while the replica does not hold the change, then each once when it does', async () => {
    await smPrimary.send(new TagResourceCommand({ SecretId: primaryArn, Tags: [{ Key: HOLD_REPLICATION_TAG, Value: REGION }] }));
    const version = await putPrimaryValue();
    const events = secretEvents(primaryArn, FROM_PRIMARY_REGION);

    const whileHeld = await newDeployments(() => deliverForwarded(events.putSecretValue()));
    const replica = await describeTarget(replicaArn);
    const hold = replicaHold(replica, await describeTarget(primaryArn));

    await smPrimary.send(new UntagResourceCommand({ SecretId: primaryArn, TagKeys: [HOLD_REPLICATION_TAG] }));
    const synced = await describeTarget(replicaArn);
    const released = await newDeployments(() => deliverForwarded(events.putSecretValue()));
    const again = await newDeployments(() => deliverForwarded(events.putSecretValue()));

    // The primary's consumer reads the primary, which holds the change at once.
    expect(whileHeld).toEqual({ ...none, 'xr-primary': 1 });
    expect(hold).toMatchObject({ verdict: 'wait', status: 'InProgress', behind: [{ stage: 'AWSCURRENT', primaryVersion: version }] });
    expect(versionOfStage(synced, 'AWSCURRENT')).toBe(version);
    expect(replicaHold(synced, await describeTarget(primaryArn)).verdict).toBe('free');
    expect(released).toEqual({ ...none, ...replicaConsumersOnce });
    expect(again).toEqual(none);
  });
});
