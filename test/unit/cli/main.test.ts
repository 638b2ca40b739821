import { Readable } from 'node:stream';
import { DescribeTableCommand, ResourceNotFoundException as TableNotFound } from '@aws-sdk/client-dynamodb';
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  ListClustersCommand,
  ListServicesCommand,
  ListTasksCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { EventBridgeClient, ListRulesCommand } from '@aws-sdk/client-eventbridge';
import { ListSchedulesCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import {
  DescribeSecretCommand,
  ListSecretVersionIdsCommand,
  ResourceNotFoundException as SecretNotFound,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { DescribeParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { type Io, main } from '../../../functions/cli/main';
import { version } from '../../../package.json';
import { loadEvent } from '../../kit/events';
import { clusterArn, ecsService, secretArn, serviceArn, taskDefinitionUsing } from '../../kit/factories';
import { ACCOUNT, REGION } from '../../kit/test-account';
import { RAW_UNSAFE } from '../../kit/unsafe';

const ecs = mockClient(ECSClient);
const sm = mockClient(SecretsManagerClient);
const ssm = mockClient(SSMClient);
// The state table is reached through the document client, which must be mocked itself.
const dynamo = mockClient(DynamoDBDocumentClient);
const sts = mockClient(STSClient);
const events = mockClient(EventBridgeClient);
const scheduler = mockClient(SchedulerClient);
const SECRET = secretArn('prod/db-AbCdEf');
const PARAMETER = `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/prod/token`;
/** What DynamoDB answers about a table that does not exist, and Secrets Manager about an unknown secret (the SDK's classes). */
const NOT_FOUND = new TableNotFound({ message: 'Requested resource not found', $metadata: {} });
const SECRET_NOT_FOUND = new SecretNotFound({ message: 'Secrets Manager can’t find the specified secret.', $metadata: {} });

type Streams = Io & { out: string; err: string };

function io(overrides: Partial<Io> = {}, env: Record<string, string> = {}): Streams {
  const streams = { out: '', err: '' };
  return Object.assign(streams, {
    stdout: (t: string) => {
      streams.out += t;
    },
    stderr: (t: string) => {
      streams.err += t;
    },
    stdin: () => Readable.from([]),
    stdoutIsTty: false,
    stderrIsTty: false,
    env: { AWS_REGION: REGION, AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x', AWS_MAX_ATTEMPTS: '1', ...env },
    ...overrides,
  });
}

/** Every call sent to AWS in this test. */
function awsCalls(): number {
  return [ecs, sm, ssm, dynamo, sts, events, scheduler].reduce((n, mock) => n + mock.calls().length, 0);
}

beforeEach(() => {
  for (const mock of [ecs, sm, ssm, dynamo, sts, events, scheduler]) mock.reset();
  events.on(ListRulesCommand).resolves({ Rules: [] });
  scheduler.on(ListSchedulesCommand).resolves({ Schedules: [] });
  sts.on(GetCallerIdentityCommand).resolves({ Account: ACCOUNT });
  sm.on(DescribeSecretCommand).resolves({ ARN: SECRET, Name: 'prod/db', VersionIdsToStages: { v1: ['AWSCURRENT'] } });
  // v1 was created after the services' deployments: first seen, they run an older value.
  sm.on(ListSecretVersionIdsCommand).resolves({ Versions: [{ VersionId: 'v1', CreatedDate: new Date('2026-11-20T08:00:00Z') }] });
  dynamo.on(DescribeTableCommand).resolves({ Table: { TableName: 'ecs-secret-redeploy' } });
  // The index was never built: the run scans.
  dynamo.on(QueryCommand).resolves({ Items: [] });
  dynamo.on(GetCommand).resolves({});
  ecs.on(ListClustersCommand).resolves({ clusterArns: [clusterArn('web')] });
  ecs.on(ListServicesCommand).resolves({ serviceArns: [serviceArn('web', 'a'), serviceArn('web', 'b')] });
  ecs.on(ListTasksCommand).resolves({ taskArns: [] });
  ecs.on(DescribeServicesCommand).resolves({ services: [ecsService('web', 'a'), ecsService('web', 'b')] });
  ecs.on(DescribeTaskDefinitionCommand).callsFake(async (input: { taskDefinition: string }) => ({
    taskDefinition: taskDefinitionUsing(input.taskDefinition.split('/').pop()!.split(':')[0], [SECRET]),
  }));
  ecs.on(UpdateServiceCommand).resolves({ service: {} });
});

describe('help and version', () => {
  it.each([
    [['plan', '--help'], 'Usage: ecs-secret-redeploy plan [options] <SECRET>', ['--scan', '--no-ledger', 'AWS calls:', 'DescribeSecret']],
    [
      ['redeploy', '--help'],
      'Usage: ecs-secret-redeploy redeploy [options] <SECRET>',
      ['--dry-run', '--force', '--concurrency', 'UpdateService'],
    ],
    [['handle-event', '--help'], 'Usage: ecs-secret-redeploy handle-event [options] <FILE>', ['- for standard input', '1 MiB']],
    [['init', '--help'], 'Usage: ecs-secret-redeploy init [options]', ['CreateTable']],
    [['index', 'rebuild', '--help'], 'Usage: ecs-secret-redeploy index rebuild [options]', ['--clusters', 'ListClusters']],
    [['index', 'show', '--help'], 'Usage: ecs-secret-redeploy index show [options] [SECRET]', ['Query']],
    [
      ['secrets', '--help'],
      'Usage: ecs-secret-redeploy secrets [options]',
      ['--scan', 'mermaid', 'ListRules', 'ListSchedules', 'universal target'],
    ],
    [['help', 'plan'], 'Usage: ecs-secret-redeploy plan [options] <SECRET>', []],
  ])('%j prints the help of that command on stdout and exits 0', async (args, usage, mentions) => {
    const streams = io();
    expect(await main(args, streams)).toBe(0);
    expect(streams.out.split('\n')[0]).toBe(usage);
    for (const text of [...mentions, 'Global Options:', '--region', '--profile', '--endpoint-url', '--output']) {
      expect(streams.out).toContain(text);
    }
    expect(streams.err).toBe('');
    expect(awsCalls()).toBe(0);
  });

  it('prints the program help with every command and the exit codes', async () => {
    const streams = io();
    expect(await main(['--help'], streams)).toBe(0);
    for (const command of ['plan', 'redeploy', 'handle-event', 'init', 'index'])
      expect(streams.out).toMatch(new RegExp(`^  ${command} `, 'm'));
    expect(streams.out).toContain('Exit codes:');
    expect(streams.out).toContain('3  configuration or environment');
  });

  it('prints the version of the package', async () => {
    const streams = io();
    expect(await main(['--version'], streams)).toBe(0);
    expect(streams.out).toBe(`${version}\n`);
  });

  it('exits 2 with the help on stderr when no command is given', async () => {
    const streams = io();
    expect(await main([], streams)).toBe(2);
    expect(streams.out).toBe('');
    expect(streams.err).toContain('Usage: ecs-secret-redeploy');
    expect(streams.err).toContain('error: name a command; see "ecs-secret-redeploy --help"');
  });
});

describe('refused arguments and options: exit 2, one line, no AWS call', () => {
  it.each([
    ['an unknown option', ['plan', 'prod/db', '--bogus'], 'unknown option \'--bogus\'; see "ecs-secret-redeploy plan --help"'],
    ['a mistyped option, with a suggestion', ['plan', 'prod/db', '--tabel', 'x'], "unknown option '--tabel' (Did you mean --table?)"],
    [
      'an option of another command (init --dry-run once created the table)',
      ['init', '--dry-run'],
      'option --dry-run does not apply to init (it is an option of redeploy, reconcile, resume, handle-event)',
    ],
    ['--force on plan', ['plan', 'prod/db', '--force'], 'option --force does not apply to plan (it is an option of redeploy)'],
    ['an unknown command', ['rotate', 'x'], 'unknown command \'rotate\'; see "ecs-secret-redeploy --help"'],
    ['a missing argument', ['redeploy'], 'missing required argument \'SECRET\'; see "ecs-secret-redeploy redeploy --help"'],
    ['an extra argument', ['init', 'now'], "too many arguments for 'init'. Expected 0 arguments but got 1; see"],
    ['an option without its value', ['plan', 'prod/db', '--region'], "option '--region <region>' argument missing"],
    [
      'a malformed region',
      ['plan', 'prod/db', '--region', 'us east 1'],
      '--region must be a region name such as eu-west-1, got "us east 1"',
    ],
    [
      'an endpoint that is no URL',
      ['plan', 'prod/db', '--endpoint-url', 'localhost:4566'],
      '--endpoint-url must be an http:// or https:// URL',
    ],
    ['a table name DynamoDB refuses', ['plan', 'prod/db', '--table', 'a b'], '--table must be a DynamoDB table name'],
    ['a concurrency outside 1-50', ['redeploy', 'prod/db', '--concurrency', '0'], '--concurrency must be an integer from 1 to 50, got "0"'],
    ['a timeout that is no number', ['plan', 'prod/db', '--read-timeout', 'soon'], '--read-timeout must be a whole number of seconds'],
    [
      'a cluster that is no name',
      ['plan', 'prod/db', '--clusters', 'web,../x'],
      '--clusters: "../x" is neither a cluster name nor a cluster ARN',
    ],
    ['an unknown output format', ['plan', 'prod/db', '--output', 'yaml'], '--output must be one of json, table, text, got "yaml"'],
    [
      'mermaid for a report',
      ['plan', 'prod/db', '--output', 'mermaid'],
      '--output mermaid does not apply to plan (it prints json, table, text)',
    ],
    ['--json against --output text', ['plan', 'prod/db', '--json', '--output', 'text'], '--json and --output "text" contradict each other'],
    [
      'a secret ARN with a malformed region',
      ['plan', 'arn:aws:secretsmanager:../../etc:111122223333:secret:x'],
      'SECRET is "arn:aws:secretsmanager:../../etc:111122223333:secret:x", which is not a valid ARN: invalid region "../../etc"',
    ],
    ['a secret ARN of an unknown partition', ['plan', 'arn:aws-moon:secretsmanager:eu-west-1:111122223333:secret:x'], 'unknown partition'],
    ['a secret name with a space', ['plan', 'prod db'], 'SECRET is "prod db", which is not a secret name'],
  ])('%s', async (_label, args, message) => {
    const streams = io();
    expect(await main(args, streams)).toBe(2);
    expect(streams.err.trim().split('\n')).toHaveLength(1);
    expect(streams.err).toContain(message);
    expect(streams.err).toMatch(/^error: /);
    expect(streams.out).toBe('');
    expect(awsCalls()).toBe(0);
  });

  it('escapes control and bidi characters of an argument in the message', async () => {
    const streams = io();
    expect(await main(['plan', 'prod/\u202edb\u001b[2J'], streams)).toBe(2);
    expect(streams.err).toContain('"prod/\\u202edb\\u001b[2J"');
    expect(streams.err).not.toMatch(RAW_UNSAFE);
  });

  it('accepts global options before the command, as the AWS CLI does', async () => {
    const streams = io();
    expect(await main(['--region', 'eu-central-1', '--json', 'plan', 'prod/db'], streams)).toBe(0);
    expect(JSON.parse(streams.out).action).toBe('redeploy');
  });
});

describe('exit codes', () => {
  it('exits 0 when every service was redeployed', async () => {
    const streams = io();
    expect(await main(['redeploy', 'prod/db'], streams)).toBe(0);
    expect(streams.out).toContain('2 redeployed');
  });

  it('exits 1 and still reports every service when some UpdateService calls fail', async () => {
    ecs
      .on(UpdateServiceCommand, { service: serviceArn('web', 'b') })
      .rejects(Object.assign(new Error('service is draining'), { name: 'InvalidParameterException', $metadata: { httpStatusCode: 400 } }));
    const streams = io();
    expect(await main(['redeploy', 'prod/db', '--json'], streams)).toBe(1);
    const report = JSON.parse(streams.out);
    expect(report.services.map((s: { serviceName: string; outcome: string }) => [s.serviceName, s.outcome])).toEqual([
      ['a', 'redeployed'],
      ['b', 'failed'],
    ]);
  });

  it('exits 1 with a one-line error when an AWS call fails outright', async () => {
    ecs
      .on(ListClustersCommand)
      .rejects(Object.assign(new Error('Internal failure\nat line 2'), { name: 'ServerException', $metadata: {} }));
    const streams = io();
    expect(await main(['plan', 'prod/db'], streams)).toBe(1);
    expect(streams.err).toBe('error: ServerException: Internal failure\n');
  });

  it.each([
    [
      'an unknown secret',
      () => sm.on(DescribeSecretCommand).rejects(SECRET_NOT_FOUND),
      ['plan', 'prod/nope'],
      `secret not found: prod/nope (in ${REGION}, account ${ACCOUNT})`,
    ],
    [
      'a secret of another account',
      () => undefined,
      ['redeploy', 'arn:aws:secretsmanager:eu-west-1:999999999999:secret:prod/db-AbCdEf'],
      'secret arn:aws:secretsmanager:eu-west-1:999999999999:secret:prod/db-AbCdEf belongs to account 999999999999, not to this account (111122223333)',
    ],
  ])('exits 2 for %s', async (_label, arrange, args, message) => {
    arrange();
    const streams = io();
    expect(await main(args, streams)).toBe(2);
    expect(streams.err).toBe(`error: ${message}\n`);
    expect(ecs).not.toHaveReceivedCommand(UpdateServiceCommand);
  });

  // Regression: a mistyped --table was taken as "no state table": the run dropped the exactly-once
  // guard, scanned, and redeployed every service again with exit 0.
  it('exits 3 for a state table that does not exist, before any scan or redeploy', async () => {
    dynamo.on(DescribeTableCommand).rejects(NOT_FOUND);
    const streams = io();
    expect(await main(['redeploy', 'prod/db', '--table', 'ecs-secret-redeplyo'], streams)).toBe(3);
    expect(streams.err).toBe(
      'error: state table "ecs-secret-redeplyo" does not exist in eu-west-1 (check --region, or run "ecs-secret-redeploy init" to create it there, or --no-ledger to run without the exactly-once guard)\n',
    );
    expect(ecs).not.toHaveReceivedCommand(ListClustersCommand);
    expect(ecs).not.toHaveReceivedCommand(UpdateServiceCommand);
  });

  it.each([
    ['a configuration value from the environment', { MAX_CONCURRENCY: 'many' }, 'MAX_CONCURRENCY must be a positive integer, got "many"'],
    ['a malformed AWS_REGION', { AWS_REGION: 'us east 1' }, 'AWS_REGION must be a region name such as eu-west-1, got "us east 1"'],
  ])('exits 3 for %s', async (_label, env, message) => {
    const streams = io({}, env);
    expect(await main(['plan', 'prod/db'], streams)).toBe(3);
    expect(streams.err).toBe(`error: ${message}\n`);
  });

  it('exits 3 when AWS refuses the credentials or the permission', async () => {
    sts
      .on(GetCallerIdentityCommand)
      .rejects(
        Object.assign(new Error('The security token included in the request is invalid.'), { name: 'InvalidClientTokenId', $metadata: {} }),
      );
    const streams = io();
    expect(await main(['plan', 'prod/db'], streams)).toBe(3);
    expect(streams.err).toBe('error: AWS refused the call: InvalidClientTokenId: The security token included in the request is invalid.\n');
  });
});

describe('--no-ledger', () => {
  it('runs by live scan without the table, and says so on stderr and in the report', async () => {
    dynamo.on(DescribeTableCommand).rejects(NOT_FOUND);
    const streams = io();
    expect(await main(['plan', 'prod/db', '--no-ledger', '--json'], streams)).toBe(0);
    expect(streams.err).toBe('note: --no-ledger: live scan of the account, without the exactly-once guard and without waves\n');
    expect(JSON.parse(streams.out).inventory).toEqual({ source: 'scan', note: '--no-ledger: live scan, no exactly-once guard, no waves' });
    expect(dynamo.calls()).toHaveLength(0);
  });
});

describe('output', () => {
  it('prints nothing but the JSON report on stdout with --json, even with --verbose', async () => {
    const streams = io();
    expect(await main(['redeploy', 'prod/db', '--json', '--verbose'], streams)).toBe(0);
    expect(JSON.parse(streams.out).services).toHaveLength(2);
    const lines = streams.err.trim().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(JSON.parse(line)).toMatchObject({ level: 'info' });
    expect(lines.map((l) => JSON.parse(l).phase).filter(Boolean)).toContain('scan');
  });

  it('prints tab-separated records with --output text', async () => {
    const streams = io();
    await main(['plan', 'prod/db', '--output', 'text'], streams);
    expect(streams.out.split('\n')[0]).toBe(`SECRET\t${SECRET}\tv1\tredeploy\tdry-run\t`);
    expect(streams.out).toContain(
      'SERVICE\tweb\ta\twould-redeploy\t\truns an older version than current (first seen: its deployment (created ' +
        '2026-11-20T07:00:00.000Z) is older than AWSCURRENT (v1, created 2026-11-20T08:00:00.000Z)); current is AWSCURRENT=v1\t' +
        `${serviceArn('web', 'a')}\t1`,
    );
  });

  it('colours the word only on a terminal, and never with --no-color or NO_COLOR', async () => {
    const colored = io({ stdoutIsTty: true });
    await main(['plan', 'prod/db'], colored);
    expect(colored.out).toContain('\u001b[33mdue');
    for (const [args, env] of [
      [['plan', 'prod/db', '--no-color'], {}],
      [['plan', 'prod/db'], { NO_COLOR: '1' }],
    ] as const) {
      const plain = io({ stdoutIsTty: true }, env);
      await main([...args], plain);
      expect(plain.out).not.toContain('\u001b[');
    }
  });

  it('escapes control characters of names that come from AWS in the table', async () => {
    ecs.on(DescribeServicesCommand).resolves({ services: [ecsService('web', 'a', { serviceName: 'a\u202eb\u001b[2J' })] });
    const streams = io();
    await main(['plan', 'prod/db'], streams);
    expect(streams.out).toContain('a\\u202eb\\u001b[2J');
    expect(streams.out).not.toMatch(RAW_UNSAFE);
  });

  // Regression: an SSM parameter's report said "AWSCURRENT", which parameters do not have.
  it('names the version number of a parameter', async () => {
    ssm.on(DescribeParametersCommand).resolves({ Parameters: [{ Name: '/prod/token', Version: 4 }] });
    const streams = io();
    await main(['plan', PARAMETER], streams);
    expect(streams.out.split('\n')[0]).toBe('secret:  /prod/token (version 4)');
  });
});

describe('progress', () => {
  const manyServices = () => {
    const names = Array.from({ length: 8 }, (_, i) => `s${i}`);
    ecs.on(ListServicesCommand).resolves({ serviceArns: names.map((n) => serviceArn('web', n)) });
    ecs.on(DescribeServicesCommand).resolves({ services: names.map((n) => ecsService('web', n)) });
  };

  it('draws a live line on a terminal while redeploying more than a few services, and clears it', async () => {
    manyServices();
    const streams = io({ stderrIsTty: true });
    expect(await main(['redeploy', 'prod/db'], streams)).toBe(0);
    expect(streams.err).toContain('8/8 services');
    expect(streams.err.endsWith('\r\u001b[2K')).toBe(true);
    expect(streams.out).not.toContain('\r');
  });

  it('writes nothing on stderr when it is not a terminal', async () => {
    manyServices();
    const streams = io();
    await main(['redeploy', 'prod/db'], streams);
    expect(streams.err).toBe('');
  });
});

describe('handle-event', () => {
  it('reads an event from standard input', async () => {
    const event = loadEvent('put-secret-value.current.json');
    event.detail.responseElements.arn = SECRET;
    event.detail.requestParameters.secretId = SECRET;
    const streams = io({ stdin: () => Readable.from([JSON.stringify(event)]) });
    expect(await main(['handle-event', '-', '--dry-run', '--json'], streams)).toBe(0);
    expect(JSON.parse(streams.out)).toMatchObject({ action: 'redeploy', dryRun: true, trigger: { eventName: 'PutSecretValue' } });
  });

  // Regression: handle-event read any input to its end (/dev/zero grew the process to 12.5 GB).
  it('refuses more than 1 MiB of input before parsing it, without reading the rest', async () => {
    let served = 0;
    const endless = new Readable({
      read() {
        served += 64 * 1024;
        this.push(Buffer.alloc(64 * 1024, 0x20));
      },
    });
    const streams = io({ stdin: () => endless });
    expect(await main(['handle-event', '-'], streams)).toBe(2);
    expect(streams.err).toBe('error: standard input is larger than 1 MiB: refused (an EventBridge event is at most 256 KB)\n');
    expect(served).toBeLessThan(2 * 1024 * 1024);
    expect(awsCalls()).toBe(0);
  });

  it('exits 2 for input that is not JSON, with its control characters escaped', async () => {
    const streams = io({ stdin: () => Readable.from(['\u001b[2J{']) });
    expect(await main(['handle-event', '-'], streams)).toBe(2);
    expect(streams.err).toMatch(/^error: standard input is not JSON: .*\n$/);
    expect(streams.err).not.toMatch(RAW_UNSAFE);
  });

  it('exits 2 for an event whose ARN has a malformed region, without any AWS call', async () => {
    const event = loadEvent('put-secret-value.current.json');
    event.detail.responseElements.arn = 'arn:aws:secretsmanager:us east 1:111122223333:secret:prod/db-AbCdEf';
    const streams = io({ stdin: () => Readable.from([JSON.stringify(event)]) });
    expect(await main(['handle-event', '-'], streams)).toBe(2);
    expect(streams.err).toContain('invalid region "us east 1"');
    expect(awsCalls()).toBe(0);
  });

  it('exits 0 and says why for an event that is ignored, without any AWS call', async () => {
    const streams = io({ stdin: () => Readable.from([JSON.stringify(loadEvent('parameter-store-change.create-failed.json'))]) });
    expect(await main(['handle-event', '-'], streams)).toBe(0);
    expect(streams.out).toContain('ignored: the Create failed (Unable to Describe Resource): nothing changed');
    expect(awsCalls()).toBe(0);
  });
});

describe('secrets', () => {
  it('prints the usage map as a Mermaid graph', async () => {
    const streams = io();
    expect(await main(['secrets', '--scan', '--output', 'mermaid'], streams)).toBe(0);
    // Fenced: what a Markdown viewer draws.
    expect(streams.out).toMatch(/^```mermaid\nflowchart LR\n[\s\S]*\n```\n$/);
    expect(streams.out).toContain('s1["prod/db (secret, eu-west-1)"]');
    expect(streams.out).toContain('s1 -->|"secrets SECRET_0"| c1');
    expect(events).toHaveReceivedCommand(ListRulesCommand);
    expect(scheduler).toHaveReceivedCommand(ListSchedulesCommand);
  });

  it('exits 3 without a state table unless asked to scan, and says how', async () => {
    dynamo.on(DescribeTableCommand).rejects(NOT_FOUND);
    const streams = io();
    expect(await main(['secrets'], streams)).toBe(3);
    expect(streams.err).toBe(
      'error: state table "ecs-secret-redeploy" does not exist in eu-west-1 (check --region, or run "ecs-secret-redeploy init" to create it there, or --scan to map the account by a live scan)\n',
    );
  });
});
