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
