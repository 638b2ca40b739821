/**
 * Restart windows against moto_server, through the real SDK and adapters: the window and deadline
 * tags read from DescribeServices (include=TAGS), the wakeup created as an EventBridge Scheduler
 * schedule in moto, and the payload that schedule would send run through the reconciler's
 * handler. The windows are written relative to the real clock; the plan is asked again "later"
 * through a clock moved forward (moto's answers do not depend on time).
 */
import { DescribeServicesCommand, TagResourceCommand } from '@aws-sdk/client-ecs';
import { CreateScheduleGroupCommand, GetScheduleCommand, ListSchedulesCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { handleEvent } from '../../functions/app/handle-event';
import { rebuildIndex } from '../../functions/app/refresh-index';
import type { RunContext } from '../../functions/app/run-context';
import type { AwsPorts } from '../../functions/aws/compose';
import { createStateTable } from '../../functions/aws/state-table/admin';
import { decodeWakeup, isWakeup } from '../../functions/domain/decode/wakeup-request';
import type { Report } from '../../functions/domain/report/report';
import { NO_DEADLINE } from '../../functions/domain/rollout/deadline';
import { DEADLINE_TAG } from '../../functions/domain/windows/restart-policy';
import { WINDOW_TAG } from '../../functions/domain/windows/window';
import { type Emulator, MOTO_ACCOUNT, startEmulator } from '../kit/emulator';
import { deploymentChange, secretEvents } from '../kit/events';
import { type DemoAccount, emulatorClientConfig, seedDemoAccount } from '../kit/simulated-account';
import { REGION } from '../kit/test-account';

const ORIGIN = { account: MOTO_ACCOUNT, region: REGION };
const RUN: RunContext = { deadline: NO_DEADLINE, dryRun: false };
const WEB = ['orders-api', 'orders-worker', 'orders-ledger'];
const GROUP = 'ecs-secret-redeploy-test-wakeups';
const HOUR = 3_600_000;

let emulator: Emulator;
let account: DemoAccount;
let scheduler: SchedulerClient;
/** The window of orders-api: an hour, opening six hours from now (UTC, to the minute). */
let opens: Date;

const hhmm = (d: Date) => d.toISOString().slice(11, 16);

beforeAll(async () => {
  emulator = await startEmulator();
  scheduler = new SchedulerClient(emulatorClientConfig(emulator.moto.endpoint, REGION));
  account = await seedDemoAccount(emulator.ecs, emulator.sm);
  await scheduler.send(new CreateScheduleGroupCommand({ Name: GROUP }));
  opens = new Date(Math.ceil((Date.now() + 6 * HOUR) / 60_000) * 60_000);
  const closes = new Date(opens.getTime() + HOUR);
  const tags: Record<string, Array<{ key: string; value: string }>> = {
    'orders-api': [{ key: WINDOW_TAG, value: `daily ${hhmm(opens)}-${hhmm(closes)} UTC` }],
    // Always open: redeployed at once, the row says it was in its window.
    'orders-worker': [{ key: WINDOW_TAG, value: 'daily 00:00-24:00 UTC' }],
    // A window that does not parse, and a deadline of two hours: held until then.
    'orders-ledger': [
      { key: WINDOW_TAG, value: 'weekdays 02:00-04:00 UTC' },
      { key: DEADLINE_TAG, value: '2h' },
    ],
  };
  const services = await emulator.ecs.send(new DescribeServicesCommand({ cluster: account.clusters.web, services: WEB }));
  for (const service of services.services ?? [])
    await emulator.ecs.send(new TagResourceCommand({ resourceArn: service.serviceArn, tags: tags[service.serviceName as string] }));
  await createStateTable(emulator.ports().table);
  await rebuildIndex(emulator.ports());
}, 60_000);

afterAll(async () => {
  await emulator?.moto.stop();
});

/** The reconciler's adapters, with wakeups in moto's Scheduler, on a clock `ahead` of now. */
function ports(ahead = 0): AwsPorts {
  const base = emulator.ports({
    wakeups: {
      group: GROUP,
      roleArn: `arn:aws:iam::${MOTO_ACCOUNT}:role/ecs-secret-redeploy-test-wakeups`,
      functionArn: `arn:aws:lambda:${REGION}:${MOTO_ACCOUNT}:function:ecs-secret-redeploy-test-on-secret-change`,
    },
  });
  return { ...base, clock: { now: () => new Date(Date.now() + ahead), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) } };
}

async function primaries(): Promise<Record<string, string>> {
  const out = await emulator.ecs.send(new DescribeServicesCommand({ cluster: account.clusters.web, services: WEB }));
  return Object.fromEntries((out.services ?? []).map((s) => [s.serviceName as string, s.deployments?.[0]?.id as string]));
}

const rows = (report: Report) => Object.fromEntries(report.services.map((s) => [s.serviceName, s]));

async function schedules() {
  const listed = await scheduler.send(new ListSchedulesCommand({ GroupName: GROUP }));
  return Promise.all((listed.Schedules ?? []).map((s) => scheduler.send(new GetScheduleCommand({ GroupName: GROUP, Name: s.Name }))));
}

describe('restart windows against moto_server', () => {
  it('holds outside the window, schedules the wakeup once, redeploys at the wakeup in the window and at the deadline', async () => {
    const before = await primaries();
    await emulator.sm.send(new PutSecretValueCommand({ SecretId: account.secrets.ordersDb.arn, SecretString: `v-${Date.now()}` }));
    const event = secretEvents(account.secrets.ordersDb.arn, ORIGIN).putSecretValue();
    const first = await handleEvent(ports(), event, RUN);
    if (first.kind !== 'report') throw new Error(first.kind);

    const now = rows(first.report);
    expect(now['orders-worker']).toMatchObject({ outcome: 'redeployed', window: { released: 'open' } });
    expect(now['orders-api']).toMatchObject({
      outcome: 'waiting',
      kind: 'window',
      window: { tag: WINDOW_TAG, opensAt: opens.toISOString() },
    });
    expect(now['orders-ledger']).toMatchObject({
      outcome: 'waiting',
      kind: 'window',
      reason: expect.stringMatching(/^no window opens \(its window tags do not parse\): held until its deadline/),
    });
    expect(first.report.warnings).toEqual([
      expect.stringMatching(/^orders-ledger: tag ecs-secret-redeploy:window="weekdays 02:00-04:00 UTC"/),
    ]);
    const after = await primaries();
    expect(after['orders-worker']).not.toBe(before['orders-worker']);
    expect(after['orders-api']).toBe(before['orders-api']);
    expect(after['orders-ledger']).toBe(before['orders-ledger']);

    // The wakeups, as Scheduler holds them: one at the deadline (orders-ledger), one at the window (orders-api).
    const created = await schedules();
    expect(created.map((s) => s.ScheduleExpression).sort()).toEqual(
      [
        `at(${new Date(Date.parse(now['orders-ledger'].window?.deadline as string)).toISOString().slice(0, 19)})`,
        `at(${opens.toISOString().slice(0, 19)})`,
      ].sort(),
    );
    for (const s of created) {
      expect(s).toMatchObject({ ScheduleExpressionTimezone: 'UTC', ActionAfterCompletion: 'DELETE', FlexibleTimeWindow: { Mode: 'OFF' } });
      expect(s.Target?.Arn).toMatch(/:function:ecs-secret-redeploy-test-on-secret-change$/);
      expect(isWakeup(JSON.parse(s.Target?.Input as string))).toBe(true);
    }
    // The schedule's reconcile asks for the same wakeups: still two schedules.
    await handleEvent(ports(), { source: 'aws.events', 'detail-type': 'Scheduled Event', id: 's1', time: new Date().toISOString() }, RUN);
    expect(await schedules()).toHaveLength(2);

    // orders-worker's deployment completes (moto's never do: the test sends ECS's event).
    const worker = (await emulator.ecs.send(new DescribeServicesCommand({ cluster: account.clusters.web, services: ['orders-worker'] })))
      .services?.[0];
    await handleEvent(
      ports(),
      deploymentChange(worker?.serviceArn as string, 'SERVICE_DEPLOYMENT_COMPLETED', after['orders-worker'], ORIGIN),
      RUN,
    );

    // The window's wakeup fires: what Scheduler sends, on a clock inside the window.
    const windowWakeup = created.find((s) => decodeWakeup(JSON.parse(s.Target?.Input as string)).cause === 'window');
    const inWindow = await handleEvent(
      ports(opens.getTime() - Date.now() + 60_000),
      JSON.parse(windowWakeup?.Target?.Input as string),
      RUN,
    );
    if (inWindow.kind !== 'report') throw new Error(inWindow.kind);
    expect(rows(inWindow.report)['orders-api']).toMatchObject({ outcome: 'redeployed', window: { released: 'open' } });
    // The deadline (two hours after the change) has long passed then: orders-ledger goes too, and says why.
    expect(rows(inWindow.report)['orders-ledger']).toMatchObject({
      outcome: 'redeployed',
      window: { released: 'deadline' },
      reason: expect.stringMatching(/; released by its deadline /),
    });
    const final = await primaries();
    expect(final['orders-api']).not.toBe(before['orders-api']);
    expect(final['orders-ledger']).not.toBe(before['orders-ledger']);
    expect(final['orders-worker']).toBe(after['orders-worker']);
  });
});
