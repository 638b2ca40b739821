import type { ReconcileAllSummary } from '../app/reconcile-all';
import { lastPathSegment } from '../domain/identity/arn';
import { countOutcomes, type Origin, OUTCOMES, type Outcome, type Report, type Scope, type ServiceReport } from '../domain/report/report';
import { countWords, verdictWord, WORDS, type Word, wordSummary } from '../domain/report/vocabulary';
import { escapeControl, plural } from '../domain/text';
import { compactServiceRows } from './format';
import { paint, type Rendering, type Style, textLine } from './output';
import { summaryColor } from './words';

/** A reconcile run from the command line, as printed: who asked, what ran, what it did per secret and service. */
export interface ReconcileRun {
  /** Who asked: a person at the command line (`manual`), as every report inside says too. */
  origin: Origin;
  /** What ran: every indexed secret, or each secret named (a reconcile of one secret each). */
  scope: Scope;
  dryRun: boolean;
  /** Secrets considered (every indexed one, or those named), and reconciled. */
  secrets: number;
  reconciled: number;
  /** Services by outcome (the five public words), over every secret: as the schedule's summary counts them. */
  outcomes: Record<Outcome, number>;
  /** Services by the word the table shows (the screens' vocabulary), over every secret. */
  words: Partial<Record<Word, number>>;
  /** Per secret, the services behind with no run on them (missed changes). */
  drift: Array<{ secret: string; services: string[] }>;
  errors: Array<{ secret: string; error: string }>;
  continueFrom?: string;
  /** The report of each secret reconciled. */
  reports: Report[];
}

/** The run of every indexed secret (the rate limiter's state left out: it is the schedule's business). */
export function reconcileRunOfAll(summary: ReconcileAllSummary, reports: Report[], dryRun: boolean): ReconcileRun {
  return runOf(reports, dryRun, summary.origin, 'every-secret', summary);
}

/** The run of the secrets named on the command line. */
export function reconcileRunOf(reports: Report[], dryRun: boolean): ReconcileRun {
  return runOf(reports, dryRun, 'manual', 'one-secret', { secrets: reports.length, reconciled: reports.length, drift: [], errors: [] });
}

function runOf(
  reports: Report[],
  dryRun: boolean,
  origin: Origin,
  scope: Scope,
  summary: Pick<ReconcileAllSummary, 'secrets' | 'reconciled' | 'drift' | 'errors' | 'continueFrom'>,
): ReconcileRun {
  const services = reports.flatMap((r) => r.services);
  return {
    origin,
    scope,
    dryRun,
    secrets: summary.secrets,
    reconciled: summary.reconciled,
    outcomes: countOutcomes({ services }),
    words: Object.fromEntries(countWords(services.map(verdictWord))),
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

/** "reconcile of every indexed secret (origin manual)": what ran and who asked, as the JSON says them. */
function heading(run: ReconcileRun): string {
  const what = run.scope === 'every-secret' ? 'every indexed secret' : plural(run.secrets, 'named secret');
  return `reconcile of ${what} (origin ${run.origin})${run.dryRun ? ' [dry run]' : ''}: ${run.reconciled} of ${run.secrets} reconciled`;
}

function reconcileTable(run: ReconcileRun, style: Style): string {
  const lines = [heading(run)];
  const driftOf = new Map(run.drift.map((d) => [d.secret, new Set(d.services)]));
  for (const report of run.reports) {
    const name = escapeControl(secretName(report));
    const drift = driftOf.get(report.secret.arn ?? '') ?? new Set<string>();
    // The rows to look at; those with nothing left to do or to wait for are counted below them.
    const shown = report.services.filter((s) => !WORDS[verdictWord(s)].settled);
    const quiet = wordSummary(report.services.filter((s) => !shown.includes(s)).map(verdictWord));
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
    if (shown.length === 0) {
      lines.push('', `${name}: nothing to do${quiet ? ` (${quiet})` : ''}`, ...asides);
      continue;
    }
    lines.push('', `${name}:`);
    lines.push(...compactServiceRows(shown, style, { indent: '  ', why: (s) => why(s, drift.has(s.service)) }));
    if (quiet) lines.push(`  and ${quiet}`);
    lines.push(...asides);
  }
  for (const { secret, error } of run.errors)
    lines.push('', paint(style, 'red', `${escapeControl(secret)}: error: ${escapeControl(error)}`));
  if (run.continueFrom) lines.push('', `continued from ${escapeControl(run.continueFrom)}`);
  const drifted = run.drift.reduce((n, d) => n + d.services.length, 0);
  const words = run.reports.flatMap((r) => r.services.map(verdictWord));
  // The words of the rows, counted, on one line; what else the run found on lines of their own (80 columns).
  lines.push('', paint(style, run.errors.length > 0 ? 'red' : summaryColor(words), words.length > 0 ? wordSummary(words) : 'no consumers'));
  if (drifted > 0) lines.push(paint(style, 'yellow', `${plural(drifted, 'service')} found behind with no run on them (missed changes)`));
  if (run.errors.length > 0) lines.push(paint(style, 'red', `${plural(run.errors.length, 'secret')} not reconciled`));
  return `${lines.join('\n')}\n`;
}

/** Why a service is where it is: its new deployment, or the report's reason; a missed change said first. */
function why(service: ServiceReport, drifted: boolean): string {
  const reason =
    service.outcome === 'redeployed' && service.deploymentId ? `new deployment ${service.deploymentId}` : (service.reason ?? '');
  return drifted ? `missed change; ${reason}` : reason;
}

/** Tab-separated records: the run (RECONCILE, with its origin and scope), then one SERVICE line per service, DRIFT, ERROR. */
function reconcileText(run: ReconcileRun): string {
  const driftOf = new Map(run.drift.map((d) => [d.secret, new Set(d.services)]));
  return [
    textLine([
      'RECONCILE',
      run.origin,
      run.scope,
      run.dryRun ? 'dry-run' : 'live',
      run.secrets,
      run.reconciled,
      ...OUTCOMES.map((o) => `${o}=${run.outcomes[o]}`),
    ]),
    ...run.reports.flatMap((report) =>
      report.services.map((s) =>
        textLine([
          'SERVICE',
          report.secret.arn ?? report.secret.name,
          lastPathSegment(s.cluster),
          s.serviceName,
          s.outcome,
          verdictWord(s),
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
