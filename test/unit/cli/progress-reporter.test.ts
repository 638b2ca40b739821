import { Readable } from 'node:stream';
import type { Io } from '../../../functions/cli/io';
import { FEW_SERVICES, progressLine, progressReporter } from '../../../functions/cli/progress-reporter';

function stderr(columns = 200): Io & { err: string } {
  const io = {
    err: '',
    stdout: () => undefined,
    stderr: (t: string) => {
      io.err += t;
    },
    stdin: () => Readable.from([]),
    stdoutIsTty: false,
    stderrIsTty: true,
    columns,
  };
  return io;
}

describe('progressLine', () => {
  it('shows a scan by clusters, services and task definitions', () => {
    expect(progressLine({ phase: 'scan', clusters: 5, clustersDone: 2, services: 130, taskDefinitions: 0 })).toBe(
      'scanning: clusters 2/5, 130 services, 0 task definitions',
    );
  });

  it('draws a bar for redeploys', () => {
    expect(progressLine({ phase: 'redeploy', done: 10, total: 40 })).toBe('redeploying [#####...............] 10/40 services');
  });

  it('shows nothing for a redeploy of a few services', () => {
    expect(progressLine({ phase: 'redeploy', done: 1, total: FEW_SERVICES })).toBeUndefined();
  });

  it('draws a bar for secrets being checked', () => {
    expect(progressLine({ phase: 'describe', done: 3, total: 3 })).toBe('checking secrets [####################] 3/3 secrets described');
  });

  it('draws a bar for the secrets of a reconcile of every secret', () => {
    expect(progressLine({ phase: 'reconcile', done: 1, total: 4 })).toBe('reconciling [#####...............] 1/4 secrets');
  });
});

describe('progressReporter', () => {
  it('rewrites one line in place, at most every 100 ms, but always the last step', () => {
    const io = stderr();
    let now = 0;
    const reporter = progressReporter(io, 'live', () => now);
    reporter.update({ phase: 'redeploy', done: 1, total: 10 });
    now = 50;
    reporter.update({ phase: 'redeploy', done: 2, total: 10 });
    now = 60;
    reporter.update({ phase: 'redeploy', done: 10, total: 10 });
    reporter.clear();
    expect(io.err.split('\r\u001b[2K').filter(Boolean)).toEqual([
      'redeploying [##..................] 1/10 services',
      'redeploying [####################] 10/10 services',
    ]);
    expect(io.err.endsWith('\r\u001b[2K')).toBe(true);
  });

  it('cuts the line to the width of the terminal', () => {
    const io = stderr(30);
    progressReporter(io, 'live').update({ phase: 'redeploy', done: 1, total: 10 });
    expect(io.err).toBe(`\r\u001b[2K${'redeploying [##..................] 1/10 services'.slice(0, 29)}`);
  });

  it('writes JSON lines when verbose', () => {
    const io = stderr();
    progressReporter(io, 'json').update({ phase: 'redeploy', done: 1, total: 2 });
    expect(JSON.parse(io.err)).toEqual({ level: 'info', message: 'progress', phase: 'redeploy', done: 1, total: 2 });
  });

  it('writes nothing when off, and clears nothing it did not draw', () => {
    const io = stderr();
    const off = progressReporter(io, 'off');
    off.update({ phase: 'redeploy', done: 1, total: 10 });
    off.clear();
    progressReporter(io, 'live').clear();
    expect(io.err).toBe('');
  });
});
