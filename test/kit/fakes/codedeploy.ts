import type { CodeDeployDeployment } from '../../../functions/domain/codedeploy/deployment';
import { ACTIVE_STATUSES, type DeploymentGroup } from '../../../functions/domain/codedeploy/group';
import { GroupBusyError, OutcomeUnknownError, ThrottledError } from '../../../functions/domain/errors';
import type { CodeDeployPort } from '../../../functions/ports/codedeploy';
import type { VirtualClock } from './clock';
import type { FakeEcs } from './ecs';

/** What a fault does to one CreateDeployment, as for the fake ECS's UpdateService (see UpdateFault). */
export type CreateFault = 'throttle' | 'lose-answer' | 'fail-unapplied' | Error;

/** A deployment as the fake keeps it: CodeDeploy's view, and the AppSpec it was created with. */
export interface FakeDeployment extends CodeDeployDeployment {
  appSpec: string;
  description?: string;
}

/**
 * CodeDeploy in memory: ECS applications with their deployment groups, deployments that start
 * Created and move only when a test says so (`settle`); one active deployment per group, as
 * CodeDeploy allows. A deployment that succeeds gives its service a new PRIMARY task set of the
 * AppSpec's task definition on the fake ECS, as CodeDeploy's traffic shift does.
 */
export class FakeCodeDeploy implements CodeDeployPort {
  /** Deployment groups by application. */
  readonly applications = new Map<string, DeploymentGroup[]>();
  /** Every deployment created, in order. */
  readonly created: FakeDeployment[] = [];
  readonly calls: Record<string, number> = {};
  /** Decides the fate of each CreateDeployment; undefined: it succeeds. */
  fault?: (input: { application: string; group: string }) => CreateFault | undefined;
  private seq = 0;

  constructor(
    private readonly clock: VirtualClock,
    private readonly ecs?: FakeEcs,
  ) {}

  /** Adds an ECS application's deployment group. */
  addGroup(group: Partial<DeploymentGroup> & Pick<DeploymentGroup, 'application' | 'name' | 'ecsServices'>): DeploymentGroup {
    const full: DeploymentGroup = { targetGroups: ['blue', 'green'], ...group };
    this.applications.set(group.application, [
      ...(this.applications.get(group.application) ?? []).filter((g) => g.name !== group.name),
      full,
    ]);
    return full;
  }

  async ecsGroups(): Promise<DeploymentGroup[]> {
    this.count('ListApplications');
    this.count('BatchGetApplications');
    for (const [application] of this.applications) {
      this.count('ListDeploymentGroups');
      await this.groups(application, []);
    }
    return structuredClone([...this.applications.values()].flat().map((g) => this.withLast(g)));
  }

  async groups(application: string, names: string[]): Promise<DeploymentGroup[]> {
    this.count('BatchGetDeploymentGroups');
    const groups = this.applications.get(application) ?? [];
    return structuredClone(groups.filter((g) => names.length === 0 || names.includes(g.name)).map((g) => this.withLast(g)));
  }

  async createDeployment(input: {
    application: string;
    group: string;
    appSpec: string;
    description: string;
  }): Promise<{ deploymentId: string }> {
    this.count('CreateDeployment');
    const group = (this.applications.get(input.application) ?? []).find((g) => g.name === input.group);
    if (!group) throw Object.assign(new Error('Deployment group name does not exist.'), { name: 'DeploymentGroupDoesNotExistException' });
    const active = this.created.find(
      (d) => d.application === input.application && d.group === input.group && ACTIVE_STATUSES.has(d.status),
    );
    if (active) throw new GroupBusyError(`The Deployment Group '${input.group}' already has an active Deployment '${active.id}'`);
    const fault = this.fault?.(input);
    if (fault === 'throttle') throw new ThrottledError('CreateDeployment throttled: Rate exceeded');
    if (fault === 'fail-unapplied') throw new OutcomeUnknownError('CreateDeployment got no answer (socket hang up)');
    if (fault instanceof Error) throw fault;
    this.seq += 1;
    const deployment: FakeDeployment = {
      id: `d-${String(this.seq).padStart(9, '0')}`,
      application: input.application,
      group: input.group,
      status: 'Created',
      createTime: this.clock.now().toISOString(),
      waits: {
        ...(group.ready ? { ready: group.ready } : {}),
        ...(group.termination ? { termination: group.termination } : {}),
        ...(group.deploymentConfigName ? { deploymentConfigName: group.deploymentConfigName } : {}),
      },
      appSpec: input.appSpec,
      description: input.description,
    };
    this.created.push(deployment);
    if (fault === 'lose-answer') throw new OutcomeUnknownError('CreateDeployment got no answer (socket hang up)');
    return { deploymentId: deployment.id };
  }

  async deploymentsSince(application: string, group: string, since: string): Promise<string[]> {
    this.count('ListDeployments');
    return this.created
      .filter((d) => d.application === application && d.group === group && Date.parse(d.createTime ?? '') >= Date.parse(since))
      .map((d) => d.id);
  }

  async deployments(ids: string[]): Promise<CodeDeployDeployment[]> {
    this.count('BatchGetDeployments', Math.ceil(ids.length / 25));
    return this.created.filter((d) => ids.includes(d.id)).map(({ appSpec: _, description: __, ...d }) => structuredClone(d));
  }

  /** Moves a deployment on, as CodeDeploy would; Succeeded shifts its service to a new task set of the AppSpec's task definition. */
  settle(id: string, status: string, change: Partial<CodeDeployDeployment> = {}): FakeDeployment {
    const deployment = this.created.find((d) => d.id === id);
    if (!deployment) throw new Error(`no CodeDeploy deployment ${id}`);
    Object.assign(deployment, { status, ...change }, ACTIVE_STATUSES.has(status) ? {} : { completeTime: this.clock.now().toISOString() });
    if (status === 'Succeeded' && this.ecs) {
      const group = (this.applications.get(deployment.application ?? '') ?? []).find((g) => g.name === deployment.group);
      const taskDefinition = JSON.parse(deployment.appSpec).Resources[0].TargetService.Properties.TaskDefinition as string;
      for (const s of group?.ecsServices ?? []) this.ecs.shiftTaskSet(s.clusterName, s.serviceName, taskDefinition);
    }
    return deployment;
  }

  /** The group as CodeDeploy shows it: its last attempted deployment from the deployments made. */
  private withLast(group: DeploymentGroup): DeploymentGroup {
    const last = [...this.created].reverse().find((d) => d.application === group.application && d.group === group.name);
    return last
      ? {
          ...group,
          lastAttempted: { deploymentId: last.id, status: last.status, ...(last.createTime ? { createTime: last.createTime } : {}) },
        }
      : group;
  }

  private count(operation: string, n = 1): void {
    this.calls[operation] = (this.calls[operation] ?? 0) + n;
  }
}
