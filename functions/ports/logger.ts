/** Structured log lines (one JSON object each, as CloudWatch Logs Insights reads them). */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

/** Discards everything (tests, and the CLI unless asked to be verbose). */
export const silentLogger: Logger = { info: () => undefined, warn: () => undefined };
