/** What planning needs to know about one ECS service, as DescribeServices shows it. */
export interface ServiceSnapshot {
  clusterArn: string;
  serviceArn: string;
  serviceName: string;
  status: string;
  desiredCount: number;
  deploymentController: string;
  /** Task definition of the PRIMARY deployment: what new tasks start from. */
  taskDefinition: string;
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
