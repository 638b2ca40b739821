import { resume } from '../../app/resume';
import { exitCodeOf } from '../../domain/report/report';
import { awsCallsHelp, type CliCommand, SECRET_ARGUMENT } from '../command';
import { reportRendering } from '../format';
import { commandOption } from '../options';
import { REPORT_FORMATS } from '../output';
import { cliRun, REDEPLOY_CALLS, requireStateTable, targetArgument } from '../signal';

export const resumeCommand: CliCommand = {
  register(program, cli) {
    program
      .command('resume')
      .summary('continue a rollout of SECRET that a failed deployment halted, once the cause is fixed')
      .description(
        "Continues the rollout of SECRET's current versions that a FAILED deployment halted: the services whose deployment " +
          'failed are redeployed again, in their wave, and the waves after them go on as their deployments complete. Refused ' +
          '(exit 2) when the rollout is not halted. A newer version of the secret starts a new rollout anyway.',
      )
      .argument('<SECRET>', SECRET_ARGUMENT)
      .addOption(commandOption.dryRun())
      .addOption(commandOption.clusters())
      .addOption(commandOption.noCodeDeploy())
      .addOption(commandOption.concurrency())
      .addHelpText('after', awsCallsHelp(['DynamoDB GetItem, PutItem (the rollout)', ...REDEPLOY_CALLS]))
      .action(
        cli.action(REPORT_FORMATS, async (ctx, secret: string, options: { dryRun?: boolean }) => {
          const target = targetArgument(secret);
          await requireStateTable(ctx);
          const report = await resume(ctx.ports(), target, cliRun(ctx, options.dryRun === true));
          ctx.print(reportRendering(report));
          return exitCodeOf(report);
        }),
      );
  },
};
