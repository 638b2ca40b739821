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

/**
 * The process's own streams. A reader that went away (`... | head`) is no error: what is left to
 * write is dropped and the run ends with its own exit code, without a stack trace.
 */
export function processIo(): Io {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
    });
  }
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    stdin: () => process.stdin,
    stdoutIsTty: Boolean(process.stdout.isTTY),
    stderrIsTty: Boolean(process.stderr.isTTY),
    columns: process.stderr.columns,
  };
}
