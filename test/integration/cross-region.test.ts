/**
 * Cross-region consumers against ONE moto_server serving two regions (moto answers every region
 * on one endpoint; the client's region picks which): a secret and an SSM parameter live in
 * us-east-1, the services that read them by ARN in eu-west-1, where this service is deployed.
 * eu-west-1 has a secret and a parameter of the same names, read by other services by name: a
 * cache or a client keyed by name alone, or a name read in the wrong region, moves the wrong ones.
 */
import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { type EventOutcome, handleEvent } from '../../functions/app/handle-event';
import type { ReconcileAllSummary } from '../../functions/app/reconcile-all';
import { rebuildIndex } from '../../functions/app/refresh-index';
import { secretStatus } from '../../functions/app/status';
import { createStateTable } from '../../functions/aws/state-table/admin';
import { ForeignAccountError } from '../../functions/domain/errors';
import { parseTarget, type Target } from '../../functions/domain/identity/target';
import type { Report } from '../../functions/domain/report/report';
import { NO_DEADLINE } from '../../functions/domain/rollout/deadline';
import { type Emulator, MOTO_ACCOUNT, startEmulator } from '../kit/emulator';
import { type EventOrigin, parameterChange, secretEvents } from '../kit/events';
import {
  newDeployments as countNewDeployments,
  createClusters,
  createSecret,
  createService,
  emulatorClientConfig,
  registerTaskDefinition,
  type SeededSecret,
} from '../kit/simulated-account';
import { REGION } from '../kit/test-account';

/** Where the secrets live; REGION (eu-west-1) is where the consumers and the deployment are. */
const SECRET_REGION = 'us-east-1';
const FROM_SECRET_REGION: EventOrigin = { account: MOTO_ACCOUNT, region: SECRET_REGION };
const DB = 'prod/shared-db';
const TOKEN = '/prod/shared/token';
const REMOTE_TOKEN_ARN = `arn:aws:ssm:${SECRET_REGION}:${MOTO_ACCOUNT}:parameter${TOKEN}`;
const LOCAL_TOKEN_ARN = `arn:aws:ssm:${REGION}:${MOTO_ACCOUNT}:parameter${TOKEN}`;
const SERVICES = ['xr-full', 'xr-partial', 'xr-param', 'local-db', 'local-token'];

let emulator: Emulator;
let smRemote: SecretsManagerClient;
let ssmRemote: SSMClient;
let remoteDb: SeededSecret;
let localDb: SeededSecret;
let cluster: string;

beforeAll(async () => {
  emulator = await startEmulator();
  smRemote = new SecretsManagerClient(emulatorClientConfig(emulator.moto.endpoint, SECRET_REGION));
  ssmRemote = new SSMClient(emulatorClientConfig(emulator.moto.endpoint, SECRET_REGION));
  const ssmLocal = new SSMClient(emulatorClientConfig(emulator.moto.endpoint, REGION));
  remoteDb = await createSecret(smRemote, DB);
  localDb = await createSecret(emulator.sm, DB);
  await ssmRemote.send(new PutParameterCommand({ Name: TOKEN, Value: 'one', Type: 'SecureString' }));
  await ssmLocal.send(new PutParameterCommand({ Name: TOKEN, Value: 'local', Type: 'SecureString' }));

  [cluster] = await createClusters(emulator.ecs, ['xregion']);
  const partial = remoteDb.arn.slice(0, remoteDb.arn.lastIndexOf('-'));
  const families: Array<[string, Parameters<typeof registerTaskDefinition>[2]]> = [
    ['xr-full', [{ name: 'app', secrets: [{ name: 'DB_PASSWORD', valueFrom: `${remoteDb.arn}:password::` }] }]],
    ['xr-partial', [{ name: 'app', secrets: [{ name: 'DB', valueFrom: partial }] }]],
    ['xr-param', [{ name: 'app', secrets: [{ name: 'TOKEN', valueFrom: REMOTE_TOKEN_ARN }] }]],
    // The same names, read in the task definition's own region: eu-west-1's secret and parameter.
    ['local-db', [{ name: 'app', repositoryCredentials: DB }]],
    ['local-token', [{ name: 'app', secrets: [{ name: 'TOKEN', valueFrom: TOKEN }] }]],
  ];
  for (const [name, containers] of families) {
    await createService(emulator.ecs, { cluster, name, taskDefinition: await registerTaskDefinition(emulator.ecs, name, containers) });
  }
  await createStateTable(emulator.ports().table);
}, 60_000);

afterAll(async () => {
  await emulator?.moto.stop();
});

/** How many new deployments each service got while `run` ran. */
const newDeployments = (run: () => Promise<unknown>) => countNewDeployments(emulator.ecs, cluster, SERVICES, run);

const none = Object.fromEntries(SERVICES.map((name) => [name, 0]));

async function rotateSecret(): Promise<void> {
  await smRemote.send(new PutSecretValueCommand({ SecretId: remoteDb.arn, SecretString: JSON.stringify({ password: `p-${Date.now()}` }) }));
}

async function rotateParameter(): Promise<void> {
  await ssmRemote.send(new PutParameterCommand({ Name: TOKEN, Value: `t-${Date.now()}`, Type: 'SecureString', Overwrite: true }));
}

/** The eu-west-1 deployment handles one event, as its on-secret-change function does. */
function deliver(event: unknown): Promise<EventOutcome> {
  return handleEvent(emulator.ports(), event, { deadline: NO_DEADLINE, dryRun: false });
}

async function scheduledReconcile(): Promise<ReconcileAllSummary> {
  const outcome = await deliver({
    version: '0',
    id: `schedule-${Date.now()}`,
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: MOTO_ACCOUNT,
    time: new Date().toISOString(),
    region: REGION,
    resources: [`arn:aws:events:${REGION}:${MOTO_ACCOUNT}:rule/ecs-secret-redeploy-test-reconcile`],
    detail: {},
  });
  if (outcome.kind !== 'schedule') throw new Error(`expected a scheduled reconcile, got ${outcome.kind}`);
  return outcome.summary;
}

async function reportOf(event: unknown): Promise<Report> {
  const outcome = await deliver(event);
  if (outcome.kind !== 'report') throw new Error(`expected a report, got ${outcome.kind}`);
  return outcome.report;
}

const redeployed = (report: Report) =>
  report.services
    .filter((s) => s.outcome === 'redeployed')
    .map((s) => s.serviceName)
    .sort();

describe('consumers in eu-west-1 of a secret and a parameter in us-east-1', () => {
  it("indexes them in eu-west-1's state table under the us-east-1 ARNs, apart from eu-west-1's namesakes", async () => {
    const summary = await rebuildIndex(emulator.ports());
    const index = emulator.ports().index;
    const names = async (arn: string) => (await index.entriesOf(arn)).map((e) => e.name).sort();

    expect(summary.unresolvedReferences).toEqual([]);
    expect(await names(remoteDb.arn)).toEqual(['xr-full', 'xr-partial']);
    expect(await names(REMOTE_TOKEN_ARN)).toEqual(['xr-param']);
    expect(await names(localDb.arn)).toEqual(['local-db']);
    expect(await names(LOCAL_TOKEN_ARN)).toEqual(['local-token']);
    const ledger = await emulator.ports().ledger.records(remoteDb.arn);
    expect(ledger.services.map((r) => r.versions)).toEqual([{ AWSCURRENT: remoteDb.versionId }, { AWSCURRENT: remoteDb.versionId }]);
  });

  it('redeploys exactly those consumers, once, at the next scheduled reconcile after a change in us-east-1', async () => {
    await rotateSecret();
    await rotateParameter();
    let first: ReconcileAllSummary | undefined;
    const counts = await newDeployments(async () => {
      first = await scheduledReconcile();
    });
    const again = await newDeployments(() => scheduledReconcile());

    expect(counts).toEqual({ ...none, 'xr-full': 1, 'xr-partial': 1, 'xr-param': 1 });
    expect(first?.errors).toEqual([]);
    expect(first?.outcomes.redeployed).toBe(3);
    // Not drift: without forwarding, the schedule is how a change in another region arrives (no DriftFound alarm).
    expect(first?.drift).toEqual([]);
    expect(again).toEqual(none);
  });

  it('shows the us-east-1 secret and parameter in status, every consumer on the current version', async () => {
    for (const arn of [remoteDb.arn, REMOTE_TOKEN_ARN]) {
      const status = await secretStatus(emulator.ports(), parseTarget(arn) as Target);
      expect(status.secret.arn).toBe(arn);
      expect(status.counts['up-to-date']).toBe(status.consumers.length);
      expect(status.consumers.length).toBeGreaterThan(0);
    }
  });

  it('redeploys at once on an event forwarded from us-east-1 (its region and ARNs are us-east-1 ones), once per version', async () => {
    const events = secretEvents(remoteDb.arn, FROM_SECRET_REGION);
    await rotateSecret();
    let report: Report | undefined;
    const counts = await newDeployments(async () => {
      report = await reportOf(events.putSecretValue());
    });
    const duplicate = await newDeployments(() => reportOf(events.labelUpdated('AWSCURRENT', 'whatever')));

    expect(counts).toEqual({ ...none, 'xr-full': 1, 'xr-partial': 1 });
    expect(report && redeployed(report)).toEqual(['xr-full', 'xr-partial']);
    expect(report?.secret.arn).toBe(remoteDb.arn);
    expect(duplicate).toEqual(none);
  });

  it('reads a forwarded event that names the secret by name alone in the region the event comes from', async () => {
    // UpdateSecret's record may carry no ARN at all: only requestParameters.secretId, as the caller wrote it.
    await smRemote.send(new PutSecretValueCommand({ SecretId: DB, SecretString: JSON.stringify({ password: `n-${Date.now()}` }) }));
    let report: Report | undefined;
    const counts = await newDeployments(async () => {
      report = await reportOf(secretEvents(DB, FROM_SECRET_REGION).updateSecret(null));
    });

    expect(report?.secret.arn).toBe(remoteDb.arn);
    expect(counts).toEqual({ ...none, 'xr-full': 1, 'xr-partial': 1 });
  });

  it('redeploys at once on a forwarded Parameter Store Change from us-east-1', async () => {
    await rotateParameter();
    let report: Report | undefined;
    const counts = await newDeployments(async () => {
      report = await reportOf(parameterChange(REMOTE_TOKEN_ARN, 'Update', FROM_SECRET_REGION));
    });

    expect(report?.secret).toMatchObject({ arn: REMOTE_TOKEN_ARN, kind: 'parameter' });
    expect(counts).toEqual({ ...none, 'xr-param': 1 });
  });

  it('still refuses a secret of another account, in any region', async () => {
    const foreign = `arn:aws:secretsmanager:${SECRET_REGION}:210987654321:secret:${DB}-AbCdEf`;
    await expect(deliver(secretEvents(foreign, { account: '210987654321', region: SECRET_REGION }).rotationSucceeded())).rejects.toThrow(
      ForeignAccountError,
    );
  });
});
