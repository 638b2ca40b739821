import { secretStatus } from '../../app/status';
import { BadInputError } from '../../domain/errors';
import { quoted } from '../../domain/text';
import { awsCallsHelp, type CliCommand, SECRET_ARGUMENT } from '../command';
import { EXIT } from '../exit';
import { REPORT_FORMATS, textLine } from '../output';
import { requireStateTable, targetArgument } from '../signal';
import { statusRendering } from '../status-format';
import { CLEAR_SCREEN, clockTime, watchStatus } from '../watch';

interface StatusOptions {
  watch?: boolean;
  interval: string;
  timeout: string;
  wide?: boolean;
}

/** Refreshes with nothing in progress before --watch stops: the change may not have been picked up yet. */
const IDLE_REFRESHES = 3;

export const statusCommand: CliCommand = {
  register(program, cli) {
    program
      .command('status')
      .summary("how far SECRET's current versions have reached: each consumer, its deployment, its tasks on older versions")
      .description(
        'Where every consumer of SECRET stands now, judged by the plan a reconcile would make (the words of plan and ' +
          'reconcile: due, waiting, halted, redeploying, no tasks, pinned, excluded, ...; for one up to date, what ECS ' +
          'shows: current, deploying, old tasks, deploy failed); its wave and the running tasks on the current versions; ' +
          'then the rollout and a summary line that counts the words of the rows (docs/cli.md has every word). --wide adds ' +
          "the versions each runs and must run, its deployment and why. A replica secret names its primary's region and its " +
          'replication status, and what its consumers wait for while the change is not there yet (a failed replication is a ' +
          'warning); a primary lists its replicas. Changes nothing.\n\n' +
          '--watch refreshes every --interval seconds (redrawn in place on a terminal, with the time of the refresh; ' +
          'appended on a pipe) and stops with a line saying why: every consumer on the current versions (exit 0), the ' +
          'rollout halted or a deployment failed (exit 1), nothing in progress for three refreshes (what is left waits for ' +
          'a reconcile; exit 0), or --timeout (exit 0).',
      )
      .argument('<SECRET>', SECRET_ARGUMENT)
      .option('--wide', 'every detail: the versions each consumer runs and must run, its deployment (wider than 80 columns)')
      .option('--watch', 'refresh until nothing more will change: see above')
      .option('--interval <seconds>', 'seconds between refreshes with --watch, 1 to 3600', '10')
      .option('--timeout <seconds>', 'stop --watch after this many seconds, 1 to 86400', '1800')
      .addHelpText(
        'after',
        awsCallsHelp([
          'STS GetCallerIdentity; Secrets Manager DescribeSecret (or SSM DescribeParameters; for a replica, DescribeSecret of its primary too); DynamoDB DescribeTable, Query (index and ledger)',
          'Secrets Manager ListSecretVersionIds (no value) when a consumer has no ledger record yet; ECS DescribeTaskDefinition for a service on a new task definition',
          'ECS DescribeServices (per ten consumers), ListTasks and DescribeTasks per consumer, DescribeServiceDeployments (per 20) for the deployments the ledger records (ListServiceDeployments for one whose record lacks its ARN); with --watch, all of these per refresh',
          "for CODE_DEPLOY consumers, none without them: CodeDeploy BatchGetDeployments (per 25) for the deployments CodeDeploy made, and the plan's group reads (BatchGetDeploymentGroups for the group the ledger remembers; else ListApplications, BatchGetApplications, ListDeploymentGroups, BatchGetDeploymentGroups)",
        ]),
      )
      .action(
        cli.action(REPORT_FORMATS, async (ctx, secret: string, options: StatusOptions) => {
          const target = targetArgument(secret);
          const interval = wholeSeconds('--interval', options.interval, 3600);
          const timeout = wholeSeconds('--timeout', options.timeout, 86400);
          await requireStateTable(ctx);
          const read = () => secretStatus(ctx.ports(), target);
          if (!options.watch) {
            ctx.print(statusRendering(await read(), { wide: options.wide }));
            return EXIT.done;
          }
          // Redrawn in place only where a person looks at it: a terminal, in the table format.
          const redraw = ctx.io.stdoutIsTty && ctx.settings.format === 'table';
          const end = await watchStatus(
            {
              read,
              show: (status, at) => {
                if (redraw) ctx.io.stdout(CLEAR_SCREEN);
                ctx.print(statusRendering(status, { wide: options.wide }));
                if (ctx.settings.format === 'table')
                  ctx.io.stdout(
                    redraw ? `\nrefreshed ${clockTime(at)}, every ${interval}s (Ctrl-C to stop)\n` : `refreshed ${at.toISOString()}\n\n`,
                  );
                else if (ctx.settings.format === 'text') ctx.io.stdout(textLine(['REFRESHED', at.toISOString()]));
              },
              sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
              now: Date.now,
            },
            { intervalMs: interval * 1000, timeoutMs: timeout * 1000, idleRefreshes: IDLE_REFRESHES, secret },
          );
          ctx.io.stderr(`${end.line}\n`);
          return end.code;
        }),
      );
  },
};

function wholeSeconds(option: string, value: string, max: number): number {
  const n = Number(value);
  if (!/^\d{1,5}$/.test(value) || n < 1 || n > max)
    throw new BadInputError(`${option} must be a whole number of seconds from 1 to ${max}, got ${quoted(value, 20)}`);
  return n;
}
