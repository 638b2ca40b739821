import type { Logger } from '../ports/logger';

/** Logs JSON lines to stderr, so that stdout stays free for the CLI's report. */
export function consoleLogger(): Logger {
  const write =
    (level: string) =>
    (message: string, fields: Record<string, unknown> = {}) =>
      process.stderr.write(`${JSON.stringify({ level, message, ...fields })}\n`);
  return { info: write('info'), warn: write('warn') };
}
