import { ClientException, InvalidParameterException, ServiceNotFoundException, type TaskDefinition } from '@aws-sdk/client-ecs';
import { OutcomeUnknownError, ThrottledError } from '../../../functions/domain/errors';
import { sameCluster } from '../../../functions/domain/identity/arn';
import type { RunningTask, ServiceSnapshot, StandaloneTask } from '../../../functions/domain/inventory/service';
import {
  extractReferences,
  type SecretReference,
  type UnusableReference,
  unusableReferences,
} from '../../../functions/domain/references/references';
import { type BucketState, fullBucket, type RateSettings, refilled, reserve } from '../../../functions/domain/rollout/rate-limiter';
import type { NotOffered, ServiceDeploymentBrief, ServiceDeploymentRecord } from '../../../functions/domain/rollout/service-deployments';
import type { EcsPort } from '../../../functions/ports/ecs';
import type { VirtualClock } from './clock';

/**
 * What a fault does to one UpdateService: `throttle` refuses it (not applied); `lose-answer`
 * applies it and then fails as a dropped connection would; `fail-unapplied` fails without an
 * answer and without applying it; an Error is ECS rejecting it.
 */
export type UpdateFault = 'throttle' | 'lose-answer' | 'fail-unapplied' | Error;

/**
 * ECS in memory: clusters, services with their deployments, task definitions with their
 * references, standalone tasks. It keeps the contract the ECS adapter keeps on AWS
 * (test/integration/ecs-contract.test.ts): UpdateService creates a PRIMARY deployment as ECS does,
 * and errors are the SDK's. Faults and an UpdateService token bucket on a virtual clock can be
 * switched on.
 */
export class FakeEcs implements EcsPort {
  readonly services = new Map<string, ServiceSnapshot>();
  /** Clusters created without services (those of the services are known from them). */
  readonly clusters = new Set<string>();
  readonly taskDefinitions = new Map<string, SecretReference[]>();
  /** The references ECS cannot resolve as written, by task definition (see {@link registerTaskDefinition}). */
  readonly unusable = new Map<string, UnusableReference[]>();
  readonly standaloneTasks: StandaloneTask[] = [];
  /** Running tasks by service ARN (tests set them: the fake starts no task by itself). */
  readonly tasks = new Map<string, RunningTask[]>();
  /** Every UpdateService applied, in order. */
  readonly updates: Array<{ serviceArn: string; deploymentId: string; at: number }> = [];
  /** Calls by operation, as the AWS adapter would make them (DescribeServices per batch of ten). */
  readonly calls: Record<string, number> = {};
  /** Decides the fate of each UpdateService; undefined: it succeeds. */
  fault?: (service: ServiceSnapshot) => UpdateFault | undefined;
  /**
   * ECS's deployment records (ListServiceDeployments, DescribeServiceDeployments) by deployment
   * id, one per UpdateService; `false` plays an endpoint without them (moto, an older one).
   */
  offersServiceDeployments = true;
  readonly serviceDeployments = new Map<string, ServiceDeploymentRecord>();
  private deploymentSeq = 0;
  private bucket?: { settings: RateSettings; state: BucketState };
  /** Read actions paced by ECS's buckets (a caller waits for its token on the virtual clock), by operation. */
  private paced = new Map<string, { settings: RateSettings; state: BucketState }>();
  /** Services per ListServices page (the adapter asks for 100, ECS's most). */
  pageSize = 100;

  constructor(private readonly clock: VirtualClock) {}

  /** ECS's own UpdateService bucket: ECS throttles past it. */
  throttleUpdatesLike(settings: RateSettings): void {
    this.bucket = { settings, state: fullBucket(settings, this.clock.now().getTime()) };
  }

  /**
   * Paces read actions by ECS's token buckets, as a client that waits out throttling would see
   * them: each call waits for its token on the virtual clock (DescribeServices: one per batch of ten).
   */
  paceReadsLike(buckets: Record<string, RateSettings>): void {
    const now = this.clock.now().getTime();
    for (const [operation, settings] of Object.entries(buckets)) this.paced.set(operation, { settings, state: fullBucket(settings, now) });
  }

  /** A cluster, with or without services. */
  addCluster(clusterArn: string): void {
    this.clusters.add(clusterArn);
  }

  /** A task definition revision, read into its references (and those ECS cannot resolve) as the adapter reads them. */
  registerTaskDefinition(taskDefinition: TaskDefinition & { taskDefinitionArn: string }): void {
    this.taskDefinitions.set(taskDefinition.taskDefinitionArn, extractReferences(taskDefinition));
    this.unusable.set(taskDefinition.taskDefinitionArn, unusableReferences(taskDefinition));
  }

  /**
   * Adds (or replaces) a service, with one PRIMARY deployment of its task definition; a
   * CODE_DEPLOY service has none, but one PRIMARY task set (as ECS shows such a service), its
   * load balancer registering container `web` port 8080 unless the test says otherwise.
   */
  addService(
    service: Omit<ServiceSnapshot, 'deployments' | 'runningCount' | 'status' | 'tags' | 'deploymentController'> & Partial<ServiceSnapshot>,
  ): ServiceSnapshot {
    const now = this.clock.now().toISOString();
    const byTaskSets = service.deploymentController === 'CODE_DEPLOY' || service.deploymentController === 'EXTERNAL';
    const loadBalancers = service.loadBalancers ?? [
      {
        targetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/blue/0123456789abcdef',
        containerName: 'web',
        containerPort: 8080,
      },
    ];
    const snapshot: ServiceSnapshot = {
      status: 'ACTIVE',
      deploymentController: 'ECS',
      tags: {},
      runningCount: service.desiredCount,
      deployments: byTaskSets
        ? []
        : [
            {
              id: this.nextDeploymentId(),
              status: 'PRIMARY',
              rolloutState: 'COMPLETED',
              taskDefinition: service.taskDefinition,
              createdAt: now,
            },
          ],
      ...(byTaskSets
        ? {
            loadBalancers,
            taskSets: [
              { id: this.nextDeploymentId(), status: 'PRIMARY', taskDefinition: service.taskDefinition, createdAt: now, loadBalancers },
            ],
          }
        : {}),
      ...service,
    };
    this.services.set(snapshot.serviceArn, snapshot);
    return snapshot;
  }

  /** Counts of UpdateService applied per service. */
  updatesPerService(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const u of this.updates) counts.set(u.serviceArn, (counts.get(u.serviceArn) ?? 0) + 1);
    return counts;
  }

  async listClusters(): Promise<string[]> {
    this.count('ListClusters');
    return [...new Set([...this.clusters, ...[...this.services.values()].map((s) => s.clusterArn)])].sort();
  }

  async listServices(cluster: string): Promise<ServiceSnapshot[]> {
    const arns = [...this.services.values()].filter((s) => sameCluster(s.clusterArn, cluster)).map((s) => s.serviceArn);
    // One ListServices per page, as the adapter follows them.
    this.count('ListServices', Math.max(1, Math.ceil(arns.length / this.pageSize)));
    return this.describeServices(cluster, arns);
  }

  async listServicesPage(cluster: string, pageToken?: string): Promise<{ services: ServiceSnapshot[]; nextToken?: string }> {
    this.count('ListServices');
    await this.pace('ListServices');
    const arns = [...this.services.values()].filter((s) => sameCluster(s.clusterArn, cluster)).map((s) => s.serviceArn);
    const from = pageToken === undefined ? 0 : Number(pageToken);
    const page = arns.slice(from, from + this.pageSize);
    const services = await this.describeServices(cluster, page);
    const next = from + this.pageSize;
    return { services, ...(next < arns.length ? { nextToken: String(next) } : {}) };
  }

  async describeServices(cluster: string, serviceArns: string[]): Promise<ServiceSnapshot[]> {
    this.count('DescribeServices', Math.ceil(serviceArns.length / 10));
    await this.pace('DescribeServices', Math.ceil(serviceArns.length / 10));
    // DescribeServices takes names as well as ARNs (a CodeDeploy group names its service by name).
    const named = (name: string) => [...this.services.values()].find((s) => s.serviceName === name && sameCluster(s.clusterArn, cluster));
    return serviceArns
      .map((arn) => this.services.get(arn) ?? named(arn))
      .filter((s): s is ServiceSnapshot => s !== undefined && sameCluster(s.clusterArn, cluster))
      .map((s) => structuredClone(s));
  }

  async listStandaloneTasks(cluster: string): Promise<StandaloneTask[]> {
    // The adapter lists the cluster's running tasks, describes them 100 at a time and keeps those no service started.
    const inCluster = [
      ...this.standaloneTasks.filter((t) => sameCluster(t.clusterArn, cluster)),
      ...[...this.services.values()].filter((s) => sameCluster(s.clusterArn, cluster)).flatMap((s) => this.tasks.get(s.serviceArn) ?? []),
    ];
    this.countTaskReads(inCluster.length);
    return structuredClone(this.standaloneTasks.filter((t) => sameCluster(t.clusterArn, cluster)));
  }

  async runningTasks(service: Pick<ServiceSnapshot, 'clusterArn' | 'serviceName'>): Promise<RunningTask[]> {
    const found = [...this.services.values()].find(
      (s) => s.serviceName === service.serviceName && sameCluster(s.clusterArn, service.clusterArn),
    );
    const tasks = found ? (this.tasks.get(found.serviceArn) ?? []) : [];
    this.countTaskReads(tasks.length);
    return structuredClone(tasks);
  }

  /**
   * Counted at every ask, unlike the adapter, which describes a revision once for its life: the
   * use cases are judged on what they ask (their own revision cache), not on the adapter's memory.
   */
  async taskDefinitionReferences(taskDefinitionArn: string): Promise<SecretReference[]> {
    this.count('DescribeTaskDefinition');
    await this.pace('DescribeTaskDefinition');
    return structuredClone(this.revision(taskDefinitionArn));
  }

  async taskDefinitionUnusable(taskDefinitionArn: string): Promise<UnusableReference[]> {
    this.revision(taskDefinitionArn);
    return structuredClone(this.unusable.get(taskDefinitionArn) ?? []);
  }

  async forceNewDeployment(
    target: Pick<ServiceSnapshot, 'clusterArn' | 'serviceArn'>,
  ): Promise<{ deploymentId?: string; serviceDeploymentArn?: string }> {
    this.count('UpdateService');
    const service = this.services.get(target.serviceArn);
    if (!service) throw new ServiceNotFoundException({ message: 'Service not found.', $metadata: { httpStatusCode: 400 } });
    if (service.deploymentController === 'CODE_DEPLOY') {
      // ECS's answer: UpdateService cannot start a deployment of a CODE_DEPLOY service.
      throw new InvalidParameterException({
        message:
          'Cannot force a new deployment on services with a CODE_DEPLOY deployment controller. Use AWS CodeDeploy to trigger a new deployment.',
        $metadata: { httpStatusCode: 400 },
      });
    }
    if (this.bucket) {
      const now = this.clock.now().getTime();
      const state = refilled(this.bucket.state, this.bucket.settings, now);
      if (state.tokens < 1) throw new ThrottledError('Rate exceeded');
      this.bucket.state = { tokens: state.tokens - 1, at: state.at };
    }
    const fault = this.fault?.(service);
    if (fault === 'throttle') throw new ThrottledError('Rate exceeded');
    if (fault === 'fail-unapplied') throw new OutcomeUnknownError('UpdateService got no answer (socket hang up)');
    if (fault instanceof Error) throw fault;
    const deploymentId = this.deploy(service);
    if (fault === 'lose-answer') throw new OutcomeUnknownError('UpdateService got no answer (socket hang up)');
    // The service's currentServiceDeployment, where the endpoint offers the records.
    const serviceDeploymentArn = this.offersServiceDeployments ? this.serviceDeployments.get(deploymentId)?.arn : undefined;
    return { deploymentId, ...(serviceDeploymentArn ? { serviceDeploymentArn } : {}) };
  }

  async listServiceDeployments(
    target: Pick<ServiceSnapshot, 'clusterArn' | 'serviceArn'>,
    createdAfter: string,
  ): Promise<ServiceDeploymentBrief[] | NotOffered> {
    if (!this.offersServiceDeployments) return { notOffered: 'the endpoint does not know the operation (fake)' };
    this.count('ListServiceDeployments');
    // Inclusive: in virtual time a claim and its UpdateService share an instant.
    const listed = [...this.serviceDeployments.values()].filter(
      (d) => d.serviceArn === target.serviceArn && Date.parse(d.createdAt ?? '') >= Date.parse(createdAfter),
    );
    return listed.map(({ arn, serviceArn, status, statusReason, createdAt, startedAt, finishedAt }) =>
      structuredClone({ arn, serviceArn, status, statusReason, createdAt, startedAt, finishedAt }),
    );
  }

  async describeServiceDeployments(arns: string[]): Promise<ServiceDeploymentRecord[] | NotOffered> {
    if (!this.offersServiceDeployments) return { notOffered: 'the endpoint does not know the operation (fake)' };
    this.count('DescribeServiceDeployments', Math.ceil(arns.length / 20));
    const byArn = new Map([...this.serviceDeployments.values()].map((d) => [d.arn, d]));
    return arns
      .map((arn) => byArn.get(arn))
      .filter((d): d is ServiceDeploymentRecord => d !== undefined)
      .map((d) => structuredClone(d));
  }

  /** Changes ECS's record of a deployment (its status, stage, alarms...), as ECS would while it runs. */
  updateServiceDeployment(deploymentId: string, change: Partial<ServiceDeploymentRecord>): ServiceDeploymentRecord {
    const record = this.serviceDeployments.get(deploymentId);
    if (!record) throw new Error(`no service deployment for ${deploymentId}`);
    Object.assign(record, change);
    return record;
  }

  /** UpdateService with another task definition (the team's own deploy): the service names it, and a new PRIMARY deployment runs it. */
  changeTaskDefinition(service: ServiceSnapshot, taskDefinition: string): string {
    service.taskDefinition = taskDefinition;
    return this.deploy(service);
  }

  /** CodeDeploy's traffic shift: the service's new PRIMARY task set runs `taskDefinition` (the old one drains). */
  shiftTaskSet(clusterName: string, serviceName: string, taskDefinition: string): void {
    const service = [...this.services.values()].find((s) => s.serviceName === serviceName && sameCluster(s.clusterArn, clusterName));
    if (!service) return;
    const old = (service.taskSets ?? []).map((t) => ({ ...t, status: 'DRAINING' }));
    const loadBalancers = service.taskSets?.find((t) => t.status === 'PRIMARY')?.loadBalancers ?? service.loadBalancers;
    const id = this.nextDeploymentId();
    service.taskSets = [
      { id, status: 'PRIMARY', taskDefinition, createdAt: this.clock.now().toISOString(), ...(loadBalancers ? { loadBalancers } : {}) },
      ...old,
    ];
    service.taskDefinition = taskDefinition;
  }

  /** A new PRIMARY deployment of the service's task definition, as UpdateService makes it. */
  deploy(service: ServiceSnapshot): string {
    const id = this.nextDeploymentId();
    const now = this.clock.now().toISOString();
    this.serviceDeployments.set(id, {
      arn: `${service.serviceArn.replace(':service/', ':service-deployment/')}/${id.replace('ecs-svc/', '')}`,
      serviceArn: service.serviceArn,
      status: 'IN_PROGRESS',
      createdAt: now,
      startedAt: now,
      ...(service.strategy ? { strategy: structuredClone(service.strategy) } : {}),
    });
    service.deployments = [
      {
        id,
        status: 'PRIMARY',
        rolloutState: 'IN_PROGRESS',
        taskDefinition: service.taskDefinition,
        createdAt: this.clock.now().toISOString(),
      },
      ...service.deployments.filter((d) => d.status !== 'INACTIVE').map((d) => ({ ...d, status: 'ACTIVE' })),
    ];
    this.updates.push({ serviceArn: service.serviceArn, deploymentId: id, at: this.clock.now().getTime() });
    return id;
  }

  /**
   * Ends a deployment as ECS would: COMPLETED leaves it the only one (the older ones drained);
   * FAILED marks it with ECS's reason. The fake never ends one by itself (nor does moto).
   */
  settle(deploymentId: string, state: 'COMPLETED' | 'FAILED', reason?: string): ServiceSnapshot {
    const service = [...this.services.values()].find((s) => s.deployments.some((d) => d.id === deploymentId));
    if (!service) throw new Error(`no service has deployment ${deploymentId}`);
    const ended = service.deployments.map((d) =>
      d.id === deploymentId ? { ...d, rolloutState: state, ...(reason ? { rolloutStateReason: reason } : {}) } : d,
    );
    service.deployments = state === 'COMPLETED' ? ended.filter((d) => d.id === deploymentId) : ended;
    const record = this.serviceDeployments.get(deploymentId);
    if (record) {
      const failed = {
        status: 'ROLLBACK_SUCCESSFUL',
        circuitBreaker: { status: 'TRIGGERED' },
        ...(reason ? { statusReason: reason } : {}),
      };
      Object.assign(record, state === 'COMPLETED' ? { status: 'SUCCESSFUL' } : failed, { finishedAt: this.clock.now().toISOString() });
    }
    return service;
  }

  /** A registered revision's references; ECS refuses to describe a revision it does not know. */
  private revision(taskDefinitionArn: string): SecretReference[] {
    const references = this.taskDefinitions.get(taskDefinitionArn);
    if (!references) throw new ClientException({ message: 'Unable to describe task definition.', $metadata: { httpStatusCode: 400 } });
    return references;
  }

  /** ListTasks and DescribeTasks per 100 tasks listed, as the adapter reads running tasks. */
  private countTaskReads(listed: number): void {
    this.count('ListTasks', Math.max(1, Math.ceil(listed / 100)));
    if (listed > 0) this.count('DescribeTasks', Math.ceil(listed / 100));
  }

  private nextDeploymentId(): string {
    this.deploymentSeq += 1;
    return `ecs-svc/${String(this.deploymentSeq).padStart(19, '0')}`;
  }

  /** Waits for `n` tokens of the operation's bucket, when it is paced. */
  private async pace(operation: string, n = 1): Promise<void> {
    const bucket = this.paced.get(operation);
    if (!bucket) return;
    for (let i = 0; i < n; i++) {
      const { state, waitMs } = reserve(bucket.state, bucket.settings, this.clock.now().getTime());
      bucket.state = state;
      if (waitMs > 0) await this.clock.sleep(waitMs);
    }
  }

  private count(operation: string, n = 1): void {
    this.calls[operation] = (this.calls[operation] ?? 0) + n;
  }
}
