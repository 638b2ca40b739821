import { Command } from 'commander';
import { version } from '../../package.json';
import { type AwsPorts, awsPorts } from '../aws/compose';
import { consoleLogger } from '../aws/logger';
import { type Config, loadConfig } from '../config';
import { UnknownSecretError } from '../domain/errors';
import { escapeControl } from '../domain/text';
import { silentLogger } from '../ports/logger';
import type { Cli, CommandContext } from './command';
import { COMMANDS } from './commands/registry';
import { UsageError } from './exit';
import type { Io } from './io';
import { addGlobalOptions, type RawOptions, type Settings, settingsOf } from './options';
import { type Format, rendered } from './output';
import { progressReporter } from './progress-reporter';
import { regionOf } from './signal';
import { callWatch } from './waiting';

const PROGRAM = 'ecs-secret-redeploy';

/** The AWS CLI's standard retry mode makes 3 attempts: a silent endpoint ends well within a minute. */
const CLI_MAX_ATTEMPTS = 3;

/** What a run leaves behind for main: its exit code, and the configuration it used (to name the endpoint in an error). */
export interface RunState {
  exitCode: number;
  config?: Config;
}

const NOTES = `
SECRET is a secret name, a partial or full secret ARN, or the ARN of an SSM parameter.

Environment: the AWS CLI's (AWS_PROFILE, AWS_REGION, credentials, AWS_ENDPOINT_URL for a local
emulator such as moto_server, AWS_MAX_ATTEMPTS: 3 by default), and STATE_TABLE, CLUSTERS,
MAX_CONCURRENCY, DRY_RUN, EVENT_BUS_NAME, CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS,
CODEDEPLOY_REDEPLOYS (true by default; --no-codedeploy for one run), WAKEUP_SCHEDULE_GROUP with
WAKEUP_ROLE_ARN and WAKEUP_TARGET_ARN (all three or none: where a run asks for the one-time
reconcile of a consumer held for its window or a replica), NO_COLOR.

Exit codes:
  0  done, including nothing to do
  1  some services failed (the report says why), or an AWS call failed
  2  bad input: arguments, options, an event, an unknown secret, a secret of another account
  3  configuration or environment: no credentials, a missing state table, an endpoint that
     does not answer

Run "${PROGRAM} COMMAND --help" for a command's arguments, options and AWS calls.`;

/** The whole command line: global options, every command, help, and exit codes for parsing errors. */
export function buildProgram(io: Io, state: RunState): Command {
  const program = new Command(PROGRAM)
    .description('Force a new deployment of every Amazon ECS service that uses a secret or parameter, exactly once per change.')
    .version(version, '--version', 'print the version and exit')
    .helpOption('-h, --help', 'show this help')
    .helpCommand('help [command]', 'show help for a command')
    .configureOutput({ writeOut: (text) => io.stdout(text), writeErr: (text) => io.stderr(text), outputError: () => undefined })
    .configureHelp({ showGlobalOptions: true })
    .showSuggestionAfterError(true);
  addGlobalOptions(program);
  program.addHelpText('after', NOTES);
  const cli = runner(io, state);
  for (const command of COMMANDS) command.register(program, cli);
  for (const command of everyCommand(program)) {
    command.exitOverride((error) => {
      throw new UsageError(error, command);
    });
  }
  return program;
}

/** `index show` for that subcommand. */
function commandName(command: Command): string {
  return command.parent?.parent ? `${commandName(command.parent)} ${command.name()}` : command.name();
}

function everyCommand(command: Command): Command[] {
  return [command, ...command.commands.flatMap(everyCommand)];
}

function runner(io: Io, state: RunState): Cli {
  return {
    action<A extends unknown[]>(formats: readonly Format[], body: (ctx: CommandContext, ...args: A) => Promise<number>) {
      return async (...args: unknown[]) => {
        const command = args[args.length - 1] as Command;
        const name = commandName(command);
        const settings = settingsOf(command.optsWithGlobals<RawOptions>(), { name, formats }, io.env, io.stdoutIsTty);
        const ctx = context(io, state, settings);
        try {
          state.exitCode = await body(ctx, ...(args.slice(0, -1) as A));
        } catch (error) {
          throw await located(ctx, error);
        } finally {
          ctx.stopWatching?.();
          ctx.progress.clear();
        }
      };
    },
  };
}

/**
 * An unknown secret, named with where it was looked for: the same name may exist in another
 * region or account than the one the run used.
 */
async function located(ctx: CommandContext, error: unknown): Promise<unknown> {
  if (!(error instanceof UnknownSecretError) || error.where) return error;
  const region = await regionOf(ctx);
  const account = await ctx
    .ports()
    .accountId()
    .catch(() => undefined);
  return new UnknownSecretError(error.message, { cause: error, where: `${region}${account ? `, account ${account}` : ''}` });
}

function context(io: Io, state: RunState, settings: Settings): CommandContext {
  const progress = progressReporter(io, settings.verbose ? 'json' : io.stderrIsTty ? 'live' : 'off');
  const stderrLine = (line: string) => {
    progress.clear();
    io.stderr(line);
  };
  let ports: AwsPorts | undefined;
  const elsewhere = new Map<string, AwsPorts>();
  const config = () => {
    state.config ??= loadConfig(io.env, settings.overrides, { maxAttempts: CLI_MAX_ATTEMPTS });
    return state.config;
  };
  // Only where a person watches: a terminal, without --verbose's JSON lines.
  const where = () => (state.config?.endpoint ? `"${escapeControl(state.config.endpoint)}"` : 'AWS');
  const watch = io.stderrIsTty && !settings.verbose ? callWatch(progress.waiting, where) : undefined;
  return {
    io,
    settings,
    progress,
    config,
    ports: () => {
      ports ??= awsPorts(config(), {
        log: settings.verbose ? consoleLogger(stderrLine) : silentLogger,
        instrument: watch?.instrument,
      });
      return ports;
    },
    portsIn: (region) => {
      let other = elsewhere.get(region);
      if (!other) {
        other = awsPorts(
          { ...config(), region },
          { log: settings.verbose ? consoleLogger(stderrLine) : silentLogger, instrument: watch?.instrument },
        );
        elsewhere.set(region, other);
      }
      return other;
    },
    note: (text) => stderrLine(`note: ${escapeControl(text)}\n`),
    stopWatching: () => watch?.stop(),
    print: (rendering) => {
      progress.clear();
      io.stdout(rendered(rendering, settings.format, { color: settings.color }));
    },
  };
}
