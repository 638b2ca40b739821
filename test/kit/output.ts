/** One JSON line a function wrote: a Powertools log line, or an EMF document. */
export type Line = Record<string, any>;

/**
 * What a Lambda function writes to stdout and stderr (Lambda sends both to CloudWatch Logs, where
 * EMF documents become metrics), captured and kept off the test output until `restore()`.
 */
export interface CapturedOutput {
  /** Every line written, each parsed as JSON (Powertools writes nothing else). */
  lines(): Line[];
  /** The log lines (they have a `level`). */
  logs(): Line[];
  /** The EMF documents (they have `_aws.CloudWatchMetrics`). */
  emf(): Line[];
  restore(): void;
}

export function captureOutput(): CapturedOutput {
  const written: string[] = [];
  const spies = [process.stdout, process.stderr].map((stream) =>
    jest.spyOn(stream, 'write').mockImplementation(((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    }) as never),
  );
  const lines = () =>
    written
      .join('')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as Line);
  return {
    lines,
    logs: () => lines().filter((line) => 'level' in line),
    emf: () => lines().filter((line) => line._aws?.CloudWatchMetrics !== undefined),
    restore: () => {
      for (const spy of spies) spy.mockRestore();
    },
  };
}
