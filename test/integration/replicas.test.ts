/**
 * Replica secrets against ONE moto_server serving three regions: the primary lives in us-east-1,
 * its replicas (AddReplicaRegions) in eu-west-1 (REGION, where this service is deployed and the
 * consumers run) and in ap-southeast-2 (where nothing is deployed). The consumers reference the
 * replica, their own region's copy, by full ARN, by partial ARN and by name; one references the
 * primary across regions.
 *
 * Everything goes through handleEvent as the reconciler runs it, with the wakeups of its re-checks
 * (the one-time schedules of restart windows) on moto's EventBridge Scheduler (moto keeps a
 * schedule and never runs it: the test delivers its input, as Scheduler would at its time). Replication is held open by the launcher (test/kit/moto.ts), as AWS's is
 * asynchronous.
 *
 * The replication events (ReplicationSucceeded) are written in the shape of Secrets Manager's
 * rotation service events, as docs/how-it-works.md "What AWS emits in the replica's region" says.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { CreateScheduleGroupCommand, GetScheduleCommand, ListSchedulesCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  TagResourceCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-secrets-manager';
import { type EventOutcome, handleEvent } from '../../functions/app/handle-event';
import { rebuildIndex } from '../../functions/app/refresh-index';
import type { RunContext } from '../../functions/app/run-context';
import type { AwsPorts } from '../../functions/aws/compose';
import { createStateTable } from '../../functions/aws/state-table/admin';
import { wakeupPayload } from '../../functions/domain/decode/wakeup-request';
import { arnInRegion } from '../../functions/domain/identity/replica';
import { parseTarget, type Target } from '../../functions/domain/identity/target';
import { replicationRole } from '../../functions/domain/plan/replication';
import type { Report } from '../../functions/domain/report/report';
import { NO_DEADLINE } from '../../functions/domain/rollout/deadline';
import { CallCounter } from '../kit/call-counter';
import { type Emulator, MOTO_ACCOUNT, startEmulator } from '../kit/emulator';
import { type EventOrigin, secretEvents, serviceEvent } from '../kit/events';
import { HOLD_REPLICATION_TAG } from '../kit/moto';
import {
  newDeployments as countNewDeployments,
  createClusters,
  createService,
  emulatorClientConfig,
  registerTaskDefinition,
} from '../kit/simulated-account';
import { REGION } from '../kit/test-account';

const BIN = resolve(__dirname, '../../bin/ecs-secret-redeploy.js');
const PRIMARY_REGION = 'us-east-1';
const FAR_REGION = 'ap-southeast-2';
const FROM_PRIMARY_REGION: EventOrigin = { account: MOTO_ACCOUNT, region: PRIMARY_REGION };
const NAME = 'prod/replicated-db';
const REPLICA_CONSUMERS = ['rep-full', 'rep-partial', 'rep-name'];
const SERVICES = [...REPLICA_CONSUMERS, 'xr-primary'];
const GROUP = 'ecs-secret-redeploy-test';
const RECONCILER = `arn:aws:lambda:${REGION}:${MOTO_ACCOUNT}:function:ecs-secret-redeploy-test-on-secret-change`;

let emulator: Emulator;
/** The calls of the reconciler's adapters. */
const counter = new CallCounter();
/** The reconciler's adapters, with its wakeups in moto's Scheduler. */
let ports: AwsPorts;
let scheduler: SchedulerClient;
let smPrimary: SecretsManagerClient;
let primaryArn: string;
let replicaArn: string;
let cluster: string;

beforeAll(async () => {
  emulator = await startEmulator();
  ports = emulator.ports(
    { wakeups: { group: GROUP, roleArn: `arn:aws:iam::${MOTO_ACCOUNT}:role/ecs-secret-redeploy-test-wakeups`, functionArn: RECONCILER } },
    { instrument: counter.instrument },
  );
  smPrimary = new SecretsManagerClient(emulatorClientConfig(emulator.moto.endpoint, PRIMARY_REGION));
  scheduler = new SchedulerClient(emulatorClientConfig(emulator.moto.endpoint, REGION));
  await scheduler.send(new CreateScheduleGroupCommand({ Name: GROUP }));
  const created = await smPrimary.send(
    new CreateSecretCommand({
      Name: NAME,
      SecretString: JSON.stringify({ password: 'one' }),
      AddReplicaRegions: [{ Region: REGION }, { Region: FAR_REGION }],
    }),
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
  await createStateTable(ports.table);
  await rebuildIndex(ports);
}, 60_000);

afterAll(async () => {
  await emulator?.moto.stop();
});

/** The reconciler's run, as the CLI runs it (no deadline): its wakeups go to moto's Scheduler through the ports. */
const RUN: RunContext = { deadline: NO_DEADLINE, dryRun: false };

const deliver = (event: unknown) => handleEvent(ports, event, RUN);
const describeTarget = (arn: string) => ports.secrets.describe(parseTarget(arn) as Target);
const newDeployments = (step: () => Promise<unknown>) => countNewDeployments(emulator.ecs, cluster, SERVICES, step);
const none = Object.fromEntries(SERVICES.map((name) => [name, 0]));
const replicaConsumersOnce = Object.fromEntries(REPLICA_CONSUMERS.map((name) => [name, 1]));
const copyOf = (outcome: EventOutcome): Report | undefined => (outcome.kind === 'report' ? outcome.report.copies?.[0]?.report : undefined);

/** The schedules waiting in the group, with their inputs. */
async function waitingSchedules() {
  const listed = await scheduler.send(new ListSchedulesCommand({ GroupName: GROUP }));
  return Promise.all(
    (listed.Schedules ?? []).map((s) => scheduler.send(new GetScheduleCommand({ Name: s.Name as string, GroupName: GROUP }))),
  );
}

async function putPrimaryValue(): Promise<string> {
  const out = await smPrimary.send(
    new PutSecretValueCommand({ SecretId: primaryArn, SecretString: JSON.stringify({ password: `p-${Date.now()}` }) }),
  );
  return out.VersionId as string;
}

describe('a secret in us-east-1 replicated to eu-west-1, its consumers in eu-west-1', () => {
  it("gives the replica the primary's ARN with only the region replaced, as moto names it, and reads the replication facts", async () => {
    const replica = await describeTarget(replicaArn);
    expect(replica.arn).toBe(replicaArn);
    expect(replicaArn).toBe(primaryArn.replace(`:${PRIMARY_REGION}:`, `:${REGION}:`));
    expect(replicationRole(await describeTarget(primaryArn))).toMatchObject({
      role: 'primary',
      replicas: [
        { region: REGION, arn: replicaArn },
        { region: FAR_REGION, arn: primaryArn.replace(`:${PRIMARY_REGION}:`, `:${FAR_REGION}:`) },
      ],
    });
    expect(replicationRole(replica)).toMatchObject({ role: 'replica', primaryRegion: PRIMARY_REGION, primaryArn });
  });

  it('indexes the replica consumers under the replica ARN, whatever the spelling, and the cross-region one under the primary', async () => {
    expect((await ports.index.entriesOf(replicaArn)).map((e) => e.name).sort()).toEqual([...REPLICA_CONSUMERS].sort());
    expect((await ports.index.entriesOf(primaryArn)).map((e) => e.name)).toEqual(['xr-primary']);
  });

  it("redeploys the replica's consumers once through the event forwarded from us-east-1; the same events again do nothing", async () => {
    const version = await putPrimaryValue();
    const events = secretEvents(primaryArn, FROM_PRIMARY_REGION);
    let first: EventOutcome | undefined;
    counter.take();
    const counts = await newDeployments(async () => {
      first = await deliver(events.putSecretValue());
    });
    // The primary once (its reconcile here; the replica's plan reuses that answer), the replica once.
    expect(counter.take().get('DescribeSecret')).toBe(2);
    const again = await newDeployments(async () => {
      await deliver(events.putSecretValue());
      await deliver(events.rotationSucceeded());
      await deliver(events.labelUpdated('AWSCURRENT', version));
    });

    expect(counts).toEqual({ ...replicaConsumersOnce, 'xr-primary': 1 });
    expect(first).toMatchObject({
      kind: 'report',
      report: { secret: { arn: primaryArn }, copies: [{ region: REGION, arn: replicaArn, role: 'replica', status: 'InSync' }] },
    });
    expect(
      copyOf(first as EventOutcome)
        ?.services.map((s) => [s.serviceName, s.outcome])
        .sort(),
    ).toEqual(REPLICA_CONSUMERS.map((name) => [name, 'redeployed']).sort());
    expect(again).toEqual(none);
    expect(await waitingSchedules()).toEqual([]);
  });

  it('holds the consumers while the replica does not hold the change, asks Scheduler for one look, and lets them go when it finds it', async () => {
    await smPrimary.send(new TagResourceCommand({ SecretId: primaryArn, Tags: [{ Key: HOLD_REPLICATION_TAG, Value: REGION }] }));
    const version = await putPrimaryValue();
    const events = secretEvents(primaryArn, FROM_PRIMARY_REGION);

    let held: EventOutcome | undefined;
    const whileHeld = await newDeployments(async () => {
      held = await deliver(events.putSecretValue());
      await deliver(events.rotationSucceeded());
    });
    const schedules = await waitingSchedules();

    // The primary's consumer reads the primary, which holds the change at once.
    expect(whileHeld).toEqual({ ...none, 'xr-primary': 1 });
    expect(copyOf(held as EventOutcome)?.services).toEqual(
      REPLICA_CONSUMERS.map(() =>
        expect.objectContaining({
          outcome: 'waiting',
          kind: 'replica',
          reason: expect.stringContaining(`is InProgress: the replica does not hold AWSCURRENT ${version} yet; looked at again at`),
        }),
      ),
    );
    // One look for the two events: a wakeup of the replica a minute after the change, deleted once it fired.
    expect(schedules).toHaveLength(1);
    const [schedule] = schedules;
    expect(schedule).toMatchObject({
      ScheduleExpression: expect.stringMatching(/^at\(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\)$/),
      ScheduleExpressionTimezone: 'UTC',
      ActionAfterCompletion: 'DELETE',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: { Arn: RECONCILER, RoleArn: expect.stringContaining(':role/ecs-secret-redeploy-test-wakeups') },
    });
    const payload = JSON.parse(schedule.Target?.Input as string);
    expect(payload).toEqual(
      wakeupPayload({ name: '', secretArn: replicaArn, rollout: `AWSCURRENT=${version}`, at: expect.any(String), cause: 'replica' }),
    );

    // Replication lands; Scheduler delivers the look (twice, as a retry after a lost answer would).
    await smPrimary.send(new UntagResourceCommand({ SecretId: primaryArn, TagKeys: [HOLD_REPLICATION_TAG] }));
    let looked: EventOutcome | undefined;
    const released = await newDeployments(async () => {
      looked = await deliver(payload);
      await deliver(payload);
    });
    const again = await newDeployments(() => deliver(events.putSecretValue()));

    expect(released).toEqual({ ...none, ...replicaConsumersOnce });
    expect(looked).toMatchObject({
      kind: 'report',
      report: { secret: { arn: replicaArn }, origin: 'schedule', trigger: { detailType: 'Replica Re-check' } },
    });
    expect(again).toEqual(none);
  });

  // ReplicationSucceeded as the replica's region would log it (naming the replica), and as the
  // primary's would, forwarded here (naming the primary, whose consumer here is due as well).
  it.each([
    { copy: 'the replica, in its own region', origin: { account: MOTO_ACCOUNT, region: REGION }, names: () => replicaArn, primary: 0 },
    { copy: 'the primary, forwarded from us-east-1', origin: FROM_PRIMARY_REGION, names: () => primaryArn, primary: 1 },
  ])(
    'a ReplicationSucceeded naming $copy redeploys the replica consumers once; the same event and the rotation event after it do nothing',
    async ({ origin, names, primary }) => {
      const scheduleNames = async () => (await waitingSchedules()).map((schedule) => schedule.Name);
      const schedulesBefore = await scheduleNames();
      await putPrimaryValue();
      const replicated = serviceEvent(origin, 'ReplicationSucceeded', names());

      const first = await newDeployments(() => deliver(replicated));
      const again = await newDeployments(() => deliver(replicated));
      const rotation = await newDeployments(() => deliver(secretEvents(primaryArn, FROM_PRIMARY_REGION).putSecretValue()));

      expect(first).toEqual({ ...replicaConsumersOnce, 'xr-primary': primary });
      expect(again).toEqual(none);
      // The primary's own event still reaches its consumer here if the replication event did not.
      expect(rotation).toEqual({ ...none, 'xr-primary': 1 - primary });
      // In sync at once: no look asked for (moto keeps the earlier test's fired schedule).
      expect(await scheduleNames()).toEqual(schedulesBefore);
    },
  );

  it('plan PRIMARY lists the consumers of every replica, by region, and names a region with no deployment', () => {
    const out = spawnSync(process.execPath, [BIN, 'plan', primaryArn, '--json'], {
      env: { ...process.env, ...emulator.env },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(out.stderr).toBe('');
    expect(out.status).toBe(0);
    const report = JSON.parse(out.stdout) as Report;
    expect(report.services.map((s) => s.serviceName)).toEqual(['xr-primary']);
    expect(report.copies?.map((c) => [c.region, c.role, c.arn])).toEqual([
      [REGION, 'replica', replicaArn],
      [FAR_REGION, 'replica', primaryArn.replace(`:${PRIMARY_REGION}:`, `:${FAR_REGION}:`)],
    ]);
    expect(report.copies?.[0].report?.services.map((s) => s.serviceName).sort()).toEqual([...REPLICA_CONSUMERS].sort());
    expect(report.copies?.[1]).toMatchObject({
      note: `no state table "ecs-secret-redeploy" in ${FAR_REGION}: no deployment there, its consumers are not indexed`,
    });
  });
});
