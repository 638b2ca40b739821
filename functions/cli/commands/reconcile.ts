import { reconcileAll } from '../../app/reconcile-all';
import { manualSignal } from '../../domain/decode/manual-request';
import { NO_DEADLINE } from '../../domain/rollout/deadline';
import { awsCallsHelp, type CliCommand, SECRET_ARGUMENT } from '../command';
import { EXIT } from '../exit';
import { scheduleRendering } from '../format';
import { commandOption } from '../options';
import { REPORT_FORMATS } from '../output';
import { cliRun, REDEPLOY_CALLS, requireStateTable, runSignal, targetArgument } from '../signal';

interface ReconcileCommandOptions {
  dryRun?: boolean;
  allWaves?: boolean;
}

export const reconcileCommand: CliCommand = {
  register(program, cli) {
    program
      .command('reconcile')
      .summary('bring every consumer of SECRET (of every indexed secret, when none) to its current versions')
      .description(
        'Compares the versions each consumer was last deployed with (the ledger) to the versions the secret stages point to now, ' +
          'and redeploys, once and in waves, those behind: what the scheduled reconcile does for every indexed secret, and what ' +
          'catches a change whose event never came. With SECRET arguments, only those.',
      )
      .argument('[SECRET...]', SECRET_ARGUMENT)
      .addOption(commandOption.dryRun())
      .addOption(commandOption.allWaves())
      .addOption(commandOption.clusters())
      .addOption(commandOption.concurrency())
      .addHelpText(
        'after',
        awsCallsHelp([
          'for every indexed secret: DynamoDB Scan (index and ledger, once each), then per secret those of redeploy without the Query',
          ...REDEPLOY_CALLS,
        ]),
      )
      .action(
        cli.action(REPORT_FORMATS, async (ctx, secrets: string[], options: ReconcileCommandOptions) => {
          const targets = secrets.map(targetArgument);
          await requireStateTable(ctx);
          const run = { dryRun: options.dryRun === true, force: false, scan: false, ledger: true, allWaves: options.allWaves === true };
          if (targets.length > 0) {
            let code: number = EXIT.done;
            for (const target of targets) code = Math.max(code, await runSignal(ctx, manualSignal(target), run));
            return code;
          }
          const summary = await reconcileAll(
            ctx.ports(),
            { kind: 'reconcile-all', trigger: { source: 'manual' }, hop: 0 },
            NO_DEADLINE,
            cliRun(ctx, run.dryRun).dryRun,
            { allWaves: run.allWaves, onProgress: ctx.progress.update },
          );
          ctx.print(scheduleRendering(summary));
          return summary.outcomes.failed > 0 || summary.errors.length > 0 ? EXIT.failed : EXIT.done;
        }),
      );
  },
};
