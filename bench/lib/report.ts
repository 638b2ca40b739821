/**
 * Tables of a benchmark run (Markdown, readable on a terminal too) and the results section of
 * docs/benchmarks.md.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { formatCounts } from '../../test/support/call-counter';
import type { AccountShape } from './account';
import type { BundleResult } from './bundles';
import { ECS_BUCKETS } from './limits';
import type { CaseResult, TargetResult } from './targets';

/** One seeded size. */
export interface SizeSummary {
  size: number;
  shape: AccountShape;
  seedCalls: number;
  seedMs: number;
}

/** Everything one run measured. */
export interface RunResults {
  command: string;
  date: string;
  machine: string;
  /** The commit measured, and whether functions/ had uncommitted changes. */
  code: string;
  totalMs: number;
  sizes: SizeSummary[];
  cases: CaseResult[];
  bundles: BundleResult[];
  targets: TargetResult[];
  errors: string[];
}

export function table(header: string[], rows: string[][], align?: ('l' | 'r')[]): string {
  const rule = header.map((_, i) => (align?.[i] === 'r' ? '---:' : '---'));
  return [header, rule, ...rows].map((cells) => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`).join('\n');
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export function seedingTable(sizes: SizeSummary[]): string {
  return table(
    [
      'S',
      'clusters x services',
      'task definitions in use',
      'revisions registered',
      'secrets (referenced)',
      'index entries',
      'seed calls',
      'seed time',
      'calls/s',
    ],
    sizes.map((s) => [
      String(s.size),
      `${s.shape.clusters} x ${Math.max(...s.shape.servicesPerCluster)}`,
      String(s.shape.inUseTaskDefinitions),
      String(s.shape.registeredRevisions),
      `${s.shape.secrets} (${s.shape.referencedSecrets})`,
      String(s.shape.indexEntries),
      String(s.seedCalls),
      seconds(s.seedMs),
      (s.seedCalls / (s.seedMs / 1000)).toFixed(0),
    ]),
    ['r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
  );
}

export function casesTable(cases: CaseResult[]): string {
  return table(
    ['S', 'case', 'k', 'AWS calls', 'ECS calls', 'wall (moto)', 'ECS-limited', 'waits most', 'calls by operation'],
    cases.map((c) => [
      String(c.size),
      c.name,
      c.k === undefined ? '' : String(c.k),
      String(c.calls),
      String(c.ecsCalls),
      seconds(c.wallMs),
      `${c.projection.seconds.toFixed(1)} s`,
      c.projection.dominant,
      formatCounts(c.counts),
    ]),
    ['r', 'l', 'r', 'r', 'r', 'r', 'r', 'l', 'l'],
  );
}

export function targetsTable(targets: TargetResult[]): string {
  return table(
    ['target', 'S', 'k', 'figure', 'limit', 'result'],
    targets.map((t) => [
      t.target,
      t.size === undefined ? '' : String(t.size),
      t.k === undefined ? '' : String(t.k),
      t.figure,
      t.limit,
      t.pass ? 'PASS' : 'FAIL',
    ]),
  );
}

export function bundlesTable(bundles: BundleResult[]): string {
  return table(
    ['handler', 'bundle', 'cold load (median)', 'runs (ms)'],
    bundles.map((b) => [
      b.handler,
      `${(b.bytes / 1024).toFixed(0)} KB`,
      `${b.coldLoadMs.toFixed(0)} ms`,
      b.runs.map((r) => r.toFixed(0)).join(', '),
    ]),
    ['l', 'r', 'r', 'l'],
  );
}

export function limitsTable(): string {
  return table(
    ['ECS action', 'burst (bucket)', 'refill per second', 'value from'],
    Object.entries(ECS_BUCKETS).map(([op, b]) => [
      op,
      String(b.burst),
      String(b.refill),
      b.source === 'issue' ? 'issue (ECS documentation)' : 'assumed (like the other reads)',
    ]),
    ['l', 'r', 'r', 'l'],
  );
}

/** The whole report: what the terminal shows, and the results section of docs/benchmarks.md. */
export function renderResults(run: RunResults): string {
  const failed = run.targets.filter((t) => !t.pass).length;
  const parts = [
    `Command: \`${run.command}\`  `,
    `Date: ${run.date}  `,
    `Machine: ${run.machine}  `,
    `Code: ${run.code}  `,
    `Total time: ${seconds(run.totalMs)}; targets: ${run.targets.length - failed} PASS, ${failed} FAIL${run.errors.length > 0 ? `; ${run.errors.length} error(s)` : ''}`,
    '',
    '### Accounts seeded',
    '',
    seedingTable(run.sizes),
    '',
    '### Cost of each case',
    '',
    casesTable(run.cases),
    '',
    '### Targets',
    '',
    targetsTable(run.targets),
    '',
    '### Handler bundles',
    '',
    bundlesTable(run.bundles),
    '',
    '### ECS rate limits used for the projection',
    '',
    limitsTable(),
  ];
  if (run.errors.length > 0) parts.push('', '### Errors', '', ...run.errors.map((e) => `- ${e}`));
  return parts.join('\n');
}

const START = '<!-- bench:results:start (written by npm run bench; edits inside are overwritten) -->';
const END = '<!-- bench:results:end -->';

/** Replaces the results section of the document (creating it under `header` when missing). */
export function writeResults(path: string, header: string, results: string): void {
  const current = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const start = current.indexOf(START);
  const end = current.indexOf(END);
  const before = start >= 0 && end > start ? current.slice(0, start) : `${current.trim() === '' ? header : current.trimEnd()}\n\n`;
  const after = start >= 0 && end > start ? current.slice(end + END.length) : '\n';
  writeFileSync(path, `${before}${START}\n\n${results}\n\n${END}${after}`);
}
