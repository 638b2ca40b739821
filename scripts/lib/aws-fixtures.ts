import { CreateClusterCommand, CreateServiceCommand, DescribeServicesCommand, ECSClient, RegisterTaskDefinitionCommand, Secret } from '@aws-sdk/client-ecs';
import { CreateSecretCommand, DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/** Settings for clients that talk to a local emulator. */
export function emulatorClientConfig(endpoint: string, region = 'eu-west-1') {
  return { endpoint, region, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, maxAttempts: 3 };
}

/** A secret as created for a test account. */
export interface SeededSecret {
  arn: string;
  name: string;
  versionId: string;
}

/** Creates a secret with a throwaway value; the tool under test never reads it. */
export async function createSecret(sm: SecretsManagerClient, name: string): Promise<SeededSecret> {
  const out = await sm.send(new CreateSecretCommand({ Name: name, SecretString: JSON.stringify({ password: `initial-${name}` }) }));
  return { arn: out.ARN as string, name, versionId: out.VersionId as string };
}

/** Which version holds AWSCURRENT now. */
export async function currentVersion(sm: SecretsManagerClient, secretId: string): Promise<string | undefined> {
  const out = await sm.send(new DescribeSecretCommand({ SecretId: secretId }));
  return Object.entries(out.VersionIdsToStages ?? {}).find(([, stages]) => stages.includes('AWSCURRENT'))?.[0];
}

/** One container of a seeded task definition and where it reads secrets. */
export interface ContainerSpec {
  name: string;
  secrets?: Secret[];
  logSecrets?: Secret[];
  repositoryCredentials?: string;
}

/** Registers a task definition revision; returns its ARN. */
export async function registerTaskDefinition(ecs: ECSClient, family: string, containers: ContainerSpec[]): Promise<string> {
  const out = await ecs.send(
    new RegisterTaskDefinitionCommand({
      family,
      containerDefinitions: containers.map((c) => ({
        name: c.name,
        image: 'public.ecr.aws/nginx/nginx:latest',
        memory: 128,
        essential: true,
        ...(c.secrets ? { secrets: c.secrets } : {}),
        ...(c.logSecrets ? { logConfiguration: { logDriver: 'awsfirelens', secretOptions: c.logSecrets } } : {}),
        ...(c.repositoryCredentials ? { repositoryCredentials: { credentialsParameter: c.repositoryCredentials } } : {}),
      })),
    }),
  );
  return out.taskDefinition?.taskDefinitionArn as string;
}

/** Creates clusters by name; returns their ARNs. */
export async function createClusters(ecs: ECSClient, names: string[]): Promise<string[]> {
  const arns: string[] = [];
  for (const clusterName of names) {
    const out = await ecs.send(new CreateClusterCommand({ clusterName }));
    arns.push(out.cluster?.clusterArn as string);
  }
  return arns;
}

/** Options of a seeded service. */
export interface ServiceSpec {
  cluster: string;
  name: string;
  taskDefinition: string;
  desiredCount?: number;
  controller?: 'ECS' | 'CODE_DEPLOY' | 'EXTERNAL';
  tags?: Record<string, string>;
}

/** Creates a service; returns its ARN. */
export async function createService(ecs: ECSClient, spec: ServiceSpec): Promise<string> {
  const out = await ecs.send(
    new CreateServiceCommand({
      cluster: spec.cluster,
      serviceName: spec.name,
      taskDefinition: spec.taskDefinition,
      desiredCount: spec.desiredCount ?? 2,
      deploymentController: { type: spec.controller ?? 'ECS' },
      ...(spec.tags ? { tags: Object.entries(spec.tags).map(([key, value]) => ({ key, value })) } : {}),
    }),
  );
  return out.service?.serviceArn as string;
}

/** The PRIMARY deployment id of each service, as the emulator reports it. */
export async function primaryDeployments(ecs: ECSClient, cluster: string, services: string[]): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  for (let i = 0; i < services.length; i += 10) {
    const out = await ecs.send(new DescribeServicesCommand({ cluster, services: services.slice(i, i + 10) }));
    for (const s of out.services ?? []) {
      ids.set(s.serviceName as string, s.deployments?.find((d) => d.status === 'PRIMARY')?.id ?? '');
    }
  }
  return ids;
}
