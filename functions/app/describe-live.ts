import type { ServiceSnapshot } from '../domain/inventory/service';
import type { Ports } from '../ports/ports';

/**
 * DescribeServices (batches of ten, per cluster) for the services not already seen live, by
 * service ARN. With `unread`, a cluster whose services cannot be described is told to it and left
 * out, instead of failing the whole.
 */
export async function describeLive(
  ports: Pick<Ports, 'ecs'>,
  consumers: Array<{ serviceArn: string; clusterArn: string; live?: ServiceSnapshot }>,
  unread?: (clusterArn: string, error: unknown) => void,
): Promise<Map<string, ServiceSnapshot>> {
  const live = new Map<string, ServiceSnapshot>();
  const byCluster = new Map<string, string[]>();
  for (const c of consumers) {
    if (c.live) live.set(c.serviceArn, c.live);
    else byCluster.set(c.clusterArn, [...(byCluster.get(c.clusterArn) ?? []), c.serviceArn]);
  }
  const described = await Promise.all(
    [...byCluster].map(([cluster, arns]) => {
      const call = ports.ecs.describeServices(cluster, arns);
      return unread
        ? call.catch((error: unknown) => {
            unread(cluster, error);
            return [];
          })
        : call;
    }),
  );
  for (const service of described.flat()) live.set(service.serviceArn, service);
  return live;
}
