import { safeJson } from '../domain/text';
import type { Logger } from '../ports/logger';

/**
 * Logs JSON lines, to stderr unless told where, so that stdout stays free for the CLI's report.
 * Control and bidi characters in logged values are escaped (CloudWatch shows what it is given).
 */
export function consoleLogger(write: (line: string) => void = (line) => process.stderr.write(line)): Logger {
  const log =
    (level: string) =>
    (message: string, fields: Record<string, unknown> = {}) =>
      write(`${safeJson({ level, message, ...fields })}\n`);
  return { info: log('info'), warn: log('warn') };
}
