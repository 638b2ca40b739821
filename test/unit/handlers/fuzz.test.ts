/**
 * A thousand and more malformed events through the real on-secret-change handler, generated from
 * the documented fixtures with a seeded PRNG (FUZZ_SEED reproduces a run). Every event has its
 * secret identity broken (wrong types, bad ARNs, control and bidi characters, huge strings) or its
 * envelope broken, plus random noise elsewhere. The SDK is mocked with an account in which a valid
 * event WOULD redeploy (checked first), so the properties below are not satisfied by a dead world:
 *   - each event ends as bad input (BadInputError) or as an `ignore` report, nothing else; an ECS
 *     deployment event that still names a service may instead end as a progress that records
 *     nothing (its service made no deployment for a rollout);
 *   - no AWS call is made at all (but that progress's read of the index), so UpdateService never runs;
 *   - no message or reason holds a raw control or bidi character.
 * Regression: 1,367 such events once yielded SDK errors ("Region not accepted", "<!doctype"), raw
 * control characters in messages, and an empty account id in a foreign-account message.
 */
import { DescribeServicesCommand, ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DescribeParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type { ProgressOutcome } from '../../../functions/app/deployment-change';
import { BadInputError } from '../../../functions/domain/errors';
import type { Report } from '../../../functions/domain/report/report';
import { handler } from '../../../functions/handlers/on-secret-change';
import { EVENTS_DIR, eventFixtureFiles, loadEvent } from '../../kit/events';
import { ecsService, serviceArn, taskDefinitionArn } from '../../kit/factories';
import { lambdaContext, useLambdaEnvironment } from '../../kit/lambda';
import { type MetricsSink, metricsSink } from '../../kit/output';
import { RAW_UNSAFE } from '../../kit/unsafe';

const SEED = Number(process.env.FUZZ_SEED ?? 20261120);
const COUNT = 1200;

const ecs = mockClient(ECSClient);
const sm = mockClient(SecretsManagerClient);
const ssm = mockClient(SSMClient);
const dynamo = mockClient(DynamoDBDocumentClient);
const mocks = [ecs, sm, ssm, dynamo];

type Json = Record<string, any>;

/** mulberry32: small, seedable, good enough to pick mutations. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Where the decoder finds the secret or parameter an event names. */
const ID_PATHS = [
  ['detail', 'responseElements', 'arn'],
  ['detail', 'responseElements', 'aRN'],
  ['detail', 'requestParameters', 'secretId'],
  ['detail', 'additionalEventData', 'SecretId'],
  ['resources', 0],
  // A CodeDeploy deployment event names the deployment it is about.
  ['detail', 'deploymentId'],
];

const huge = (n: number) => 'x'.repeat(n);

/** Identities that break the grammar; none is a secret name or ARN, none a parameter ARN. */
const BAD_IDS: unknown[] = [
  'arn:aws:secretsmanager:us east 1:111122223333:secret:prod/db-a1B2c3',
  'arn:aws:secretsmanager:../../etc:111122223333:secret:prod/db-a1B2c3',
  'arn:aws:ssm:../../etc:111122223333:parameter/prod/token',
  'arn:aws:secretsmanager:EU-WEST-1:111122223333:secret:prod/db',
  'arn:aws-moon:secretsmanager:eu-west-1:111122223333:secret:prod/db',
  'arn:aws:secretsmanager:eu-west-1::secret:prod/db-a1B2c3',
  'arn:aws:ssm:eu-west-1::parameter/prod/token',
  'arn:aws:secretsmanager:eu-west-1:12345:secret:prod/db',
  'arn:aws:secretsmanager:eu-west-1:111122223333:secret:',
  'arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/db:password::',
  'arn:aws:ssm:eu-west-1:111122223333:parameter/prod/token:3',
  'arn:aws:ssm:eu-west-1:111122223333:parameter/../../etc',
  'arn:aws:ecs:eu-west-1:111122223333:service/prod/api',
  'arn:aws:secretsmanager',
  'prod/db\u202e',
  'prod/\u0000db',
  '\u001b[2Jprod/db',
  'prod/db\u2066\u2069',
  'prod db',
  'prod:db',
  '',
  '   ',
  huge(300_000),
  `arn:aws:secretsmanager:eu-west-1:111122223333:secret:${huge(5000)}`,
  42,
  -1,
  true,
  null,
  {},
  { arn: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/db-a1B2c3' },
  ['arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/db-a1B2c3'],
];

/** Values that replace anything, anywhere. */
const NOISE: unknown[] = [
  null,
  0,
  false,
  '',
  '\u202eevil\u202c',
  '\u0007\u0008\u001b]0;title\u0007',
  huge(70_000),
  [],
  {},
  { nested: { deeper: [{ garbage: ['\u0000'] }] } },
  [[[[[]]]]],
  '<!doctype html>',
];

/** Envelopes that are not an EventBridge event of any documented shape. */
const BROKEN_ENVELOPES: ((event: Json) => unknown)[] = [
  () => null,
  () => 42,
  () => 'not an event',
  (event) => [event],
  (event) => ({ ...event, source: 7 }),
  (event) => ({ ...event, 'detail-type': ['AWS API Call via CloudTrail'] }),
  (event) => ({ ...event, detail: 'detail' }),
  (event) => ({ ...event, detail: null }),
  (event) => ({ ...event, detail: [event.detail] }),
  (event) => ({ ...event, detail: { a: { b: { c: { d: NOISE } } } } }),
  (event) => ({ ...event, detail: {} }),
  (event) => {
    const { detail: _, ...rest } = event;
    return rest;
  },
];

/** Every path to a leaf or a branch of a JSON value. */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== 'object') return [prefix];
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  return [prefix, ...entries.flatMap(([key, v]) => paths(v, [...prefix, key]))].filter((p) => p.length > 0);
}

/** Sets a fresh copy of `value` (shared objects would tie events together, even into cycles). */
function setAt(root: Json, path: (string | number)[], value: unknown): void {
  let node: any = root;
  for (const key of path.slice(0, -1)) {
    if (node === null || typeof node !== 'object') return;
    node = node[key];
  }
  if (node !== null && typeof node === 'object') node[path[path.length - 1]] = structuredClone(value);
}

function has(root: Json, path: (string | number)[]): boolean {
  let node: any = root;
  for (const key of path) {
    if (node === null || typeof node !== 'object' || !(key in node)) return false;
    node = node[key];
  }
  return true;
}

interface Case {
  index: number;
  base: string;
  mutations: string[];
  event: unknown;
}

/** Generates the malformed events: every one breaks the identity or the envelope, then takes noise. */
function generate(count: number, seed: number): Case[] {
  const random = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const bases = eventFixtureFiles().map((f) => ({ name: f, event: loadEvent(f) }));
  const nonMatching = ['non-matching/ecs-task-state-change.json', 'non-matching/create-secret.cloudtrail.json'].map((f) => ({
    name: f,
    event: loadEvent(f),
  }));
  const all = [...bases, ...nonMatching];
  return Array.from({ length: count }, (_, index) => {
    const base = pick(all);
    const event: Json = structuredClone(base.event);
    const mutations: string[] = [];
    for (let n = Math.floor(random() * 3); n > 0; n--) {
      const path = pick(paths(event).filter((p) => !ID_PATHS.some((id) => id.join('.') === p.join('.'))));
      const value = pick(NOISE);
      setAt(event, path, value);
      mutations.push(`noise ${path.join('.')}=${JSON.stringify(value)?.slice(0, 40)}`);
    }
    const present = ID_PATHS.filter((path) => has(event, path));
    if (present.length > 0 && random() < 0.8) {
      for (const path of present) {
        const id = pick(BAD_IDS);
        setAt(event, path, id);
        mutations.push(`id ${path.join('.')}=${JSON.stringify(id)?.slice(0, 60)}`);
      }
      return { index, base: base.name, mutations, event };
    }
    const envelope = pick(BROKEN_ENVELOPES);
    mutations.push(`envelope #${BROKEN_ENVELOPES.indexOf(envelope)}`);
    return { index, base: base.name, mutations, event: envelope(event) };
  });
}

/** An account in which a valid change of any secret redeploys one service. */
function arrangeWorld(): void {
  for (const mock of mocks) mock.reset();
  sm.on(DescribeSecretCommand).callsFake(async (input: { SecretId: string }) => {
    const arn = input.SecretId.startsWith('arn:')
      ? input.SecretId
      : `arn:aws:secretsmanager:eu-west-1:111122223333:secret:${input.SecretId}-AbCdEf`;
    return { ARN: arn, Name: arn.split(':')[6], VersionIdsToStages: { v2: ['AWSCURRENT'], v1: ['AWSPREVIOUS'] } };
  });
  ssm.on(DescribeParametersCommand).callsFake(async (input: { ParameterFilters: { Values: string[] }[] }) => ({
    Parameters: [{ Name: input.ParameterFilters[0].Values[0], Version: 3 }],
  }));
  dynamo.on(QueryCommand).callsFake(async (input: { ExpressionAttributeValues: { ':pk': string; ':ledger'?: string } }) => {
    const secret = input.ExpressionAttributeValues[':pk'].replace(/^SECRET#/, '');
    // The ledger: the service was last deployed with version 1, before the change.
    if (input.ExpressionAttributeValues[':ledger'] !== undefined) return { Items: [ledgerRow(secret)] };
    return {
      Items: [
        {
          secretArn: secret,
          kind: 'service',
          resourceArn: serviceArn('web', 'api'),
          clusterArn: 'arn:aws:ecs:eu-west-1:111122223333:cluster/web',
          name: 'api',
          taskDefinition: taskDefinitionArn('api:1'),
          references: [{ field: 'secrets', container: 'app', name: 'S', valueFrom: secret, store: 'ssm', parameterArn: secret }],
        },
      ],
    };
  });
  dynamo.on(PutCommand).resolves({});
  // The index has no other entry: a deployment event of a service still named reads it, and finds nothing recorded.
  dynamo.on(GetCommand).resolves({});
  ecs.on(DescribeServicesCommand).resolves({ services: [ecsService('web', 'api', { taskDefinition: taskDefinitionArn('api:1') })] });
  ecs.on(UpdateServiceCommand).resolves({ service: { deployments: [{ id: 'ecs-svc/1', status: 'PRIMARY' }] } });
}

function ledgerRow(secret: string) {
  const versions = secret.includes(':ssm:') ? { AWSCURRENT: '1' } : { AWSCURRENT: 'v1' };
  const service = serviceArn('web', 'api');
  return {
    pk: `SECRET#${secret}`,
    sk: `LEDGER#${service}`,
    secretArn: secret,
    serviceArn: service,
    versions,
    via: 'redeploy',
    at: '2026-11-01T00:00:00.000Z',
    rev: 1,
    writeId: 'seed',
  };
}

/** An ECS deployment event that names a service: it is not malformed, and reads the index to find its secrets. */
function isProgress(value: unknown): value is ProgressOutcome {
  return typeof value === 'object' && value !== null && 'secrets' in value && 'service' in value;
}

function callCount(): number {
  return mocks.reduce((n, mock) => n + mock.calls().length, 0);
}

// Silent: a thousand reports of 70 KB strings would flood the test output.
let sink: MetricsSink;
beforeAll(() => {
  useLambdaEnvironment({ POWERTOOLS_LOG_LEVEL: 'SILENT' });
  sink = metricsSink();
});
afterAll(() => sink.restore());
beforeEach(arrangeWorld);

describe('the account the fuzz events meet', () => {
  it.each(['put-secret-value.current.json', 'rotation-succeeded.service-event.json', 'parameter-store-change.update.json'])(
    'redeploys for the valid event %s (so that "no redeploy" below means something)',
    async (file) => {
      const report = (await handler(loadEvent(file) as never, lambdaContext)) as Report;
      expect(report.services.map((s) => s.outcome)).toEqual(['redeployed']);
      expect(ecs).toHaveReceivedCommand(UpdateServiceCommand);
    },
  );
});

describe(`${COUNT} malformed events through on-secret-change (seed ${SEED}, fixtures from ${EVENTS_DIR})`, () => {
  const cases = generate(COUNT, SEED);
  const outcomes = { malformed: 0, ignored: 0, progress: 0 };

  it.each(cases.map((c) => [c.index, c.base, c.mutations.join('; '), c] as const))(
    '#%i from %s (%s): bad input or ignored, no AWS call, nothing raw in the message',
    async (_index, _base, _mutations, { event }) => {
      let report: Report | undefined;
      let failure: unknown;
      try {
        const result = await handler(event as never, lambdaContext);
        if (isProgress(result)) {
          expect(result.secrets).toEqual([]);
          expect(result.reason ?? '').not.toMatch(RAW_UNSAFE);
          expect(dynamo.commandCalls(GetCommand).length).toBe(callCount());
          outcomes.progress += 1;
          return;
        }
        report = result as Report;
      } catch (error) {
        failure = error;
      }
      if (failure !== undefined) {
        expect(failure).toBeInstanceOf(BadInputError);
        expect((failure as Error).message).not.toMatch(RAW_UNSAFE);
        expect((failure as Error).message.length).toBeLessThan(2000);
        outcomes.malformed += 1;
      } else {
        expect(report?.action).toBe('ignore');
        expect(report?.reason ?? '').not.toMatch(RAW_UNSAFE);
        outcomes.ignored += 1;
      }
      expect(callCount()).toBe(0);
      expect(ecs).not.toHaveReceivedCommand(UpdateServiceCommand);
    },
  );

  it('generated both kinds of ending (the generator is not blind)', () => {
    expect(outcomes.malformed).toBeGreaterThan(COUNT / 4);
    expect(outcomes.ignored).toBeGreaterThan(COUNT / 20);
  });
});
