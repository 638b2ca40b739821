import { secretStatus } from '../../app/status';
import { BadInputError } from '../../domain/errors';
import { quoted } from '../../domain/text';
import { awsCallsHelp, type CliCommand, SECRET_ARGUMENT } from '../command';
import { EXIT } from '../exit';
import { statusRendering } from '../format';
import { REPORT_FORMATS } from '../output';
import { requireStateTable, targetArgument } from '../signal';

interface StatusOptions {
  watch?: boolean;
  interval: string;
}

export const statusCommand: CliCommand = {
  register(program, cli) {
    program
      .command('status')
      .summary("how far SECRET's current versions have reached: each consumer, its deployment, its tasks on older versions")
      .description(
        'Where every consumer of SECRET stands: the versions its running deployment was started with (the ledger) against ' +
          'those the stages point to now, its wave, the deployment started for the current versions and its rolloutState, ' +
          'and the running tasks that older deployments started; then the rollout (in progress, halted and why, completed) ' +
          'and a summary line. Changes nothing. --watch prints it again every --interval seconds until every consumer runs ' +
          'the current versions or the rollout halts.',
      )
      .argument('<SECRET>', SECRET_ARGUMENT)
      .option('--watch', 'refresh until every consumer is fully on the current versions, or the rollout halts')
      .option('--interval <seconds>', 'seconds between refreshes with --watch, 1 to 3600', '10')
      .addHelpText(
        'after',
        awsCallsHelp([
          'STS GetCallerIdentity; Secrets Manager DescribeSecret (or SSM DescribeParameters); DynamoDB DescribeTable, Query (index and ledger)',
          'ECS DescribeServices (per ten consumers), ListTasks and DescribeTasks per consumer',
        ]),
      )
      .action(
        cli.action(REPORT_FORMATS, async (ctx, secret: string, options: StatusOptions) => {
          const target = targetArgument(secret);
          const interval = Number(options.interval);
          if (!/^\d{1,4}$/.test(options.interval) || interval < 1 || interval > 3600)
            throw new BadInputError(`--interval must be a whole number of seconds from 1 to 3600, got ${quoted(options.interval, 20)}`);
          await requireStateTable(ctx);
          for (;;) {
            const status = await secretStatus(ctx.ports(), target);
            ctx.print(statusRendering(status));
            if (!options.watch || status.done || status.rollout?.status === 'halted') return EXIT.done;
            await new Promise((resolve) => setTimeout(resolve, interval * 1000));
          }
        }),
      );
  },
};
