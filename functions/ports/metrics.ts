/**
 * The CloudWatch metrics this service emits (namespace `ecs-secret-redeploy`), for the dashboard
 * and the alarms. Each name has one unit: a count, except SecondsFromChangeToDeploy and
 * OldestWindowWaitSeconds (seconds).
 */
export type MetricName =
  /** A service got its new deployment. */
  | 'ServicesRedeployed'
  /** A service could not be redeployed (ECS refused UpdateService; it stays due). */
  | 'RedeployFailed'
  /** A rollout stopped at a failed deployment. */
  | 'RolloutHalted'
  /** A rollout reached every consumer. */
  | 'RolloutCompleted'
  /** An event of an account that is neither this one nor an allowed owner (bad input: nothing redeployed). */
  | 'EventsRefused'
  /** Services a scheduled reconcile found behind with no run on them: missed or failed events. */
  | 'DriftFound'
  /** From the change (its event's time, else the secret's last change) to the service's new deployment. */
  | 'SecondsFromChangeToDeploy'
  /** Consumers a run holds outside their restart window (per secret reconciled). */
  | 'WaitingForWindow'
  /** Of the consumers a run holds for their window: seconds since the change they wait for. */
  | 'OldestWindowWaitSeconds'
  /** Consumers found behind past their restart deadline, still waiting (an earlier wave, a halted rollout). */
  | 'RestartDeadlinesMissed';

export interface Metrics {
  add(name: MetricName, value: number): void;
}

/** Emits nothing (the CLI, tests). */
export const noMetrics: Metrics = { add: () => undefined };
