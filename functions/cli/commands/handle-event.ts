import { deploymentOfThisAccount } from '../../app/event-sender';
import { handleEvent } from '../../app/handle-event';
import { reindexService } from '../../app/index-writes';
import { decodeDeploymentEvent, isEcsEvent } from '../../domain/decode/deployment-event';
import { decodeEvent } from '../../domain/decode/events';
import { isScheduledEvent } from '../../domain/decode/run-request';
import { MalformedEventError } from '../../domain/errors';
import { clusterOfService } from '../../domain/identity/arn';
import { exitCodeOf } from '../../domain/report/report';
import { awsCallsHelp, type CliCommand } from '../command';
import { EXIT } from '../exit';
import { progressRendering, reportRendering, scheduleRendering } from '../format';
import { MAX_INPUT_BYTES, readJsonInput } from '../input';
import { commandOption } from '../options';
import { REPORT_FORMATS } from '../output';
import { cliRun, REDEPLOY_CALLS, requireStateTable, runSignal } from '../signal';

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
        'Processes one EventBridge event (as JSON) exactly as the on-secret-change Lambda function does: a Secrets Manager ' +
          'or SSM change reconciles that secret (and, for a secret of another region, its replica or primary in this region); ' +
          'an ECS Deployment State Change re-indexes the service (as refresh-index ' +
          'does) and moves its rollout on (the next wave, or a halt); a Scheduled Event reconciles every indexed secret. ' +
          `Input over ${MAX_INPUT_BYTES / 1024 / 1024} MiB is refused before it is read further.`,
      )
      .argument('<FILE>', 'a file holding the event, or - for standard input')
      .addOption(commandOption.dryRun())
      .addOption(commandOption.scan())
      .addOption(commandOption.clusters())
      .addOption(commandOption.noCodeDeploy())
      .addOption(commandOption.concurrency())
      .addOption(commandOption.noLedger())
      .addHelpText('after', awsCallsHelp(['none for an event that is ignored; otherwise those of redeploy:', ...REDEPLOY_CALLS]))
      .action(
        cli.action(REPORT_FORMATS, async (ctx, file: string, options: HandleEventOptions) => {
          const event = await readJsonInput(file, ctx.io);
          if (!isEcsEvent(event) && !isScheduledEvent(event)) {
            const run = { dryRun: options.dryRun === true, force: false, scan: options.scan === true, ledger: options.ledger };
            return runSignal(ctx, decodeEvent(event), run, 'event');
          }
          // Rollouts and the schedule live in the ledger: there is no running them without it.
          await requireStateTable(ctx);
          const ports = ctx.ports();
          const run = cliRun(ctx, options.dryRun === true);
          if (isEcsEvent(event) && !run.dryRun) {
            const change = decodeDeploymentEvent(event);
            // Another account's event is refused before it is re-indexed, as refresh-index refuses it.
            await deploymentOfThisAccount(ports, change);
            await reindexService(ports, clusterOfService(change.serviceArn), change.serviceArn);
          }
          const outcome = await handleEvent(ports, event, run);
          if (outcome.kind === 'schedule') {
            ctx.print(scheduleRendering(outcome.summary));
            return outcome.summary.outcomes.failed > 0 || outcome.summary.errors.length > 0 ? EXIT.failed : EXIT.done;
          }
          if (outcome.kind === 'report') {
            ctx.print(reportRendering(outcome.report));
            return exitCodeOf(outcome.report);
          }
          // (Continuations are the reconciler's own: the CLI reads no continuation payload.)
          if (outcome.kind === 'duplicate') throw new MalformedEventError(outcome.reason);
          ctx.print(progressRendering(outcome.progress));
          const reports = outcome.progress.secrets.flatMap((s) => (s.report ? [s.report] : []));
          return reports.some((r) => exitCodeOf(r) === EXIT.failed) ? EXIT.failed : EXIT.done;
        }),
      );
  },
};
