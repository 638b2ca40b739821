import type { Instrument } from '../aws/clients';

/** How long a call may take before the terminal says that it is waiting for it. */
export const WAITING_AFTER_MS = 3000;
const TICK_MS = 1000;

/** Watches the AWS calls in flight and says, on a terminal, which one has been waited for and how long. */
export interface CallWatch {
  /** Adds the watch to every client built. */
  instrument: Instrument;
  /** Stops the ticker (the line itself goes with the progress line). */
  stop(): void;
}

interface InFlight {
  call: string;
  since: number;
}

/** "DynamoDB DescribeTable" from the SDK's client and command names. */
export function callName(clientName: string | undefined, commandName: string | undefined): string {
  const service = (clientName ?? '').replace(/Client$/, '');
  const command = (commandName ?? '').replace(/Command$/, '');
  return [service, command].filter(Boolean).join(' ') || 'a call';
}

/**
 * The line for the call waited for longest, once it has waited {@link WAITING_AFTER_MS}: a silent
 * endpoint takes the connect and read timeouts times the attempts to fail, and the screen must not
 * look frozen meanwhile. Undefined when nothing has waited that long.
 */
export function waitingLine(inFlight: Iterable<InFlight>, now: number, where: string): string | undefined {
  let oldest: InFlight | undefined;
  for (const call of inFlight) if (!oldest || call.since < oldest.since) oldest = call;
  if (!oldest || now - oldest.since < WAITING_AFTER_MS) return undefined;
  return `waiting for ${where} to answer ${oldest.call}: ${Math.floor((now - oldest.since) / 1000)}s (Ctrl-C to stop)`;
}

/** A {@link CallWatch} that shows its line with `show` (undefined: take it away), every second, from the first call on. */
export function callWatch(show: (line: string | undefined) => void, where: () => string, now: () => number = Date.now): CallWatch {
  const inFlight = new Set<InFlight>();
  let ticker: NodeJS.Timeout | undefined;
  let shown = false;
  const tick = () => {
    const line = waitingLine(inFlight, now(), where());
    if (line !== undefined || shown) show(line);
    shown = line !== undefined;
  };
  return {
    instrument(client) {
      const stack = client.middlewareStack as {
        add(middleware: unknown, options: { step: string; name: string }): void;
      };
      stack.add(
        (next: (args: unknown) => Promise<unknown>, context: { clientName?: string; commandName?: string }) => async (args: unknown) => {
          const call = { call: callName(context.clientName, context.commandName), since: now() };
          inFlight.add(call);
          ticker ??= setInterval(tick, TICK_MS).unref();
          try {
            return await next(args);
          } finally {
            inFlight.delete(call);
            if (shown && inFlight.size === 0) tick();
          }
        },
        { step: 'initialize', name: 'cliWaitingNotice' },
      );
    },
    stop() {
      if (ticker) clearInterval(ticker);
      ticker = undefined;
    },
  };
}
