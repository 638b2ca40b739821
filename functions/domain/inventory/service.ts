/** One deployment of a service, as DescribeServices shows it. */
export interface Deployment {
  id: string;
  /** PRIMARY (the newest), ACTIVE (older, still draining) or INACTIVE. */
  status: string;
  /** IN_PROGRESS, COMPLETED or FAILED; absent for services ECS does not track this way. */
  rolloutState?: string;
  rolloutStateReason?: string;
  taskDefinition?: string;
  createdAt?: string;
}

/** What planning needs to know about one ECS service, as DescribeServices shows it. */
export interface ServiceSnapshot {
  clusterArn: string;
  serviceArn: string;
  serviceName: string;
  status: string;
  desiredCount: number;
  runningCount: number;
  deploymentController: string;
  /**
   * The task definition the next deployment starts (the service's own `taskDefinition`), the
   * PRIMARY deployment's only when the service names none.
   */
  taskDefinition: string;
  deployments: Deployment[];
  tags: Record<string, string>;
}

/** A task not started by a service (RunTask, scheduled): it cannot be redeployed, only reported. */
export interface StandaloneTask {
  clusterArn: string;
  taskArn: string;
  taskDefinition: string;
  group?: string;
  startedBy?: string;
}

/** A running task of a service, as DescribeTasks shows it. */
export interface RunningTask {
  taskArn: string;
  /** The deployment that started it (`ecs-svc/...` for a service's tasks). */
  startedBy?: string;
  taskDefinition?: string;
  startedAt?: string;
}

/** The id of the service's newest deployment. */
export function primaryDeploymentId(service: Pick<ServiceSnapshot, 'deployments'>): string | undefined {
  return service.deployments.find((d) => d.status === 'PRIMARY')?.id;
}

/** When the service's newest (PRIMARY) deployment was created: its tasks read their secrets no earlier. */
export function primaryCreatedAt(service: Pick<ServiceSnapshot, 'deployments'>): string | undefined {
  return service.deployments.find((d) => d.status === 'PRIMARY')?.createdAt;
}
