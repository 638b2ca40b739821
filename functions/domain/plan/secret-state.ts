/** A secret as DescribeSecret shows it: identity and stage labels, never the value. */
export interface SecretState {
  /** A Secrets Manager secret, or an SSM parameter whose current version holds AWSCURRENT. */
  kind: 'secret' | 'parameter';
  arn: string;
  name: string;
  versionIdsToStages: Record<string, string[]>;
  /** Set when the secret is scheduled for deletion. */
  deletedDate?: string;
  /** The secret's (or parameter's) last change, of any kind: the change time when no event gives one. */
  lastChangedDate?: string;
  /**
   * DescribeSecret's `PrimaryRegion`: on a replica, the region of the secret it is replicated from.
   * AWS documents it as "the Region the secret is in", so a primary may carry its own region: a
   * secret is a replica only when this differs from its ARN's region (domain/plan/replication.ts).
   */
  primaryRegion?: string;
  /**
   * DescribeSecret's `ReplicationStatus`: on a primary, one entry per replica region. (moto also
   * answers the primary's list on a replica; AWS documents it for the primary.)
   */
  replicationStatus?: ReplicaStatus[];
}

/** How replication to one region stands, as DescribeSecret's `ReplicationStatusType` says. */
export interface ReplicaStatus {
  region: string;
  /**
   * `InSync`, `InProgress` or `Failed` (the SDK's StatusType). Kept as the service gave it
   * (`unknown` when it gave none): any other value is taken as not yet in sync.
   */
  status: string;
  /** e.g. "Secret with this name already exists in this region" for a Failed replication. */
  statusMessage?: string;
  kmsKeyId?: string;
  /** When the secret was last read in that region (omitted when never). */
  lastAccessedDate?: string;
}

/** The version id that holds a stage, if any. */
export function versionOfStage(state: SecretState, stage: string): string | undefined {
  return Object.entries(state.versionIdsToStages).find(([, stages]) => stages.includes(stage))?.[0];
}

/** Stage -> the version that holds it, for every stage of the secret. */
export function stageVersions(state: SecretState): Record<string, string> {
  const versions: Record<string, string> = {};
  for (const [version, stages] of Object.entries(state.versionIdsToStages)) for (const stage of stages) versions[stage] = version;
  return versions;
}

/** True while a rotation prepares a new version that is not yet AWSCURRENT. */
export function rotationPending(state: SecretState): boolean {
  const pending = versionOfStage(state, 'AWSPENDING');
  return pending !== undefined && pending !== versionOfStage(state, 'AWSCURRENT');
}
