import type { Service, TaskDefinition } from '@aws-sdk/client-ecs';
import { ACCOUNT, REGION } from './deps';

export const clusterArn = (name: string) => `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${name}`;
export const serviceArn = (cluster: string, name: string) => `arn:aws:ecs:${REGION}:${ACCOUNT}:service/${cluster}/${name}`;
export const taskDefinitionArn = (family: string, revision = 1) => `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${family}:${revision}`;
export const secretArn = (name: string, suffix = 'AbCdEf') => `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}-${suffix}`;

/** An ECS service as DescribeServices returns it. */
export function ecsService(cluster: string, name: string, overrides: Partial<Service> & { taskDefinition?: string } = {}): Service {
  const taskDefinition = overrides.taskDefinition ?? taskDefinitionArn(name);
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

/** A task definition whose one container reads the given valueFroms as environment secrets. */
export function taskDefinitionUsing(family: string, valueFroms: string[], revision = 1): TaskDefinition {
  return {
    taskDefinitionArn: taskDefinitionArn(family, revision),
    family,
    revision,
    containerDefinitions: [{ name: 'app', secrets: valueFroms.map((valueFrom, i) => ({ name: `SECRET_${i}`, valueFrom })) }],
  };
}
