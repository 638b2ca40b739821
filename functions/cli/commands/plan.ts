import { manualSignal } from '../../domain/decode/manual-request';
import { awsCallsHelp, type CliCommand, SECRET_ARGUMENT } from '../command';
import { commandOption } from '../options';
import { REPORT_FORMATS } from '../output';
import { runSignal, SIGNAL_CALLS, targetArgument } from '../signal';

export const planCommand: CliCommand = {
  register(program, cli) {
    program
      .command('plan')
      .summary('what a redeploy of SECRET would do, service by service, and why; changes nothing')
      .description(
        'What a redeploy of SECRET would do now, service by service, and why, in the words status and reconcile use ' +
          '(due, waiting, no tasks, pinned, excluded, up to date, ...), with the standalone tasks that use it, and a summary ' +
          'line that counts the words of the rows. Fits 80 columns (reasons cut, version ids shortened); --wide prints every ' +
          'reason whole. Changes nothing: ask it before you rotate.',
      )
      .argument('<SECRET>', SECRET_ARGUMENT)
      .addOption(commandOption.scan())
      .addOption(commandOption.clusters())
      .addOption(commandOption.noCodeDeploy())
      .addOption(commandOption.wide())
      .addOption(commandOption.noLedger())
      .addHelpText('after', awsCallsHelp(SIGNAL_CALLS))
      .action(
        cli.action(REPORT_FORMATS, (ctx, secret: string, options: { scan?: boolean; ledger: boolean; wide?: boolean }) =>
          runSignal(ctx, manualSignal(targetArgument(secret)), {
            dryRun: true,
            force: false,
            scan: options.scan === true,
            ledger: options.ledger,
            wide: options.wide === true,
          }),
        ),
      );
  },
};
