/** Where the CLI reads and writes, injectable for tests. */
export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Standard input as a stream (read only by `handle-event -`, and only up to the input limit). */
  stdin(): AsyncIterable<Buffer | string>;
  /** Whether stdout and stderr are terminals: colours in tables, a live progress line. */
  stdoutIsTty: boolean;
  stderrIsTty: boolean;
  /** Width of the terminal on stderr, for the progress line. */
  columns?: number;
  /** Environment for the configuration; the process environment when absent. */
  env?: Record<string, string | undefined>;
}

/** The process's own streams. */
export function processIo(): Io {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    stdin: () => process.stdin,
    stdoutIsTty: Boolean(process.stdout.isTTY),
    stderrIsTty: Boolean(process.stderr.isTTY),
    columns: process.stderr.columns,
  };
}
