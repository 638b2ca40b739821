/** Counts SDK calls by operation name, e.g. `{ DescribeSecret: 1, UpdateService: 3 }`. */
export interface CallCounter {
  counts: Record<string, number>;
  /** Pass as `buildDeps(config, { instrument })`. */
  instrument(client: { middlewareStack: unknown }): void;
  reset(): void;
  total(): number;
}

/**
 * A counter fed by an SDK middleware at the `initialize` step: it sees each operation once,
 * however many retries follow.
 */
export function callCounter(): CallCounter {
  const counts: Record<string, number> = {};
  return {
    counts,
    instrument(client) {
      (client.middlewareStack as { add: (mw: unknown, options: unknown) => void }).add(
        (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
          const name = (context.commandName ?? 'unknown').replace(/Command$/, '');
          counts[name] = (counts[name] ?? 0) + 1;
          return next(args);
        },
        { step: 'initialize', name: 'callCounter' },
      );
    },
    reset() {
      for (const key of Object.keys(counts)) delete counts[key];
    },
    total() {
      return Object.values(counts).reduce((a, b) => a + b, 0);
    },
  };
}
