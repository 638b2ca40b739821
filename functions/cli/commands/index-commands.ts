import { runRebuild } from '../../app/refresh-index';
import { RebuildInProgressError } from '../../domain/errors';
import { NO_DEADLINE } from '../../domain/rollout/deadline';
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
          'new ones), every reference resolved to its secret; writes only the differences. A progress line on a terminal. ' +
          'Where it is is kept in the state table as it goes: a rebuild that was interrupted (here, or in the refresh-index ' +
          'function) goes on where it stopped, and the index changes only when the whole scan is done. While another rebuild ' +
          'is running (it holds a lease, renewed as it goes) this one is refused, exit 3.',
      )
      .addOption(commandOption.clusters())
      .option('--restart', 'start over instead of going on with an interrupted rebuild (revisions already described stay cached)')
      .addHelpText(
        'after',
        awsCallsHelp([
          'DynamoDB DescribeTable; ECS ListClusters, ListServices, DescribeServices, ListTasks, DescribeTasks, DescribeTaskDefinition ' +
            '(revisions not described before)',
          'Secrets Manager DescribeSecret (once per secret), ListSecretVersionIds (once per secret with a consumer first seen); DynamoDB Scan, ' +
            'BatchWriteItem, PutItem, GetItem, Query (the progress of the rebuild, in the REBUILD partition)',
        ]),
      )
      .action(
        cli.action(REPORT_FORMATS, async (ctx, options: { restart?: boolean }) => {
          // Checked first: a scan of a large account must not end in a missing table.
          await requireStateTable(ctx);
          const ports = ctx.ports();
          const outcome = await runRebuild(ports, {
            deadline: NO_DEADLINE,
            restart: options.restart === true,
            onProgress: ctx.progress.update,
            onClaim: (progress, resumed) => {
              if (resumed)
                ctx.note(
                  `going on with the index rebuild started ${progress.startedAt} (run ${progress.runs}): ${progress.cluster} of ` +
                    `${progress.clusters.length} clusters and ${progress.services} services listed, ${progress.described} task ` +
                    'definitions described; --restart starts over',
                );
            },
          });
          // No deadline: a run that is not refused completes.
          if (outcome.status !== 'complete')
            throw new RebuildInProgressError(outcome.status === 'refused' ? outcome.reason : 'the index rebuild stopped before its end');
          ctx.print(rebuildRendering(outcome.summary, ports.table.name));
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
