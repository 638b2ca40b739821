import { rebuildIndex } from '../../app/refresh-index';
import { awsCallsHelp, type CliCommand, SECRET_ARGUMENT } from '../command';
import { EXIT } from '../exit';
import { indexRendering, rebuildRendering } from '../format';
import { commandOption } from '../options';
import { REPORT_FORMATS } from '../output';
import { requireStateTable, targetArgument } from '../signal';

/** `index rebuild` and `index show`: the secret -> consumers index in the state table. */
export const indexCommand: CliCommand = {
  register(program, cli) {
    const index = program
      .command('index')
      .summary('rebuild or show the index of which services use which secret')
      .description('The index in the state table: which services and standalone tasks reference which secret or parameter.');

    index
      .command('rebuild')
      .summary('rebuild the index from a full scan of the account')
      .description(
        'Rebuilds the index from a full scan of the account (or of --clusters): every service and standalone task, each task ' +
          'definition revision described once and kept in the state table (a revision never changes: later rebuilds describe only ' +
          'new ones), every reference resolved to its secret; writes only the differences. A progress line on a terminal.',
      )
      .addOption(commandOption.clusters())
      .addHelpText(
        'after',
        awsCallsHelp([
          'DynamoDB DescribeTable; ECS ListClusters, ListServices, DescribeServices, ListTasks, DescribeTasks, DescribeTaskDefinition ' +
            '(revisions not described before)',
          'Secrets Manager DescribeSecret (once per secret), ListSecretVersionIds (once per secret with a consumer first seen); DynamoDB Scan, BatchWriteItem, PutItem',
        ]),
      )
      .action(
        cli.action(REPORT_FORMATS, async (ctx) => {
          // Checked first: a scan of a large account must not end in a missing table.
          await requireStateTable(ctx);
          const ports = ctx.ports();
          const summary = await rebuildIndex(ports, ctx.progress.update);
          ctx.print(rebuildRendering(summary, ports.table.name));
          return EXIT.done;
        }),
      );

    index
      .command('show')
      .summary('what the index holds: everything, or the services of one SECRET')
      .description('Prints what the index holds, for every secret or for one SECRET, and when it was built.')
      .argument('[SECRET]', SECRET_ARGUMENT)
      .addHelpText(
        'after',
        awsCallsHelp([
          'DynamoDB Scan, GetItem; for one SECRET, Secrets Manager DescribeSecret (or SSM DescribeParameters) and Query instead of Scan',
        ]),
      )
      .action(
        cli.action(REPORT_FORMATS, async (ctx, secret: string | undefined) => {
          const target = secret === undefined ? undefined : targetArgument(secret);
          const ports = ctx.ports();
          const entries = target ? await ports.index.entriesOf((await ports.secrets.describe(target)).arn) : await ports.index.allEntries();
          const meta = await ports.index.meta();
          ctx.print(indexRendering(entries, meta));
          return EXIT.done;
        }),
      );
  },
};
