import { ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { executePlans } from '../../../functions/app/redeploy';
import type { ServiceSnapshot } from '../../../functions/domain/inventory/service';
import type { ServicePlan } from '../../../functions/domain/plan/plan';
import type { LedgerKey, RedeployLedger } from '../../../functions/ports/ledger';
import { clusterArn, secretArn, serviceArn, taskDefinitionArn } from '../../support/factories';
import { testPorts } from '../../support/ports';

const ecs = mockClient(ECSClient);
const SECRET = secretArn('prod/db-AbCdEf');

beforeEach(() => ecs.reset());

function snapshot(name: string): ServiceSnapshot {
  return {
    clusterArn: clusterArn('web'),
    serviceArn: serviceArn('web', name),
    serviceName: name,
    status: 'ACTIVE',
    desiredCount: 2,
    deploymentController: 'ECS',
    taskDefinition: taskDefinitionArn(`${name}:1`),
    tags: {},
  };
}

function toRedeploy(name: string): ServicePlan {
  return { service: snapshot(name), references: [], action: 'redeploy', versionKey: 'v2', reason: 'uses version v2' };
}

/** An in-memory ledger with the table's semantics. */
function memoryLedger(): RedeployLedger & { keys: Set<string> } {
  const keys = new Set<string>();
  const id = (k: LedgerKey) => `${k.serviceArn}|${k.secretArn}|${k.versionKey}`;
  return {
    keys,
    async claim(k, force) {
      if (keys.has(id(k)) && !force) return false;
      keys.add(id(k));
      return true;
    },
    async release(k) {
      keys.delete(id(k));
    },
    async has(k) {
      return keys.has(id(k));
    },
  };
}

describe('executePlans', () => {
  it('forces a new deployment of each service and reports the new deployment id', async () => {
    ecs
      .on(UpdateServiceCommand)
      .callsFake(async (input) => ({ service: { deployments: [{ id: `dep-${input.service.split('/').pop()}`, status: 'PRIMARY' }] } }));
    const reports = await executePlans(testPorts(), [toRedeploy('api')], { secretArn: SECRET, dryRun: false, force: false });
    expect(ecs).toHaveReceivedCommandWith(UpdateServiceCommand, {
      cluster: clusterArn('web'),
      service: serviceArn('web', 'api'),
      forceNewDeployment: true,
    });
    expect(reports[0]).toMatchObject({ outcome: 'redeployed', deploymentId: 'dep-api' });
  });

  it('reports its progress after each service, failed or not', async () => {
    ecs.on(UpdateServiceCommand).resolves({ service: {} });
    ecs.on(UpdateServiceCommand, { service: serviceArn('web', 'b') }).rejects(new Error('draining'));
    const progress: unknown[] = [];
    await executePlans(testPorts(), ['a', 'b', 'c'].map(toRedeploy), {
      secretArn: SECRET,
      dryRun: false,
      force: false,
      onProgress: (p) => progress.push(p),
    });
    expect(progress).toEqual([1, 2, 3].map((done) => ({ phase: 'redeploy', done, total: 3 })));
  });

  it('reports failed for the services whose UpdateService throws and redeployed for the rest', async () => {
    ecs.on(UpdateServiceCommand).resolves({ service: {} });
    ecs
      .on(UpdateServiceCommand, { service: serviceArn('web', 'b') })
      .rejects(Object.assign(new Error('service is draining'), { name: 'InvalidParameterException' }));
    const ledger = memoryLedger();
    const reports = await executePlans(testPorts(), ['a', 'b', 'c'].map(toRedeploy), {
      secretArn: SECRET,
      dryRun: false,
      force: false,
      ledger,
    });
    expect(reports.map((r) => [r.serviceName, r.outcome])).toEqual([
      ['a', 'redeployed'],
      ['b', 'failed'],
      ['c', 'redeployed'],
    ]);
    expect(reports[1].reason).toBe('UpdateService failed: InvalidParameterException: service is draining');
    expect([...ledger.keys].some((k) => k.startsWith(serviceArn('web', 'b')))).toBe(false);
  });

  it('redeploys only the failed service when the same plan runs again', async () => {
    let bAttempts = 0;
    ecs.on(UpdateServiceCommand).callsFake(async (input) => {
      if (input.service === serviceArn('web', 'b') && bAttempts++ === 0) throw new Error('throttled');
      return { service: {} };
    });
    const ledger = memoryLedger();
    const plans = ['a', 'b'].map(toRedeploy);
    await executePlans(testPorts(), plans, { secretArn: SECRET, dryRun: false, force: false, ledger });
    ecs.resetHistory();
    const retry = await executePlans(testPorts(), plans, { secretArn: SECRET, dryRun: false, force: false, ledger });
    expect(retry.map((r) => [r.outcome, r.reason])).toEqual([
      ['skipped', 'already redeployed for version v2'],
      ['redeployed', 'uses version v2'],
    ]);
    expect(ecs).toHaveReceivedCommandTimes(UpdateServiceCommand, 1);
  });

  it('redeploys again with force even when the ledger has the version', async () => {
    ecs.on(UpdateServiceCommand).resolves({ service: {} });
    const ledger = memoryLedger();
    await executePlans(testPorts(), [toRedeploy('a')], { secretArn: SECRET, dryRun: false, force: false, ledger });
    const forced = await executePlans(testPorts(), [toRedeploy('a')], { secretArn: SECRET, dryRun: false, force: true, ledger });
    expect(forced[0].outcome).toBe('redeployed');
    expect(ecs).toHaveReceivedCommandTimes(UpdateServiceCommand, 2);
  });

  it('calls nothing on a dry run and says what would be redeployed', async () => {
    const ledger = memoryLedger();
    const reports = await executePlans(testPorts(), [toRedeploy('a')], { secretArn: SECRET, dryRun: true, force: false, ledger });
    expect(reports[0].outcome).toBe('would-redeploy');
    expect(ecs).not.toHaveReceivedCommand(UpdateServiceCommand);
    expect(ledger.keys.size).toBe(0);
  });

  it('reports failed without calling UpdateService when the ledger cannot be written', async () => {
    const ledger: RedeployLedger = { ...memoryLedger(), claim: async () => Promise.reject(new Error('table throttled')) };
    const reports = await executePlans(testPorts(), [toRedeploy('a')], { secretArn: SECRET, dryRun: false, force: false, ledger });
    expect(reports[0]).toMatchObject({ outcome: 'failed', reason: 'could not check the redeploy record: table throttled' });
    expect(ecs).not.toHaveReceivedCommand(UpdateServiceCommand);
  });

  it('never has more UpdateService calls in flight than the configured concurrency', async () => {
    let inFlight = 0;
    let peak = 0;
    ecs.on(UpdateServiceCommand).callsFake(async () => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight -= 1;
      return { service: {} };
    });
    const plans = Array.from({ length: 12 }, (_, i) => toRedeploy(`svc-${i}`));
    await executePlans(testPorts({ maxConcurrency: 3 }), plans, { secretArn: SECRET, dryRun: false, force: false });
    expect(peak).toBe(3);
    expect(ecs).toHaveReceivedCommandTimes(UpdateServiceCommand, 12);
  });

  it('passes skipped plans through with their reason', async () => {
    const plan: ServicePlan = {
      service: snapshot('a'),
      references: [],
      action: 'skip',
      reason: 'opted out by tag ecs-secret-redeploy:ignore',
    };
    const [report] = await executePlans(testPorts(), [plan], { secretArn: SECRET, dryRun: false, force: false });
    expect(report).toMatchObject({ outcome: 'skipped', reason: 'opted out by tag ecs-secret-redeploy:ignore' });
  });
});
