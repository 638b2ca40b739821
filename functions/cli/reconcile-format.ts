import type { ReconcileAllSummary } from '../app/reconcile-all';
import { lastPathSegment } from '../domain/identity/arn';
import type { Report, ServiceReport } from '../domain/report/report';
import { escapeControl } from '../domain/text';
import { type Color, paint, plural, type Rendering, type Style, table, textLine } from './output';

/** What a reconcile did to one service, in the words of its report. */
export type Did = 'redeployed' | 'would-redeploy' | 'waiting' | 'failed' | 'up-to-date' | 'skipped';

const DID: readonly Did[] = ['redeployed', 'would-redeploy', 'waiting', 'failed', 'up-to-date', 'skipped'];

const DID_COLORS: Record<Did, Color | undefined> = {
  redeployed: 'green',
  'would-redeploy': 'yellow',
  waiting: 'yellow',
  failed: 'red',
  'up-to-date': undefined,
  skipped: 'dim',
};

/** A reconcile run from the command line, as printed: where it came from, what it did per secret and service. */
export interface ReconcileRun {
  /** Who started it: a person at the command line (a scheduled run says `schedule`, an event `event`). */
  origin: 'cli';
  dryRun: boolean;
  /** Secrets considered (every indexed one, or those named), and reconciled. */
  secrets: number;
  reconciled: number;
  /** Services by what was done to them, over every secret. */
  outcomes: Record<Did, number>;
  /** Per secret, the services behind with no run on them (missed changes). */
  drift: Array<{ secret: string; services: string[] }>;
  errors: Array<{ secret: string; error: string }>;
  continueFrom?: string;
  /** The report of each secret reconciled. */
  reports: Report[];
}

/** What was done to a service: a skip because it already runs the current versions is "up-to-date". */
export function didOf(service: ServiceReport): Did {
  if (service.outcome === 'skipped') return service.kind === 'up-to-date' ? 'up-to-date' : 'skipped';
  return service.outcome;
}

/** The run of every indexed secret (the rate limiter's state left out: it is the schedule's business). */
export function reconcileRunOfAll(summary: ReconcileAllSummary, reports: Report[], dryRun: boolean): ReconcileRun {
  return runOf(reports, dryRun, summary);
}

/** The run of the secrets named on the command line. */
export function reconcileRunOf(reports: Report[], dryRun: boolean): ReconcileRun {
  return runOf(reports, dryRun, { secrets: reports.length, reconciled: reports.length, drift: [], errors: [] });
}

function runOf(
  reports: Report[],
  dryRun: boolean,
  summary: Pick<ReconcileAllSummary, 'secrets' | 'reconciled' | 'drift' | 'errors' | 'continueFrom'>,
): ReconcileRun {
  const outcomes = Object.fromEntries(DID.map((d) => [d, 0])) as Record<Did, number>;
  for (const report of reports) for (const service of report.services) outcomes[didOf(service)] += 1;
  return {
    origin: 'cli',
    dryRun,
    secrets: summary.secrets,
    reconciled: summary.reconciled,
    outcomes,
    drift: summary.drift,
    errors: summary.errors,
    continueFrom: summary.continueFrom,
    reports: [...reports].sort((a, b) => secretName(a).localeCompare(secretName(b))),
  };
}

/** Exit 1 when a service failed or a secret could not be reconciled. */
export function reconcileExitCode(run: ReconcileRun): 0 | 1 {
  return run.outcomes.failed > 0 || run.errors.length > 0 ? 1 : 0;
}

function secretName(report: Report): string {
  return report.secret.name ?? report.secret.arn ?? '';
}

/** The run in every format. */
export function reconcileRendering(run: ReconcileRun): Rendering {
  return { json: run, table: (style) => reconcileTable(run, style), text: () => reconcileText(run) };
}

function reconcileTable(run: ReconcileRun, style: Style): string {
  const lines = [
    `reconcile from the command line${run.dryRun ? ' [dry run]' : ''}: ${run.reconciled} of ${plural(run.secrets, 'secret')} reconciled`,
  ];
  const driftOf = new Map(run.drift.map((d) => [d.secret, new Set(d.services)]));
  for (const report of run.reports) {
    const name = escapeControl(secretName(report));
    const drift = driftOf.get(report.secret.arn ?? '') ?? new Set<string>();
    const acted = report.services.filter((s) => !['up-to-date', 'skipped'].includes(didOf(s)));
    const quiet = report.services.length - acted.length;
    const rest = quietCounts(report.services);
    // What the full report says beside the services: never lost in the summary.
    const asides = [
      ...report.warnings.map((w) => paint(style, 'yellow', `  warning: ${escapeControl(w)}`)),
      ...(report.standaloneTasks.length > 0
        ? [`  ${plural(report.standaloneTasks.length, 'standalone task')} use it (not redeployed: restart them yourself)`]
        : []),
      ...(report.continued ? [`  continued: ${escapeControl(report.continued.reason)}`] : []),
    ];
    if (report.action === 'ignore') {
      lines.push('', `${name}: ignored: ${escapeControl(report.reason ?? '')}`, ...asides);
      continue;
    }
    if (acted.length === 0) {
      lines.push('', `${name}: nothing to do${rest ? ` (${rest})` : ''}`, ...asides);
      continue;
    }
    lines.push('', `${name}:`);
    const rows = acted.map((s) => {
      const did = didOf(s);
      const why = s.outcome === 'redeployed' && s.deploymentId ? `new deployment ${s.deploymentId}` : (s.reason ?? '');
      return [
        `  ${s.serviceName}`,
        lastPathSegment(s.cluster),
        { text: words(did), color: DID_COLORS[did] },
        drift.has(s.service) ? `missed change; ${why}` : why,
      ];
    });
    lines.push(...table(['  SERVICE', 'CLUSTER', 'DID', 'WHY'], rows, style));
    if (quiet > 0) lines.push(`  and ${rest}`);
    lines.push(...asides);
  }
  for (const { secret, error } of run.errors)
    lines.push('', paint(style, 'red', `${escapeControl(secret)}: error: ${escapeControl(error)}`));
  if (run.continueFrom) lines.push('', `continued from ${escapeControl(run.continueFrom)}`);
  const drifted = run.drift.reduce((n, d) => n + d.services.length, 0);
  lines.push(
    '',
    [
      DID.filter((d) => run.outcomes[d] > 0 || d === 'redeployed' || d === 'failed')
        .map((d) => `${run.outcomes[d]} ${words(d)}`)
        .join(', '),
      ...(drifted > 0 ? [`${plural(drifted, 'service')} found behind with no run on them (missed changes)`] : []),
      ...(run.errors.length > 0 ? [`${plural(run.errors.length, 'secret')} not reconciled`] : []),
    ].join('; '),
  );
  return `${lines.join('\n')}\n`;
}

/** "2 up to date, 1 skipped" */
function quietCounts(services: ServiceReport[]): string {
  const counts = new Map<Did, number>();
  for (const s of services) {
    const did = didOf(s);
    if (did === 'up-to-date' || did === 'skipped') counts.set(did, (counts.get(did) ?? 0) + 1);
  }
  return [...counts].map(([did, n]) => `${n} ${words(did)}`).join(', ');
}

/** "up to date" in a sentence. */
function words(did: Did): string {
  return did.replace(/-/g, ' ');
}

/** Tab-separated records: the run (RECONCILE, with its origin), then one SERVICE line per service, DRIFT, ERROR. */
function reconcileText(run: ReconcileRun): string {
  const driftOf = new Map(run.drift.map((d) => [d.secret, new Set(d.services)]));
  return [
    textLine([
      'RECONCILE',
      run.origin,
      run.dryRun ? 'dry-run' : 'live',
      run.secrets,
      run.reconciled,
      ...DID.map((d) => `${d}=${run.outcomes[d]}`),
    ]),
    ...run.reports.flatMap((report) =>
      report.services.map((s) =>
        textLine([
          'SERVICE',
          report.secret.arn ?? report.secret.name,
          lastPathSegment(s.cluster),
          s.serviceName,
          didOf(s),
          s.deploymentId,
          driftOf.get(report.secret.arn ?? '')?.has(s.service) ? 'drift' : '',
          s.reason,
        ]),
      ),
    ),
    ...run.drift.flatMap(({ secret, services }) => services.map((service) => textLine(['DRIFT', secret, service]))),
    ...run.errors.map(({ secret, error }) => textLine(['ERROR', secret, error])),
  ].join('');
}
