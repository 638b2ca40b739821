/**
 * Secrets owned by a central secrets account, against ONE moto_server acting as four accounts
 * (test/kit/accounts.ts): the owner 111111111111 holds a secret and an SSM parameter; the
 * consumers 222222222222 and 333333333333 each run this service, allowed to manage the owner's
 * secrets, and services that reference them by full ARN. 444444444444 is not allowed: a service
 * of 222222222222 references its secret too. moto does not answer DescribeSecret of another
 * account's ARN from the caller's account, so nothing here works unless the owner's secrets are
 * read with the owner's read role; moto enforces no policy, so what the roles may do is checked by
 * the template tests (test/stack/owner-account.test.ts).
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { handleEvent } from '../../functions/app/handle-event';
import type { ReconcileAllSummary } from '../../functions/app/reconcile-all';
import { rebuildIndex } from '../../functions/app/refresh-index';
import { secretStatus } from '../../functions/app/status';
import { buildUsageMap } from '../../functions/app/usage-map';
import type { AwsPorts } from '../../functions/aws/compose';
import { createStateTable } from '../../functions/aws/state-table/admin';
import { ForeignAccountError } from '../../functions/domain/errors';
import { parseTarget, type Target } from '../../functions/domain/identity/target';
import type { Report } from '../../functions/domain/report/report';
import { NO_DEADLINE } from '../../functions/domain/rollout/deadline';
import { type AccountCredentials, accountClientConfig, accountEnv, actAs, createOwnerReadRole } from '../kit/accounts';
import { CallCounter } from '../kit/call-counter';
import { type Emulator, startEmulator } from '../kit/emulator';
import { parameterChange, scheduledEvent, secretEvents } from '../kit/events';
import { createClusters, createSecret, createService, registerTaskDefinition, type SeededSecret } from '../kit/simulated-account';
import { REGION } from '../kit/test-account';

const OWNER = '111111111111';
const CONSUMERS = ['222222222222', '333333333333'] as const;
const OUTSIDER = '444444444444';
const FROM_OWNER = { account: OWNER, region: REGION };
const TOKEN = '/shared/api-token';
const TOKEN_ARN = `arn:aws:ssm:${REGION}:${OWNER}:parameter${TOKEN}`;
const BIN = resolve(__dirname, '../../bin/ecs-secret-redeploy.js');

interface Consumer {
  account: string;
  credentials: AccountCredentials;
  ecs: ECSClient;
  ports: AwsPorts;
  counter: CallCounter;
  cluster: string;
}

let emulator: Emulator;
let ownerSm: SecretsManagerClient;
let ownerSsm: SSMClient;
let shared: SeededSecret;
let outside: SeededSecret;
const consumers = new Map<string, Consumer>();

beforeAll(async () => {
  emulator = await startEmulator();
  const owner = await actAs(emulator.moto.endpoint, OWNER);
  await createOwnerReadRole(emulator.moto.endpoint, owner, [...CONSUMERS]);
  ownerSm = new SecretsManagerClient(accountClientConfig(emulator.moto.endpoint, owner));
  ownerSsm = new SSMClient(accountClientConfig(emulator.moto.endpoint, owner));
  shared = await createSecret(ownerSm, 'shared/db');
  await ownerSsm.send(new PutParameterCommand({ Name: TOKEN, Value: 'one', Type: 'SecureString', Tier: 'Advanced' }));
  const outsider = await actAs(emulator.moto.endpoint, OUTSIDER);
  outside = await createSecret(new SecretsManagerClient(accountClientConfig(emulator.moto.endpoint, outsider)), 'outside/db');

  for (const account of CONSUMERS) {
    const credentials = await actAs(emulator.moto.endpoint, account);
    const ecs = new ECSClient(accountClientConfig(emulator.moto.endpoint, credentials));
    const [cluster] = await createClusters(ecs, ['apps']);
    const families: Array<[string, Parameters<typeof registerTaskDefinition>[2]]> = [
      ['api', [{ name: 'app', secrets: [{ name: 'DB_PASSWORD', valueFrom: `${shared.arn}:password::` }] }]],
      ['worker', [{ name: 'app', secrets: [{ name: 'TOKEN', valueFrom: TOKEN_ARN }] }]],
      ['legacy', [{ name: 'app', secrets: [{ name: 'DB', valueFrom: outside.arn }] }]],
    ];
    for (const [name, containers] of families) {
      await createService(ecs, { cluster, name, taskDefinition: await registerTaskDefinition(ecs, name, containers) });
    }
    const counter = new CallCounter();
    const ports = emulator.ports(
      { secretOwners: { kind: 'accounts', accounts: [OWNER] } },
      { accountId: account, credentials, instrument: counter.instrument },
    );
    await createStateTable(ports.table);
    consumers.set(account, { account, credentials, ecs, ports, counter, cluster });
  }
}, 120_000);

afterAll(async () => {
  await emulator?.moto.stop();
});

function consumer(account: string): Consumer {
  return consumers.get(account) as Consumer;
}

/** New deployments per service of a consumer while `run` ran. */
async function newDeployments(of: Consumer, run: () => Promise<unknown>): Promise<Record<string, number>> {
  const ids = async () => {
    const out = await of.ecs.send(new DescribeServicesCommand({ cluster: of.cluster, services: ['api', 'worker', 'legacy'] }));
    return new Map((out.services ?? []).map((s) => [s.serviceName as string, (s.deployments ?? []).map((d) => d.id as string)]));
  };
  const before = await ids();
  await run();
  const after = await ids();
  return Object.fromEntries([...after].map(([name, list]) => [name, list.filter((id) => !before.get(name)?.includes(id)).length]));
}

/** The consumer's bus delivers an event the owner account sent it; its reconciler handles it. */
async function deliver(to: Consumer, event: unknown): Promise<Report> {
  const outcome = await handleEvent(to.ports, event, { deadline: NO_DEADLINE, dryRun: false });
  if (outcome.kind !== 'report') throw new Error(`expected a report, got ${outcome.kind}`);
  return outcome.report;
}

async function scheduledReconcile(of: Consumer): Promise<ReconcileAllSummary> {
  const outcome = await handleEvent(
    of.ports,
    scheduledEvent({ account: of.account, region: REGION }, 'ecs-secret-redeploy-test-reconcile'),
    { deadline: NO_DEADLINE, dryRun: false },
  );
  if (outcome.kind !== 'schedule') throw new Error(`expected a scheduled reconcile, got ${outcome.kind}`);
  return outcome.summary;
}

async function rotate(): Promise<void> {
  await ownerSm.send(new PutSecretValueCommand({ SecretId: shared.arn, SecretString: JSON.stringify({ password: `p-${Date.now()}` }) }));
}

function cli(of: Consumer, args: string[], env: Record<string, string> = {}) {
  const out = spawnSync(process.execPath, [BIN, ...args], {
    env: { ...process.env, ...emulator.env, ...accountEnv(of.credentials), ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: out.status, stdout: out.stdout, stderr: out.stderr };
}

const none = { api: 0, worker: 0, legacy: 0 };

describe("consumer accounts of a central secrets account's secrets", () => {
  it("indexes the owner's secret and parameter under their full ARNs in each consumer, first seen from the owner's version dates", async () => {
    for (const of of consumers.values()) {
      const summary = await rebuildIndex(of.ports);
      expect(summary.unresolvedReferences).toEqual([outside.arn]);
      expect((await of.ports.index.entriesOf(shared.arn)).map((e) => e.name)).toEqual(['api']);
      expect((await of.ports.index.entriesOf(TOKEN_ARN)).map((e) => e.name)).toEqual(['worker']);
      const ledger = await of.ports.ledger.records(shared.arn);
      expect(ledger.services.map((r) => r.versions)).toEqual([{ AWSCURRENT: shared.versionId }]);
    }
  });

  it('redeploys every consumer account exactly once for a rotation in the owner account, each delivered the event at once', async () => {
    await rotate();
    for (const of of consumers.values()) {
      const event = secretEvents(shared.arn, FROM_OWNER).rotationSucceeded();
      expect(await newDeployments(of, () => deliver(of, event))).toEqual({ ...none, api: 1 });
      // The same event again, and the other events of the same rotation: nothing more.
      expect(await newDeployments(of, () => deliver(of, event))).toEqual(none);
      expect(await newDeployments(of, () => deliver(of, secretEvents(shared.arn, FROM_OWNER).putSecretValue()))).toEqual(none);
    }
  });

  it("reads a secret the owner's event names by name alone in the owner's account", async () => {
    await rotate();
    const of = consumer(CONSUMERS[0]);
    const report = await deliver(of, secretEvents(shared.name, FROM_OWNER).updateSecret(null));
    expect(report.secret.arn).toBe(shared.arn);
    expect(report.services.map((s) => [s.serviceName, s.outcome])).toEqual([['api', 'redeployed']]);
    // The other consumer missed that event: its schedule catches it (below).
  });

  it('catches a missed cross-account event at the scheduled reconcile, once', async () => {
    const of = consumer(CONSUMERS[1]);
    let summary: ReconcileAllSummary | undefined;
    expect(
      await newDeployments(of, async () => {
        summary = await scheduledReconcile(of);
      }),
    ).toEqual({ ...none, api: 1 });
    expect(summary?.drift).toEqual([expect.objectContaining({ secret: shared.arn })]);
    expect(await newDeployments(of, () => scheduledReconcile(of))).toEqual(none);
  });

  it("redeploys a parameter's consumers when the owner updates it (DescribeParameters as the owner)", async () => {
    await ownerSsm.send(new PutParameterCommand({ Name: TOKEN, Value: `t-${Date.now()}`, Type: 'SecureString', Overwrite: true }));
    for (const of of consumers.values()) {
      const event = parameterChange(TOKEN_ARN, 'Update', FROM_OWNER);
      expect(await newDeployments(of, () => deliver(of, event))).toEqual({ ...none, worker: 1 });
    }
  });

  it('assumes the owner role once per process while its credentials last, not once per secret or per run', async () => {
    const of = consumer(CONSUMERS[0]);
    // Everything so far (a rebuild, events, runs): one AssumeRole, whose credentials every read shared.
    expect(of.counter.take().get('AssumeRole')).toBe(1);
    await scheduledReconcile(of);
    await scheduledReconcile(of);
    const counts = of.counter.take();
    expect(counts.get('AssumeRole') ?? 0).toBe(0);
    expect(counts.get('DescribeSecret')).toBeGreaterThan(0);
  });

  it('shows status, and the usage map marks the owner of each secret', async () => {
    const of = consumer(CONSUMERS[0]);
    const status = await secretStatus(of.ports, parseTarget(shared.arn) as Target, { live: false });
    expect(status.consumers.map((c) => [c.serviceName, c.state])).toEqual([['api', 'up-to-date']]);
    const map = await buildUsageMap(
      { ...of.ports, schedules: { fromRules: async () => [], fromSchedules: async () => [] } },
      { inventory: 'scan' },
    );
    const owner = (arn: string) => map.secrets.find((s) => s.arn === arn);
    expect(owner(shared.arn)).toMatchObject({ account: OWNER, ownership: 'allowed-owner', found: true, attention: [] });
    expect(owner(TOKEN_ARN)).toMatchObject({ account: OWNER, ownership: 'allowed-owner', found: true, attention: [] });
    expect(owner(outside.arn)).toMatchObject({ account: OUTSIDER, ownership: 'not-allowed' });
    expect(owner(outside.arn)?.attention).toContainEqual(
      expect.objectContaining({
        kind: 'other-account',
        message: expect.stringContaining(`in account ${OUTSIDER}, not the consumers' (${CONSUMERS[0]}) nor an allowed owner (${OWNER})`),
      }),
    );
  });

  it('refuses a secret of an account not allowed: CLI exit 2 with one line, and plans the allowed one', () => {
    const of = consumer(CONSUMERS[0]);
    const refused = cli(of, ['plan', outside.arn], { SECRET_OWNERS: OWNER });
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toContain(
      `belongs to account ${OUTSIDER}, not to this account (${CONSUMERS[0]}), nor an allowed owner (${OWNER})`,
    );

    const planned = cli(of, ['plan', shared.arn, '--json', '--secret-owners', OWNER]);
    expect(planned.code).toBe(0);
    expect(JSON.parse(planned.stdout).services.map((s: { serviceName: string }) => s.serviceName)).toEqual(['api']);
    // Without the owner allowed, the same secret is refused as before.
    expect(cli(of, ['plan', shared.arn]).code).toBe(2);
  });

  it('redeploys nothing for an event that claims an account not allowed', async () => {
    const of = consumer(CONSUMERS[0]);
    const deployments = await newDeployments(of, async () => {
      await expect(deliver(of, secretEvents(outside.arn, { account: OUTSIDER, region: REGION }).rotationSucceeded())).rejects.toThrow(
        ForeignAccountError,
      );
      // Nor one that claims the allowed owner while naming another account's secret.
      await expect(deliver(of, secretEvents(outside.arn, FROM_OWNER).rotationSucceeded())).rejects.toThrow(ForeignAccountError);
    });
    expect(deployments).toEqual(none);
  });
});
