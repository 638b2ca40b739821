import { buildUsageMap } from '../../app/usage-map';
import { awsScheduledTasks } from '../../aws/schedules';
import { awsCallsHelp, type CliCommand } from '../command';
import { EXIT } from '../exit';
import { commandOption } from '../options';
import { FORMATS } from '../output';
import { requireStateTable } from '../signal';
import { usageRendering } from '../usage-format';

export const secretsCommand: CliCommand = {
  register(program, cli) {
    program
      .command('secrets')
      .summary("the account's secret-usage map: who uses which secret, how, and what needs attention")
      .description(
        'Every secret and SSM parameter that task definitions reference, with its consumers (services, standalone tasks, ' +
          'tasks started by EventBridge rules and EventBridge Scheduler schedules), how each references it (field, JSON key, ' +
          'stage, version), and what needs attention: secrets that do not exist or are scheduled for deletion, pinned versions ' +
          'that are no longer current, stages no version holds, secrets in another region or account, restart window or ' +
          'deadline tags that do not parse, replicas whose replication failed; and, apart, the ' +
          'references it cannot resolve, with why: a malformed valueFrom (a scan reads them), a secret that no longer exists ' +
          '(as the index rebuild found it). ' +
          '--output mermaid prints a graph in a ```mermaid fence, which GitHub and GitLab draw in a Markdown file or a pull ' +
          'request; --no-fence prints the graph alone (a .mmd file, the Mermaid CLI). Reads only.\n\n' +
          'Scheduler schedules with a universal target (aws-sdk:ecs:runTask) are not listed.',
      )
      .addOption(commandOption.scan())
      .option('--no-fence', 'with --output mermaid: the graph alone, without the ```mermaid fence (for a .mmd file or the Mermaid CLI)')
      .addOption(commandOption.clusters())
      .addHelpText(
        'after',
        awsCallsHelp([
          'DynamoDB DescribeTable, GetItem, Scan (the index); with --scan or without an index instead: ECS ListClusters, ListServices, DescribeServices, ListTasks, DescribeTasks, DescribeTaskDefinition',
          'EventBridge ListRules, ListTargetsByRule; EventBridge Scheduler ListSchedules, GetSchedule; ECS DescribeTaskDefinition for their tasks',
          'Secrets Manager DescribeSecret, SSM DescribeParameters: once per secret or parameter',
          'ECS DescribeServices (with tags: the restart windows), ten services a call, for the indexed services',
        ]),
      )
      .action(
        cli.action(FORMATS, async (ctx, options: { scan?: boolean; fence: boolean }) => {
          if (!options.scan) await requireStateTable(ctx, '--scan to map the account by a live scan');
          const ports = ctx.ports();
          const map = await buildUsageMap(
            { ...ports, schedules: awsScheduledTasks(ports.config, ports.clients) },
            { inventory: options.scan ? 'scan' : 'index', onProgress: ctx.progress.update },
          );
          ctx.print(usageRendering(map, { fence: options.fence }));
          return EXIT.done;
        }),
      );
  },
};
