/** One JSON line a function wrote: a Powertools log line, or an EMF document. */
export type Line = Record<string, any>;

/**
 * What a Lambda function writes to stdout and stderr (Lambda sends both to CloudWatch Logs, where
 * EMF documents become metrics), captured and kept off the test output until `restore()`.
 */
export interface CapturedOutput {
  /** Every line written, each parsed as JSON (Powertools writes nothing else). */
  lines(): Line[];
  /** Everything written, as written (to look for characters the JSON decoding would hide). */
  written(): string;
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
    written: () => written.join(''),
    logs: () => lines().filter((line) => 'level' in line),
    emf: () => lines().filter((line) => line._aws?.CloudWatchMetrics !== undefined),
    restore: () => {
      for (const spy of spies) spy.mockRestore();
    },
  };
}

/** The EMF documents the Lambda functions wrote, kept off the test output. */
export interface MetricsSink {
  documents(): Line[];
  restore(): void;
}

/**
 * The test sink for metrics: EMF documents written to stdout (Powertools writes them there, for
 * CloudWatch) are kept here instead of reaching jest's output; everything else passes through.
 * For tests that run a handler for what it does, not for what it logs.
 */
export function metricsSink(): MetricsSink {
  const documents: Line[] = [];
  const write = process.stdout.write.bind(process.stdout);
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation(((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = String(chunk);
    const lines = text.split('\n').filter((line) => line.trim() !== '');
    if (lines.length > 0 && lines.every((line) => line.startsWith('{"_aws":'))) {
      for (const line of lines) documents.push(JSON.parse(line) as Line);
      return true;
    }
    return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
  }) as never);
  return { documents: () => documents, restore: () => spy.mockRestore() };
}
