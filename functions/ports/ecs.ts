import type { RunningTask, ServiceSnapshot, StandaloneTask } from '../domain/inventory/service';
import type { SecretReference, UnusableReference } from '../domain/references/references';
import type { NotOffered, ServiceDeploymentBrief, ServiceDeploymentRecord } from '../domain/rollout/service-deployments';

/** The ECS calls this service makes, in the domain's terms. Implementations page and batch. */
export interface EcsPort {
  /** Every cluster of the account and region (all pages). */
  listClusters(): Promise<string[]>;
  /** Every service of a cluster (all pages), described with its tags. */
  listServices(cluster: string): Promise<ServiceSnapshot[]>;
  /**
   * One ListServices page of a cluster (from `pageToken`, the first page without), its services
   * described with their tags, and the token of the next page (undefined after the last).
   */
  listServicesPage(cluster: string, pageToken?: string): Promise<{ services: ServiceSnapshot[]; nextToken?: string }>;
  /** These services of one cluster, described with their tags; services ECS no longer knows are left out. */
  describeServices(cluster: string, serviceArns: string[]): Promise<ServiceSnapshot[]>;
  /** Running tasks of a cluster that no service started. */
  listStandaloneTasks(cluster: string): Promise<StandaloneTask[]>;
  /** Running tasks of one service (all pages), with the deployment that started each. */
  runningTasks(service: Pick<ServiceSnapshot, 'clusterArn' | 'serviceName'>): Promise<RunningTask[]>;
  /** The secret references of one task definition revision (revisions are immutable: cacheable). */
  taskDefinitionReferences(taskDefinitionArn: string): Promise<SecretReference[]>;
  /** The references of one task definition revision that ECS cannot resolve as written (read with the others; optional). */
  taskDefinitionUnusable?(taskDefinitionArn: string): Promise<UnusableReference[]>;
  /**
   * UpdateService with forceNewDeployment, sent once (never retried by the SDK: it is not
   * idempotent); the new PRIMARY deployment's id, and ECS's record of it (the service's
   * `currentServiceDeployment`) where the endpoint names one. Throws ThrottledError when ECS refused it
   * (not applied), OutcomeUnknownError when no answer came (maybe applied), any other error when
   * ECS rejected it (not applied).
   */
  forceNewDeployment(
    service: Pick<ServiceSnapshot, 'clusterArn' | 'serviceArn'>,
  ): Promise<{ deploymentId?: string; serviceDeploymentArn?: string }>;
  /**
   * ECS's records of the service's deployments created after `createdAfter` (ListServiceDeployments,
   * all pages). `notOffered` where the endpoint does not offer the operation (an older endpoint,
   * moto) or this role may not call it; from then on this adapter no longer asks.
   */
  listServiceDeployments(
    service: Pick<ServiceSnapshot, 'clusterArn' | 'serviceArn'>,
    createdAfter: string,
  ): Promise<ServiceDeploymentBrief[] | NotOffered>;
  /**
   * These service deployments as DescribeServiceDeployments shows them (batches of 20); those ECS
   * does not know are left out. `notOffered` as for listServiceDeployments.
   */
  describeServiceDeployments(serviceDeploymentArns: string[]): Promise<ServiceDeploymentRecord[] | NotOffered>;
}
