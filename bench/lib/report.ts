/**
 * Tables of a benchmark run (Markdown, readable on a terminal too) and the results section of
 * docs/benchmark-results.md.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { formatCounts } from '../../test/kit/call-counter';
import type { AccountShape } from './account';
import type { BundleResult } from './bundles';
import { failing, type TargetResult } from './judge';
import { ECS_BUCKETS, OUR_UPDATE_SERVICE } from './limits';
import { type OwnerAccountsResult, ownerAccountsTable } from './owner-accounts';
import type { CaseResult } from './targets';
import type { FirstRebuildResult } from './virtual/first-rebuild';
import type { MassRotationResult } from './virtual/mass-rotation';
import type { WavesResult } from './virtual/waves';

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
  massRotations: MassRotationResult[];
  waves: WavesResult[];
  firstRebuilds: FirstRebuildResult[];
  bundles: BundleResult[];
  /** A consumer of owner-account secrets (bench/lib/owner-accounts.ts). */
  ownerAccounts?: OwnerAccountsResult[];
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

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;

export function casesTable(cases: CaseResult[]): string {
  return table(
    [
      'S',
      'case',
      'k',
      'AWS calls',
      'ECS calls',
      'wall (moto)',
      'handler CPU',
      'projected',
      'waits most',
      'peak RSS / heap',
      'calls by operation',
    ],
    cases.map((c) => [
      String(c.size),
      c.name,
      c.k === undefined ? '' : String(c.k),
      String(c.calls),
      String(c.ecsCalls),
      seconds(c.wallMs),
      c.cpuMs === undefined ? '' : seconds(c.cpuMs),
      `${c.projection.seconds.toFixed(1)} s`,
      c.projection.dominant,
      c.memory ? `${mb(c.memory.peakRssBytes)} / ${mb(c.memory.peakHeapUsedBytes)}` : '',
      formatCounts(c.counts),
    ]),
    ['r', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'l', 'r', 'l'],
  );
}

export function firstRebuildTable(results: FirstRebuildResult[]): string {
  return table(
    ['revisions in use', 'Lambda', 'invocations', 'time', 'limit', 'per invocation: time, revisions described, peak heap', 'ECS calls'],
    results.map((r) => [
      String(r.settings.revisions),
      `${r.settings.lambdaSeconds} s - ${r.marginSeconds} s`,
      String(r.invocations.length),
      `${r.seconds.toFixed(1)} s`,
      `${r.limitSeconds.toFixed(1)} s`,
      r.invocations.map((i) => `${i.seconds.toFixed(1)} s, ${i.described}, ${mb(i.peakHeapBytes)}`).join('; '),
      Object.entries(r.ecsCalls)
        .map(([op, n]) => `${op} ${n}`)
        .join(', '),
    ]),
    ['r', 'l', 'r', 'r', 'r', 'l', 'l'],
  );
}

export function massRotationTable(results: MassRotationResult[]): string {
  return table(
    [
      'k',
      'our bucket',
      'events',
      'Lambda',
      'redeployed once',
      'time',
      '(k - 50) / 5',
      'bound',
      'invocations',
      'UpdateService per invocation',
      'throttled',
      'ledger writes',
      'calls by operation',
    ],
    results.map((r) => [
      String(r.settings.k),
      `${r.settings.ours.burst}, ${r.settings.ours.perSecond}/s`,
      r.settings.events === 'one' ? '1 (PutSecretValue)' : "5 (a rotation's)",
      `${r.settings.lambdaSeconds} s - ${r.marginSeconds} s`,
      `${r.once} of ${r.settings.k}`,
      `${r.seconds.toFixed(1)} s`,
      `${r.ecsBucketSeconds.toFixed(1)} s`,
      `${r.floorSeconds.toFixed(1)} s`,
      String(r.invocations),
      compactList(r.updatesPerInvocation),
      String(r.throttles),
      String(r.ledgerWrites),
      formatCounts(r.counts),
    ]),
    ['r', 'l', 'l', 'l', 'r', 'r', 'r', 'r', 'r', 'l', 'r', 'r', 'l'],
  );
}

/** `250 x 6, 208`: runs of equal values collapsed. */
function compactList(values: number[]): string {
  const runs: Array<[number, number]> = [];
  for (const v of values) {
    const last = runs[runs.length - 1];
    if (last && last[0] === v) last[1] += 1;
    else runs.push([v, 1]);
  }
  return runs.map(([v, n]) => (n > 1 ? `${v} x ${n}` : String(v))).join(', ');
}

const minutes = (s: number) => `${(s / 60).toFixed(1)} min`;

export function wavesTable(results: WavesResult[]): string {
  return table(
    ['scenario', 'wave', 'services', 'first UpdateService', 'last UpdateService', 'last deployment completed', 'next wave starts after'],
    results.flatMap((r) =>
      r.waves.map((w) => [
        r.scenario === 'events'
          ? 'deployment events'
          : `events lost: schedule every ${r.settings.scheduleMinutes} min${r.scenario === 'schedule' ? '' : ', rolloutState'}`,
        String(w.wave),
        String(w.services),
        minutes(w.start),
        minutes(w.updatesEnd),
        minutes(w.deploymentsEnd),
        w.waitForNext === undefined
          ? `rollout completed at ${r.completedAt === undefined ? 'never' : minutes(r.completedAt)}`
          : minutes(w.waitForNext),
      ]),
    ),
    ['l', 'r', 'r', 'r', 'r', 'r', 'r'],
  );
}

export function wavesCallsTable(results: WavesResult[]): string {
  return table(
    ['scenario', 'invocations of', 'invocations', 'AWS calls', 'calls by operation'],
    results.flatMap((r) =>
      r.calls.map((c) => {
        let calls = 0;
        for (const n of c.counts.values()) calls += n;
        return [
          r.scenario === 'events' ? 'deployment events' : r.scenario === 'schedule' ? 'events lost' : 'events lost, rolloutState',
          c.trigger,
          String(c.invocations),
          String(calls),
          formatCounts(c.counts),
        ];
      }),
    ),
    ['l', 'l', 'r', 'r', 'l'],
  );
}

/** Every target judged, one row each (bench/lib/targets.ts): its figure, its bound and where the bound comes from, how it is measured. */
export function targetsTable(targets: TargetResult[]): string {
  return table(
    ['target', 'S', 'k', 'figure', 'limit', 'result', 'bound from', 'measured as'],
    targets.map((t) => [
      t.target,
      t.size === undefined ? '' : String(t.size),
      t.k === undefined ? '' : String(t.k),
      t.figure,
      t.limit,
      t.pass ? 'PASS' : t.advisory ? 'OVER (reported only)' : 'FAIL',
      t.from,
      t.measured,
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
    [
      ...Object.entries(ECS_BUCKETS).map(([op, b]) => [
        op,
        String(b.burst),
        String(b.refill),
        b.source === 'documented' ? 'ECS documentation' : 'assumed (like the other reads)',
      ]),
      [
        "UpdateService, the tool's own bucket",
        String(OUR_UPDATE_SERVICE.burst),
        String(OUR_UPDATE_SERVICE.refill),
        'shipped default (UPDATE_SERVICE_BURST, UPDATE_SERVICE_RATE)',
      ],
    ],
    ['l', 'r', 'r', 'l'],
  );
}

/** The whole report: what the terminal shows, and the results section of docs/benchmark-results.md. */
export function renderResults(run: RunResults): string {
  const failed = run.targets.filter(failing).length;
  const over = run.targets.filter((t) => !t.pass && !failing(t)).length;
  const parts = [
    `Command: \`${run.command}\`  `,
    `Date: ${run.date}  `,
    `Machine: ${run.machine}  `,
    `Code: ${run.code}  `,
    `Total time: ${seconds(run.totalMs)}; targets: ${run.targets.length - failed - over} PASS, ${failed} FAIL${over > 0 ? `, ${over} over (reported only)` : ''}${run.errors.length > 0 ? `; ${run.errors.length} error(s)` : ''}`,
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
    ...(run.massRotations.length > 0
      ? ['', '### A rotation of k services under ECS throttling (virtual time)', '', massRotationTable(run.massRotations)]
      : []),
    ...(run.firstRebuilds.length > 0
      ? ['', '### A first index rebuild through a chain of Lambda invocations (virtual time)', '', firstRebuildTable(run.firstRebuilds)]
      : []),
    ...(run.waves.length > 0
      ? [
          '',
          '### A rollout in waves (virtual time)',
          '',
          wavesTable(run.waves),
          '',
          'Calls by what started the invocations:',
          '',
          wavesCallsTable(run.waves),
        ]
      : []),
    ...(run.ownerAccounts && run.ownerAccounts.length > 0
      ? [
          '',
          '### A consumer of secrets owned by other accounts (moto, one server for every account)',
          '',
          ownerAccountsTable(run.ownerAccounts),
        ]
      : []),
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

/**
 * Replaces a results section of the document (`results` by default; another name keeps the
 * results of another command beside it), creating it under `header` when missing.
 */
export function writeResults(path: string, header: string, results: string, section = 'results'): void {
  const START = `<!-- bench:${section}:start (written by npm run bench; edits inside are overwritten) -->`;
  const END = `<!-- bench:${section}:end -->`;
  const current = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const start = current.indexOf(START);
  const end = current.indexOf(END);
  const before = start >= 0 && end > start ? current.slice(0, start) : `${current.trim() === '' ? header : current.trimEnd()}\n\n`;
  const after = start >= 0 && end > start ? current.slice(end + END.length) : '\n';
  writeFileSync(path, `${before}${START}\n\n${results}\n\n${END}${after}`);
}
