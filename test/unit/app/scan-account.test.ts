import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  ListClustersCommand,
  ListServicesCommand,
  ListTasksCommand,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { listClusters, scanAccount } from '../../../functions/app/scan-account';
import { lastPathSegment } from '../../../functions/domain/identity/arn';
import { clusterArn, ecsService, serviceArn, taskDefinitionArn, taskDefinitionUsing } from '../../kit/factories';
import { testPorts } from '../../kit/ports';

const ecs = mockClient(ECSClient);

beforeEach(() => {
  ecs.reset();
  ecs.on(ListTasksCommand).resolves({ taskArns: [] });
});

describe('listClusters', () => {
  it('lists nothing when clusters are configured', async () => {
    expect(await listClusters(testPorts({ clusters: ['web'] }))).toEqual(['web']);
    expect(ecs).not.toHaveReceivedCommand(ListClustersCommand);
  });

  it('lists every cluster of the account when none is configured', async () => {
    ecs.on(ListClustersCommand).resolves({ clusterArns: [clusterArn('a'), clusterArn('b')] });
    expect(await listClusters(testPorts())).toEqual([clusterArn('a'), clusterArn('b')]);
  });
});

describe('scanAccount', () => {
  it('describes each distinct task definition once however many services share it', async () => {
    ecs.on(ListClustersCommand).resolves({ clusterArns: [clusterArn('web'), clusterArn('batch')] });
    ecs.on(ListServicesCommand, { cluster: clusterArn('web') }).resolves({ serviceArns: ['a', 'b', 'c'].map((n) => serviceArn('web', n)) });
    ecs.on(ListServicesCommand, { cluster: clusterArn('batch') }).resolves({ serviceArns: [serviceArn('batch', 'd')] });
    ecs.on(DescribeServicesCommand).callsFake(async (input: { cluster: string; services: string[] }) => ({
      services: input.services.map((arn) =>
        ecsService(lastPathSegment(input.cluster), lastPathSegment(arn), {
          taskDefinition: taskDefinitionArn('shared:1'),
          deployments: [{ status: 'PRIMARY', taskDefinition: taskDefinitionArn('shared:1') }],
        }),
      ),
    }));
    ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: taskDefinitionUsing('shared', []) });

    const scan = await scanAccount(testPorts());

    expect(scan.services).toHaveLength(4);
    expect(ecs).toHaveReceivedCommandTimes(DescribeTaskDefinitionCommand, 1);
  });

  it('reports its progress after each cluster and once the task definitions are described', async () => {
    ecs.on(ListClustersCommand).resolves({ clusterArns: [clusterArn('web')] });
    ecs.on(ListServicesCommand).resolves({ serviceArns: [serviceArn('web', 'a')] });
    ecs.on(DescribeServicesCommand).resolves({ services: [ecsService('web', 'a', { taskDefinition: taskDefinitionArn('a:1') })] });
    ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: taskDefinitionUsing('a', []) });
    const progress: unknown[] = [];
    await scanAccount(testPorts(), (p) => progress.push(p));
    expect(progress).toEqual([
      { phase: 'scan', clusters: 1, clustersDone: 1, services: 1, taskDefinitions: 0 },
      { phase: 'scan', clusters: 1, clustersDone: 1, services: 1, taskDefinitions: 1 },
    ]);
  });
});
