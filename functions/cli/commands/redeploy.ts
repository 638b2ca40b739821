import { manualSignal } from '../../domain/decode/manual-request';
import { awsCallsHelp, type CliCommand, SECRET_ARGUMENT } from '../command';
import { commandOption } from '../options';
import { REPORT_FORMATS } from '../output';
import { REDEPLOY_CALLS, runSignal, targetArgument } from '../signal';

interface RedeployOptions {
  dryRun?: boolean;
  force?: boolean;
  allWaves?: boolean;
  ignoreWindows?: boolean;
  scan?: boolean;
  ledger: boolean;
  wide?: boolean;
}

export const redeployCommand: CliCommand = {
  register(program, cli) {
    program
      .command('redeploy')
      .summary("force a new deployment of every service using SECRET's current version, once")
      .description(
        "Forces a new deployment (UpdateService --force-new-deployment) of every service whose task definition uses SECRET's " +
          'current version and runs an older one, once per version: the ledger in the state table skips services already ' +
          'redeployed for it. Services go in waves (tag ecs-secret-redeploy:wave, lower first): a wave starts once every ' +
          'deployment of the waves before it completed, and the others wait (outcome "waiting"); --all-waves skips that. ' +
          'A service with a restart window (tag ecs-secret-redeploy:window) waits for it, never past its deadline ' +
          '(tag ecs-secret-redeploy:deadline); --ignore-windows redeploys now, for a leaked credential. ' +
          'The same path as the redeploy-secret Lambda function.',
      )
      .argument('<SECRET>', SECRET_ARGUMENT)
      .addOption(commandOption.dryRun())
      .addOption(commandOption.force())
      .addOption(commandOption.allWaves())
      .addOption(commandOption.ignoreWindows())
      .addOption(commandOption.scan())
      .addOption(commandOption.clusters())
      .addOption(commandOption.noCodeDeploy())
      .addOption(commandOption.wide())
      .addOption(commandOption.concurrency())
      .addOption(commandOption.noLedger())
      .addHelpText('after', awsCallsHelp(REDEPLOY_CALLS))
      .action(
        cli.action(REPORT_FORMATS, (ctx, secret: string, options: RedeployOptions) =>
          runSignal(ctx, manualSignal(targetArgument(secret)), {
            dryRun: options.dryRun === true,
            force: options.force === true,
            allWaves: options.allWaves === true,
            ignoreWindows: options.ignoreWindows === true,
            scan: options.scan === true,
            ledger: options.ledger,
            wide: options.wide === true,
          }),
        ),
      );
  },
};
