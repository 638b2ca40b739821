import type { DeploymentGroup, GroupLookup } from '../../../../functions/domain/codedeploy/group';
import type { ServiceSnapshot } from '../../../../functions/domain/inventory/service';
import type { ClaimedRecord, LedgerRecord, SettledRecord } from '../../../../functions/domain/ledger/record';
import {
  busyRow,
  type Consumer,
  frameOf,
  type PlanContext,
  planReconcile,
  preview,
  type ReconcilePlan,
  type Seen,
  type Snapshot,
  undecided,
} from '../../../../functions/domain/plan/reconcile-plan';
import type { Rollout } from '../../../../functions/domain/rollout/rollout';
import { WAVE_TAG } from '../../../../functions/domain/rollout/waves';
import { secretArn, secretState, serviceSnapshot, smReference, taskDefinitionArn } from '../../../kit/factories';

/*
 * The plan of one reconcile, on snapshots written out by hand: no fake world, no clock, no
 * calls. Each row is what a reconcile gathered about one consumer and what the plan makes of
 * it; the rollout's rows follow.
 */

const DB = secretArn('prod/db-AbCdEf');
const NOW = new Date('2026-11-20T08:00:00.000Z');
const EARLIER = '2026-11-20T07:00:00.000Z';
const V1 = 'v1-8c1f4e2a';
const V2 = 'v2-5e7a9c1b';
/** AWSCURRENT on V2, V1 before it. */
const SECRET = secretState({ [V2]: ['AWSCURRENT'], [V1]: ['AWSPREVIOUS'] }, { arn: DB });
const KEY = `AWSCURRENT=${V2}`;

let writes = 0;
function ctx(overrides: Partial<PlanContext> = {}): PlanContext {
  return {
    now: NOW,
    token: 'this-run',
    stamp: () => ({ now: NOW, writeId: `this-run/${++writes}` }),
    ledger: true,
    force: false,
    allWaves: false,
    origin: 'event',
    scope: overrides.origin === 'schedule' ? 'every-secret' : 'one-secret',
    clusters: [],
    defaultWave: 1,
    codeDeploy: true,
    ...overrides,
  };
}

function live(name: string, overrides: Partial<ServiceSnapshot> = {}): ServiceSnapshot {
  const service = serviceSnapshot({ serviceName: name, ...overrides });
  return { ...service, taskDefinition: overrides.taskDefinition ?? taskDefinitionArn(`${name}:1`) };
}

function consumer(name: string, valueFrom = DB): Consumer {
  const { serviceArn, clusterArn } = live(name);
  return {
    serviceArn,
    clusterArn,
    serviceName: name,
    taskDefinition: taskDefinitionArn(`${name}:1`),
    references: [smReference(valueFrom)],
  };
}

function settled(name: string, versions: Record<string, string>, extra: Partial<SettledRecord> = {}): SettledRecord {
  return {
    state: 'settled',
    secretArn: DB,
    serviceArn: live(name).serviceArn,
    versions,
    via: 'redeploy',
    deploymentId: `ecs-svc/${name}-1`,
    at: EARLIER,
    rev: 3,
    writeId: 'w3',
    ...extra,
  };
}

function claimedBy(token: string, name: string, leaseUntil: string, slot?: { key: string; wave: number }): ClaimedRecord {
  const claim = { token, claimedAt: EARLIER, leaseUntil, target: { AWSCURRENT: V2 }, priorDeploymentId: `ecs-svc/${name}-1` };
  return { ...settled(name, { AWSCURRENT: V1 }), state: 'claimed', claim: { ...claim, ...(slot ? { slot } : {}) } };
}

function snapshot(seen: Seen[], extra: Partial<Snapshot> = {}): Snapshot {
  const records = seen.flatMap((s) => (s.record ? [s.record] : []));
  return {
    secret: SECRET,
    consumers: seen.map((s) => s.consumer),
    seen,
    records,
    versionCreated: { [V1]: EARLIER, [V2]: EARLIER },
    ...extra,
  };
}

function rowOf(plan: ReconcilePlan, name: string) {
  return plan.rows.find((r) => r.serviceName === name);
}

describe('planReconcile: one consumer', () => {
  type Expect = {
    verdict?: { outcome: string; kind?: string };
    reason?: RegExp;
    redeploy?: { action: string; force?: boolean };
    busy?: boolean;
    writes?: Array<Partial<LedgerRecord>>;
    reindex?: { service: boolean; cache?: boolean };
  };
  const api = consumer('api');
  const behind = settled('api', { AWSCURRENT: V1 });

  it.each<[string, Seen, Expect]>([
    [
      'pinned to a version id: skipped, and ECS is not asked',
      { consumer: consumer('api', `${DB}:::${V1}`) },
      { verdict: { outcome: 'skipped', kind: 'pinned' }, reason: /^pinned to version id v1-8c1f4e2a$/ },
    ],
    [
      'following a stage no version holds: skipped',
      { consumer: consumer('api', `${DB}::BLUE:`) },
      { verdict: { outcome: 'skipped', kind: 'unattached' }, reason: /^stage BLUE is not attached to any version$/ },
    ],
    [
      'its record holds the current version: up to date',
      { consumer: api, record: settled('api', { AWSCURRENT: V2 }) },
      {
        verdict: { outcome: 'skipped', kind: 'up-to-date' },
        reason: /^up to date: runs AWSCURRENT=v2-5e7a9c1b, by deployment ecs-svc\/api-1$/,
      },
    ],
    [
      'another run holds a live claim on it: busy',
      { consumer: api, record: claimedBy('other-run', 'api', '2026-11-20T08:00:30.000Z') },
      { busy: true },
    ],
    [
      "another run's claim has run out: recovered (ECS is asked what it did before anything is sent)",
      { consumer: api, record: claimedBy('other-run', 'api', EARLIER), live: live('api') },
      { redeploy: { action: 'recover' } },
    ],
    ['behind: redeployed', { consumer: api, record: behind, live: live('api') }, { redeploy: { action: 'claim', force: false } }],
    [
      'first seen, deployed after the current version was created: recorded as running it',
      { consumer: api, live: live('api', { deployments: [{ id: 'ecs-svc/api-1', status: 'PRIMARY', createdAt: NOW.toISOString() }] }) },
      {
        verdict: { outcome: 'skipped', kind: 'up-to-date' },
        reason: /as its deployment was created after the version/,
        writes: [{ via: 'first-sight', versions: { AWSCURRENT: V2 }, rev: 1 }],
      },
    ],
    [
      'first seen, deployed before the current version was created: recorded as stale, and redeployed',
      {
        consumer: api,
        live: live('api', { deployments: [{ id: 'ecs-svc/api-1', status: 'PRIMARY', createdAt: '2026-11-20T06:00:00.000Z' }] }),
      },
      {
        redeploy: { action: 'claim' },
        writes: [{ via: 'first-sight', versions: {}, stale: expect.stringContaining('is older than AWSCURRENT') }],
      },
    ],
    [
      'first seen without a creation time of its deployment: stale (a needless restart is recoverable, a missed one is not)',
      { consumer: api, live: live('api', { deployments: [{ id: 'ecs-svc/api-1', status: 'PRIMARY' }] }) },
      { redeploy: { action: 'claim' }, writes: [{ stale: 'ECS shows no creation time of its running deployment' }] },
    ],
    [
      'gone: skipped, and the index forgets it',
      { consumer: api, record: behind, live: 'gone' },
      { verdict: { outcome: 'skipped', kind: 'gone' }, reason: /^service no longer exists$/, reindex: { service: false } },
    ],
    [
      'INACTIVE: gone too',
      { consumer: api, record: behind, live: live('api', { status: 'INACTIVE' }) },
      { verdict: { outcome: 'skipped', kind: 'gone' }, reindex: { service: false } },
    ],
    [
      'on a task definition that no longer references the secret: skipped, the index repaired',
      {
        consumer: api,
        record: behind,
        live: live('api', { taskDefinition: taskDefinitionArn('api:2') }),
        current: { references: [], toSecret: [], described: true },
      },
      {
        verdict: { outcome: 'skipped', kind: 'unreferenced' },
        reason: /^task definition api:2 does not reference the secret$/,
        reindex: { service: true, cache: true },
      },
    ],
    [
      'on a task definition that still references it, behind: redeployed on what it runs now',
      {
        consumer: api,
        record: behind,
        live: live('api', { taskDefinition: taskDefinitionArn('api:2') }),
        current: { references: [smReference(DB)], toSecret: [smReference(DB)], described: false },
      },
      { redeploy: { action: 'claim' }, reindex: { service: true, cache: false } },
    ],
    [
      'scaled to zero with nothing running: skipped, its record brought to the current version',
      { consumer: api, record: behind, live: live('api', { desiredCount: 0, runningCount: 0 }) },
      {
        verdict: { outcome: 'skipped', kind: 'no-tasks' },
        reason: /^no running tasks/,
        writes: [{ via: 'no-tasks', versions: { AWSCURRENT: V2 }, rev: 4 }],
      },
    ],
    [
      'opted out by tag: skipped',
      { consumer: api, record: behind, live: live('api', { tags: { 'ecs-secret-redeploy:ignore': 'true' } }) },
      { verdict: { outcome: 'skipped', kind: 'ineligible' }, reason: /^opted out by tag/ },
    ],
    [
      'deployed by an EXTERNAL controller: skipped with the reason',
      { consumer: api, record: behind, live: live('api', { deploymentController: 'EXTERNAL' }) },
      { verdict: { outcome: 'skipped', kind: 'ineligible' }, reason: /^deployment controller EXTERNAL/ },
    ],
  ])('%s', (_label, seen, expected) => {
    const plan = planReconcile(snapshot([seen]), ctx());

    const row = rowOf(plan, 'api');
    if (expected.verdict) expect(row).toMatchObject(expected.verdict);
    if (expected.reason) expect(row?.reason).toMatch(expected.reason);
    if (expected.redeploy) {
      expect(plan.redeploys).toHaveLength(1);
      expect(plan.redeploys[0].decision.action).toBe(expected.redeploy.action);
      if (expected.redeploy.force !== undefined) expect(plan.redeploys[0].force).toBe(expected.redeploy.force);
    } else expect(plan.redeploys).toEqual([]);
    expect(plan.busy.length > 0).toBe(expected.busy === true);
    expect(plan.writes.map((w) => w.next)).toEqual((expected.writes ?? []).map((w) => expect.objectContaining(w)));
    expect(plan.reindex.map((r) => ({ service: r.service !== undefined, ...(r.cache !== undefined ? { cache: r.cache } : {}) }))).toEqual(
      expected.reindex ? [expected.reindex] : [],
    );
  });

  it('asks ECS only about the consumers the ledger does not decide', () => {
    const seen = [
      { consumer: consumer('pinned', `${DB}:::${V1}`) },
      { consumer: consumer('current'), record: settled('current', { AWSCURRENT: V2 }) },
      { consumer: consumer('busy'), record: claimedBy('other-run', 'busy', '2026-11-20T09:00:00.000Z') },
      { consumer: consumer('behind'), record: settled('behind', { AWSCURRENT: V1 }) },
      { consumer: consumer('unseen') },
    ];
    const records = new Map(seen.flatMap((s) => (s.record ? [[s.consumer.serviceArn, s.record] as const] : [])));

    const look = undecided(
      seen.map((s) => s.consumer),
      records,
      frameOf(snapshot(seen)),
      ctx(),
    );

    expect(look.map((c) => c.serviceName)).toEqual(['behind', 'unseen']);
  });

  it('without a ledger: every eligible consumer is redeployed, nothing recorded, no waves', () => {
    const seen = [
      { consumer: consumer('a'), record: settled('a', { AWSCURRENT: V2 }), live: live('a') },
      { consumer: consumer('b'), live: live('b', { tags: { [WAVE_TAG]: '2' } }) },
    ];
    const plan = planReconcile(snapshot(seen), ctx({ ledger: false }));

    expect(plan.redeploys.map((r) => [r.consumer.serviceName, r.decision.action])).toEqual([
      ['a', 'claim'],
      ['b', 'claim'],
    ]);
    expect(plan.writes).toEqual([]);
    expect(plan.change).toBeUndefined();
  });

  it('redeploys a consumer already at the current version when forced', () => {
    const plan = planReconcile(
      snapshot([{ consumer: consumer('api'), record: settled('api', { AWSCURRENT: V2 }), live: live('api') }]),
      ctx({ force: true }),
    );
    expect(plan.redeploys.map((r) => [r.decision.action, r.force])).toEqual([['claim', true]]);
  });

  it('warns of a wave tag that is not an integer, and uses the default wave', () => {
    const plan = planReconcile(
      snapshot([
        { consumer: consumer('api'), record: settled('api', { AWSCURRENT: V1 }), live: live('api', { tags: { [WAVE_TAG]: 'canary' } }) },
      ]),
      ctx(),
    );
    expect(plan.warnings).toEqual([`api: tag ${WAVE_TAG}="canary" is not an integer: wave 1`]);
    expect(plan.redeploys[0].slot).toEqual({ key: KEY, wave: 1 });
  });
});

describe('planReconcile: a CODE_DEPLOY service', () => {
  const api = consumer('api');
  const behind = settled('api', { AWSCURRENT: V1 });
  const TD = taskDefinitionArn('api:4');
  const TG = 'arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup';
  const blueGreen = (overrides: Partial<ServiceSnapshot> = {}) =>
    live('api', {
      deploymentController: 'CODE_DEPLOY',
      deployments: [],
      taskDefinition: TD,
      taskSets: [{ id: 'ecs-svc/ts-1', status: 'PRIMARY', taskDefinition: TD, createdAt: EARLIER }],
      loadBalancers: [
        { targetGroupArn: `${TG}/blue/1`, containerName: 'web', containerPort: 8080 },
        { targetGroupArn: `${TG}/green/2`, containerName: 'web', containerPort: 8080 },
      ],
      ...overrides,
    });
  const group = (extra: Partial<DeploymentGroup> = {}): GroupLookup => ({
    kind: 'found',
    group: {
      application: 'AppECS-prod-api',
      name: 'DgpECS-prod-api',
      ecsServices: [{ clusterName: 'prod', serviceName: 'api' }],
      targetGroups: ['blue', 'green'],
      ...extra,
    },
  });
  const busyGroup = group({ lastAttempted: { deploymentId: 'd-TEAMS0001', status: 'InProgress' } });

  type Expect = { verdict?: { outcome: string; kind?: string }; reason?: RegExp; via?: string; action?: string };
  it.each<[string, Seen, Partial<PlanContext>, Expect]>([
    [
      'its one group found: redeployed through CodeDeploy',
      { consumer: api, record: behind, live: blueGreen(), group: group() },
      {},
      { via: 'codedeploy', action: 'claim' },
    ],
    [
      'CodeDeploy redeploys turned off: skipped, saying so',
      { consumer: api, record: behind, live: blueGreen(), group: group() },
      { codeDeploy: false },
      { verdict: { outcome: 'skipped', kind: 'ineligible' }, reason: /CodeDeploy redeploys are turned off/ },
    ],
    [
      'no group deploys it: skipped, not guessed',
      { consumer: api, record: behind, live: blueGreen(), group: { kind: 'none' } },
      {},
      { verdict: { outcome: 'skipped', kind: 'no-group' }, reason: /^no CodeDeploy deployment group deploys prod\/api/ },
    ],
    [
      'two groups deploy it: skipped, naming both',
      { consumer: api, record: behind, live: blueGreen(), group: { kind: 'several', groups: ['a/one', 'b/two'] } },
      {},
      { verdict: { outcome: 'skipped', kind: 'no-group' }, reason: /2 CodeDeploy deployment groups deploy prod\/api \(a\/one, b\/two\)/ },
    ],
    [
      'CodeDeploy could not be read: failed, tried again next run',
      { consumer: api, record: behind, live: blueGreen(), group: { kind: 'unreadable', reason: 'AccessDeniedException: no' } },
      {},
      { verdict: { outcome: 'failed' }, reason: /CodeDeploy could not be read \(AccessDeniedException: no\)/ },
    ],
    [
      'its load balancer names no container port: skipped with the reason',
      { consumer: api, record: behind, live: blueGreen({ loadBalancers: [] }), group: group() },
      {},
      { verdict: { outcome: 'skipped', kind: 'ineligible' }, reason: /name no container and port/ },
    ],
    [
      'its group runs a deployment: waiting for the group',
      { consumer: api, record: behind, live: blueGreen(), group: busyGroup },
      {},
      { verdict: { outcome: 'waiting', kind: 'group' }, reason: /runs deployment d-TEAMS0001 \(InProgress\): redeployed once it ends/ },
    ],
    [
      // The deployment the group runs may be the one the interrupted claim made: the redeployer looks for it first.
      'its group runs a deployment and its claim ran out: recovered, not held',
      { consumer: api, record: claimedBy('dead-run', 'api', EARLIER), live: blueGreen(), group: busyGroup },
      {},
      { via: 'codedeploy', action: 'recover' },
    ],
    [
      'its group ended its last deployment: redeployed',
      { consumer: api, record: behind, live: blueGreen(), group: group({ lastAttempted: { deploymentId: 'd-1', status: 'Succeeded' } }) },
      {},
      { via: 'codedeploy', action: 'claim' },
    ],
  ])('%s', (_label, seen, overrides, expected) => {
    const plan = planReconcile(snapshot([seen]), ctx(overrides));

    if (expected.via) {
      expect(plan.redeploys.map((r) => [r.via, r.decision.action])).toEqual([[expected.via, expected.action]]);
      expect(rowOf(plan, 'api')).toBeUndefined();
    } else {
      expect(plan.redeploys).toEqual([]);
      expect(rowOf(plan, 'api')).toMatchObject(expected.verdict ?? {});
      expect(rowOf(plan, 'api')?.reason).toMatch(expected.reason ?? /./);
    }
  });

  it("sends the AppSpec of the task definition its PRIMARY task set runs, with the group's container and port", () => {
    const [redeploy] = planReconcile(snapshot([{ consumer: api, record: behind, live: blueGreen(), group: group() }]), ctx()).redeploys;

    expect(redeploy.via === 'codedeploy' && redeploy.codeDeploy).toMatchObject({
      application: 'AppECS-prod-api',
      group: 'DgpECS-prod-api',
      taskDefinition: TD,
      containerName: 'web',
      containerPort: 8080,
    });
    expect(redeploy.via === 'codedeploy' && JSON.parse(redeploy.codeDeploy.appSpec)).toEqual({
      version: '0.0',
      Resources: [
        {
          TargetService: {
            Type: 'AWS::ECS::Service',
            Properties: { TaskDefinition: TD, LoadBalancerInfo: { ContainerName: 'web', ContainerPort: 8080 } },
          },
        },
      ],
    });
  });

  it('first seen: judged from its PRIMARY task set creation, which it has instead of deployments', () => {
    const after = '2026-11-20T07:30:00.000Z';
    const seen: Seen = {
      consumer: api,
      live: blueGreen({ taskSets: [{ id: 'ecs-svc/ts-2', status: 'PRIMARY', taskDefinition: TD, createdAt: after }] }),
      group: group(),
    };
    // V2 was created before the task set: it runs V2.
    const current = planReconcile(snapshot([seen], { versionCreated: { [V1]: EARLIER, [V2]: EARLIER } }), ctx());
    expect(current.writes.map((w) => w.next.versions)).toEqual([{ AWSCURRENT: V2 }]);
    expect(current.redeploys).toEqual([]);
    // V2 was created after the task set: it runs an older version, and is redeployed.
    const stale = planReconcile(snapshot([seen], { versionCreated: { [V1]: EARLIER, [V2]: NOW.toISOString() } }), ctx());
    expect(stale.redeploys.map((r) => r.via)).toEqual(['codedeploy']);
  });

  it('a consumer its group holds back keeps the next wave waiting, and starts no rollout', () => {
    const waiting: Seen = { consumer: api, record: behind, live: blueGreen(), group: busyGroup };
    const later: Seen = {
      consumer: consumer('web'),
      record: settled('web', { AWSCURRENT: V1 }),
      live: live('web', { tags: { [WAVE_TAG]: '2' } }),
    };

    const plan = planReconcile(snapshot([waiting, later]), ctx());

    expect(plan.redeploys).toEqual([]);
    expect(rowOf(plan, 'api')).toMatchObject({
      outcome: 'waiting',
      kind: 'group',
      wave: 1,
      codeDeploy: { deploymentId: 'd-TEAMS0001', status: 'InProgress' },
    });
    expect(rowOf(plan, 'web')).toMatchObject({ outcome: 'waiting', kind: 'wave' });
    expect(plan.change).toBeUndefined();
  });

  it('a dry run says it would go through CodeDeploy, naming the group, task definition and container', () => {
    const plan = planReconcile(snapshot([{ consumer: api, record: behind, live: blueGreen(), group: group() }]), ctx());

    expect(preview(plan, SECRET)).toEqual([
      expect.objectContaining({
        outcome: 'would-redeploy',
        reason: expect.stringMatching(
          /; through CodeDeploy AppECS-prod-api\/DgpECS-prod-api \(task definition api:4, container web:8080\)$/,
        ),
        codeDeploy: { application: 'AppECS-prod-api', group: 'DgpECS-prod-api' },
      }),
    ]);
  });

  it('a consumer of a replica that waits for the change keeps its CodeDeploy group in its row', () => {
    const V3 = 'v3-0d4b6f8a';
    const primary = secretState(
      { [V3]: ['AWSCURRENT'], [V2]: ['AWSPREVIOUS'] },
      { arn: DB.replace(':eu-west-1:', ':us-east-1:'), replicationStatus: [{ region: 'eu-west-1', status: 'InProgress' }] },
    );
    const seen: Seen = { consumer: api, record: behind, live: blueGreen(), group: group() };
    const plan = planReconcile(snapshot([seen], { secret: { ...SECRET, primaryRegion: 'us-east-1' }, primary }), ctx());

    expect(plan.redeploys).toEqual([]);
    expect(rowOf(plan, 'api')).toMatchObject({
      outcome: 'waiting',
      kind: 'replica',
      versions: { to: { AWSCURRENT: V3 } },
      codeDeploy: { application: 'AppECS-prod-api', group: 'DgpECS-prod-api' },
    });
  });
});

describe('planReconcile: the rollout', () => {
  const inProgress: Rollout = { key: KEY, status: 'in-progress', startedAt: EARLIER };
  const due = (name: string, wave?: number): Seen => ({
    consumer: consumer(name),
    record: settled(name, { AWSCURRENT: V1 }),
    live: live(name, wave === undefined ? {} : { tags: { [WAVE_TAG]: String(wave) } }),
  });
  const deployed = (name: string, wave: number, state: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED', reason?: string): LedgerRecord =>
    settled(
      name,
      { AWSCURRENT: V2 },
      {
        deploymentId: `ecs-svc/${name}-2`,
        slot: { key: KEY, wave },
        deployment: { state, at: EARLIER, ...(reason ? { reason } : {}) },
      },
    );
  /** A plan for the consumers seen, beside those other records are of (every one a consumer of the secret). */
  const plan = (seen: Seen[], records: LedgerRecord[], rollout?: Rollout, overrides: Partial<PlanContext> = {}) => {
    const others = records.map((r) => consumer(r.serviceArn.split('/').pop() as string));
    const all = [...seen.flatMap((s) => (s.record ? [s.record] : [])), ...records];
    const base = snapshot(seen, { records: all, ...(rollout ? { rollout } : {}) });
    return planReconcile({ ...base, consumers: [...base.consumers, ...others] }, ctx(overrides));
  };

  it('starts the rollout with its lowest wave; the waves after it wait', () => {
    const p = plan([due('a', 1), due('b', 2)], []);

    expect(p.redeploys.map((r) => [r.consumer.serviceName, r.slot])).toEqual([['a', { key: KEY, wave: 1 }]]);
    expect(rowOf(p, 'b')).toMatchObject({ outcome: 'waiting', kind: 'wave', reason: 'wave 2: waits for wave 1 to complete', wave: 2 });
    expect(p.change).toEqual({
      next: { key: KEY, status: 'in-progress', startedAt: NOW.toISOString(), wave: 1 },
      announce: [{ kind: 'rollout-started', wave: 1, services: ['a'], at: NOW.toISOString() }],
    });
  });

  it('says a wave is done when the next wave is released, once: the wave released is recorded with the rollout', () => {
    const atWave1: Rollout = { ...inProgress, wave: 1 };
    const p = plan([due('b', 2), due('c', 2)], [deployed('a', 1, 'COMPLETED')], atWave1);
    const again = plan([due('c', 2)], [deployed('a', 1, 'COMPLETED'), deployed('b', 2, 'IN_PROGRESS')], { ...atWave1, wave: 2 });

    expect(p.redeploys.map((r) => r.consumer.serviceName)).toEqual(['b', 'c']);
    expect(p.change).toEqual({
      next: { ...atWave1, wave: 2 },
      announce: [{ kind: 'wave-done', wave: 1, next: 2, services: ['b', 'c'], at: NOW.toISOString() }],
    });
    // The same wave released again (a consumer that joined it late): nothing to record, nothing to say.
    expect(again.redeploys.map((r) => r.consumer.serviceName)).toEqual(['c']);
    expect(again.change).toBeUndefined();
  });

  it('records the wave of a rollout recorded before waves were kept, announcing nothing', () => {
    const p = plan([due('b', 2)], [deployed('a', 1, 'COMPLETED')], inProgress);
    expect(p.change).toEqual({ next: { ...inProgress, wave: 2 } });
  });

  it('starts a rollout with every wave at once without a wave to record', () => {
    const p = plan([due('a', 1), due('b', 2)], [], undefined, { allWaves: true });
    expect(p.change?.announce).toEqual([{ kind: 'rollout-started', services: ['a', 'b'], at: NOW.toISOString() }]);
    expect(p.change?.next).not.toHaveProperty('wave');
  });

  it('starts it with the time of the change when the event gave one', () => {
    const p = plan([due('a')], [], undefined, { changedAt: '2026-11-20T07:59:00.000Z' });
    expect(p.change?.next).toMatchObject({ changedAt: '2026-11-20T07:59:00.000Z' });
  });

  it('holds a wave while a deployment of an earlier one is in progress, or claimed by another run', () => {
    const inFlight = plan([due('b', 2)], [deployed('a', 1, 'IN_PROGRESS')], inProgress);
    const claimed = plan([due('b', 2)], [claimedBy('other-run', 'a', '2026-11-20T09:00:00.000Z', { key: KEY, wave: 1 })], inProgress);

    for (const p of [inFlight, claimed]) {
      expect(p.redeploys).toEqual([]);
      expect(rowOf(p, 'b')).toMatchObject({
        outcome: 'waiting',
        kind: 'wave',
        reason: 'wave 2: waits for wave 1 (1 deployment(s) in progress: a)',
      });
      expect(p.change).toBeUndefined();
    }
  });

  it('halts on a failed deployment, once, and announces it naming the service and ECS reason', () => {
    const p = plan([due('b', 2)], [deployed('a', 1, 'FAILED', 'circuit breaker')], inProgress);

    expect(rowOf(p, 'b')).toMatchObject({ outcome: 'waiting', kind: 'resume', reason: expect.stringMatching(/^rollout halted at wave 1/) });
    expect(p.change?.next).toMatchObject({ status: 'halted', halted: { wave: 1, at: NOW.toISOString() } });
    expect(p.change?.announce).toEqual([
      {
        kind: 'rollout-halted',
        wave: 1,
        at: NOW.toISOString(),
        failed: [{ serviceArn: live('a').serviceArn, serviceName: 'a', deploymentId: 'ecs-svc/a-2', reason: 'circuit breaker' }],
      },
    ]);

    const halted = p.change?.next as Rollout;
    const again = plan([due('b', 2)], [deployed('a', 1, 'FAILED', 'circuit breaker')], halted);
    expect(again.change).toBeUndefined();
    expect(rowOf(again, 'b')).toMatchObject({ outcome: 'waiting', kind: 'resume' });
  });

  it('completes once every deployment of it completed, and announces it', () => {
    const p = plan([], [deployed('a', 1, 'COMPLETED'), deployed('b', 2, 'COMPLETED')], inProgress);

    expect(p.change?.next).toEqual({ ...inProgress, status: 'completed', completedAt: NOW.toISOString() });
    expect(p.change?.announce).toEqual([
      { kind: 'rollout-completed', services: 2, waves: [1, 2], startedAt: EARLIER, at: NOW.toISOString() },
    ]);
  });

  it('releases every wave at once with all waves, halted or not', () => {
    const halted: Rollout = { ...inProgress, status: 'halted', halted: { at: EARLIER, wave: 1, failed: [] } };
    const p = plan([due('a', 1), due('b', 2)], [], halted, { allWaves: true });
    expect(p.redeploys.map((r) => r.consumer.serviceName)).toEqual(['a', 'b']);
  });

  it('redeploys again, in its wave, a deployment that failed before resume', () => {
    const resumed: Rollout = { ...inProgress, resumedAt: NOW.toISOString() };
    const failed = deployed('a', 1, 'FAILED');
    const p = plan([{ consumer: consumer('a'), record: failed, live: live('a') }], [], resumed);
    expect(p.redeploys.map((r) => [r.consumer.serviceName, r.decision.action, r.force])).toEqual([['a', 'claim', true]]);
  });

  it('starts a new rollout for newer versions, whatever the recorded one says', () => {
    const older: Rollout = { key: `AWSCURRENT=${V1}`, startedAt: EARLIER, status: 'halted', halted: { at: EARLIER, wave: 1, failed: [] } };
    const p = plan([due('a')], [], older);
    expect(p.redeploys).toHaveLength(1);
    expect(p.change?.next).toMatchObject({ key: KEY, status: 'in-progress' });
  });

  it.each<[string, Partial<PlanContext>, Rollout | undefined, string[]]>([
    ['a scheduled run with no rollout finds drift', { origin: 'schedule' }, undefined, ['a']],
    [
      'a scheduled run after the rollout completed finds drift',
      { origin: 'schedule' },
      { ...inProgress, status: 'completed', completedAt: EARLIER },
      ['a'],
    ],
    ['a scheduled run during a rollout finds none: the event came', { origin: 'schedule' }, inProgress, []],
    ['a run for an event finds none', { origin: 'event' }, undefined, []],
    [
      'a secret of another region is no drift: the schedule is how its changes arrive',
      { origin: 'schedule', region: 'us-east-1' },
      undefined,
      [],
    ],
  ])('%s', (_label, overrides, rollout, drift) => {
    const p = plan([due('a')], [], rollout, overrides);
    expect(p.drift.map((arn) => arn.split('/').pop())).toEqual(drift);
  });
});

describe('preview and busy rows', () => {
  it('says what a dry run would redeploy, and why, in its wave', () => {
    const p = planReconcile(
      snapshot([{ consumer: consumer('api'), record: settled('api', { AWSCURRENT: V1 }), live: live('api') }]),
      ctx(),
    );
    expect(preview(p, SECRET)).toEqual([
      expect.objectContaining({
        outcome: 'would-redeploy',
        reason: `runs AWSCURRENT=${V1}, by deployment ecs-svc/api-1; current is AWSCURRENT=${V2}`,
        wave: 1,
        versions: { from: { AWSCURRENT: V1 }, to: { AWSCURRENT: V2 } },
      }),
    ]);
  });

  it("says whose claim a waiting consumer waits for, in the claim's wave", () => {
    const p = planReconcile(
      snapshot([{ consumer: consumer('api'), record: claimedBy('other-run', 'api', '2026-11-20T09:00:00.000Z', { key: KEY, wave: 3 }) }]),
      ctx(),
    );
    expect(p.busy.map(busyRow)).toEqual([
      expect.objectContaining({
        outcome: 'waiting',
        kind: 'claim',
        reason: 'another run is redeploying it (its claim ends 2026-11-20T09:00:00.000Z)',
        wave: 3,
      }),
    ]);
  });
});

describe('planReconcile: the consumers of a replica secret', () => {
  // The replica (eu-west-1, this region) holds V2; its primary in us-east-1 moved on to V3.
  const V3 = 'v3-0d4b6f8a';
  const PRIMARY_REGION = 'us-east-1';
  const REPLICA = { ...SECRET, primaryRegion: PRIMARY_REGION };
  const primary = (status: string, current = V3, extra: Partial<Snapshot['secret']> = {}) =>
    secretState(current === V3 ? { [V3]: ['AWSCURRENT'], [V2]: ['AWSPREVIOUS'] } : { [V2]: ['AWSCURRENT'], [V1]: ['AWSPREVIOUS'] }, {
      arn: DB.replace(':eu-west-1:', `:${PRIMARY_REGION}:`),
      replicationStatus: [{ region: 'eu-west-1', status, ...(status === 'Failed' ? { statusMessage: 'KMS key disabled' } : {}) }],
      ...extra,
    });
  const upToDate = { consumer: consumer('api'), record: settled('api', { AWSCURRENT: V2 }) };
  const behindIt = { consumer: consumer('web'), record: settled('web', { AWSCURRENT: V1 }), live: live('web') };
  const pinned = { consumer: consumer('job', `${DB}:::${V1}`) };
  const replicaSnapshot = (p: Snapshot['secret'] | undefined, extra: Partial<Snapshot> = {}) =>
    snapshot([upToDate, behindIt, pinned], { secret: REPLICA, ...(p ? { primary: p } : {}), ...extra });

  it('holds every consumer that follows a stage the replica does not hold yet, up to date or behind, and names what it waits for', () => {
    const p = planReconcile(replicaSnapshot(primary('InProgress')), ctx());
    expect(p.redeploys).toEqual([]);
    expect(p.change).toBeUndefined();
    expect(p.rows.map((r) => [r.serviceName, r.outcome, 'kind' in r ? r.kind : undefined])).toEqual([
      ['api', 'waiting', 'replica'],
      ['web', 'waiting', 'replica'],
      ['job', 'skipped', 'pinned'],
    ]);
    expect(rowOf(p, 'api')).toMatchObject({
      reason: `replication from ${PRIMARY_REGION} to eu-west-1 is InProgress: the replica does not hold AWSCURRENT ${V3} yet; the next scheduled reconcile looks again`,
      versions: { from: { AWSCURRENT: V2 }, to: { AWSCURRENT: V3 } },
    });
    expect(rowOf(p, 'web')).toMatchObject({ versions: { from: { AWSCURRENT: V1 }, to: { AWSCURRENT: V3 } }, wave: 1 });
    // No change time to count the re-checks from: none is asked for.
    expect(p.wakeups).toEqual([]);
  });

  it.each<[string, number, string | undefined]>([
    ['just after the change: a minute after it', 0.1, '2026-11-20T07:59:00Z'],
    ['two minutes after: three minutes after it', 2, '2026-11-20T08:01:00Z'],
    ['ten minutes after: fifteen minutes after it', 10, '2026-11-20T08:05:00Z'],
    ['fifteen minutes after: none, the schedule looks again', 15, undefined],
  ])('asks for the next look at the wait as a wakeup of the replica, counted from the change: %s', (_, minutes, at) => {
    const changed = new Date(NOW.getTime() - minutes * 60_000).toISOString();
    const p = planReconcile(replicaSnapshot(primary('InProgress', V3, { lastChangedDate: changed })), ctx());
    const replicaWakeups = p.wakeups.filter((w) => w.cause === 'replica');
    expect(replicaWakeups.map((w) => [w.secretArn, w.rollout])).toEqual(at ? [[DB, `AWSCURRENT=${V3}`]] : []);
    // A schedule must lie a minute ahead at least: wakeupFor moves an earlier time to then.
    const expected = at && new Date(Math.max(Date.parse(at), NOW.getTime() + 60_000)).toISOString().replace('.000Z', 'Z');
    expect(replicaWakeups.map((w) => w.at)).toEqual(expected ? [expected] : []);
    expect(rowOf(p, 'api')?.reason).toMatch(
      expected
        ? `looked at again at ${expected} (a wakeup), or by the next scheduled reconcile`
        : 'the next scheduled reconcile looks again',
    );
  });

  it('asks for no re-check when the wait holds nobody (its consumers pinned, or none judged now)', () => {
    const inProgress = primary('InProgress', V3, { lastChangedDate: NOW.toISOString() });
    for (const seen of [[pinned], []]) {
      const p = planReconcile(snapshot(seen, { secret: REPLICA, primary: inProgress }), ctx());
      expect(p.replica).toEqual({ hold: expect.objectContaining({ verdict: 'wait' }) });
      expect(p.wakeups).toEqual([]);
    }
  });

  it('redeploys the consumers once the replica holds the change, whatever the replication status says', () => {
    for (const status of ['InSync', 'InProgress']) {
      const p = planReconcile(replicaSnapshot(primary(status, V2)), ctx());
      expect(p.redeploys.map((r) => r.consumer.serviceName)).toEqual(['web']);
      expect(p.replica).toEqual({ hold: expect.objectContaining({ verdict: 'free' }) });
      expect(rowOf(p, 'api')).toMatchObject({ outcome: 'skipped', kind: 'up-to-date' });
    }
  });

  it('reconciles with what the replica holds when replication failed, warns, and announces the failure once', () => {
    const failed = primary('Failed');
    const p = planReconcile(replicaSnapshot(failed), ctx());
    expect(p.redeploys.map((r) => [r.consumer.serviceName, r.desired])).toEqual([['web', { AWSCURRENT: V2 }]]);
    expect(p.warnings).toEqual([
      `replication of prod/db from ${PRIMARY_REGION} to eu-west-1 failed: KMS key disabled: its consumers keep what the replica holds until replication is repaired`,
    ]);
    const key = `eu-west-1|KMS key disabled|${V3}`;
    expect(p.replica?.notice).toEqual({
      key,
      announce: {
        kind: 'replication-failed',
        region: 'eu-west-1',
        primaryRegion: PRIMARY_REGION,
        statusMessage: 'KMS key disabled',
        consumers: ['api', 'job', 'web'].map((name) => expect.objectContaining({ serviceName: name })),
        at: NOW.toISOString(),
      },
    });
    expect(planReconcile(replicaSnapshot(failed, { replicationNoticed: key }), ctx()).replica?.notice).toBeUndefined();
    expect(planReconcile(snapshot([], { secret: REPLICA, primary: failed }), ctx()).replica?.notice).toBeUndefined();
  });

  it('ends the wait past its bound: the consumers follow what the replica holds, and the lag is a warning', () => {
    const late = primary('InProgress', V3, { lastChangedDate: '2026-11-20T07:00:00.000Z' });
    const p = planReconcile(replicaSnapshot(late), ctx());
    expect(p.redeploys.map((r) => r.consumer.serviceName)).toEqual(['web']);
    expect(rowOf(p, 'api')).toMatchObject({ outcome: 'skipped', kind: 'up-to-date' });
    expect(p.wakeups).toEqual([]);
    expect(p.warnings).toEqual([expect.stringContaining('60 minutes after the change (the wait ends after 15)')]);
  });

  it("decides from the replica's own versions when its primary could not be read, and says why", () => {
    const p = planReconcile(replicaSnapshot(undefined, { primaryUnread: 'connect ETIMEDOUT' }), ctx());
    expect(p.redeploys.map((r) => r.consumer.serviceName)).toEqual(['web']);
    expect(p.warnings).toEqual([`its primary could not be read (connect ETIMEDOUT): the replica's own versions decide`]);
  });

  it('counts no drift when the schedule catches a replica up: replication brings its changes without an event here', () => {
    const scheduled = ctx({ origin: 'schedule' });
    expect(planReconcile(replicaSnapshot(primary('InSync', V2)), scheduled).drift).toEqual([]);
    expect(planReconcile(snapshot([behindIt]), scheduled).drift).toEqual([behindIt.consumer.serviceArn]);
  });

  it('holds nobody of a secret that is no replica', () => {
    const p = planReconcile(snapshot([upToDate, behindIt]), ctx());
    expect(p.replica).toBeUndefined();
    expect(p.redeploys.map((r) => r.consumer.serviceName)).toEqual(['web']);
  });
});
