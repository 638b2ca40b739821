import { decodeEvent } from '../../domain/decode/events';
import { awsCallsHelp, type CliCommand } from '../command';
import { MAX_INPUT_BYTES, readJsonInput } from '../input';
import { commandOption } from '../options';
import { REPORT_FORMATS } from '../output';
import { REDEPLOY_CALLS, runSignal } from '../signal';

interface HandleEventOptions {
  dryRun?: boolean;
  scan?: boolean;
  ledger: boolean;
}

export const handleEventCommand: CliCommand = {
  register(program, cli) {
    program
      .command('handle-event')
      .summary('process one EventBridge event exactly as the on-secret-change Lambda function does')
      .description(
        'Processes one EventBridge event (a Secrets Manager or SSM change, as JSON) exactly as the on-secret-change Lambda ' +
          `function does. Input over ${MAX_INPUT_BYTES / 1024 / 1024} MiB is refused before it is read further.`,
      )
      .argument('<FILE>', 'a file holding the event, or - for standard input')
      .addOption(commandOption.dryRun())
      .addOption(commandOption.scan())
      .addOption(commandOption.clusters())
      .addOption(commandOption.concurrency())
      .addOption(commandOption.noLedger())
      .addHelpText('after', awsCallsHelp(['none for an event that is ignored; otherwise those of redeploy:', ...REDEPLOY_CALLS]))
      .action(
        cli.action(REPORT_FORMATS, async (ctx, file: string, options: HandleEventOptions) =>
          runSignal(ctx, decodeEvent(await readJsonInput(file, ctx.io)), {
            dryRun: options.dryRun === true,
            force: false,
            scan: options.scan === true,
            ledger: options.ledger,
          }),
        ),
      );
  },
};
