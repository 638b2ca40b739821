/**
 * The baseline: what a typical hand-written "redeploy on secret change" Lambda does on every event,
 * with the SDK directly. It lists every cluster and service, describes every service (batches of
 * ten) and every service's task definition (no caching, no index), and forces a new deployment of
 * each service whose task definition mentions the secret. No exactly-once guard: every delivery of
 * the event redeploys again. Describes run with the same bounded concurrency as the tool's scan, so
 * that wall times compare like with like.
 */
import {
  type ContainerDefinition,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  type ECSClient,
  paginateListClusters,
  paginateListServices,
  type Service,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { chunk, mapWithConcurrency } from '../../functions/util/concurrency';

/** The secret as the event names it: its full ARN, and its name. */
export interface ChangedSecret {
  arn: string;
  name: string;
}

/** Runs the baseline for one event; returns the ARNs of the services it redeployed. */
export async function naiveRedeploy(ecs: ECSClient, secret: ChangedSecret): Promise<string[]> {
  const clusters: string[] = [];
  for await (const page of paginateListClusters({ client: ecs }, { maxResults: 100 })) clusters.push(...(page.clusterArns ?? []));

  const services: Service[] = [];
  for (const cluster of clusters) {
    const arns: string[] = [];
    for await (const page of paginateListServices({ client: ecs }, { cluster, maxResults: 100 })) arns.push(...(page.serviceArns ?? []));
    const pages = await mapWithConcurrency(chunk(arns, 10), 4, (batch) =>
      ecs.send(new DescribeServicesCommand({ cluster, services: batch })),
    );
    // moto lists services of clusters whose names share a prefix; a real listing does not.
    services.push(...pages.flatMap((p) => p.services ?? []).filter((s) => s.clusterArn === cluster));
  }

  const matches = await mapWithConcurrency(services, 8, async (service) => {
    const out = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: service.taskDefinition }));
    return (out.taskDefinition?.containerDefinitions ?? []).some((c) => mentions(c, secret));
  });
  const toRedeploy = services.filter((_, i) => matches[i]);
  await mapWithConcurrency(toRedeploy, 5, (service) =>
    ecs.send(new UpdateServiceCommand({ cluster: service.clusterArn, service: service.serviceArn, forceNewDeployment: true })),
  );
  return toRedeploy.map((s) => s.serviceArn as string);
}

/** True when a container reads the secret: by full ARN (with or without JSON key), partial ARN or name. */
function mentions(container: ContainerDefinition, secret: ChangedSecret): boolean {
  const partial = secret.arn.slice(0, secret.arn.lastIndexOf('-'));
  const values = [
    ...(container.secrets ?? []).map((s) => s.valueFrom),
    ...(container.logConfiguration?.secretOptions ?? []).map((s) => s.valueFrom),
    container.repositoryCredentials?.credentialsParameter,
  ];
  return values.some(
    (v) => v !== undefined && (v.startsWith(secret.arn) || v === partial || v.startsWith(`${partial}:`) || v === secret.name),
  );
}
