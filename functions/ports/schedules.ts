/**
 * A task that a schedule or an event rule starts with RunTask: it cannot be redeployed, and it
 * reads its secrets again at its next start.
 */
export interface ScheduledTask {
  via: 'eventbridge-rule' | 'eventbridge-scheduler';
  /** The rule's name, or `group/name` of a schedule. */
  name: string;
  /** The rule's or schedule's ARN. */
  arn: string;
  clusterArn: string;
  /** As the target names it: an ARN with or without a revision (the latest ACTIVE one), or a family. */
  taskDefinition: string;
  /** The schedule expression; undefined for a rule that reacts to an event pattern. */
  schedule?: string;
  /** ENABLED or DISABLED. */
  state?: string;
}

/** Where scheduled ECS tasks are defined: EventBridge rules on the default bus, and EventBridge Scheduler. */
export interface ScheduledTasks {
  /** Targets of the default bus's rules that run an ECS task (ListRules, ListTargetsByRule). */
  fromRules(): Promise<ScheduledTask[]>;
  /** Schedules whose templated target runs an ECS task (ListSchedules, GetSchedule). */
  fromSchedules(): Promise<ScheduledTask[]>;
}
