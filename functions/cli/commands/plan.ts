import { manualSignal } from '../../domain/decode/manual-request';
import { exitCodeOf } from '../../domain/report/report';
import { awsCallsHelp, type CliCommand, SECRET_ARGUMENT } from '../command';
import { copyPlans } from '../copy-plans';
import { reportRendering } from '../format';
import { commandOption } from '../options';
import { REPORT_FORMATS } from '../output';
import { SIGNAL_CALLS, type SignalRun, signalReport, targetArgument } from '../signal';

export const planCommand: CliCommand = {
  register(program, cli) {
    program
      .command('plan')
      .summary('what a redeploy of SECRET would do, service by service, and why; changes nothing')
      .description(
        'What a redeploy of SECRET would do now, service by service, and why, in the words status and reconcile use ' +
          '(due, waiting, no tasks, pinned, excluded, up to date, ...), with the standalone tasks that use it, and a summary ' +
          'line that counts the words of the rows. Fits 80 columns (reasons cut, version ids shortened); --wide prints every ' +
          'reason whole. Changes nothing: ask it before you rotate.\n\n' +
          'A secret replicated to other regions is planned in each of them too, by region: the consumers of every replica (and of ' +
          'the primary), each read from the deployment of its own region (the state table of the same name there, and ECS there). ' +
          'A region without that table has no deployment: it is named, with no consumers.',
      )
      .argument('<SECRET>', SECRET_ARGUMENT)
      .addOption(commandOption.scan())
      .addOption(commandOption.clusters())
      .addOption(commandOption.noCodeDeploy())
      .addOption(commandOption.wide())
      .addOption(commandOption.noLedger())
      .addHelpText(
        'after',
        awsCallsHelp([
          ...SIGNAL_CALLS,
          'for a replicated secret, in the region of each other copy: Secrets Manager DescribeSecret, DynamoDB DescribeTable, Query, ' +
            'GetItem on the state table there, ECS DescribeServices and DescribeTaskDefinition there, and for a CODE_DEPLOY ' +
            'service there the CodeDeploy reads above (read only)',
        ]),
      )
      .action(
        cli.action(REPORT_FORMATS, async (ctx, secret: string, options: { scan?: boolean; ledger: boolean; wide?: boolean }) => {
          const run: SignalRun = {
            dryRun: true,
            force: false,
            scan: options.scan === true,
            ledger: options.ledger,
            wide: options.wide === true,
          };
          const report = await signalReport(ctx, manualSignal(targetArgument(secret)), run);
          const copies = report.action === 'redeploy' ? await copyPlans(ctx, report, run) : [];
          const all = copies.length > 0 ? { ...report, copies } : report;
          ctx.print(reportRendering(all, { wide: run.wide === true }));
          return exitCodeOf(all);
        }),
      );
  },
};
