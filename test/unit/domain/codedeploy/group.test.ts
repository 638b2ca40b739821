import {
  activeDeployment,
  type BlueGreenWaits,
  type DeploymentGroup,
  describeWaits,
  expectedWaitMinutes,
  groupOf,
  noGroupReason,
} from '../../../../functions/domain/codedeploy/group';
import { clusterArn } from '../../../kit/factories';

const service = { clusterArn: clusterArn('prod'), serviceName: 'orders-api' };

function group(name: string, ecsServices: DeploymentGroup['ecsServices'], extra: Partial<DeploymentGroup> = {}): DeploymentGroup {
  return { application: `app-${name}`, name, ecsServices, targetGroups: [], ...extra };
}

describe('groupOf: the one group whose ecsServices names the cluster and the service', () => {
  it.each<[string, DeploymentGroup[], ReturnType<typeof groupOf>['kind']]>([
    ['one group names it', [group('a', [{ clusterName: 'prod', serviceName: 'orders-api' }])], 'found'],
    // CodeDeploy holds the cluster by name; an ARN there is read by its last segment.
    ['one group names its cluster by ARN', [group('a', [{ clusterName: clusterArn('prod'), serviceName: 'orders-api' }])], 'found'],
    ['a group of the same service name in another cluster', [group('a', [{ clusterName: 'staging', serviceName: 'orders-api' }])], 'none'],
    ['a group of another service in its cluster', [group('a', [{ clusterName: 'prod', serviceName: 'orders-api-v2' }])], 'none'],
    ['no group at all', [], 'none'],
    [
      'two groups name it',
      [group('a', [{ clusterName: 'prod', serviceName: 'orders-api' }]), group('b', [{ clusterName: 'prod', serviceName: 'orders-api' }])],
      'several',
    ],
  ])('%s: %s', (_label, groups, kind) => {
    expect(groupOf(service, groups).kind).toBe(kind);
  });

  it('names the groups it found, in order, when there are several, and says none is guessed', () => {
    const lookup = groupOf(service, [
      group('b', [{ clusterName: 'prod', serviceName: 'orders-api' }]),
      group('a', [{ clusterName: 'prod', serviceName: 'orders-api' }]),
    ]);
    expect(lookup).toEqual({ kind: 'several', groups: ['app-a/a', 'app-b/b'] });
    if (lookup.kind === 'several')
      expect(noGroupReason(lookup, service)).toBe(
        '2 CodeDeploy deployment groups deploy prod/orders-api (app-a/a, app-b/b): not guessed, redeploy it yourself',
      );
    expect(noGroupReason({ kind: 'none' }, service)).toBe(
      'no CodeDeploy deployment group deploys prod/orders-api: redeploy it through CodeDeploy yourself',
    );
  });
});

describe('activeDeployment: CodeDeploy runs one deployment at a time per group', () => {
  it.each([
    ['Created', true],
    ['Queued', true],
    ['InProgress', true],
    ['Baking', true],
    ['Ready', true],
    ['Succeeded', false],
    ['Failed', false],
    ['Stopped', false],
  ])('a last deployment %s is active: %p', (status, active) => {
    expect(activeDeployment({ lastAttempted: { deploymentId: 'd-1', status } }) !== undefined).toBe(active);
  });

  it('a group that never deployed runs nothing', () => {
    expect(activeDeployment({})).toBeUndefined();
  });
});

describe('expectedWaitMinutes: what the group makes a deployment wait by design', () => {
  it.each<[string, BlueGreenWaits, number]>([
    ['nothing configured', {}, 0],
    ['all at once, rerouted at once, blue deleted at once', { deploymentConfigName: 'CodeDeployDefault.ECSAllAtOnce' }, 0],
    ['a termination wait of 60 minutes', { termination: { action: 'TERMINATE', minutes: 60 } }, 60],
    ['the blue task set kept alive: no termination wait', { termination: { action: 'KEEP_ALIVE', minutes: 60 } }, 0],
    // STOP_DEPLOYMENT waits up to its time for a person to reroute traffic (then CodeDeploy stops it).
    ['a ready wait for rerouting by hand, 30 minutes', { ready: { action: 'STOP_DEPLOYMENT', minutes: 30 } }, 30],
    ['rerouting at once: no ready wait', { ready: { action: 'CONTINUE_DEPLOYMENT', minutes: 0 } }, 0],
    // Linear: 10 steps of 10%, a wait between each two.
    ['linear 10% every minute', { deploymentConfigName: 'CodeDeployDefault.ECSLinear10PercentEvery1Minutes' }, 9],
    ['linear 10% every 3 minutes', { deploymentConfigName: 'CodeDeployDefault.ECSLinear10PercentEvery3Minutes' }, 27],
    ['canary 10% for 5 minutes', { deploymentConfigName: 'CodeDeployDefault.ECSCanary10Percent5Minutes' }, 5],
    ['canary 10% for 15 minutes', { deploymentConfigName: 'CodeDeployDefault.ECSCanary10Percent15Minutes' }, 15],
    // A custom configuration's shifting is not read (GetDeploymentConfig): the deployment timeout is its margin.
    ['a custom configuration', { deploymentConfigName: 'team-canary-25' }, 0],
    [
      'all of them together',
      {
        deploymentConfigName: 'CodeDeployDefault.ECSCanary10Percent15Minutes',
        ready: { action: 'STOP_DEPLOYMENT', minutes: 30 },
        termination: { action: 'TERMINATE', minutes: 60 },
      },
      105,
    ],
  ])('%s: %i minutes', (_label, waits, minutes) => {
    expect(expectedWaitMinutes(waits)).toBe(minutes);
  });

  it('says the waits as a person reads them', () => {
    expect(
      describeWaits({
        deploymentConfigName: 'CodeDeployDefault.ECSAllAtOnce',
        ready: { action: 'STOP_DEPLOYMENT', minutes: 30 },
        termination: { action: 'TERMINATE', minutes: 60 },
      }),
    ).toBe('ECSAllAtOnce, ready wait 30 min, termination wait 60 min');
  });
});
