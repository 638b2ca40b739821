import { DeploymentGroups } from '../../../functions/app/deployment-groups';
import { clusterArn, serviceArn } from '../../kit/factories';
import { type FakeWorld, fakeWorld } from '../../kit/fakes/fake-world';

/* The CodeDeploy deployment groups of one run's CODE_DEPLOY services: listed once per run, the remembered group first. */

let world: FakeWorld;
const service = (name: string) => ({ serviceArn: serviceArn('prod', name), clusterArn: clusterArn('prod'), serviceName: name });
const deploys = (name: string) => [{ clusterName: 'prod', serviceName: name }];

beforeEach(() => {
  world = fakeWorld();
  world.codeDeploy.addGroup({ application: 'app-api', name: 'dg-api', ecsServices: deploys('api') });
  world.codeDeploy.addGroup({ application: 'app-web', name: 'dg-web', ecsServices: deploys('web') });
});

describe('DeploymentGroups', () => {
  it('lists every ECS group once per run, however many services and reconciles ask', async () => {
    const groups = new DeploymentGroups(world.ports);

    const first = await groups.lookup([{ service: service('api') }, { service: service('web') }]);
    const second = await groups.lookup([{ service: service('api') }]);

    expect(first.get(serviceArn('prod', 'api'))).toMatchObject({ kind: 'found', group: { name: 'dg-api' } });
    expect(first.get(serviceArn('prod', 'web'))).toMatchObject({ kind: 'found', group: { name: 'dg-web' } });
    expect(second.get(serviceArn('prod', 'api'))).toMatchObject({ kind: 'found' });
    expect(world.codeDeploy.calls.ListApplications).toBe(1);
  });

  it('asks nothing when no service is wanted', async () => {
    expect((await new DeploymentGroups(world.ports).lookup([])).size).toBe(0);
    expect(world.codeDeploy.calls).toEqual({});
  });

  it('reads the remembered group alone while it still deploys the service', async () => {
    const found = await new DeploymentGroups(world.ports).lookup([
      { service: service('api'), remembered: { application: 'app-api', group: 'dg-api' } },
    ]);

    expect(found.get(serviceArn('prod', 'api'))).toMatchObject({ kind: 'found', group: { application: 'app-api', name: 'dg-api' } });
    expect(world.codeDeploy.calls).toEqual({ BatchGetDeploymentGroups: 1 });
  });

  it('looks among every group when the remembered one no longer deploys the service (moved to another group)', async () => {
    world.codeDeploy.addGroup({ application: 'app-api', name: 'dg-api', ecsServices: deploys('api-old') });
    world.codeDeploy.addGroup({ application: 'app-api-v2', name: 'dg-api-v2', ecsServices: deploys('api') });

    const found = await new DeploymentGroups(world.ports).lookup([
      { service: service('api'), remembered: { application: 'app-api', group: 'dg-api' } },
    ]);

    expect(found.get(serviceArn('prod', 'api'))).toMatchObject({ kind: 'found', group: { name: 'dg-api-v2' } });
    expect(world.codeDeploy.calls.ListApplications).toBe(1);
  });

  it('says none, or which several, deploy a service', async () => {
    world.codeDeploy.addGroup({ application: 'app-web-2', name: 'dg-web-2', ecsServices: deploys('web') });

    const found = await new DeploymentGroups(world.ports).lookup([{ service: service('web') }, { service: service('batch') }]);

    expect(found.get(serviceArn('prod', 'web'))).toEqual({ kind: 'several', groups: ['app-web-2/dg-web-2', 'app-web/dg-web'] });
    expect(found.get(serviceArn('prod', 'batch'))).toEqual({ kind: 'none' });
  });

  it("makes a failing CodeDeploy the services' outcome (unreadable), keeping no failure for the next lookup", async () => {
    const groups = new DeploymentGroups(world.ports);
    const ecsGroups = world.codeDeploy.ecsGroups.bind(world.codeDeploy);
    world.codeDeploy.ecsGroups = async () => {
      throw Object.assign(new Error('not authorized to perform codedeploy:ListApplications'), { name: 'AccessDeniedException' });
    };

    expect((await groups.lookup([{ service: service('api') }])).get(serviceArn('prod', 'api'))).toEqual({
      kind: 'unreadable',
      reason: 'AccessDeniedException: not authorized to perform codedeploy:ListApplications',
    });
    world.codeDeploy.ecsGroups = ecsGroups;
    expect((await groups.lookup([{ service: service('api') }])).get(serviceArn('prod', 'api'))).toMatchObject({ kind: 'found' });
  });
});
