/**
 * A rollout: the new versions of one secret reaching its consumers, wave after wave. It is in
 * progress from its first wave until every deployment of it completed, or halted by a failed
 * deployment until someone resumes it (or a newer version starts a new rollout). Kept in the
 * secret's own ledger row; these are its transitions. Pure.
 */

/** A deployment that halted a rollout. */
export interface FailedDeployment {
  serviceArn: string;
  deploymentId?: string;
  reason?: string;
}

interface RolloutFields {
  /** The versions being rolled out (`versionKey` of the stages the consumers follow). */
  key: string;
  startedAt: string;
  /** When the change was made: its event's time, else the secret's last change. */
  changedAt?: string;
  /** Set by `resume`: deployments that failed before it are redeployed. */
  resumedAt?: string;
  /**
   * The last wave released (none with every wave at once, or in a rollout recorded before it was
   * kept): releasing a later one is a change of the rollout, so that "wave done" is said once.
   */
  wave?: number;
  /** The consumers whose restart deadline passed while they still waited: announced once each. */
  deadlinesMissed?: string[];
}

export type Rollout =
  | (RolloutFields & { status: 'in-progress' })
  | (RolloutFields & { status: 'halted'; halted: { at: string; wave: number; failed: FailedDeployment[] } })
  | (RolloutFields & { status: 'completed'; completedAt: string });

/** The rollout of `key`, started now: its first wave goes (`wave`: none when every wave goes at once). */
export function startRollout(key: string, now: Date, changedAt: string | undefined, wave?: number): Rollout {
  return {
    key,
    status: 'in-progress',
    startedAt: now.toISOString(),
    ...(changedAt ? { changedAt } : {}),
    ...(wave !== undefined ? { wave } : {}),
  };
}

/** The rollout once it released its next wave. */
export function releaseWave(rollout: Extract<Rollout, { status: 'in-progress' }>, wave: number): Rollout {
  return { ...rollout, wave };
}

/** The rollout halted at `wave` by these failed deployments. */
export function haltRollout(rollout: Rollout, now: Date, wave: number, failed: FailedDeployment[]): Rollout {
  return { ...fieldsOf(rollout), status: 'halted', halted: { at: now.toISOString(), wave, failed } };
}

/** The rollout once every deployment of it completed. */
export function completeRollout(rollout: Rollout, now: Date): Rollout {
  return { ...fieldsOf(rollout), status: 'completed', completedAt: now.toISOString() };
}

/** A halted rollout in progress again, after a fix: deployments that failed before now are made again. */
export function resumeRollout(rollout: Extract<Rollout, { status: 'halted' }>, now: Date): Rollout {
  return { ...fieldsOf(rollout), status: 'in-progress', resumedAt: now.toISOString() };
}

function fieldsOf(rollout: Rollout): RolloutFields {
  const { key, startedAt, changedAt, resumedAt, wave, deadlinesMissed } = rollout;
  return {
    key,
    startedAt,
    ...(changedAt ? { changedAt } : {}),
    ...(resumedAt ? { resumedAt } : {}),
    ...(wave !== undefined ? { wave } : {}),
    ...(deadlinesMissed ? { deadlinesMissed } : {}),
  };
}
