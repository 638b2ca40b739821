/**
 * Blue/green services deployed by CodeDeploy, against moto_server through the real SDK and
 * adapters: a rotation redeploys a CODE_DEPLOY service once, through its deployment group (a
 * CodeDeploy deployment of the task definition it runs, never an UpdateService); the same event
 * again does nothing; an answer to CreateDeployment lost after CodeDeploy applied it, or a run
 * that died after the call, is recovered from CodeDeploy's listing without a second deployment.
 * moto's CodeDeploy deployments never move by themselves: the test plays CodeDeploy through the
 * launcher's control (test/kit/moto.ts), then hands the product CodeDeploy's event, which it
 * confirms with CodeDeploy before a wave moves.
 */
import {
  BatchGetDeploymentsCommand,
  CodeDeployClient,
  CreateApplicationCommand,
  CreateDeploymentCommand,
  CreateDeploymentGroupCommand,
  ListDeploymentsCommand,
} from '@aws-sdk/client-codedeploy';
import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { handleEvent } from '../../functions/app/handle-event';
import { rebuildIndex } from '../../functions/app/refresh-index';
import type { RunContext } from '../../functions/app/run-context';
import { secretStatus } from '../../functions/app/status';
import type { Instrument } from '../../functions/aws/clients';
import { createStateTable } from '../../functions/aws/state-table/admin';
import { decodeEvent } from '../../functions/domain/decode/events';
import { ForeignAccountError } from '../../functions/domain/errors';
import { parseTarget, type Target } from '../../functions/domain/identity/target';
import { claimed } from '../../functions/domain/ledger/record';
import type { ServiceReport } from '../../functions/domain/report/report';
import { NO_DEADLINE } from '../../functions/domain/rollout/deadline';
import { WAVE_TAG } from '../../functions/domain/rollout/waves';
import { CallCounter, formatCounts } from '../kit/call-counter';
import { type Emulator, handle, MOTO_ACCOUNT, secretEvents, startEmulator } from '../kit/emulator';
import { codeDeployChange, scheduledEvent } from '../kit/events';
import { moveCodeDeployDeployment } from '../kit/moto';
import { createClusters, createSecret, createService, emulatorClientConfig, registerTaskDefinition } from '../kit/simulated-account';
import { REGION } from '../kit/test-account';

const ORIGIN = { account: MOTO_ACCOUNT, region: REGION };
const RUN: RunContext = { deadline: NO_DEADLINE, dryRun: false };
const CLUSTER = 'prod-web';
const TG = `arn:aws:elasticloadbalancing:${REGION}:${MOTO_ACCOUNT}:targetgroup`;

let emulator: Emulator;
let codeDeploy: CodeDeployClient;
/** Each test rotates a secret of its own, used by services of its own. */
let tests = 0;

beforeAll(async () => {
  emulator = await startEmulator();
  codeDeploy = new CodeDeployClient(emulatorClientConfig(emulator.moto.endpoint, REGION));
  await createClusters(emulator.ecs, [CLUSTER]);
  await createStateTable(emulator.ports().table);
}, 60_000);

afterAll(async () => {
  await emulator?.moto.stop();
});

/** A secret, a CODE_DEPLOY service using it with its deployment group (and, if asked, a rolling service in wave 2), indexed. */
async function blueGreenWorld(options: { group?: boolean; secondWave?: boolean } = {}) {
  tests += 1;
  const secret = await createSecret(emulator.sm, `prod/bluegreen-${tests}`);
  const name = `checkout-${tests}`;
  const taskDefinition = await registerTaskDefinition(emulator.ecs, name, [
    { name: 'web', portMappings: [{ containerPort: 8080 }], secrets: [{ name: 'DB', valueFrom: secret.arn }] },
  ]);
  const serviceArn = await createService(emulator.ecs, {
    cluster: CLUSTER,
    name,
    taskDefinition,
    controller: 'CODE_DEPLOY',
    loadBalancers: [
      { targetGroupArn: `${TG}/${name}-blue/0123456789abcdef`, containerName: 'web', containerPort: 8080 },
      { targetGroupArn: `${TG}/${name}-green/0123456789abcdef`, containerName: 'web', containerPort: 8080 },
    ],
  });
  const application = `AppECS-${CLUSTER}-${name}`;
  const group = `DgpECS-${CLUSTER}-${name}`;
  if (options.group !== false) {
    await codeDeploy.send(new CreateApplicationCommand({ applicationName: application, computePlatform: 'ECS' }));
    await codeDeploy.send(
      new CreateDeploymentGroupCommand({
        applicationName: application,
        deploymentGroupName: group,
        serviceRoleArn: `arn:aws:iam::${MOTO_ACCOUNT}:role/ecsCodeDeployRole`,
        deploymentConfigName: 'CodeDeployDefault.ECSAllAtOnce',
        deploymentStyle: { deploymentType: 'BLUE_GREEN', deploymentOption: 'WITH_TRAFFIC_CONTROL' },
        blueGreenDeploymentConfiguration: {
          deploymentReadyOption: { actionOnTimeout: 'CONTINUE_DEPLOYMENT', waitTimeInMinutes: 0 },
          terminateBlueInstancesOnDeploymentSuccess: { action: 'TERMINATE', terminationWaitTimeInMinutes: 5 },
        },
        loadBalancerInfo: {
          targetGroupPairInfoList: [
            { targetGroups: [{ name: `${name}-blue` }, { name: `${name}-green` }], prodTrafficRoute: { listenerArns: ['arn:listener'] } },
          ],
        },
        ecsServices: [{ clusterName: CLUSTER, serviceName: name }],
      }),
    );
  }
  let rolling: string | undefined;
  if (options.secondWave) {
    const other = `cart-${tests}`;
    const otherTd = await registerTaskDefinition(emulator.ecs, other, [{ name: 'app', secrets: [{ name: 'DB', valueFrom: secret.arn }] }]);
    rolling = await createService(emulator.ecs, { cluster: CLUSTER, name: other, taskDefinition: otherTd, tags: { [WAVE_TAG]: '2' } });
  }
  await rebuildIndex(emulator.ports());
  return { secret, name, serviceArn, taskDefinition, application, group, rolling };
}

type World = Awaited<ReturnType<typeof blueGreenWorld>>;

async function rotate(world: World): Promise<void> {
  await emulator.sm.send(new PutSecretValueCommand({ SecretId: world.secret.arn, SecretString: `v-${Date.now()}-${Math.random()}` }));
}

const changed = (world: World) => decodeEvent(secretEvents(world.secret.arn).putSecretValue());

/** The group's deployments, oldest first. */
async function deploymentsOf(world: World): Promise<string[]> {
  return (await codeDeploy.send(new ListDeploymentsCommand({ applicationName: world.application, deploymentGroupName: world.group })))
    .deployments as string[];
}

function rowOf(services: ServiceReport[], name: string): ServiceReport | undefined {
  return services.find((s) => s.serviceName === name);
}

/** Adds a middleware to every SDK client the adapters build. */
function instrument(
  middleware: (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => (args: unknown) => Promise<unknown>,
): {
  instrument: Instrument;
} {
  return {
    instrument: (client) =>
      (client.middlewareStack as { add: (m: typeof middleware, o: object) => void }).add(middleware, { step: 'deserialize', name: 'test' }),
  };
}

describe('CODE_DEPLOY services against moto_server', () => {
  it('a rotation redeploys a CODE_DEPLOY service once, through CodeDeploy: the task definition it runs, with the container and port of its load balancer', async () => {
    const world = await blueGreenWorld();
    await rotate(world);
    const counter = new CallCounter();

    const report = await handle(emulator.ports({}, { instrument: counter.instrument }), changed(world));

    const row = rowOf(report.services, world.name);
    const deployments = await deploymentsOf(world);
    expect(deployments).toHaveLength(1);
    expect(row).toMatchObject({
      outcome: 'redeployed',
      deploymentId: deployments[0],
      codeDeploy: { application: world.application, group: world.group, deploymentId: deployments[0] },
    });
    expect(row?.reason).toMatch(new RegExp(`from now on, through CodeDeploy ${world.application}/${world.group}$`));
    const counts = counter.take();
    expect(counts.get('UpdateService')).toBeUndefined();
    expect(counts.get('CreateDeployment')).toBe(1);
    const [info] = (await codeDeploy.send(new BatchGetDeploymentsCommand({ deploymentIds: deployments }))).deploymentsInfo ?? [];
    expect(info?.revision?.revisionType).toBe('AppSpecContent');
    expect(JSON.parse(info?.revision?.appSpecContent?.content as string)).toEqual({
      version: '0.0',
      Resources: [
        {
          TargetService: {
            Type: 'AWS::ECS::Service',
            Properties: { TaskDefinition: world.taskDefinition, LoadBalancerInfo: { ContainerName: 'web', ContainerPort: 8080 } },
          },
        },
      ],
    });
    // What a rotation of one CODE_DEPLOY service costs, as the report says.
    expect(formatCounts(counts)).toMatch(/CreateDeployment/);
    const ledger = await emulator.ports().ledger.read(world.secret.arn, world.serviceArn);
    expect(ledger).toMatchObject({ deploymentId: deployments[0], codeDeploy: { application: world.application, group: world.group } });
  });

  it('the same event again does nothing: the ledger holds the version, CodeDeploy is not asked for a second deployment', async () => {
    const world = await blueGreenWorld();
    await rotate(world);
    await handle(emulator.ports(), changed(world));

    const again = await handle(emulator.ports(), changed(world));

    expect(rowOf(again.services, world.name)).toMatchObject({ outcome: 'skipped', kind: 'up-to-date' });
    expect(await deploymentsOf(world)).toHaveLength(1);
  });

  it('the next rotation asks only the group its record remembers (one BatchGetDeploymentGroups), not every application of the account', async () => {
    const world = await blueGreenWorld();
    await rotate(world);
    await handle(emulator.ports(), changed(world));
    const [first] = await deploymentsOf(world);
    await moveCodeDeployDeployment(emulator.moto, { deploymentId: first, status: 'Succeeded' });
    await rotate(world);
    const counter = new CallCounter();

    const report = await handle(emulator.ports({}, { instrument: counter.instrument }), changed(world));

    expect(rowOf(report.services, world.name)).toMatchObject({ outcome: 'redeployed' });
    expect(await deploymentsOf(world)).toHaveLength(2);
    const codeDeployCalls = [...counter.take()].filter(([op]) => counter.serviceOf.get(op) === 'CodeDeploy');
    expect(Object.fromEntries(codeDeployCalls)).toEqual({ BatchGetDeploymentGroups: 1, CreateDeployment: 1 });
  });

  it('an answer to CreateDeployment lost after CodeDeploy applied it is recovered from its listing, without a second CreateDeployment', async () => {
    const world = await blueGreenWorld();
    await rotate(world);
    let sent = 0;
    const loseCreateAnswers = instrument((next, context) => async (args) => {
      const out = await next(args);
      if (context.commandName === 'CreateDeploymentCommand') {
        sent += 1;
        throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
      }
      return out;
    });

    const report = await handle(emulator.ports({}, loseCreateAnswers), changed(world));

    const deployments = await deploymentsOf(world);
    expect(sent).toBe(1);
    expect(deployments).toHaveLength(1);
    expect(rowOf(report.services, world.name)).toMatchObject({ outcome: 'redeployed', deploymentId: deployments[0] });
    expect(rowOf(report.services, world.name)?.reason).toMatch(/CreateDeployment's answer was lost; CodeDeploy shows deployment/);
    expect(rowOf((await handle(emulator.ports(), changed(world))).services, world.name)).toMatchObject({ kind: 'up-to-date' });
  });

  it("a claim whose run died after CreateDeployment is recovered once its lease ends: the group's deployment made since the claim is recorded", async () => {
    const world = await blueGreenWorld();
    await rotate(world);
    const ports = emulator.ports();
    // The dead run: its claim, then its CreateDeployment, then nothing (killed before it recorded it).
    const before = await ports.ledger.read(world.secret.arn, world.serviceArn);
    const secret = await ports.secrets.describe(parseTarget(world.secret.arn) as Target);
    const current = Object.entries(secret.versionIdsToStages).find(([, stages]) => stages.includes('AWSCURRENT'))?.[0] as string;
    const stamp = { now: new Date(Date.now() - 120_000), writeId: 'dead-run/1' };
    await ports.ledger.write(
      claimed(
        before,
        { secretArn: world.secret.arn, serviceArn: world.serviceArn },
        { token: 'dead-run', target: { AWSCURRENT: current } },
        60,
        stamp,
      ),
      before?.rev,
    );
    const made = await codeDeploy.send(
      new CreateDeploymentCommand({
        applicationName: world.application,
        deploymentGroupName: world.group,
        revision: { revisionType: 'AppSpecContent', appSpecContent: { content: '{"version":"0.0"}' } },
      }),
    );

    const report = await handle(emulator.ports(), changed(world));

    expect(rowOf(report.services, world.name)).toMatchObject({ outcome: 'redeployed', deploymentId: made.deploymentId });
    expect(rowOf(report.services, world.name)?.reason).toMatch(/was created after an interrupted claim: recorded, not sent again/);
    expect(await deploymentsOf(world)).toEqual([made.deploymentId]);
  });

  it("waits for the group's deployment, and CodeDeploy's event moves the waves only once CodeDeploy confirms it", async () => {
    const world = await blueGreenWorld({ secondWave: true });
    await rotate(world);
    const first = await handle(emulator.ports(), changed(world));
    const [id] = await deploymentsOf(world);
    expect(rowOf(first.services, world.name)).toMatchObject({ outcome: 'redeployed', deploymentId: id, wave: 1 });
    expect(first.services.find((s) => s.service === world.rolling)).toMatchObject({ outcome: 'waiting', kind: 'wave' });

    // The event says SUCCESS, CodeDeploy says Created: nothing moves.
    const early = await handleEvent(emulator.ports(), codeDeployChange(world.application, world.group, id, 'SUCCESS', ORIGIN), RUN);
    expect(early).toMatchObject({
      kind: 'deployment',
      progress: { reason: expect.stringMatching(/CodeDeploy reports deployment .* still in progress/) },
    });

    await moveCodeDeployDeployment(emulator.moto, { deploymentId: id, status: 'Succeeded' });
    const done = await handleEvent(emulator.ports(), codeDeployChange(world.application, world.group, id, 'SUCCESS', ORIGIN), RUN);

    expect(done.kind === 'deployment' && done.progress.secrets).toEqual([
      expect.objectContaining({ secret: world.secret.arn, recorded: true }),
    ]);
    const next = done.kind === 'deployment' ? done.progress.secrets[0].report : undefined;
    expect(next?.services.find((s) => s.service === world.rolling)).toMatchObject({ outcome: 'redeployed', wave: 2 });
  });

  it("refuses CodeDeploy's event from another account, and records nothing", async () => {
    const world = await blueGreenWorld();
    await rotate(world);
    await handle(emulator.ports(), changed(world));
    const [id] = await deploymentsOf(world);
    await moveCodeDeployDeployment(emulator.moto, { deploymentId: id, status: 'Succeeded' });

    await expect(
      handleEvent(
        emulator.ports(),
        codeDeployChange(world.application, world.group, id, 'SUCCESS', { account: '999988887777', region: REGION }),
        RUN,
      ),
    ).rejects.toThrow(ForeignAccountError);
    expect((await emulator.ports().ledger.read(world.secret.arn, world.serviceArn))?.deployment?.state).toBe('IN_PROGRESS');
  });

  it("halts the rollout when the schedule's poll finds the deployment Failed, with CodeDeploy's error information, and status shows it", async () => {
    const world = await blueGreenWorld({ secondWave: true });
    await rotate(world);
    await handle(emulator.ports(), changed(world));
    const [id] = await deploymentsOf(world);
    await moveCodeDeployDeployment(emulator.moto, {
      deploymentId: id,
      status: 'Failed',
      errorCode: 'ECS_UPDATE_ERROR',
      errorMessage: 'The ECS service cannot be updated due to an unexpected error',
    });

    await handleEvent(emulator.ports(), scheduledEvent(ORIGIN), RUN);

    const ledger = await emulator.ports().ledger.records(world.secret.arn);
    expect(ledger.secret?.rollout).toMatchObject({
      status: 'halted',
      halted: {
        wave: 1,
        failed: [
          {
            serviceArn: world.serviceArn,
            deploymentId: id,
            reason: `CodeDeploy deployment ${id} failed: ECS_UPDATE_ERROR: The ECS service cannot be updated due to an unexpected error`,
          },
        ],
      },
    });
    const status = await secretStatus(emulator.ports(), parseTarget(world.secret.arn) as Target);
    expect(status.consumers.find((c) => c.serviceName === world.name)).toMatchObject({
      now: 'deploy failed',
      strategy: 'CODE_DEPLOY',
      codeDeployment: { id, status: 'Failed', application: world.application, group: world.group },
    });
  });

  it('reports a CODE_DEPLOY service no deployment group deploys as skipped, and never sends UpdateService for it', async () => {
    const world = await blueGreenWorld({ group: false });
    await rotate(world);
    const before = (await emulator.ecs.send(new DescribeServicesCommand({ cluster: CLUSTER, services: [world.name] }))).services?.[0];

    const report = await handle(emulator.ports(), changed(world));

    expect(rowOf(report.services, world.name)).toMatchObject({ outcome: 'skipped', kind: 'no-group' });
    const after = (await emulator.ecs.send(new DescribeServicesCommand({ cluster: CLUSTER, services: [world.name] }))).services?.[0];
    expect(after?.taskSets?.map((t) => t.id)).toEqual(before?.taskSets?.map((t) => t.id));
  });

  it('with CodeDeploy redeploys turned off, skips the service with the reason and makes no CodeDeploy call', async () => {
    const world = await blueGreenWorld();
    await rotate(world);
    const counter = new CallCounter();

    const report = await handle(emulator.ports({ codeDeployRedeploys: false }, { instrument: counter.instrument }), changed(world));

    expect(rowOf(report.services, world.name)).toMatchObject({ outcome: 'skipped', kind: 'ineligible' });
    expect(rowOf(report.services, world.name)?.reason).toMatch(/CodeDeploy redeploys are turned off/);
    expect([...counter.take().keys()].filter((op) => counter.serviceOf.get(op) === 'CodeDeploy')).toEqual([]);
    expect(await deploymentsOf(world)).toEqual([]);
  });
});
