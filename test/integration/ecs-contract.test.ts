/**
 * The ECS port's contract, run against the ECS adapter (functions/aws/ecs.ts) on moto_server and
 * against the in-memory ECS the unit tests use (test/kit/fakes/ecs.ts): what the use cases are
 * proven to do on the fake holds on AWS only if both answer alike. The cases state what AWS does.
 *
 * Where moto answers otherwise, test/kit/moto.ts corrects that answer before the server starts
 * (UpdateService starts a new PRIMARY deployment and leaves the one it replaces ACTIVE, a new task
 * definition included; ListTasks lists the named cluster's tasks, and a service's only), or the
 * adapter copes (ListServices leaking a cluster whose name ends with the one asked for; listings
 * never paginated, counted as the pages a real account needs by test/kit/call-counter.ts). What
 * moto cannot play at all runs on the fake only, below, each with its reason.
 *
 * moto's answers not asserted, because no use case reads them: tasks without `startedAt`,
 * a new service's deployment IN_PROGRESS with no task running (ECS completes it once the tasks run).
 */

import {
  ClientException,
  CreateClusterCommand,
  InvalidParameterException,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  ServiceNotFoundException,
  StopTaskCommand,
  type TaskDefinition,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import type { Location } from '../../functions/domain/identity/arn';
import type { ServiceSnapshot } from '../../functions/domain/inventory/service';
import type { EcsPort } from '../../functions/ports/ecs';
import { CallCounter } from '../kit/call-counter';
import { type Emulator, MOTO_ACCOUNT, startEmulator } from '../kit/emulator';
import { smReference } from '../kit/factories';
import { VirtualClock } from '../kit/fakes/clock';
import { FakeEcs } from '../kit/fakes/ecs';
import { createService, type ServiceSpec } from '../kit/simulated-account';
import { REGION } from '../kit/test-account';

let emulator: Emulator;

beforeAll(async () => {
  emulator = await startEmulator();
}, 60_000);

afterAll(async () => {
  await emulator?.moto.stop();
});

/** Both worlds play moto's account, so that the same ARNs are expected of both. */
const HOME: Location = { partition: 'aws', region: REGION, account: MOTO_ACCOUNT };
const arn = (resource: string) => `arn:aws:ecs:${REGION}:${MOTO_ACCOUNT}:${resource}`;

/** An ECS account to play the contract in: the port under test, and how to make what it reads. */
interface World {
  ecs: EcsPort;
  /** The world's time, in milliseconds (real on moto, virtual on the fake). */
  now(): number;
  cluster(name: string): Promise<string>;
  taskDefinition(family: string, parts: Pick<TaskDefinition, 'containerDefinitions' | 'volumes'>): Promise<string>;
  /** Creates a service; its ARN. */
  service(spec: ServiceSpec): Promise<string>;
  /** UpdateService with another task definition: the team's own deploy. */
  changeTaskDefinition(clusterArn: string, serviceArn: string, taskDefinition: string): Promise<void>;
  /** A running task; a group `service:NAME` plays one that ECS started for that service. */
  runTask(clusterArn: string, taskDefinition: string, started: { group: string; startedBy: string }): Promise<string>;
  stopTask(clusterArn: string, taskArn: string): Promise<void>;
  /** The ECS calls the port made since the last `calls()`, by operation, as AWS would count them. */
  calls(): Record<string, number>;
}

/** moto_server, emptied for each test, with the adapter on the real SDK and a counter of its calls. */
async function onMoto(): Promise<World> {
  const reset = await fetch(`${emulator.moto.endpoint}/moto-api/reset`, { method: 'POST' });
  if (!reset.ok) throw new Error(`moto reset answered HTTP ${reset.status}`);
  const counter = new CallCounter();
  const { ecs } = emulator.ports({}, { instrument: counter.instrument });
  const client = emulator.ecs;
  return {
    ecs,
    now: () => Date.now(),
    cluster: async (clusterName) => (await client.send(new CreateClusterCommand({ clusterName }))).cluster?.clusterArn as string,
    taskDefinition: async (family, parts) => {
      const out = await client.send(
        new RegisterTaskDefinitionCommand({
          family,
          containerDefinitions: (parts.containerDefinitions ?? []).map((c) => ({
            image: 'public.ecr.aws/nginx/nginx:latest',
            memory: 128,
            ...c,
          })),
          volumes: parts.volumes,
        }),
      );
      return out.taskDefinition?.taskDefinitionArn as string;
    },
    service: (spec) => createService(client, spec),
    changeTaskDefinition: async (cluster, service, taskDefinition) => {
      await client.send(new UpdateServiceCommand({ cluster, service, taskDefinition }));
    },
    runTask: async (cluster, taskDefinition, { group, startedBy }) => {
      const out = await client.send(new RunTaskCommand({ cluster, taskDefinition, launchType: 'FARGATE', group, startedBy }));
      return out.tasks?.[0]?.taskArn as string;
    },
    stopTask: async (cluster, task) => {
      await client.send(new StopTaskCommand({ cluster, task, reason: 'test' }));
    },
    calls: () => Object.fromEntries(counter.take()),
  };
}

/**
 * The in-memory ECS on a virtual clock that moves a second with every change and every reading of
 * the time, as time passes between two steps in AWS.
 */
function onFake(): World & { fake: FakeEcs; clock: VirtualClock } {
  const clock = new VirtualClock();
  const fake = new FakeEcs(clock);
  const revisions = new Map<string, number>();
  let tasks = 0;
  let counted: Record<string, number> = {};
  const later = () => clock.advance(1000);
  const serviceOf = (serviceArn: string) => {
    const service = fake.services.get(serviceArn);
    if (!service) throw new Error(`test setup: no service ${serviceArn}`);
    return service;
  };
  return {
    fake,
    clock,
    ecs: fake,
    now: () => {
      later();
      return clock.now().getTime();
    },
    cluster: async (name) => {
      later();
      fake.addCluster(arn(`cluster/${name}`));
      return arn(`cluster/${name}`);
    },
    taskDefinition: async (family, parts) => {
      later();
      const revision = (revisions.get(family) ?? 0) + 1;
      revisions.set(family, revision);
      const taskDefinitionArn = arn(`task-definition/${family}:${revision}`);
      fake.registerTaskDefinition({ taskDefinitionArn, family, revision, ...parts });
      return taskDefinitionArn;
    },
    service: async (spec) => {
      later();
      const clusterArn = spec.cluster.startsWith('arn:') ? spec.cluster : arn(`cluster/${spec.cluster}`);
      const serviceArn = arn(`service/${clusterArn.split('/').pop()}/${spec.name}`);
      fake.addService({
        clusterArn,
        serviceArn,
        serviceName: spec.name,
        desiredCount: spec.desiredCount ?? 2,
        taskDefinition: spec.taskDefinition,
        deploymentController: spec.controller ?? 'ECS',
        tags: spec.tags ?? {},
        ...(spec.loadBalancers ? { loadBalancers: spec.loadBalancers } : {}),
      });
      return serviceArn;
    },
    changeTaskDefinition: async (_cluster, serviceArn, taskDefinition) => {
      later();
      fake.changeTaskDefinition(serviceOf(serviceArn), taskDefinition);
    },
    runTask: async (clusterArn, taskDefinition, { group, startedBy }) => {
      later();
      tasks += 1;
      const taskArn = arn(`task/${clusterArn.split('/').pop()}/${String(tasks).padStart(32, '0')}`);
      const service = group.startsWith('service:')
        ? [...fake.services.values()].find((s) => s.clusterArn === clusterArn && s.serviceName === group.slice('service:'.length))
        : undefined;
      if (service) {
        const running = fake.tasks.get(service.serviceArn) ?? [];
        fake.tasks.set(service.serviceArn, [...running, { taskArn, startedBy, taskDefinition, startedAt: clock.now().toISOString() }]);
      } else fake.standaloneTasks.push({ clusterArn, taskArn, taskDefinition, group, startedBy });
      return taskArn;
    },
    stopTask: async (_cluster, taskArn) => {
      later();
      const at = fake.standaloneTasks.findIndex((t) => t.taskArn === taskArn);
      if (at >= 0) fake.standaloneTasks.splice(at, 1);
      for (const [service, running] of fake.tasks) {
        fake.tasks.set(
          service,
          running.filter((t) => t.taskArn !== taskArn),
        );
      }
    },
    calls: () => {
      const now = { ...fake.calls };
      const since = Object.fromEntries(
        Object.entries(now)
          .map(([op, n]) => [op, n - (counted[op] ?? 0)] as const)
          .filter(([, n]) => n > 0),
      );
      counted = now;
      return since;
    },
  };
}

const plain = { containerDefinitions: [{ name: 'app' }] };
const primaryOf = (service: ServiceSnapshot | undefined) => service?.deployments.find((d) => d.status === 'PRIMARY');

async function describeOne(world: World, clusterArn: string, serviceArn: string): Promise<ServiceSnapshot> {
  const [service] = await world.ecs.describeServices(clusterArn, [serviceArn]);
  if (!service) throw new Error(`${serviceArn} not described`);
  return service;
}

/** Services api-00 ... in one cluster, all of one task definition. */
async function manyServices(world: World, count: number): Promise<{ cluster: string; arns: string[] }> {
  const cluster = await world.cluster('web');
  const taskDefinition = await world.taskDefinition('api', plain);
  const arns: string[] = [];
  for (let i = 0; i < count; i++) {
    arns.push(await world.service({ cluster, name: `api-${String(i).padStart(3, '0')}`, taskDefinition, desiredCount: 1 }));
  }
  return { cluster, arns };
}

describe.each([
  ['the ECS adapter on moto_server', onMoto],
  ['the in-memory ECS of the unit tests', async (): Promise<World> => onFake()],
])('ECS contract: %s', (_, make) => {
  it('lists every cluster, one without services too', async () => {
    const world = await make();
    const web = await world.cluster('web');
    const empty = await world.cluster('empty');
    await world.service({ cluster: web, name: 'api', taskDefinition: await world.taskDefinition('api', plain) });

    expect((await world.ecs.listClusters()).sort()).toEqual([web, empty].sort());
  });

  it("lists a cluster's services, described with their tags, and none of a cluster whose name ends with its own", async () => {
    const world = await make();
    const web = await world.cluster('web');
    const prodWeb = await world.cluster('prod-web');
    const taskDefinition = await world.taskDefinition('api', plain);
    await world.service({ cluster: web, name: 'api', taskDefinition, tags: { 'ecs-secret-redeploy:wave': '2', team: 'orders' } });
    await world.service({ cluster: web, name: 'worker', taskDefinition });
    await world.service({ cluster: prodWeb, name: 'api', taskDefinition });
    world.calls();

    const listed = await world.ecs.listServices(web);

    expect(Object.fromEntries(listed.map((s) => [s.serviceName, { cluster: s.clusterArn, tags: s.tags }]))).toEqual({
      api: { cluster: web, tags: { 'ecs-secret-redeploy:wave': '2', team: 'orders' } },
      worker: { cluster: web, tags: {} },
    });
    expect(world.calls()).toEqual({ ListServices: 1, DescribeServices: 1 });
  });

  it('describes a service as planning reads it: counts, controller, task definition, its PRIMARY deployment', async () => {
    const world = await make();
    const cluster = await world.cluster('web');
    const taskDefinition = await world.taskDefinition('api', plain);
    const before = world.now();
    const serviceArn = await world.service({ cluster, name: 'api', taskDefinition, desiredCount: 3 });
    const after = world.now();
    const blueGreen = await world.service({ cluster, name: 'checkout', taskDefinition, controller: 'CODE_DEPLOY' });

    const service = await describeOne(world, cluster, serviceArn);

    expect(service).toMatchObject({
      clusterArn: cluster,
      serviceArn,
      serviceName: 'api',
      status: 'ACTIVE',
      desiredCount: 3,
      deploymentController: 'ECS',
      taskDefinition,
      tags: {},
    });
    // ECS counts the tasks as they start, and completes the deployment once they run.
    expect(service.runningCount).toBeGreaterThanOrEqual(0);
    expect(service.runningCount).toBeLessThanOrEqual(3);
    expect(service.deployments).toHaveLength(1);
    const primary = primaryOf(service);
    expect(primary).toMatchObject({ id: expect.stringMatching(/^ecs-svc\//), taskDefinition });
    expect(['IN_PROGRESS', 'COMPLETED']).toContain(primary?.rolloutState);
    expect(Date.parse(primary?.createdAt ?? '')).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(primary?.createdAt ?? '')).toBeLessThanOrEqual(after + 1000);
    // Created without a strategy: a rolling update, which bakes nothing.
    expect([undefined, 'ROLLING']).toContain(service.strategy?.name);
    expect((await describeOne(world, cluster, blueGreen)).deploymentController).toBe('CODE_DEPLOY');
  });

  it('describes services ten per DescribeServices call, leaving out those ECS does not know', async () => {
    const world = await make();
    const { cluster, arns } = await manyServices(world, 23);
    world.calls();

    const described = await world.ecs.describeServices(cluster, [...arns, arn('service/web/gone')]);

    expect(described.map((s) => s.serviceArn).sort()).toEqual([...arns].sort());
    expect(world.calls()).toEqual({ DescribeServices: 3 });
  });

  it('lists a cluster of more than 100 services in two ListServices pages and eleven DescribeServices batches', async () => {
    const world = await make();
    const { cluster, arns } = await manyServices(world, 101);
    world.calls();

    const listed = await world.ecs.listServices(cluster);

    expect(listed.map((s) => s.serviceArn).sort()).toEqual([...arns].sort());
    expect(world.calls()).toEqual({ ListServices: 2, DescribeServices: 11 });
  }, 60_000);

  it('pages through a cluster from the first page, following nextToken: every service once, the last page without a token', async () => {
    const world = await make();
    const { cluster, arns } = await manyServices(world, 12);

    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await world.ecs.listServicesPage(cluster, token);
      seen.push(...page.services.map((s) => s.serviceArn));
      token = page.nextToken;
      pages += 1;
    } while (token !== undefined && pages < 10);

    expect(token).toBeUndefined();
    expect(seen.sort()).toEqual([...arns].sort());
  });

  it("forceNewDeployment starts a new PRIMARY deployment of the service's task definition; the one it replaces stays ACTIVE", async () => {
    const world = await make();
    const cluster = await world.cluster('web');
    const taskDefinition = await world.taskDefinition('api', plain);
    const serviceArn = await world.service({ cluster, name: 'api', taskDefinition });
    const old = primaryOf(await describeOne(world, cluster, serviceArn));
    const before = world.now();

    const { deploymentId } = await world.ecs.forceNewDeployment({ clusterArn: cluster, serviceArn });

    const after = await describeOne(world, cluster, serviceArn);
    expect(deploymentId).toEqual(expect.stringMatching(/^ecs-svc\//));
    expect(deploymentId).not.toBe(old?.id);
    const primary = primaryOf(after);
    expect(primary).toMatchObject({ id: deploymentId, taskDefinition, rolloutState: 'IN_PROGRESS' });
    expect(Date.parse(primary?.createdAt ?? '')).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(primary?.createdAt ?? '')).toBeGreaterThan(Date.parse(old?.createdAt ?? ''));
    expect(after.deployments.filter((d) => d.id !== deploymentId).map((d) => [d.id, d.status])).toEqual([[old?.id, 'ACTIVE']]);
  });

  it('after the team deploys another task definition, the service names it and its new PRIMARY deployment runs it', async () => {
    const world = await make();
    const cluster = await world.cluster('web');
    const first = await world.taskDefinition('api', plain);
    const second = await world.taskDefinition('api', { containerDefinitions: [{ name: 'app', environment: [{ name: 'V', value: '2' }] }] });
    const serviceArn = await world.service({ cluster, name: 'api', taskDefinition: first });
    const old = primaryOf(await describeOne(world, cluster, serviceArn));

    await world.changeTaskDefinition(cluster, serviceArn, second);

    const after = await describeOne(world, cluster, serviceArn);
    expect(after.taskDefinition).toBe(second);
    expect(primaryOf(after)).toMatchObject({ taskDefinition: second });
    expect(primaryOf(after)?.id).not.toBe(old?.id);
    expect(after.deployments.find((d) => d.id === old?.id)).toMatchObject({ status: 'ACTIVE', taskDefinition: first });
  });

  it("a CODE_DEPLOY service shows no deployment but one PRIMARY task set of its task definition, with its load balancer's container and port", async () => {
    const world = await make();
    const cluster = await world.cluster('web');
    const taskDefinition = await world.taskDefinition('checkout', plain);
    const loadBalancers = [
      {
        targetGroupArn: `arn:aws:elasticloadbalancing:${REGION}:${MOTO_ACCOUNT}:targetgroup/blue/1`,
        containerName: 'app',
        containerPort: 8080,
      },
    ];
    const before = world.now();
    const serviceArn = await world.service({ cluster, name: 'checkout', taskDefinition, controller: 'CODE_DEPLOY', loadBalancers });
    const after = world.now();

    const service = await describeOne(world, cluster, serviceArn);

    expect(service).toMatchObject({ deploymentController: 'CODE_DEPLOY', deployments: [] });
    const sets = service.taskSets ?? [];
    expect(sets).toHaveLength(1);
    expect(sets[0]).toMatchObject({ status: 'PRIMARY', taskDefinition, loadBalancers: [{ containerName: 'app', containerPort: 8080 }] });
    expect(Date.parse(sets[0]?.createdAt ?? '')).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(sets[0]?.createdAt ?? '')).toBeLessThanOrEqual(after + 1000);
  });

  it('refuses forceNewDeployment of a CODE_DEPLOY service with its InvalidParameterException, and starts nothing', async () => {
    const world = await make();
    const cluster = await world.cluster('web');
    const taskDefinition = await world.taskDefinition('checkout', plain);
    const serviceArn = await world.service({ cluster, name: 'checkout', taskDefinition, controller: 'CODE_DEPLOY' });
    const before = await describeOne(world, cluster, serviceArn);

    await expect(world.ecs.forceNewDeployment({ clusterArn: cluster, serviceArn })).rejects.toBeInstanceOf(InvalidParameterException);

    const after = await describeOne(world, cluster, serviceArn);
    expect(after.deployments).toEqual([]);
    expect(after.taskSets?.map((t) => [t.id, t.status])).toEqual(before.taskSets?.map((t) => [t.id, t.status]));
  });

  it('refuses forceNewDeployment of a service ECS does not know with its ServiceNotFoundException (not an unknown outcome)', async () => {
    const world = await make();
    const cluster = await world.cluster('web');

    await expect(world.ecs.forceNewDeployment({ clusterArn: cluster, serviceArn: arn('service/web/gone') })).rejects.toBeInstanceOf(
      ServiceNotFoundException,
    );
  });

  it('reads the secret references of a revision wherever ECS takes them, and those ECS cannot resolve as written', async () => {
    const world = await make();
    const db = `arn:aws:secretsmanager:${REGION}:${MOTO_ACCOUNT}:secret:prod/db-AbCdEf`;
    const fsx = `arn:aws:secretsmanager:${REGION}:${MOTO_ACCOUNT}:secret:prod/fsx-QrStUv`;
    const logKey = `arn:aws:ssm:${REGION}:${MOTO_ACCOUNT}:parameter/prod/log-key`;
    const taskDefinition = await world.taskDefinition('api', {
      containerDefinitions: [
        {
          name: 'app',
          secrets: [
            { name: 'DB', valueFrom: `${db}:password::` },
            { name: 'TOKEN', valueFrom: '/prod/token' },
            { name: 'BAD', valueFrom: 'arn:aws:s3:::bucket/key' },
          ],
          repositoryCredentials: { credentialsParameter: 'prod/registry' },
        },
        { name: 'log-router', logConfiguration: { logDriver: 'awsfirelens', secretOptions: [{ name: 'apikey', valueFrom: logKey }] } },
      ],
      volumes: [
        {
          name: 'share',
          fsxWindowsFileServerVolumeConfiguration: {
            fileSystemId: 'fs-0123456789abcdef0',
            rootDirectory: 'share',
            authorizationConfig: { credentialsParameter: fsx, domain: 'corp' },
          },
        },
      ],
    });

    const references = await world.ecs.taskDefinitionReferences(taskDefinition);

    const ssm = (valueFrom: string, parameterArn: string, where: object) => ({ store: 'ssm', valueFrom, parameterArn, ...where });
    expect(references).toEqual([
      smReference(`${db}:password::`, { container: 'app', name: 'DB' }, HOME),
      ssm('/prod/token', `arn:aws:ssm:${REGION}:${MOTO_ACCOUNT}:parameter/prod/token`, {
        field: 'secrets',
        container: 'app',
        name: 'TOKEN',
      }),
      smReference('prod/registry', { field: 'repositoryCredentials', container: 'app', name: undefined }, HOME),
      ssm(logKey, logKey, { field: 'logConfiguration.secretOptions', container: 'log-router', name: 'apikey' }),
      smReference(fsx, { field: 'fsxWindowsFileServerVolumeConfiguration', volume: 'share', container: undefined, name: undefined }, HOME),
    ]);
    expect(await world.ecs.taskDefinitionUnusable?.(taskDefinition)).toEqual([
      {
        field: 'secrets',
        container: 'app',
        name: 'BAD',
        valueFrom: 'arn:aws:s3:::bucket/key',
        reason: 'an ARN of s3, not of Secrets Manager or SSM',
      },
    ]);
    // A revision never changes: asked again, the same answer.
    expect(await world.ecs.taskDefinitionReferences(taskDefinition)).toEqual(references);
  });

  it('refuses to describe a revision ECS does not know with its ClientException', async () => {
    const world = await make();

    await expect(world.ecs.taskDefinitionReferences(arn('task-definition/gone:7'))).rejects.toBeInstanceOf(ClientException);
  });

  it("lists a cluster's running standalone tasks with their group and starter: not a service's, another cluster's or a stopped one", async () => {
    const world = await make();
    const web = await world.cluster('web');
    const prodWeb = await world.cluster('prod-web');
    const taskDefinition = await world.taskDefinition('export', plain);
    await world.service({ cluster: web, name: 'api', taskDefinition });
    const nightly = await world.runTask(web, taskDefinition, { group: 'nightly', startedBy: 'events-rule/nightly' });
    await world.runTask(web, taskDefinition, { group: 'service:api', startedBy: 'ecs-svc/1234567890123456789' });
    const stopped = await world.runTask(web, taskDefinition, { group: 'adhoc', startedBy: 'alice' });
    await world.stopTask(web, stopped);
    await world.runTask(prodWeb, taskDefinition, { group: 'nightly', startedBy: 'events-rule/nightly' });
    world.calls();

    expect(await world.ecs.listStandaloneTasks(web)).toEqual([
      { clusterArn: web, taskArn: nightly, taskDefinition, group: 'nightly', startedBy: 'events-rule/nightly' },
    ]);
    expect(world.calls()).toEqual({ ListTasks: 1, DescribeTasks: 1 });
  });

  it("lists a service's running tasks with the deployment that started each, and no other task of its cluster", async () => {
    const world = await make();
    const web = await world.cluster('web');
    const prodWeb = await world.cluster('prod-web');
    const taskDefinition = await world.taskDefinition('api', plain);
    const serviceArn = await world.service({ cluster: web, name: 'api', taskDefinition });
    await world.service({ cluster: web, name: 'worker', taskDefinition });
    await world.service({ cluster: prodWeb, name: 'api', taskDefinition });
    const deploymentId = primaryOf(await describeOne(world, web, serviceArn))?.id as string;
    const task = await world.runTask(web, taskDefinition, { group: 'service:api', startedBy: deploymentId });
    await world.runTask(web, taskDefinition, { group: 'service:worker', startedBy: 'ecs-svc/1' });
    await world.runTask(web, taskDefinition, { group: 'nightly', startedBy: 'events-rule/nightly' });
    await world.runTask(prodWeb, taskDefinition, { group: 'service:api', startedBy: 'ecs-svc/2' });

    const running = await world.ecs.runningTasks({ clusterArn: web, serviceName: 'api' });

    expect(running.map(({ taskArn, startedBy, taskDefinition: ran }) => ({ taskArn, startedBy, ran }))).toEqual([
      { taskArn: task, startedBy: deploymentId, ran: taskDefinition },
    ]);
  });
});

describe.each([
  ['the ECS adapter on moto_server (which offers no deployment records)', onMoto],
  [
    'the in-memory ECS playing such an endpoint',
    async (): Promise<World> => {
      const world = onFake();
      world.fake.offersServiceDeployments = false;
      return world;
    },
  ],
])('ECS contract where the endpoint offers no deployment records (an older endpoint, moto): %s', (_, make) => {
  it('says so for listing and describing them, and UpdateService names no record', async () => {
    const world = await make();
    const cluster = await world.cluster('web');
    const serviceArn = await world.service({ cluster, name: 'api', taskDefinition: await world.taskDefinition('api', plain) });
    const since = new Date(world.now()).toISOString();

    const started = await world.ecs.forceNewDeployment({ clusterArn: cluster, serviceArn });

    expect(started.serviceDeploymentArn).toBeUndefined();
    expect(await world.ecs.listServiceDeployments({ clusterArn: cluster, serviceArn }, since)).toEqual({
      notOffered: expect.any(String),
    });
    expect(await world.ecs.describeServiceDeployments([`${serviceArn.replace(':service/', ':service-deployment/')}/x`])).toEqual({
      notOffered: expect.any(String),
    });
  });
});

/**
 * AWS behaviour moto cannot play, on the fake only: the adapter's side of each is held to the SDK
 * models' shapes on aws-sdk-client-mock (test/unit/aws/ecs.test.ts, ecs-deployments.test.ts).
 */
describe('ECS contract, cases moto cannot play: the in-memory ECS', () => {
  it('pages a cluster of more than 100 services at 100 per page (moto answers every service in one page, whatever maxResults)', async () => {
    const world = onFake();
    const { cluster, arns } = await manyServices(world, 101);

    const first = await world.ecs.listServicesPage(cluster);
    const second = await world.ecs.listServicesPage(cluster, first.nextToken);

    expect([first.services.length, second.services.length]).toEqual([100, 1]);
    expect(first.nextToken).toEqual(expect.any(String));
    expect(second.nextToken).toBeUndefined();
    expect([...first.services, ...second.services].map((s) => s.serviceArn).sort()).toEqual([...arns].sort());
  });

  it("names ECS's record of the deployment UpdateService started, lists it after the claim time, and describes it (moto has none)", async () => {
    const world = onFake();
    const cluster = await world.cluster('web');
    const serviceArn = await world.service({ cluster, name: 'api', taskDefinition: await world.taskDefinition('api', plain) });
    const since = new Date(world.now()).toISOString();

    const { serviceDeploymentArn } = await world.ecs.forceNewDeployment({ clusterArn: cluster, serviceArn });

    expect(serviceDeploymentArn).toEqual(expect.stringContaining(':service-deployment/web/api/'));
    expect(await world.ecs.listServiceDeployments({ clusterArn: cluster, serviceArn }, since)).toEqual([
      expect.objectContaining({ arn: serviceDeploymentArn, serviceArn, status: 'IN_PROGRESS', createdAt: since }),
    ]);
    expect(await world.ecs.describeServiceDeployments([serviceDeploymentArn as string, `${serviceDeploymentArn}-gone`])).toEqual([
      expect.objectContaining({ arn: serviceDeploymentArn, status: 'IN_PROGRESS' }),
    ]);
  });

  it('ends a deployment as ECS does (moto never ends one): COMPLETED drains the others, FAILED keeps them with its reason', async () => {
    const world = onFake();
    const cluster = await world.cluster('web');
    const taskDefinition = await world.taskDefinition('api', plain);
    const completing = await world.service({ cluster, name: 'api', taskDefinition });
    const failing = await world.service({ cluster, name: 'worker', taskDefinition });
    const done = (await world.ecs.forceNewDeployment({ clusterArn: cluster, serviceArn: completing })).deploymentId as string;
    const broken = (await world.ecs.forceNewDeployment({ clusterArn: cluster, serviceArn: failing })).deploymentId as string;

    world.fake.settle(done, 'COMPLETED');
    world.fake.settle(broken, 'FAILED', 'circuit breaker: tasks failed to start');

    expect((await describeOne(world, cluster, completing)).deployments.map((d) => [d.id, d.status, d.rolloutState])).toEqual([
      [done, 'PRIMARY', 'COMPLETED'],
    ]);
    const stopped = await describeOne(world, cluster, failing);
    expect(primaryOf(stopped)).toMatchObject({
      id: broken,
      rolloutState: 'FAILED',
      rolloutStateReason: 'circuit breaker: tasks failed to start',
    });
    expect(stopped.deployments.map((d) => d.status)).toEqual(['PRIMARY', 'ACTIVE']);
  });
});
