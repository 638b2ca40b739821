import type { Command } from 'commander';
import type { AwsPorts } from '../aws/compose';
import type { Config } from '../config';
import type { Io } from './io';
import type { Settings } from './options';
import type { Format, Rendering } from './output';
import type { ProgressReporter } from './progress-reporter';

/**
 * One command of the CLI, in a file of its own under `commands/`: adding a command is writing
 * one of these and listing it in `commands/registry.ts`.
 */
export interface CliCommand {
  /** Adds the command, its arguments, its own options and its help to the program. */
  register(program: Command, cli: Cli): void;
}

/** What the program gives every command. */
export interface Cli {
  /**
   * A command's action: checks the options (bad values are bad input, exit 2) and the output
   * format against those the command prints, builds the context, runs `body` with the command's
   * arguments and options, and keeps the exit code it returns.
   */
  action<A extends unknown[]>(
    formats: readonly Format[],
    body: (ctx: CommandContext, ...args: A) => Promise<number>,
  ): (...args: unknown[]) => Promise<void>;
}

/** What an action works with. */
export interface CommandContext {
  io: Io;
  settings: Settings;
  /** The configuration: environment, then options (read once; a bad environment is exit 3). */
  config(): Config;
  /** The AWS adapters, built once from the configuration. */
  ports(): AwsPorts;
  /** The AWS adapters of another region: the same configuration and credentials, that region (built once each). */
  portsIn(region: string): AwsPorts;
  progress: ProgressReporter;
  /** A line on stderr, `note: ...`, for what the user must know beside the result. */
  note(text: string): void;
  /** Prints the result on stdout in the chosen format. */
  print(rendering: Rendering): void;
  /** Ends the notice of calls waited for (at the end of the command). */
  stopWatching?(): void;
}

/** A help section listing the AWS calls a command makes: what a run costs and which permissions it needs. */
export function awsCallsHelp(calls: readonly string[]): string {
  return `\nAWS calls:\n${calls
    .map((c) => wrapped(c, 98).join('\n    '))
    .map((c) => `  ${c}`)
    .join('\n')}\n`;
}

/** Words of a text in lines of at most `width` characters. */
function wrapped(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  return [...lines, line];
}

/** The help line of a SECRET argument. */
export const SECRET_ARGUMENT = 'a secret name, a partial or full secret ARN, or an SSM parameter ARN';
