import { type SecretStatus, windowNote } from '../app/status';
import { lastPathSegment } from '../domain/identity/arn';
import { describeVersions } from '../domain/ledger/record';
import { describeReplication } from '../domain/plan/replication';
import { wordSummary } from '../domain/report/vocabulary';
import { escapeControl, fitted, plural } from '../domain/text';
import { instant } from '../domain/windows/restart-policy';
import { paint, type Rendering, type Style, table, textLine } from './output';
import { summaryColor, wordCell } from './words';

/**
 * Where every consumer of a secret stands, and how far the rollout of its current versions has
 * reached: a table that fits 80 columns, or with `wide` every detail (versions, deployment, why).
 * Each consumer's word is the one `plan` and `reconcile` show (functions/domain/report/vocabulary.ts).
 */
export function statusRendering(status: SecretStatus, options: { wide?: boolean } = {}): Rendering {
  return {
    json: status,
    table: (style) => (options.wide ? formatStatus(status, style) : formatCompactStatus(status, style)),
    text: () => statusText(status),
  };
}

/** Widest a name may be in the 80-column table; longer ones are cut with "…" (--wide shows them whole). */
export const COMPACT_SERVICE = 28;
export const COMPACT_CLUSTER = 14;

/** The status in 80 columns: per consumer what is true now; versions are those on the secret line. */
function formatCompactStatus(status: SecretStatus, style: Style): string {
  const lines = statusHeading(status, style);
  lines.push('');
  if (status.consumers.length === 0) lines.push('No indexed service uses this secret.');
  else {
    const rows = status.consumers.map((c) => [
      fitted(c.serviceName, COMPACT_SERVICE),
      fitted(lastPathSegment(c.cluster), COMPACT_CLUSTER),
      c.wave === undefined ? '-' : String(c.wave),
      wordCell(c.now),
      c.tasks ? `${c.tasks.running - c.tasks.onOlderVersions}/${c.tasks.running}` : '-',
    ]);
    lines.push(...table(['SERVICE', 'CLUSTER', 'WAVE', 'NOW', 'TASKS CUR/ALL'], rows, style));
    lines.push(...strategyLines(status), ...windowLines(status));
  }
  lines.push('', paint(style, summaryColor(status.consumers.map((c) => c.now)), compactSummary(status)));
  return `${lines.join('\n')}\n`;
}

/** The summary without the version (the secret line has it): the words of the rows, counted, and the tasks left behind. */
function compactSummary(status: SecretStatus): string {
  const notes = status.windows ? { window: windowNote(status.windows) } : {};
  const words =
    wordSummary(
      status.consumers.map((c) => c.now),
      notes,
    ) || 'no consumers';
  const olderTasks = status.consumers.reduce((n, c) => n + (c.tasks?.onOlderVersions ?? 0), 0);
  const tasks = status.consumers.some((c) => c.tasks) ? [`${plural(olderTasks, 'task')} on older versions`] : [];
  return [words, ...tasks].join('; ');
}

/** The secret and its current version, and the rollout: the lines above either table. */
function statusHeading(status: SecretStatus, style: Style): string[] {
  const secret = escapeControl(status.secret.name ?? status.secret.arn ?? '');
  const lines = [
    `secret:  ${secret} (${status.secret.kind === 'parameter' ? 'version' : 'AWSCURRENT'} ${status.secret.versionId ?? 'none'})`,
  ];
  lines.push(...replicationLines(status, style));
  const { rollout } = status;
  if (rollout) {
    lines.push(`rollout: ${rollout.status}, started ${rollout.startedAt}`);
    if (rollout.status === 'halted')
      lines.push(
        paint(style, 'red', `halted at wave ${rollout.halted.wave} since ${rollout.halted.at}`),
        paint(style, 'red', `(fix it, then: ecs-secret-redeploy resume ${escapeControl(status.secret.name ?? status.secret.arn ?? '')})`),
      );
    for (const failed of rollout.status === 'halted' ? rollout.halted.failed : [])
      lines.push(
        paint(
          style,
          'red',
          `  failed: ${escapeControl(lastPathSegment(failed.serviceArn))} ${escapeControl(failed.reason ?? '')}`.trimEnd(),
        ),
      );
  }
  return lines;
}

/**
 * A replicated secret's lines: "replica: of us-east-1 (InSync)" (in red when its replication
 * failed), what holds its consumers, and the warnings; "replicas: eu-west-1 InSync, ..." for a primary.
 */
function replicationLines(status: SecretStatus, style: Style): string[] {
  const view = status.replication;
  const lines: string[] = [];
  if (view?.role === 'replica') {
    const words = describeReplication(view).replace(/^replica /, '');
    lines.push(paint(style, view.status === 'Failed' ? 'red' : view.holds ? 'yellow' : undefined, `replica: ${escapeControl(words)}`));
    if (view.holds) lines.push(paint(style, 'yellow', `waiting: ${escapeControl(view.holds)}`));
  } else if (view) {
    lines.push(`replicas: ${escapeControl(describeReplication(view).replace(/^primary; replicas /, ''))}`);
  }
  for (const warning of status.warnings ?? []) lines.push(paint(style, 'yellow', `warning: ${escapeControl(warning)}`));
  return lines;
}

/** Every detail of every consumer (--wide): the versions it runs and must run, its deployment, why. */
function formatStatus(status: SecretStatus, style: Style): string {
  const lines = statusHeading(status, style);
  lines.push('');
  if (status.consumers.length === 0) lines.push('No indexed service uses this secret.');
  else {
    const versions = (v: Record<string, string> | undefined) => (v ? describeVersions(v, status.secret.kind ?? 'secret') : '-');
    const rows = status.consumers.map((c) => [
      c.serviceName,
      lastPathSegment(c.cluster),
      c.wave === undefined ? '-' : String(c.wave),
      wordCell(c.now),
      versions(c.runs),
      versions(c.current),
      c.deploymentId ? `${c.deploymentId} ${c.deploymentState ?? ''}`.trim() : viaText(c.via),
      c.tasks ? `${c.tasks.running - c.tasks.onOlderVersions}/${c.tasks.running}` : '-',
      c.reason ?? '',
    ]);
    lines.push(...table(['SERVICE', 'CLUSTER', 'WAVE', 'NOW', 'RUNS', 'CURRENT', 'DEPLOYMENT', 'TASKS ON CURRENT', 'WHY'], rows, style));
    lines.push(...strategyLines(status), ...windowLines(status, true));
  }
  lines.push('', paint(style, summaryColor(status.consumers.map((c) => c.now)), status.summary));
  return `${lines.join('\n')}\n`;
}

/**
 * Per consumer that ECS deploys with a strategy other than a rolling update, whose deployment
 * ECS's records show, or that CodeDeploy deploys: its strategy, then (indented, each line within
 * 80 columns) the deployment's status and lifecycle stage, and when its bake ends; for a
 * CODE_DEPLOY service its CodeDeploy deployment (id, status) and when the group's waits end.
 */
function strategyLines(status: SecretStatus): string[] {
  const shown = status.consumers.filter(hasStrategyLines);
  if (shown.length === 0) return [];
  const at = (time: string) => time.replace(/\.\d+Z$/, 'Z');
  return [
    '',
    ...shown.flatMap((c) => {
      const d = c.serviceDeployment;
      const cd = c.codeDeployment;
      return [
        `${c.serviceName}: ${c.strategy ?? 'ROLLING'}`,
        ...(d ? [`  deployment ${d.text}`] : []),
        ...(d?.bakeEndsAt ? [`  bake ends ${at(d.bakeEndsAt)}`] : []),
        ...(cd ? [`  CodeDeploy deployment ${cd.id} ${cd.text}`] : []),
        ...(cd?.waitsEndAt ? [`  waits end ${at(cd.waitsEndAt)} (${cd.waits ?? ''})`] : []),
      ].map(escapeControl);
    }),
  ];
}

/** A consumer with lines under the table: a strategy other than a rolling update, or a deployment record to show. */
function hasStrategyLines(c: SecretStatus['consumers'][number]): boolean {
  return (c.strategy !== undefined && c.strategy !== 'ROLLING') || c.serviceDeployment !== undefined || c.codeDeployment !== undefined;
}

function statusText(status: SecretStatus): string {
  return [
    textLine([
      'SECRET',
      status.secret.arn ?? status.secret.name,
      status.secret.versionId,
      status.rollout?.status,
      status.done ? 'done' : 'not-done',
    ]),
    ...status.consumers.map((c) =>
      textLine([
        'CONSUMER',
        lastPathSegment(c.cluster),
        c.serviceName,
        c.state,
        c.wave,
        c.deploymentId,
        c.deploymentState,
        c.tasks?.running,
        c.tasks?.onOlderVersions,
        c.service,
        c.now,
      ]),
    ),
    ...status.consumers
      .filter((c) => (c.strategy && c.strategy !== 'ROLLING') || c.serviceDeployment)
      .map((c) =>
        textLine([
          'STRATEGY',
          c.serviceName,
          c.strategy,
          c.serviceDeployment?.status,
          c.serviceDeployment?.lifecycleStage,
          c.serviceDeployment?.heldAtHook ? 'held-at-hook' : '',
          c.serviceDeployment?.bakeEndsAt,
          c.service,
        ]),
      ),
    ...status.consumers
      .flatMap((c) => (c.codeDeployment ? [{ c, cd: c.codeDeployment }] : []))
      .map(({ c, cd }) => textLine(['CODEDEPLOY', c.serviceName, cd.id, cd.status, cd.application, cd.group, cd.waitsEndAt, c.service])),
    ...status.consumers
      .filter((c) => c.window)
      .map((c) =>
        textLine(['WINDOW', c.serviceName, c.now, c.window?.opensAt, c.window?.deadline, c.window?.tag, c.window?.released, c.service]),
      ),
    ...replicationText(status),
    textLine(['SUMMARY', status.summary]),
  ].join('');
}

/** Where a record without a deployment of ours came from, in the DEPLOYMENT column. */
function viaText(via: SecretStatus['consumers'][number]['via']): string {
  if (via === 'baseline') return '(since indexed)';
  if (via === 'first-sight') return '(first seen)';
  return '-';
}

/** REPLICA <primary region> <status> <message> <holds>, or REPLICATED <region> <status> <message> per replica; WARNING lines. */
function replicationText(status: SecretStatus): string[] {
  const view = status.replication;
  const lines =
    view?.role === 'replica'
      ? [textLine(['REPLICA', view.primaryRegion, view.status, view.statusMessage, view.holds])]
      : (view?.replicas ?? []).map((r) => textLine(['REPLICATED', r.region, r.status, r.statusMessage]));
  return [...lines, ...(status.warnings ?? []).map((w) => textLine(['WARNING', w]))];
}

const WINDOW_SAYS = {
  waits: 'waits for its window',
  never: 'no window opens: held until its deadline',
  open: 'its window is open: the next reconcile redeploys it',
  deadline: 'its deadline has passed: the next reconcile redeploys it',
  ignored: 'windows ignored',
} as const;

/**
 * Per consumer behind whose restart window has a say: what it waits for or what releases it,
 * the window (as written, with its tag), when it opens and when the deadline falls, the tags that
 * do not parse; then the waves it holds back. Each line within 80 columns, but with `wide`.
 */
function windowLines(status: SecretStatus, wide = false): string[] {
  const shown = status.consumers.filter((c) => c.window);
  if (shown.length === 0) return [];
  const toWidth = (line: string) => (wide ? line : fitted(line, 80));
  return [
    '',
    ...shown.flatMap((c) => {
      const w = c.window as NonNullable<typeof c.window>;
      const says = w.released ?? (w.opensAt ? 'waits' : 'never');
      const when = [...(w.opensAt ? [`opens ${instant(new Date(w.opensAt))}`] : []), `deadline ${instant(new Date(w.deadline))}`];
      return [
        `${c.serviceName}: ${WINDOW_SAYS[says]}`,
        ...(w.value ? [`  ${w.value} (${w.tag === 'default' ? "the stack's default" : w.tag})`] : []),
        `  ${when.join('; ')}`,
        ...(w.problems ?? []).map((p) => `  ${p}`),
      ].map((line) => toWidth(escapeControl(line)));
    }),
    ...(status.windows?.holds ?? []).map((line) => toWidth(escapeControl(line))),
  ];
}
