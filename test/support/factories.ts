/**
 * Small fixture factories shared by the unit tests: plain data only, no AWS calls.
 * Every factory returns a fresh object, so tests may mutate what they get.
 */
import { readFileSync, readdirSync } from 'fs';
import { join } from 'path';
import type { Service, TaskDefinition } from '@aws-sdk/client-ecs';
import { Location, parseSecretsManagerRef } from '../../functions/core/arn';
import type { ServiceSnapshot } from '../../functions/core/inventory';
import type { ReferenceField, SecretReference } from '../../functions/core/references';
import type { SecretState } from '../../functions/core/secret-state';
import { ACCOUNT, REGION } from './deps';

export { ACCOUNT, REGION };
export const HOME: Location = { partition: 'aws', region: REGION, account: ACCOUNT };

/** Full ARN of a secret in the home account and region. */
export function secretArn(nameWithSuffix: string, location: Location = HOME): string {
  return `arn:${location.partition}:secretsmanager:${location.region}:${location.account}:secret:${nameWithSuffix}`;
}

export function taskDefinitionArn(familyRevision: string, location: Location = HOME): string {
  return `arn:${location.partition}:ecs:${location.region}:${location.account}:task-definition/${familyRevision}`;
}

export function clusterArn(name: string): string {
  return `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${name}`;
}

export function serviceArn(cluster: string, name: string): string {
  return `arn:aws:ecs:${REGION}:${ACCOUNT}:service/${cluster}/${name}`;
}

/** A Secrets Manager reference as extractReferences would produce it (field `secrets`). */
export function smReference(valueFrom: string, overrides: Partial<SecretReference> = {}, home: Location = HOME): SecretReference {
  const secret = parseSecretsManagerRef(valueFrom, home);
  if (!secret) throw new Error(`test setup: not a Secrets Manager reference: ${valueFrom}`);
  return { field: 'secrets', container: 'app', name: 'DB_PASSWORD', valueFrom, store: 'secretsmanager', secret, ...overrides };
}

/** An SSM reference (no `secret` part). */
export function ssmReference(parameterArn: string, field: ReferenceField = 'secrets'): SecretReference {
  return { field, container: 'app', name: 'API_TOKEN', valueFrom: parameterArn, store: 'ssm', parameterArn };
}

/** An ECS service as DescribeServices shows it to planning: active, running, ECS controller. */
export function serviceSnapshot(overrides: Partial<ServiceSnapshot> = {}): ServiceSnapshot {
  const cluster = 'prod';
  const name = overrides.serviceName ?? 'orders-api';
  return {
    clusterArn: clusterArn(cluster),
    serviceArn: serviceArn(cluster, name),
    serviceName: name,
    status: 'ACTIVE',
    desiredCount: 2,
    deploymentController: 'ECS',
    taskDefinition: taskDefinitionArn('orders-api:7'),
    tags: {},
    ...overrides,
  };
}

/** DescribeSecret's view: version id -> stages. */
export function secretState(versionIdsToStages: Record<string, string[]>, overrides: Partial<SecretState> = {}): SecretState {
  return { arn: secretArn('prod/db-AbCdEf'), name: 'prod/db', versionIdsToStages, ...overrides };
}

/** A task definition with the given containers and volumes, in the home location unless told. */
export function taskDefinition(parts: Pick<TaskDefinition, 'containerDefinitions' | 'volumes'>, arn = taskDefinitionArn('orders-api:7')): TaskDefinition {
  return { taskDefinitionArn: arn, family: 'orders-api', revision: 7, ...parts };
}

export const EVENTS_DIR = join(__dirname, '..', 'fixtures', 'events');

/** A fixture event from test/fixtures/events (fresh copy on every call). */
export function loadEvent(file: string): Record<string, any> {
  return JSON.parse(readFileSync(join(EVENTS_DIR, file), 'utf8'));
}

export function eventFixtureFiles(): string[] {
  return readdirSync(EVENTS_DIR).filter((f) => f.endsWith('.json')).sort();
}

/** An ECS service as DescribeServices returns it: active, two tasks, ECS controller. */
export function ecsService(cluster: string, name: string, overrides: Partial<Service> & { taskDefinition?: string } = {}): Service {
  const taskDefinition = overrides.taskDefinition ?? taskDefinitionArn(`${name}:1`);
  return {
    serviceArn: serviceArn(cluster, name),
    serviceName: name,
    clusterArn: clusterArn(cluster),
    status: 'ACTIVE',
    desiredCount: 2,
    deploymentController: { type: 'ECS' },
    taskDefinition,
    deployments: [{ id: `ecs-svc/${name}-1`, status: 'PRIMARY', taskDefinition }],
    tags: [],
    ...overrides,
  };
}

/** A task definition (revision 1) whose one container reads the given valueFroms as environment secrets. */
export function taskDefinitionUsing(family: string, valueFroms: string[]): TaskDefinition {
  return {
    taskDefinitionArn: taskDefinitionArn(`${family}:1`),
    family,
    revision: 1,
    containerDefinitions: [{ name: 'app', secrets: valueFroms.map((valueFrom, i) => ({ name: `SECRET_${i}`, valueFrom })) }],
  };
}
