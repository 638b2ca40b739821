import { EventBridgeClient, ListRulesCommand, ListTargetsByRuleCommand } from '@aws-sdk/client-eventbridge';
import { GetScheduleCommand, ListSchedulesCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import { buildClients } from '../../../functions/aws/clients';
import { awsScheduledTasks } from '../../../functions/aws/schedules';
import { loadConfig } from '../../../functions/config';

const events = mockClient(EventBridgeClient);
const scheduler = mockClient(SchedulerClient);
const CLUSTER = 'arn:aws:ecs:eu-west-1:111122223333:cluster/jobs';
const TASK_DEFINITION = 'arn:aws:ecs:eu-west-1:111122223333:task-definition/export:2';
const config = loadConfig({ AWS_REGION: 'eu-west-1', AWS_MAX_ATTEMPTS: '1' });
const adapter = () => awsScheduledTasks(config, buildClients(config));

beforeEach(() => {
  events.reset();
  scheduler.reset();
});

describe('awsScheduledTasks', () => {
  // Shapes: EventBridge API reference, ListRules (Rule) and ListTargetsByRule (Target, EcsParameters).
  it('lists the ECS targets of every rule of the default bus, through every page', async () => {
    events
      .on(ListRulesCommand)
      .resolvesOnce({
        Rules: [
          {
            Name: 'nightly',
            Arn: 'arn:aws:events:eu-west-1:111122223333:rule/nightly',
            ScheduleExpression: 'cron(0 3 * * ? *)',
            State: 'ENABLED',
          },
        ],
        NextToken: 'p2',
      })
      .resolvesOnce({
        Rules: [{ Name: 'on-upload', Arn: 'arn:aws:events:eu-west-1:111122223333:rule/on-upload', EventPattern: '{}', State: 'DISABLED' }],
      });
    events
      .on(ListTargetsByRuleCommand, { Rule: 'nightly' })
      .resolvesOnce({ Targets: [{ Id: 'lambda', Arn: 'arn:aws:lambda:eu-west-1:111122223333:function:f' }], NextToken: 't2' })
      .resolvesOnce({ Targets: [{ Id: 'task', Arn: CLUSTER, EcsParameters: { TaskDefinitionArn: TASK_DEFINITION } }] });
    events
      .on(ListTargetsByRuleCommand, { Rule: 'on-upload' })
      .resolves({ Targets: [{ Id: 'task', Arn: CLUSTER, EcsParameters: { TaskDefinitionArn: 'export' } }] });

    expect(await adapter().fromRules()).toEqual([
      {
        via: 'eventbridge-rule',
        name: 'nightly',
        arn: 'arn:aws:events:eu-west-1:111122223333:rule/nightly',
        clusterArn: CLUSTER,
        taskDefinition: TASK_DEFINITION,
        schedule: 'cron(0 3 * * ? *)',
        state: 'ENABLED',
      },
      {
        via: 'eventbridge-rule',
        name: 'on-upload',
        arn: 'arn:aws:events:eu-west-1:111122223333:rule/on-upload',
        clusterArn: CLUSTER,
        taskDefinition: 'export',
        state: 'DISABLED',
      },
    ]);
    expect(events).toHaveReceivedCommandWith(ListRulesCommand, { EventBusName: 'default', NextToken: 'p2' });
    expect(events).toHaveReceivedCommandWith(ListTargetsByRuleCommand, { Rule: 'nightly', NextToken: 't2' });
  });

  // Shapes: EventBridge Scheduler API reference, ListSchedules (ScheduleSummary) and GetSchedule
  // (Target with EcsParameters, the templated target for ECS RunTask; Target.Arn is the cluster).
  it('lists schedules whose templated target runs an ECS task, skipping other targets', async () => {
    scheduler.on(ListSchedulesCommand).resolves({
      Schedules: [
        { Name: 'hourly', GroupName: 'default' },
        { Name: 'universal', GroupName: 'ops' },
      ],
    });
    scheduler.on(GetScheduleCommand, { Name: 'hourly' }).resolves({
      Arn: 'arn:aws:scheduler:eu-west-1:111122223333:schedule/default/hourly',
      GroupName: 'default',
      ScheduleExpression: 'rate(1 hour)',
      State: 'ENABLED',
      Target: { Arn: CLUSTER, RoleArn: 'arn:aws:iam::111122223333:role/r', EcsParameters: { TaskDefinitionArn: TASK_DEFINITION } },
    });
    scheduler.on(GetScheduleCommand, { Name: 'universal' }).resolves({
      Arn: 'arn:aws:scheduler:eu-west-1:111122223333:schedule/ops/universal',
      GroupName: 'ops',
      Target: { Arn: 'arn:aws:scheduler:::aws-sdk:ecs:runTask', RoleArn: 'arn:aws:iam::111122223333:role/r', Input: '{}' },
    });

    expect(await adapter().fromSchedules()).toEqual([
      {
        via: 'eventbridge-scheduler',
        name: 'default/hourly',
        arn: 'arn:aws:scheduler:eu-west-1:111122223333:schedule/default/hourly',
        clusterArn: CLUSTER,
        taskDefinition: TASK_DEFINITION,
        schedule: 'rate(1 hour)',
        state: 'ENABLED',
      },
    ]);
    expect(scheduler).toHaveReceivedCommandWith(GetScheduleCommand, { Name: 'universal', GroupName: 'ops' });
  });
});
