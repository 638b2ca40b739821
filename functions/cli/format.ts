import type { ProgressOutcome } from '../app/deployment-change';
import type { RebuildSummary } from '../app/rebuild-complete';
import type { ReconcileAllSummary } from '../app/reconcile-all';
import { lastPathSegment } from '../domain/identity/arn';
import { parseTarget } from '../domain/identity/target';
import type { IndexEntry, IndexMeta, MissingSecret } from '../domain/index/entries';
import { type CopyReport, OUTCOMES, type Report, type ServiceReport } from '../domain/report/report';
import { verdictWord, wordSummary } from '../domain/report/vocabulary';
import { andMore, escapeControl, fitted, plural } from '../domain/text';
import { paint, type Rendering, type Style, shortIds, table, textLine } from './output';
import { COMPACT_CLUSTER, COMPACT_SERVICE } from './status-format';
import { summaryColor, wordCell } from './words';

const PLAIN: Style = { color: false };

/** The width every narrow screen keeps to. */
const SCREEN_WIDTH = 80;

/** A run's report in every format: the table fits 80 columns, or with `wide` shows every reason whole. */
export function reportRendering(report: Report, options: { wide?: boolean } = {}): Rendering {
  return { json: report, table: (style) => formatReport(report, style, options), text: () => reportText(report) };
}

/**
 * The report as a readable table with a heading and a summary line. Each service's word is the
 * one status and reconcile show (functions/domain/report/vocabulary.ts), and the summary counts
 * those words. In 80 columns by default: names cut as status cuts them, version ids shortened,
 * the reason cut to the room left (`wide`: every reason whole).
 */
export function formatReport(report: Report, style: Style = PLAIN, options: { wide?: boolean } = {}): string {
  const lines: string[] = [];
  const secret = report.secret.name ?? report.secret.arn ?? '(unknown secret)';
  lines.push(`secret:  ${escapeControl(secret)}${versionNote(report)}`);
  lines.push(`origin:  ${originText(report)}${report.dryRun ? ' [dry run]' : ''}`);
  if (report.inventory) {
    lines.push(`found by: ${report.inventory.source}${report.inventory.note ? ` (${escapeControl(report.inventory.note)})` : ''}`);
  }
  if (report.action === 'ignore') {
    lines.push(`ignored: ${escapeControl(report.reason ?? '')}`);
    return `${lines.join('\n')}\n`;
  }
  lines.push('');
  if (report.services.length === 0) {
    lines.push('No service references this secret.');
  } else {
    lines.push(...(options.wide ? wideRows(report, style) : compactServiceRows(report.services, style)));
  }
  if (report.standaloneTasks.length > 0) {
    lines.push('', 'Standalone tasks using the secret (not redeployed, restart them yourself):');
    lines.push(
      ...table(
        ['TASK', 'CLUSTER', 'TASK DEFINITION'],
        report.standaloneTasks.map((t) => [lastPathSegment(t.taskArn), lastPathSegment(t.clusterArn), lastPathSegment(t.taskDefinition)]),
        style,
      ),
    );
  }
  if (report.drift) {
    lines.push('', `drift: ${plural(report.drift.services.length, 'service')} behind with no run on them (missed or failed events)`);
  }
  if (report.continued) lines.push(`continued: ${escapeControl(report.continued.reason)}`);
  for (const warning of report.warnings) lines.push(paint(style, 'yellow', `warning: ${escapeControl(warning)}`));
  const words = report.services.map(verdictWord);
  lines.push('', paint(style, summaryColor(words), wordSummary(words)));
  return `${lines.join('\n')}\n${(report.copies ?? []).map((copy) => copyBlock(copy, style, options)).join('')}`;
}

/** A copy of the secret (its replica, or its primary) and its report there, after the report of the secret named. */
function copyBlock(copy: CopyReport, style: Style, options: { wide?: boolean }): string {
  const status = copy.status ? ` (${copy.status})` : '';
  const heading = `${copy.role} in ${copy.region}${status}: ${copy.arn}`;
  const body = copy.report
    ? formatReport(copy.report, style, options)
    : `${paint(style, 'yellow', escapeControl(copy.note ?? 'not planned'))}\n`;
  return `\n${paint(style, copy.status === 'Failed' ? 'red' : undefined, escapeControl(heading))}\n${body}`;
}

/** "event (PutSecretValue)", "manual", "schedule (continuation 2)": who asked, as the JSON's origin says it. */
function originText(report: Report): string {
  const origin = report.origin ?? (report.trigger.source === 'manual' ? 'manual' : 'event');
  const what = report.trigger.eventName ?? (report.trigger.source !== origin ? report.trigger.source : undefined);
  const details = [what && escapeControl(what), report.hop ? `continuation ${report.hop}` : undefined].filter(Boolean);
  return `${origin}${details.length > 0 ? ` (${details.join(', ')})` : ''}`;
}

/** Why a service is where it is, in full: its new deployment and what it runs from now on, or the report's reason. */
function reasonOf(service: ServiceReport): string {
  return service.outcome === 'redeployed' && service.deploymentId
    ? `new deployment ${service.deploymentId} (${service.reason ?? ''})`
    : (service.reason ?? '');
}

/**
 * Services in 80 columns, each with its word: names cut as status cuts them, version ids
 * shortened, the reason cut to the room left (`why`: the reason shown; `indent`: the table's
 * margin). The WAVE column only when a service has a wave.
 */
export function compactServiceRows(
  services: ServiceReport[],
  style: Style,
  options: { indent?: string; why?: (service: ServiceReport) => string } = {},
): string[] {
  const indent = options.indent ?? '';
  const why = options.why ?? reasonOf;
  const waves = services.some((s) => s.wave !== undefined);
  const cells = services.map((s) => ({
    service: `${indent}${fitted(s.serviceName, COMPACT_SERVICE)}`,
    cluster: fitted(lastPathSegment(s.cluster), COMPACT_CLUSTER),
    wave: s.wave === undefined ? '-' : String(s.wave),
    word: verdictWord(s),
    why: shortIds(why(s)),
  }));
  const width = (header: string, values: string[]) => Math.max(header.length, ...values.map((v) => v.length));
  const columns = [
    width(
      `${indent}SERVICE`,
      cells.map((c) => c.service),
    ),
    width(
      'CLUSTER',
      cells.map((c) => c.cluster),
    ),
    ...(waves
      ? [
          width(
            'WAVE',
            cells.map((c) => c.wave),
          ),
        ]
      : []),
    width(
      'NOW',
      cells.map((c) => c.word),
    ),
  ];
  // Two columns between each of them and the reason, which gets what is left (never nothing).
  const room = Math.max(12, SCREEN_WIDTH - columns.reduce((a, b) => a + b + 2, 0));
  return table(
    [`${indent}SERVICE`, 'CLUSTER', ...(waves ? ['WAVE'] : []), 'NOW', 'WHY'],
    cells.map((c) => [c.service, c.cluster, ...(waves ? [c.wave] : []), wordCell(c.word), fitted(c.why, room)]),
    style,
  );
}

/** Every service with every detail (--wide): full names, full version ids, the whole reason. */
function wideRows(report: Report, style: Style): string[] {
  return table(
    ['SERVICE', 'CLUSTER', 'WAVE', 'NOW', 'REASON'],
    report.services.map((s) => [
      s.serviceName,
      lastPathSegment(s.cluster),
      s.wave === undefined ? '-' : String(s.wave),
      wordCell(verdictWord(s)),
      reasonOf(s),
    ]),
    style,
  );
}

/** A parameter has version numbers, a secret has version ids under stages. */
function versionNote(report: Report): string {
  const { arn, versionId } = report.secret;
  if (!versionId) return '';
  return arn && parseTarget(arn)?.kind === 'parameter' ? ` (version ${versionId})` : ` (AWSCURRENT ${versionId})`;
}

/** The report as tab-separated records: one SECRET line, then one line per service and per standalone task. */
function reportText(report: Report): string {
  const { secret } = report;
  return [
    textLine(['SECRET', secret.arn ?? secret.name, secret.versionId, report.action, report.dryRun ? 'dry-run' : 'live', report.reason]),
    ...report.services.map((s) =>
      textLine([
        'SERVICE',
        lastPathSegment(s.cluster),
        s.serviceName,
        s.outcome,
        s.deploymentId,
        s.reason,
        s.service,
        s.wave,
        verdictWord(s),
      ]),
    ),
    ...(report.drift?.services ?? []).map((service) => textLine(['DRIFT', service])),
    ...(report.continued ? [textLine(['CONTINUED', report.continued.reason])] : []),
    ...report.standaloneTasks.map((t) => textLine(['TASK', lastPathSegment(t.clusterArn), t.taskArn, t.taskDefinition])),
    ...report.warnings.map((w) => textLine(['WARNING', w])),
    ...(report.copies ?? []).map(
      (c) => textLine(['COPY', c.region, c.role, c.arn, c.status, c.note]) + (c.report ? reportText(c.report) : ''),
    ),
  ].join('');
}

/** What the index holds, in every format. */
export function indexRendering(entries: IndexEntry[], meta: IndexMeta | undefined): Rendering {
  const missing = meta?.missingSecrets ?? [];
  return {
    json: { builtAt: meta?.builtAt ?? null, entries, missingSecrets: missing },
    table: (style) => formatIndex(entries, meta?.builtAt, style) + formatMissing(missing, style),
    text: () =>
      [
        ...entries.map((e) =>
          textLine(['ENTRY', e.secretArn, e.kind, lastPathSegment(e.clusterArn), e.name, e.taskDefinition, referencesOf(e)]),
        ),
        ...missing.map((m) => textLine(['MISSING', m.reference, m.consumerCount, m.consumers.join(',')])),
      ].join(''),
  };
}

/** References to secrets that did not exist at the last rebuild: their tasks cannot start. */
function formatMissing(missing: MissingSecret[], style: Style): string {
  if (missing.length === 0) return '';
  const rows = missing.map((m) => [{ text: `  ${m.reference}`, color: 'red' as const }, andMore(m.consumers, m.consumerCount)]);
  const heading = 'references to secrets that do not exist (tasks that need them cannot start):';
  return `\n${heading}\n${table(['  REFERENCE', 'USED BY'], rows, style).join('\n')}\n`;
}

function referencesOf(entry: IndexEntry): string {
  return entry.references.map((r) => `${r.container ?? r.volume ?? ''}:${r.name ?? r.field}`).join(', ');
}

function formatIndex(entries: IndexEntry[], builtAt: string | undefined, style: Style): string {
  const lines = [`index built: ${builtAt ?? 'never (run "ecs-secret-redeploy index rebuild")'}`];
  const bySecret = new Map<string, IndexEntry[]>();
  for (const e of entries) bySecret.set(e.secretArn, [...(bySecret.get(e.secretArn) ?? []), e]);
  for (const [secret, list] of [...bySecret.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    lines.push('', escapeControl(secret));
    const rows = list
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((e) => [
        e.kind === 'task' ? 'task' : 'service',
        e.name,
        lastPathSegment(e.clusterArn),
        lastPathSegment(e.taskDefinition),
        referencesOf(e),
      ]);
    lines.push(
      ...table(
        ['  KIND', 'NAME', 'CLUSTER', 'TASK DEFINITION', 'REFERENCES'],
        rows.map(([kind, ...rest]) => [`  ${kind}`, ...rest]),
        style,
      ),
    );
  }
  if (entries.length === 0) lines.push('', 'no entries');
  return `${lines.join('\n')}\n`;
}

/** What a rebuild did, in every format. */
export function rebuildRendering(summary: RebuildSummary, stateTable: string): Rendering {
  return {
    json: summary,
    table: (style) =>
      [
        `index rebuilt in "${escapeControl(stateTable)}": ${plural(summary.clusters, 'cluster')}, ${plural(summary.services, 'service')}, ` +
          `${plural(summary.taskDefinitions, 'task definition')} (${summary.taskDefinitionsDescribed} described, the others cached), ` +
          `${plural(summary.secrets, 'secret')} referenced, ` +
          `${plural(summary.standaloneTasks, 'standalone task')}; ${plural(summary.entriesWritten, 'entry', 'entries')} written, ` +
          `${summary.entriesRemoved} removed\n`,
        ...summary.unresolvedReferences.map((ref) =>
          paint(style, 'yellow', `warning: reference to a missing secret: ${escapeControl(ref)}\n`),
        ),
        ...(summary.stale.length > 0
          ? [
              paint(
                style,
                'yellow',
                `${plural(summary.stale.length, 'consumer')} first seen running a version older than current: ` +
                  'the next reconcile redeploys them, in waves (see them first: "reconcile --dry-run")\n',
              ),
              ...summary.stale.map((s) => `  ${escapeControl(s.serviceName)}  ${escapeControl(s.secretArn)}: ${escapeControl(s.reason)}\n`),
            ]
          : []),
      ].join(''),
    text: () =>
      [
        textLine([
          'INDEX',
          summary.builtAt,
          summary.clusters,
          summary.services,
          summary.taskDefinitions,
          summary.secrets,
          summary.standaloneTasks,
        ]),
        ...summary.unresolvedReferences.map((ref) => textLine(['UNRESOLVED', ref])),
        ...summary.stale.map((s) => textLine(['STALE', s.secretArn, s.serviceArn, s.reason])),
      ].join(''),
  };
}

/** A reconcile of every indexed secret, summed up, in every format. */
export function scheduleRendering(summary: ReconcileAllSummary): Rendering {
  // The rate limiter's state is for the run that continues this one, not for a reader.
  const { bucket: _bucket, ...shown } = summary;
  return {
    json: shown,
    table: (style) => {
      const lines = [
        `reconcile of every indexed secret (origin ${summary.origin}): ${summary.reconciled} of ${plural(summary.secrets, 'secret')} reconciled`,
      ];
      lines.push(OUTCOMES.map((outcome) => `${summary.outcomes[outcome]} ${outcome}`).join(', '));
      for (const { secret, services } of summary.drift)
        lines.push(
          paint(style, 'yellow', `drift: ${escapeControl(secret)}: ${services.map(lastPathSegment).map(escapeControl).join(', ')}`),
        );
      for (const { secret, error } of summary.errors)
        lines.push(paint(style, 'red', `error: ${escapeControl(secret)}: ${escapeControl(error)}`));
      if (summary.continueFrom) lines.push(`continued from ${escapeControl(summary.continueFrom)}`);
      return `${lines.join('\n')}\n`;
    },
    text: () =>
      [
        textLine([
          'SCHEDULE',
          summary.secrets,
          summary.reconciled,
          ...OUTCOMES.map((o) => `${o}=${summary.outcomes[o]}`),
          summary.origin,
          summary.scope,
        ]),
        ...summary.drift.flatMap(({ secret, services }) => services.map((service) => textLine(['DRIFT', secret, service]))),
        ...summary.errors.map(({ secret, error }) => textLine(['ERROR', secret, error])),
      ].join(''),
  };
}

/** What an ECS deployment event changed, and the reports of the rollouts it moved on (handle-event with an ECS event). */
export function progressRendering(progress: ProgressOutcome): Rendering {
  const head = `deployment ${progress.deploymentId ?? '(none)'} of ${lastPathSegment(progress.service)}: ${progress.state ?? 'not finished'}`;
  const reports = progress.secrets.flatMap((s) => (s.report ? [s.report] : []));
  return {
    json: progress,
    table: (style) => {
      if (progress.secrets.length === 0) return `${escapeControl(head)}; ${escapeControl(progress.reason ?? 'nothing recorded')}\n`;
      const lines = progress.secrets.map(
        (s) => `  ${s.secret}: ${s.recorded ? 'recorded' : 'not recorded (changed meanwhile)'}${s.report ? '; rollout continued' : ''}`,
      );
      return [`${[head, ...lines].map(escapeControl).join('\n')}\n`, ...reports.map((r) => `\n${formatReport(r, style)}`)].join('');
    },
    text: () =>
      [
        textLine(['DEPLOYMENT', progress.service, progress.deploymentId, progress.state, progress.reason]),
        ...progress.secrets.map((s) =>
          textLine(['RECORDED', s.secret, s.recorded ? 'recorded' : 'not-recorded', s.report ? 'continued' : '']),
        ),
        ...reports.map(reportText),
      ].join(''),
  };
}
