import type { OnProgress, Progress } from '../app/progress';
import { safeJson } from '../domain/text';
import type { Io } from './io';

/** Shows how a long command advances, on stderr only: stdout holds nothing but the result. */
export interface ProgressReporter {
  update: OnProgress;
  /** Removes the live line, before anything else is written to stderr and at the end. */
  clear(): void;
  /** A line of its own on a terminal (a call waited for), or none: it takes the live line's place. */
  waiting(line: string | undefined): void;
}

/** `live`: one line rewritten in place on a terminal; `json`: JSON lines (--verbose); `off`. */
export type ProgressMode = 'live' | 'json' | 'off';

/** Redeploys of a few services are over before a progress line could help. */
export const FEW_SERVICES = 5;

const BAR_WIDTH = 20;
const REDRAW_MS = 100;

export function progressReporter(io: Io, mode: ProgressMode, now: () => number = Date.now): ProgressReporter {
  if (mode === 'off') return { update: () => undefined, clear: () => undefined, waiting: () => undefined };
  if (mode === 'json') {
    return {
      update: (progress) => io.stderr(`${safeJson({ level: 'info', message: 'progress', ...progress })}\n`),
      clear: () => undefined,
      waiting: () => undefined,
    };
  }
  let shown = false;
  let drawnAt = Number.NEGATIVE_INFINITY;
  const clear = () => {
    if (shown) io.stderr('\r\u001b[2K');
    shown = false;
  };
  return {
    update(progress) {
      const line = progressLine(progress);
      const final = progress.phase !== 'scan' && progress.done === progress.total;
      if (line === undefined || (!final && now() - drawnAt < REDRAW_MS)) return;
      drawnAt = now();
      const width = Math.max(20, (io.columns || 80) - 1);
      io.stderr(`\r\u001b[2K${line.slice(0, width)}`);
      shown = true;
    },
    clear,
    waiting(line) {
      if (line === undefined) return clear();
      const width = Math.max(20, (io.columns || 80) - 1);
      io.stderr(`\r\u001b[2K${line.slice(0, width)}`);
      shown = true;
    },
  };
}

/** The live line for one step, or undefined when there is nothing worth showing. */
export function progressLine(progress: Progress): string | undefined {
  if (progress.phase === 'scan') {
    return `scanning: clusters ${progress.clustersDone}/${progress.clusters}, ${progress.services} services, ${progress.taskDefinitions} task definitions`;
  }
  if (progress.phase === 'redeploy' && progress.total <= FEW_SERVICES) return undefined;
  const filled = progress.total === 0 ? BAR_WIDTH : Math.round((progress.done / progress.total) * BAR_WIDTH);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}]`;
  const [doing, what] = {
    redeploy: ['redeploying', 'services'],
    describe: ['checking secrets', 'secrets described'],
    reconcile: ['reconciling', 'secrets'],
  }[progress.phase];
  return `${doing} ${bar} ${progress.done}/${progress.total} ${what}`;
}
