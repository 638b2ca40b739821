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
  /** How ECS deploys it (`deploymentConfiguration`); absent: ECS named none (a rolling update). */
  strategy?: DeploymentStrategy;
  /**
   * Its task sets, for a CODE_DEPLOY or EXTERNAL controller: such a service has no `deployments`,
   * its PRIMARY task set is what serves production traffic now.
   */
  taskSets?: TaskSet[];
  /** Its load balancers (container name and port per target group), when it has any. */
  loadBalancers?: LoadBalancer[];
}

/** A target group a service (or task set) registers a container port with. */
export interface LoadBalancer {
  targetGroupArn?: string;
  containerName?: string;
  containerPort?: number;
}

/** A task set of a CODE_DEPLOY or EXTERNAL service, as DescribeServices shows it. */
export interface TaskSet {
  id: string;
  /** PRIMARY (serves production traffic), ACTIVE or DRAINING. */
  status: string;
  taskDefinition?: string;
  createdAt?: string;
  loadBalancers?: LoadBalancer[];
}

/**
 * A service's deployment strategy and its bake times, as `deploymentConfiguration` holds them
 * (ECS's defaults where it leaves one out). Only the ECS controller has one: CODE_DEPLOY and
 * EXTERNAL services are never forced.
 */
export interface DeploymentStrategy {
  /** ROLLING, BLUE_GREEN, LINEAR or CANARY (a newer name is kept as ECS spells it). */
  name: string;
  /** Minutes both revisions run after production traffic has shifted (0 to 1,440). */
  bakeTimeInMinutes?: number;
  linear?: { stepPercent?: number; stepBakeTimeInMinutes?: number };
  canary?: { canaryPercent?: number; canaryBakeTimeInMinutes?: number };
  /** The lifecycle stages at which a hook runs (and may hold the deployment). */
  hookStages?: string[];
}

/** ECS's defaults (SDK model): a linear step shifts 10% and bakes 6 minutes; a canary takes 5% and bakes 10 minutes. */
const LINEAR_STEP_PERCENT = 10;
const LINEAR_STEP_BAKE_MINUTES = 6;
const CANARY_BAKE_MINUTES = 10;

/**
 * The minutes a deployment of this strategy bakes by design, at the least: the bake after
 * production traffic has shifted, plus a linear deployment's wait between steps (none after the
 * step that reaches 100%) or a canary's bake. A rolling update bakes nothing. Time spent starting
 * tasks, shifting traffic and in lifecycle hooks comes on top.
 */
export function expectedBakeMinutes(strategy: DeploymentStrategy | undefined): number {
  if (!strategy || strategy.name === 'ROLLING') return 0;
  const bake = strategy.bakeTimeInMinutes ?? 0;
  if (strategy.name === 'LINEAR') {
    const step = strategy.linear?.stepPercent ?? LINEAR_STEP_PERCENT;
    const steps = step > 0 ? Math.ceil(100 / step - 1e-9) : 1;
    return bake + (steps - 1) * (strategy.linear?.stepBakeTimeInMinutes ?? LINEAR_STEP_BAKE_MINUTES);
  }
  if (strategy.name === 'CANARY') return bake + (strategy.canary?.canaryBakeTimeInMinutes ?? CANARY_BAKE_MINUTES);
  return bake;
}

/** A strategy as a person reads it: `BLUE_GREEN (bake 90 min)`, `LINEAR 10% every 6 min (bake 0 min)`. */
export function describeStrategy(strategy: DeploymentStrategy | undefined): string {
  if (!strategy || strategy.name === 'ROLLING') return 'ROLLING';
  const bake = `bake ${strategy.bakeTimeInMinutes ?? 0} min`;
  if (strategy.name === 'LINEAR') {
    const l = strategy.linear;
    return `LINEAR ${l?.stepPercent ?? LINEAR_STEP_PERCENT}% every ${l?.stepBakeTimeInMinutes ?? LINEAR_STEP_BAKE_MINUTES} min (${bake})`;
  }
  if (strategy.name === 'CANARY') {
    const c = strategy.canary;
    return `CANARY ${c?.canaryPercent ?? 5}% for ${c?.canaryBakeTimeInMinutes ?? CANARY_BAKE_MINUTES} min (${bake})`;
  }
  return `${strategy.name} (${bake})`;
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

/** The task set serving production traffic (CODE_DEPLOY and EXTERNAL services). */
export function primaryTaskSet(service: Pick<ServiceSnapshot, 'taskSets'>): TaskSet | undefined {
  return service.taskSets?.find((t) => t.status === 'PRIMARY');
}

/**
 * When what the service runs now was started: its newest (PRIMARY) deployment's creation, or for a
 * service deployed by task sets (CODE_DEPLOY, EXTERNAL) its PRIMARY task set's. Its tasks read
 * their secrets no earlier.
 */
export function primaryCreatedAt(service: Pick<ServiceSnapshot, 'deployments' | 'taskSets'>): string | undefined {
  return service.deployments.find((d) => d.status === 'PRIMARY')?.createdAt ?? primaryTaskSet(service)?.createdAt;
}
