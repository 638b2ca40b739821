import { ListRulesCommand, ListTargetsByRuleCommand, type Rule, type Target } from '@aws-sdk/client-eventbridge';
import { GetScheduleCommand, paginateListSchedules, SchedulerClient } from '@aws-sdk/client-scheduler';
import type { Config } from '../config';
import type { ScheduledTask, ScheduledTasks } from '../ports/schedules';
import { mapWithConcurrency } from '../util/concurrency';
import { type AwsClients, clientSettings, type Instrument, lazyClient } from './clients';

/** ListTargetsByRule and GetSchedule calls at once. */
const CONCURRENCY = 4;

/**
 * Scheduled ECS tasks from EventBridge rules (a target with EcsParameters, the rule's Arn being the
 * cluster: EventBridge API reference, Target) and from EventBridge Scheduler (a templated target
 * whose Arn is the cluster, with EcsParameters: Scheduler API reference, Target). Schedules with
 * a universal target (aws-sdk:ecs:runTask) are not read. Only the CLI builds this adapter (the
 * Lambda functions use the Scheduler client only to create wakeups, aws/wakeups.ts).
 */
export function awsScheduledTasks(config: Config, clients: Pick<AwsClients, 'events'>, instrument?: Instrument): ScheduledTasks {
  const schedulerClient = lazyClient(() => new SchedulerClient(clientSettings(config)), instrument);
  return {
    async fromRules() {
      const rules = await allPages(async (NextToken) => {
        const out = await clients.events.send(new ListRulesCommand({ EventBusName: 'default', Limit: 100, NextToken }));
        return { items: out.Rules ?? [], next: out.NextToken };
      });
      const tasks = await mapWithConcurrency(rules, CONCURRENCY, async (rule) => {
        if (!rule.Name || !rule.Arn) return [];
        const targets = await allPages(async (NextToken) => {
          const out = await clients.events.send(
            new ListTargetsByRuleCommand({ Rule: rule.Name, EventBusName: 'default', Limit: 100, NextToken }),
          );
          return { items: out.Targets ?? [], next: out.NextToken };
        });
        return targets.flatMap((target) => ruleTask(rule, target));
      });
      return tasks.flat();
    },

    async fromSchedules() {
      const summaries: { Name?: string; GroupName?: string }[] = [];
      for await (const page of paginateListSchedules({ client: schedulerClient() }, { MaxResults: 100 }))
        summaries.push(...(page.Schedules ?? []));
      const tasks = await mapWithConcurrency(summaries, CONCURRENCY, async (summary): Promise<ScheduledTask[]> => {
        if (!summary.Name) return [];
        const schedule = await schedulerClient().send(new GetScheduleCommand({ Name: summary.Name, GroupName: summary.GroupName }));
        const taskDefinition = schedule.Target?.EcsParameters?.TaskDefinitionArn;
        if (!schedule.Arn || !schedule.Target?.Arn || !taskDefinition) return [];
        return [
          {
            via: 'eventbridge-scheduler',
            name: `${schedule.GroupName ?? 'default'}/${summary.Name}`,
            arn: schedule.Arn,
            clusterArn: schedule.Target.Arn,
            taskDefinition,
            ...(schedule.ScheduleExpression ? { schedule: schedule.ScheduleExpression } : {}),
            ...(schedule.State ? { state: schedule.State } : {}),
          },
        ];
      });
      return tasks.flat();
    },
  };
}

function ruleTask(rule: Rule, target: Target): ScheduledTask[] {
  const taskDefinition = target.EcsParameters?.TaskDefinitionArn;
  if (!taskDefinition || !target.Arn || !rule.Name || !rule.Arn) return [];
  return [
    {
      via: 'eventbridge-rule',
      name: rule.Name,
      arn: rule.Arn,
      clusterArn: target.Arn,
      taskDefinition,
      ...(rule.ScheduleExpression ? { schedule: rule.ScheduleExpression } : {}),
      ...(rule.State ? { state: rule.State } : {}),
    },
  ];
}

/** Every item of a listing that pages with NextToken (the EventBridge client has no paginators for these). */
async function allPages<T>(page: (next: string | undefined) => Promise<{ items: T[]; next?: string }>): Promise<T[]> {
  const items: T[] = [];
  let next: string | undefined;
  do {
    const out = await page(next);
    items.push(...out.items);
    next = out.next;
  } while (next);
  return items;
}
