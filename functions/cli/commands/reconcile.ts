import { reconcileAll } from '../../app/reconcile-all';
import { manualSignal } from '../../domain/decode/manual-request';
import type { Report } from '../../domain/report/report';
import { NO_DEADLINE } from '../../domain/rollout/deadline';
import { awsCallsHelp, type CliCommand, SECRET_ARGUMENT } from '../command';
import { commandOption } from '../options';
import { REPORT_FORMATS } from '../output';
import { type ReconcileRun, reconcileExitCode, reconcileRendering, reconcileRunOf, reconcileRunOfAll } from '../reconcile-format';
import { cliRun, REDEPLOY_CALLS, requireStateTable, signalReport, targetArgument } from '../signal';

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
          'catches a change whose event never came. With SECRET arguments, only those.\n\n' +
          'Prints per secret the services to look at, each with its word (redeployed, due, waiting, halted, redeploying, ' +
          'deferred, failed: the words of status and plan), those with nothing left to do counted by word (up to date, ' +
          'no tasks, pinned, ...), the services found behind with no run on them (missed changes), and a summary line ' +
          'that counts the words of the rows. The origin (manual: a person asked) and the scope (every-secret, or ' +
          'one-secret per SECRET named) are the same in the heading, in the JSON and in every report inside it; ' +
          "--output json carries each secret's report, --output text one RECONCILE record (origin, scope) and a " +
          'SERVICE record per service (outcome and word).',
      )
      .argument('[SECRET...]', SECRET_ARGUMENT)
      .addOption(commandOption.dryRun())
      .addOption(commandOption.allWaves())
      .addOption(commandOption.clusters())
      .addOption(commandOption.noCodeDeploy())
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
          const dryRun = cliRun(ctx, run.dryRun).dryRun;
          const reports: Report[] = [];
          let printed: ReconcileRun;
          if (targets.length > 0) {
            for (const target of targets) reports.push(await signalReport(ctx, manualSignal(target), run));
            printed = reconcileRunOf(reports, dryRun);
          } else {
            const summary = await reconcileAll(
              ctx.ports(),
              { kind: 'reconcile-all', origin: 'manual', trigger: { source: 'manual' }, hop: 0 },
              NO_DEADLINE,
              dryRun,
              { allWaves: run.allWaves, onProgress: ctx.progress.update, onReport: (report) => reports.push(report) },
            );
            printed = reconcileRunOfAll(summary, reports, dryRun);
          }
          ctx.print(reconcileRendering(printed));
          return reconcileExitCode(printed);
        }),
      );
  },
};
