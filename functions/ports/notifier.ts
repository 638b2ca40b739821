/** One event for the notification bus (source `ecs-secret-redeploy`). */
export interface Notification {
  detailType: string;
  detail: Record<string, unknown>;
}

/** Where completed work is announced, for alerting. */
export interface Notifier {
  /** Publishes the notifications; returns a warning instead of throwing: the work happened either way. */
  publish(notifications: Notification[]): Promise<string | undefined>;
}
