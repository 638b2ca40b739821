import { type Location, locationOf, parseParameterRef, parseSecretsManagerRef, type SecretsManagerRef } from '../identity/arn';

/**
 * The parts of a task definition (as DescribeTaskDefinition returns it) where ECS reads secrets
 * when a task starts. The SDK's own type fits; the domain names only what it reads.
 */
export interface TaskDefinitionDoc {
  taskDefinitionArn?: string;
  containerDefinitions?: {
    name?: string;
    secrets?: { name?: string; valueFrom?: string }[];
    logConfiguration?: { secretOptions?: { name?: string; valueFrom?: string }[] };
    repositoryCredentials?: { credentialsParameter?: string };
  }[];
  volumes?: {
    name?: string;
    fsxWindowsFileServerVolumeConfiguration?: { authorizationConfig?: { credentialsParameter?: string } };
  }[];
}

/** Where in a task definition a reference was found. */
export type ReferenceField =
  | 'secrets'
  | 'logConfiguration.secretOptions'
  | 'repositoryCredentials'
  | 'fsxWindowsFileServerVolumeConfiguration';

/**
 * The version of {@link SecretReference}'s shape and of what {@link extractReferences} finds, as
 * the revision cache stores it. Bump it when either changes: cached revisions of another format
 * are then described again instead of being read with the old rules.
 */
export const REFERENCES_FORMAT = 1;

/** One place where a task definition reads a secret or parameter when a task starts. */
export interface SecretReference {
  field: ReferenceField;
  /** Container name, or volume name for FSx credentials. */
  container?: string;
  volume?: string;
  /** Environment variable or log option name. */
  name?: string;
  /** The text as written in the task definition. */
  valueFrom: string;
  store: 'secretsmanager' | 'ssm';
  /** Secrets Manager references only: the parsed parts. */
  secret?: SecretsManagerRef;
  /** SSM references only: the parameter's full ARN (without a selector). */
  parameterArn?: string;
  /** SSM references with a selector only: the version (`name:3`) or label (`name:my-label`) they are pinned to. */
  parameterVersion?: string;
  parameterLabel?: string;
}

/**
 * Every secret or parameter reference of a task definition. Unparseable texts are left out:
 * ECS could not resolve them either.
 */
export function extractReferences(taskDefinition: TaskDefinitionDoc): SecretReference[] {
  const home = taskDefinition.taskDefinitionArn ? locationOf(taskDefinition.taskDefinitionArn) : undefined;
  if (!home) return [];
  const found: SecretReference[] = [];
  const add = (field: ReferenceField, valueFrom: string | undefined, where: Partial<SecretReference>, plainNameIs: Store) => {
    if (!valueFrom) return;
    const reference = classify(valueFrom, home, plainNameIs);
    if (reference) found.push({ field, ...where, valueFrom, ...reference });
  };
  for (const container of taskDefinition.containerDefinitions ?? []) {
    const where = { container: container.name };
    for (const secret of container.secrets ?? []) {
      add('secrets', secret.valueFrom, { ...where, name: secret.name }, 'ssm');
    }
    for (const option of container.logConfiguration?.secretOptions ?? []) {
      add('logConfiguration.secretOptions', option.valueFrom, { ...where, name: option.name }, 'ssm');
    }
    add('repositoryCredentials', container.repositoryCredentials?.credentialsParameter, where, 'secretsmanager');
  }
  for (const volume of taskDefinition.volumes ?? []) {
    const parameter = volume.fsxWindowsFileServerVolumeConfiguration?.authorizationConfig?.credentialsParameter;
    add('fsxWindowsFileServerVolumeConfiguration', parameter, { volume: volume.name }, 'ssm');
  }
  return found;
}

/** A reference ECS cannot resolve as written: the task fails to start. */
export interface UnusableReference {
  field: ReferenceField;
  container?: string;
  volume?: string;
  name?: string;
  valueFrom: string;
  reason: string;
}

/**
 * The references of a task definition that name no Secrets Manager secret or SSM parameter in a
 * form ECS accepts (what {@link extractReferences} leaves out), each with why.
 */
export function unusableReferences(taskDefinition: TaskDefinitionDoc): UnusableReference[] {
  const home = taskDefinition.taskDefinitionArn ? locationOf(taskDefinition.taskDefinitionArn) : undefined;
  if (!home) return [];
  const found: UnusableReference[] = [];
  const check = (field: ReferenceField, valueFrom: string | undefined, where: Partial<UnusableReference>, plainNameIs: Store) => {
    if (!valueFrom || classify(valueFrom, home, plainNameIs)) return;
    const store = valueFrom.startsWith('arn:') ? valueFrom.split(':')[2] : plainNameIs;
    const reason =
      store === 'secretsmanager'
        ? 'not a Secrets Manager secret ARN or name ECS accepts'
        : store === 'ssm'
          ? 'not an SSM parameter ARN or name ECS accepts'
          : `an ARN of ${store || 'no service'}, not of Secrets Manager or SSM`;
    found.push({ field, ...where, valueFrom, reason });
  };
  for (const container of taskDefinition.containerDefinitions ?? []) {
    const where = { container: container.name };
    for (const secret of container.secrets ?? []) check('secrets', secret.valueFrom, { ...where, name: secret.name }, 'ssm');
    for (const option of container.logConfiguration?.secretOptions ?? [])
      check('logConfiguration.secretOptions', option.valueFrom, { ...where, name: option.name }, 'ssm');
    check('repositoryCredentials', container.repositoryCredentials?.credentialsParameter, where, 'secretsmanager');
  }
  for (const volume of taskDefinition.volumes ?? []) {
    const parameter = volume.fsxWindowsFileServerVolumeConfiguration?.authorizationConfig?.credentialsParameter;
    check('fsxWindowsFileServerVolumeConfiguration', parameter, { volume: volume.name }, 'ssm');
  }
  return found;
}

type Store = SecretReference['store'];

/**
 * A plain name means an SSM parameter in `secrets` and `secretOptions` (ECS docs), but a
 * Secrets Manager secret in `repositoryCredentials`; an ARN says for itself.
 */
function classify(
  valueFrom: string,
  home: Location,
  plainNameIs: Store,
): Pick<SecretReference, 'store' | 'secret' | 'parameterArn' | 'parameterVersion' | 'parameterLabel'> | undefined {
  const service = valueFrom.startsWith('arn:') ? valueFrom.split(':')[2] : undefined;
  const store: Store = service === undefined ? plainNameIs : service === 'secretsmanager' ? 'secretsmanager' : 'ssm';
  if (store === 'secretsmanager') {
    const secret = parseSecretsManagerRef(valueFrom, home);
    return secret ? { store, secret } : undefined;
  }
  const parameter = parseParameterRef(valueFrom, home);
  if (!parameter) return undefined;
  return {
    store,
    parameterArn: parameter.arn,
    ...(parameter.version ? { parameterVersion: parameter.version } : {}),
    ...(parameter.label ? { parameterLabel: parameter.label } : {}),
  };
}

/**
 * The stage a reference follows, or undefined when it is pinned: to a version id (even with a
 * stage beside it), or, for a parameter, to a version or a label. An unpinned parameter reference
 * follows its latest version, which a parameter's state holds as AWSCURRENT.
 */
export function followedStage(reference: SecretReference): string | undefined {
  if (pinOf(reference)) return undefined;
  return reference.secret?.versionStage ?? 'AWSCURRENT';
}

/** The stages a set of references follows, each once, in order. */
export function followedStages(references: SecretReference[]): string[] {
  return [...new Set(references.map(followedStage).filter((s): s is string => s !== undefined))].sort();
}

/** What pins a reference, in words (`version id 8c1f...`, `version 3`, `label blue`), or undefined. */
export function pinOf(reference: SecretReference): string | undefined {
  if (reference.secret?.versionId) return `version id ${reference.secret.versionId}`;
  if (reference.parameterVersion) return `version ${reference.parameterVersion}`;
  if (reference.parameterLabel) return `label ${reference.parameterLabel}`;
  return undefined;
}
