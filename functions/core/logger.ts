/** Structured log lines (one JSON object each, as CloudWatch Logs Insights reads them). */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

/** Logs JSON lines to stderr, so that stdout stays free for the CLI's report. */
export function consoleLogger(): Logger {
  const write = (level: string) => (message: string, fields: Record<string, unknown> = {}) =>
    process.stderr.write(`${JSON.stringify({ level, message, ...fields })}\n`);
  return { info: write('info'), warn: write('warn') };
}

/** Discards everything (tests, and the CLI unless asked to be verbose). */
export const silentLogger: Logger = { info: () => undefined, warn: () => undefined };
