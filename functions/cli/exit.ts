import type { Command, CommanderError } from 'commander';
import { awsFailure, type Destination } from '../aws/failures';
import { BadInputError, EnvironmentError, errorLine } from '../domain/errors';
import { escapeControl } from '../domain/text';

/** The exit codes, as docs/cli.md lists them. */
export const EXIT = {
  /** Done, including "nothing to do". */
  done: 0,
  /** Some services failed (each has its reason in the report), or a call failed outright. */
  failed: 1,
  /** Bad input: arguments, options, an event, an unknown or foreign secret. */
  badInput: 2,
  /** Configuration or environment: no credentials, a missing state table, an endpoint that does not answer. */
  environment: 3,
} as const;

/** A command-line parsing error of one command (unknown option, missing argument, ...). */
export class UsageError extends Error {
  constructor(
    readonly parsing: CommanderError,
    readonly command: Command,
  ) {
    super(parsing.message, { cause: parsing });
  }
}

/** How a run ended that did not end normally: the exit code and a one-line message (none for help). */
export interface Ending {
  code: number;
  message?: string;
}

/**
 * The one place where a failure becomes an exit code and a one-line message. SDK errors are
 * classed by {@link awsFailure}; nothing prints a stack trace or an SDK's whole message.
 */
export function endingOf(error: unknown, destination: Destination): Ending {
  if (error instanceof UsageError) return usageEnding(error);
  if (error instanceof BadInputError) return { code: EXIT.badInput, message: errorMessage(error) };
  if (error instanceof EnvironmentError) return { code: EXIT.environment, message: errorMessage(error) };
  const failure = awsFailure(error, destination);
  if (failure) return { code: failure.kind === 'environment' ? EXIT.environment : EXIT.failed, message: failure.message };
  return { code: EXIT.failed, message: errorLine(error) };
}

function errorMessage(error: Error): string {
  return escapeControl(error.message.split('\n')[0]);
}

/** Commander's own messages, made into one line that says where to look. */
function usageEnding({ parsing, command }: UsageError): Ending {
  if (parsing.code === 'commander.helpDisplayed' || parsing.code === 'commander.version') return { code: EXIT.done };
  const name = fullName(command);
  const program = root(command);
  const help = `see "${[program.name(), name].filter(Boolean).join(' ')} --help"`;
  // `help COMMAND` printed a help; a program (or `index`) called without its command printed it on stderr.
  if (parsing.code === 'commander.help' && parsing.exitCode === 0) return { code: EXIT.done };
  if (parsing.code === 'commander.help') return { code: EXIT.badInput, message: `${name ? `"${name}" needs` : 'name'} a command; ${help}` };
  const text = parsing.message
    .replace(/^error: /, '')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .join(' ')
    .replace(/\.$/, '');
  const unknown = parsing.code === 'commander.unknownOption' ? /unknown option '([^'=]+)/.exec(text)?.[1] : undefined;
  const elsewhere = unknown ? commandsWithOption(program, unknown).filter((c) => c !== name) : [];
  const reason = elsewhere.length > 0 ? `option ${unknown} does not apply to ${name} (it is an option of ${elsewhere.join(', ')})` : text;
  return { code: EXIT.badInput, message: escapeControl(`${reason}; ${help}`) };
}

/** `index show`; empty for the program itself. */
function fullName(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

function root(command: Command): Command {
  let c = command;
  while (c.parent) c = c.parent;
  return c;
}

/** The full names of the commands that define an option. */
function commandsWithOption(command: Command, flag: string): string[] {
  const own = command.parent && command.options.some((o) => o.long === flag || o.short === flag) ? [fullName(command)] : [];
  return [...own, ...command.commands.flatMap((c) => commandsWithOption(c, flag))];
}
