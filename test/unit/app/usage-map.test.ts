import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  ListClustersCommand,
  ListServicesCommand,
  ListTasksCommand,
} from '@aws-sdk/client-ecs';
import { DescribeSecretCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient, GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { buildUsageMap, type UsagePorts } from '../../../functions/app/usage-map';
import type { ScheduledTask, ScheduledTasks } from '../../../functions/ports/schedules';
import { clusterArn, ecsService, secretArn, serviceArn, smReference, taskDefinitionArn, taskDefinitionUsing } from '../../kit/factories';
import { testPorts } from '../../kit/ports';

const ecs = mockClient(ECSClient);
const sm = mockClient(SecretsManagerClient);
const dynamo = mockClient(DynamoDBDocumentClient);
const DB = secretArn('prod/db-AbCdEf');
const NOT_FOUND = new ResourceNotFoundException({ message: 'Secrets Manager can’t find the specified secret.', $metadata: {} });
const NIGHTLY: ScheduledTask = {
  via: 'eventbridge-rule',
  name: 'nightly',
  arn: 'arn:aws:events:eu-west-1:111122223333:rule/nightly',
  clusterArn: clusterArn('jobs'),
  taskDefinition: taskDefinitionArn('export:2'),
  schedule: 'cron(0 3 * * ? *)',
  state: 'ENABLED',
};

function ports(schedules: Partial<ScheduledTasks> = {}): UsagePorts {
  return { ...testPorts(), schedules: { fromRules: async () => [], fromSchedules: async () => [], ...schedules } };
}

beforeEach(() => {
  for (const mock of [ecs, sm, dynamo]) mock.reset();
  sm.on(DescribeSecretCommand).resolves({ ARN: DB, Name: 'prod/db', VersionIdsToStages: { v2: ['AWSCURRENT'] } });
  sm.on(DescribeSecretCommand, { SecretId: 'prod/gone' }).rejects(NOT_FOUND);
  ecs.on(ListClustersCommand).resolves({ clusterArns: [clusterArn('web')] });
  ecs.on(ListServicesCommand).resolves({ serviceArns: [serviceArn('web', 'api')] });
  ecs.on(ListTasksCommand).resolves({ taskArns: [] });
  ecs.on(DescribeServicesCommand).resolves({ services: [ecsService('web', 'api', { taskDefinition: taskDefinitionArn('api:1') })] });
  ecs.on(DescribeTaskDefinitionCommand).callsFake(async (input: { taskDefinition: string }) => ({
    taskDefinition: taskDefinitionUsing(input.taskDefinition.split('/').pop()!.split(':')[0], [DB]),
  }));
  ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: taskDefinitionArn('api:1') }).resolves({
    taskDefinition: { ...taskDefinitionUsing('api', [DB, `${DB}:password::`]), taskDefinitionArn: taskDefinitionArn('api:1') },
  });
});

describe('buildUsageMap', () => {
  it('maps by live scan, describing each secret once however often it is referenced', async () => {
    const map = await buildUsageMap(ports(), { inventory: 'scan' });
    expect(map.source).toBe('scan');
    expect(map.secrets.map((s) => [s.name, s.consumers.map((c) => c.name)])).toEqual([['prod/db', ['api']]]);
    expect(map.secrets[0].consumers[0].references).toHaveLength(2);
    expect(sm).toHaveReceivedCommandTimes(DescribeSecretCommand, 1);
  });

  it('lists the references ECS cannot resolve (a malformed valueFrom) with why, from the same DescribeTaskDefinition', async () => {
    const malformed = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:';
    ecs.on(ListServicesCommand).resolves({ serviceArns: [serviceArn('web', 'api'), serviceArn('web', 'broken')] });
    ecs.on(DescribeServicesCommand).resolves({
      services: [
        ecsService('web', 'api', { taskDefinition: taskDefinitionArn('api:1') }),
        ecsService('web', 'broken', { taskDefinition: taskDefinitionArn('broken:1') }),
      ],
    });
    ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: taskDefinitionArn('broken:1') }).resolves({
      taskDefinition: taskDefinitionUsing('broken', [malformed]),
    });
    const map = await buildUsageMap(ports(), { inventory: 'scan' });
    expect(map.unresolved).toEqual([
      { reference: malformed, reason: 'not a Secrets Manager secret ARN or name ECS accepts', consumers: ['broken'] },
    ]);
    expect(ecs).toHaveReceivedCommandTimes(DescribeTaskDefinitionCommand, 2);
  });

  it('reads the consumers from the index when it was built, without scanning', async () => {
    dynamo.on(GetCommand).resolves({
      Item: {
        meta: {
          builtAt: '2026-11-20T08:00:00.000Z',
          missingSecrets: [{ reference: 'prod/gone', consumers: ['worker'], consumerCount: 1 }],
        },
      },
    });
    dynamo.on(ScanCommand).resolves({
      Items: [
        {
          secretArn: DB,
          kind: 'service',
          resourceArn: serviceArn('web', 'api'),
          clusterArn: clusterArn('web'),
          name: 'api',
          taskDefinition: taskDefinitionArn('api:1'),
          references: [smReference(DB)],
        },
      ],
    });
    const map = await buildUsageMap(ports(), { inventory: 'index' });
    expect(map.source).toBe('index');
    expect(map.secrets[0].consumers.map((c) => c.name)).toEqual(['api']);
    expect(map.notes[0]).toBe('consumers as indexed at 2026-11-20T08:00:00.000Z; --scan reads the task definitions as they are now');
    // A secret that no longer exists is listed with why, not left out: ECS cannot start what needs it.
    expect(map.unresolved).toEqual([
      {
        reference: 'prod/gone',
        reason: 'no such secret at the index rebuild of 2026-11-20T08:00:00.000Z: tasks that need it cannot start',
        consumers: ['worker'],
      },
    ]);
    expect(ecs).not.toHaveReceivedCommand(ListClustersCommand);
  });

  it('scans, and says so, when the index was never built', async () => {
    dynamo.on(GetCommand).resolves({});
    const map = await buildUsageMap(ports(), { inventory: 'index' });
    expect(map.source).toBe('scan');
    expect(map.notes).toEqual(['the index was never built: consumers found by a live scan']);
  });

  it('adds scheduled tasks with the references of their task definitions', async () => {
    const map = await buildUsageMap(ports({ fromRules: async () => [NIGHTLY] }), { inventory: 'scan' });
    const db = map.secrets.find((s) => s.name === 'prod/db');
    expect(db?.consumers.map((c) => [c.kind, c.name, c.schedule])).toEqual([
      ['service', 'api', undefined],
      ['scheduled-task', 'nightly', 'cron(0 3 * * ? *)'],
    ]);
  });

  it('reports a referenced secret that does not exist as needing attention', async () => {
    ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: taskDefinitionArn('api:1') }).resolves({
      taskDefinition: {
        taskDefinitionArn: taskDefinitionArn('api:1'),
        containerDefinitions: [{ name: 'app', repositoryCredentials: { credentialsParameter: 'prod/gone' } }],
      },
    });
    const map = await buildUsageMap(ports(), { inventory: 'scan' });
    expect(map.secrets).toEqual([
      expect.objectContaining({
        arn: secretArn('prod/gone'),
        name: 'prod/gone',
        found: false,
        attention: [{ kind: 'missing', message: 'does not exist: tasks that start cannot read it', consumers: ['api'] }],
      }),
    ]);
  });

  it('keeps going when a source of scheduled tasks cannot be listed, and notes it', async () => {
    const denied = Object.assign(new Error('not authorized to perform scheduler:ListSchedules'), { name: 'AccessDeniedException' });
    const map = await buildUsageMap(
      ports({
        fromSchedules: async () => {
          throw denied;
        },
      }),
      { inventory: 'scan' },
    );
    expect(map.secrets).toHaveLength(1);
    expect(map.notes).toEqual([
      'EventBridge Scheduler schedules could not be listed (AccessDeniedException: not authorized to perform scheduler:ListSchedules): their tasks are missing from the map',
    ]);
  });

  it('notes a scheduled task whose task definition cannot be read', async () => {
    ecs
      .on(DescribeTaskDefinitionCommand, { taskDefinition: NIGHTLY.taskDefinition })
      .rejects(Object.assign(new Error('Unable to describe task definition.'), { name: 'ClientException' }));
    const map = await buildUsageMap(ports({ fromRules: async () => [NIGHTLY] }), { inventory: 'scan' });
    expect(map.notes).toEqual([
      `the task definition ${NIGHTLY.taskDefinition} of nightly could not be read (ClientException: Unable to describe task definition.)`,
    ]);
  });

  it('reports a secret it may not describe as unreadable, not as a failure of the whole map', async () => {
    sm.on(DescribeSecretCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    const map = await buildUsageMap(ports(), { inventory: 'scan' });
    expect(map.secrets[0]).toMatchObject({
      found: false,
      attention: [{ kind: 'unreadable', message: 'could not be described (AccessDeniedException: denied)' }],
    });
  });

  it('reports its progress: the scan, then each secret described', async () => {
    const phases: string[] = [];
    await buildUsageMap(ports(), {
      inventory: 'scan',
      onProgress: (p) => phases.push(p.phase === 'describe' ? `describe ${p.done}/${p.total}` : p.phase),
    });
    expect(phases).toEqual(['scan', 'scan', 'describe 1/1']);
  });
});

describe('buildUsageMap: replicas', () => {
  const PRIMARY = DB.replace(':eu-west-1:', ':us-east-1:');

  beforeEach(() => {
    sm.on(DescribeSecretCommand, { SecretId: DB }).resolves({
      ARN: DB,
      Name: 'prod/db',
      VersionIdsToStages: { v2: ['AWSCURRENT'] },
      PrimaryRegion: 'us-east-1',
    });
  });

  it('reads the primary of a replica, once, for how replication to it stands', async () => {
    sm.on(DescribeSecretCommand, { SecretId: PRIMARY }).resolves({
      ARN: PRIMARY,
      Name: 'prod/db',
      VersionIdsToStages: { v2: ['AWSCURRENT'] },
      ReplicationStatus: [{ Region: 'eu-west-1', Status: 'Failed', StatusMessage: 'KMS key disabled' }],
    });
    const map = await buildUsageMap(ports(), { inventory: 'scan' });
    expect(map.secrets[0]).toMatchObject({
      replication: { role: 'replica', primaryRegion: 'us-east-1', status: 'Failed', statusMessage: 'KMS key disabled' },
      attention: [expect.objectContaining({ kind: 'replication-failed' })],
    });
    expect(sm.commandCalls(DescribeSecretCommand, { SecretId: PRIMARY })).toHaveLength(1);
  });

  it('notes a primary that cannot be read, and shows the replica without its status', async () => {
    sm.on(DescribeSecretCommand, { SecretId: PRIMARY }).rejects(new Error('connect ETIMEDOUT'));
    const map = await buildUsageMap(ports(), { inventory: 'scan' });
    expect(map.secrets[0].replication).toEqual({ role: 'replica', primaryRegion: 'us-east-1' });
    expect(map.notes).toContainEqual(expect.stringContaining(`the primary of the replica ${DB} could not be read`));
  });
});
