/**
 * Small fixture factories shared by the unit tests: plain data only, no AWS calls.
 * Every factory returns a fresh object, so tests may mutate what they get.
 */
import type { Service, TaskDefinition } from '@aws-sdk/client-ecs';
import { type Location, lastPathSegment, parseSecretsManagerRef } from '../../functions/domain/identity/arn';
import type { ServiceSnapshot } from '../../functions/domain/inventory/service';
import type { SecretState } from '../../functions/domain/plan/secret-state';
import type { ReferenceField, SecretReference } from '../../functions/domain/references/references';
import {
  type Outcome,
  type Report,
  type ServiceReport,
  type ServiceReportFields,
  toReportReference,
  type Verdict,
} from '../../functions/domain/report/report';
import { ACCOUNT, REGION } from './test-account';

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
    runningCount: 2,
    deploymentController: 'ECS',
    taskDefinition: taskDefinitionArn('orders-api:7'),
    deployments: [
      { id: `ecs-svc/${name}-1`, status: 'PRIMARY', rolloutState: 'COMPLETED', taskDefinition: taskDefinitionArn('orders-api:7') },
    ],
    tags: {},
    ...overrides,
  };
}

/** DescribeSecret's view: version id -> stages. */
export function secretState(versionIdsToStages: Record<string, string[]>, overrides: Partial<SecretState> = {}): SecretState {
  return { kind: 'secret', arn: secretArn('prod/db-AbCdEf'), name: 'prod/db', versionIdsToStages, ...overrides };
}

/** A task definition with the given containers and volumes, in the home location unless told. */
export function taskDefinition(
  parts: Pick<TaskDefinition, 'containerDefinitions' | 'volumes'>,
  arn = taskDefinitionArn('orders-api:7'),
): TaskDefinition {
  return { taskDefinitionArn: arn, family: 'orders-api', revision: 7, ...parts };
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
    deployments: [{ id: `ecs-svc/${name}-1`, status: 'PRIMARY', taskDefinition, createdAt: new Date('2026-11-20T07:00:00Z') }],
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

/** The secret the report builders are about, and its current version. */
export const DB = secretArn('prod/db-AbCdEf');
export const V_CURRENT = '5e7a9c1b-2d3f-4a5b-8c6d-7e8f9a0b1c2d';

/**
 * A service's line of a report, with one reference to {@link DB}. An outcome alone gets the
 * commonest kind: a skip whose reason says "up to date" is one, any other is ineligible; a wait is for a wave.
 */
export function serviceReport(name: string, outcome: Outcome | Verdict, overrides: Partial<ServiceReportFields> = {}): ServiceReport {
  const cluster = overrides.cluster ? lastPathSegment(overrides.cluster) : 'prod';
  const verdict: Verdict =
    typeof outcome !== 'string'
      ? outcome
      : outcome === 'skipped'
        ? { outcome, kind: /^up to date\b/.test(overrides.reason ?? '') ? 'up-to-date' : 'ineligible' }
        : outcome === 'waiting'
          ? { outcome, kind: 'wave' }
          : { outcome };
  return {
    cluster: clusterArn(cluster),
    service: serviceArn(cluster, name),
    serviceName: name,
    taskDefinition: taskDefinitionArn(`${name}:3`),
    references: [toReportReference(smReference(DB))],
    ...overrides,
    ...verdict,
  };
}

/** A report about {@link DB}, triggered by PutSecretValue. */
export function report(services: ServiceReport[] = [], overrides: Partial<Report> = {}): Report {
  return {
    secret: { arn: DB, name: 'prod/db', versionId: V_CURRENT },
    trigger: { source: 'aws.secretsmanager', detailType: 'AWS API Call via CloudTrail', eventName: 'PutSecretValue' },
    action: 'redeploy',
    dryRun: false,
    services,
    standaloneTasks: [],
    warnings: [],
    ...overrides,
  };
}
