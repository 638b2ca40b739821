import { type Location, locationOf, parseSecretsManagerRef, type SecretsManagerRef, ssmParameterArn } from '../identity/arn';

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
  /** SSM references only: the parameter's full ARN. */
  parameterArn?: string;
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

type Store = SecretReference['store'];

/**
 * A plain name means an SSM parameter in `secrets` and `secretOptions` (ECS docs), but a
 * Secrets Manager secret in `repositoryCredentials`; an ARN says for itself.
 */
function classify(
  valueFrom: string,
  home: Location,
  plainNameIs: Store,
): Pick<SecretReference, 'store' | 'secret' | 'parameterArn'> | undefined {
  const service = valueFrom.startsWith('arn:') ? valueFrom.split(':')[2] : undefined;
  const store: Store = service === undefined ? plainNameIs : service === 'secretsmanager' ? 'secretsmanager' : 'ssm';
  if (store === 'secretsmanager') {
    const secret = parseSecretsManagerRef(valueFrom, home);
    return secret ? { store, secret } : undefined;
  }
  const parameterArn = ssmParameterArn(valueFrom, home);
  return parameterArn ? { store, parameterArn } : undefined;
}

/** The stage a reference follows, or undefined when it is pinned to a version id. */
export function followedStage(reference: SecretReference): string | undefined {
  if (reference.secret?.versionId) return undefined;
  return reference.secret?.versionStage ?? 'AWSCURRENT';
}
