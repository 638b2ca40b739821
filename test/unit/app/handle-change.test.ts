import { DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { BatchWriteCommand, DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { handleSignal, type RunOptions } from '../../../functions/app/handle-change';
import type { Signal } from '../../../functions/domain/decode/events';
import { manualSignal } from '../../../functions/domain/decode/manual-request';
import { ForeignAccountError, UnknownSecretError } from '../../../functions/domain/errors';
import { parseTarget, type Target } from '../../../functions/domain/identity/target';
import {
  clusterArn,
  ecsService,
  secretArn,
  serviceArn,
  smReference,
  taskDefinitionArn,
  taskDefinitionUsing,
} from '../../support/factories';
import { testPorts } from '../../support/ports';

const ecs = mockClient(ECSClient);
const sm = mockClient(SecretsManagerClient);
const dynamo = mockClient(DynamoDBDocumentClient);
const SECRET = secretArn('prod/db-AbCdEf');
const viaIndex: RunOptions = { dryRun: false, force: false, inventory: 'index', useState: true };

function indexed(name: string, taskDefinition = taskDefinitionArn(`${name}:1`)) {
  return {
    secretArn: SECRET,
    kind: 'service',
    resourceArn: serviceArn('web', name),
    clusterArn: clusterArn('web'),
    name,
    taskDefinition,
    references: [smReference(SECRET)],
  };
}

function rotateSecretSignal(): Signal {
  return {
    action: 'check',
    target: target(SECRET),
    movedStages: ['AWSCURRENT', 'AWSPREVIOUS'],
    skipWhileRotationPending: true,
    trigger: { source: 'aws.secretsmanager', eventName: 'RotateSecret' },
  };
}

/** A secret named by name or ARN, as the CLI or an event would name it. */
function target(id: string): Target {
  return parseTarget(id) as Target;
}

beforeEach(() => {
  for (const mock of [ecs, sm, dynamo]) mock.reset();
  sm.on(DescribeSecretCommand).resolves({ ARN: SECRET, Name: 'prod/db', VersionIdsToStages: { v2: ['AWSCURRENT'], v1: ['AWSPREVIOUS'] } });
  dynamo.on(QueryCommand).resolves({ Items: [indexed('api')] });
  dynamo.on(GetCommand).resolves({});
  dynamo.on(BatchWriteCommand).resolves({});
  ecs.on(UpdateServiceCommand).resolves({ service: {} });
});

describe('handleDecision', () => {
  it('waits while a rotation started by RotateSecret still has its new version in AWSPENDING', async () => {
    sm.on(DescribeSecretCommand).resolves({ ARN: SECRET, Name: 'prod/db', VersionIdsToStages: { v1: ['AWSCURRENT'], v2: ['AWSPENDING'] } });
    const report = await handleSignal(testPorts(), rotateSecretSignal(), viaIndex);
    expect(report).toMatchObject({ action: 'ignore', reason: expect.stringContaining('rotation in progress') });
    expect(ecs.calls()).toHaveLength(0);
  });

  it('redeploys after RotateSecret when the rotation has already finished', async () => {
    ecs.on(DescribeServicesCommand).resolves({ services: [ecsService('web', 'api')] });
    const report = await handleSignal(testPorts(), rotateSecretSignal(), viaIndex);
    expect(report.services.map((s) => s.outcome)).toEqual(['redeployed']);
  });

  it('ignores a secret scheduled for deletion: new tasks could not start', async () => {
    sm.on(DescribeSecretCommand).resolves({
      ARN: SECRET,
      Name: 'prod/db',
      DeletedDate: new Date('2026-11-20T00:00:00Z'),
      VersionIdsToStages: { v2: ['AWSCURRENT'] },
    });
    const report = await handleSignal(testPorts(), manualSignal(target('prod/db')), viaIndex);
    expect(report).toMatchObject({ action: 'ignore', reason: expect.stringContaining('scheduled for deletion') });
    expect(ecs).not.toHaveReceivedCommand(UpdateServiceCommand);
  });

  it('refuses a name that resolves to a secret of another account', async () => {
    sm.on(DescribeSecretCommand).resolves({
      ARN: 'arn:aws:secretsmanager:eu-west-1:999999999999:secret:prod/db-AbCdEf',
      Name: 'prod/db',
      VersionIdsToStages: {},
    });
    await expect(handleSignal(testPorts(), manualSignal(target('prod/db')), viaIndex)).rejects.toThrow(ForeignAccountError);
  });

  it('refuses a secret that does not exist', async () => {
    sm.on(DescribeSecretCommand).rejects(Object.assign(new Error('not found'), { name: 'ResourceNotFoundException' }));
    await expect(handleSignal(testPorts(), manualSignal(target('prod/nope')), viaIndex)).rejects.toThrow(UnknownSecretError);
  });

  it('reports an indexed service that no longer exists and removes it from the index', async () => {
    ecs.on(DescribeServicesCommand).resolves({ services: [], failures: [{ arn: serviceArn('web', 'api'), reason: 'MISSING' }] });
    const report = await handleSignal(testPorts(), manualSignal(target(SECRET)), viaIndex);
    expect(report.services).toEqual([
      expect.objectContaining({ serviceName: 'api', outcome: 'skipped', reason: 'service no longer exists' }),
    ]);
    expect(dynamo).toHaveReceivedCommand(BatchWriteCommand);
  });

  it('re-reads a service found on another task definition, and on a dry run leaves the index as it is', async () => {
    ecs.on(DescribeServicesCommand).resolves({ services: [ecsService('web', 'api', { taskDefinition: taskDefinitionArn('api:2') })] });
    ecs
      .on(DescribeTaskDefinitionCommand)
      .resolves({ taskDefinition: { ...taskDefinitionUsing('api', []), taskDefinitionArn: taskDefinitionArn('api:2') } });
    const report = await handleSignal(testPorts(), manualSignal(target(SECRET)), { ...viaIndex, dryRun: true });
    expect(report.services).toEqual([
      expect.objectContaining({ outcome: 'skipped', reason: 'task definition api:2 does not reference the secret' }),
    ]);
    expect(ecs).toHaveReceivedCommandWith(DescribeTaskDefinitionCommand, { taskDefinition: taskDefinitionArn('api:2') });
    expect(dynamo).not.toHaveReceivedCommand(BatchWriteCommand);
    expect(ecs).not.toHaveReceivedCommand(UpdateServiceCommand);
  });
});
