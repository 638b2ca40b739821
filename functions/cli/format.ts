import type { ProgressOutcome } from '../app/deployment-progress';
import type { ReconcileAllSummary } from '../app/reconcile-all';
import type { SecretStatus } from '../app/status';
import { lastPathSegment } from '../domain/identity/arn';
import { describeVersions } from '../domain/ledger/record';
import { countOutcomes, type Report } from '../domain/report/report';

/** The report as a readable table with a heading and a summary line. */
export function formatReport(report: Report): string {
  const lines: string[] = [];
  const secret = report.secret.name ?? report.secret.arn ?? '(unknown secret)';
  const version = report.secret.versionId ? ` (AWSCURRENT ${report.secret.versionId})` : '';
  const trigger = report.trigger.eventName ?? report.trigger.source;
  lines.push(`secret:  ${secret}${version}`);
  lines.push(`trigger: ${trigger}${report.dryRun ? ' [dry run]' : ''}`);
  if (report.inventory) lines.push(`found by: ${report.inventory.source}${report.inventory.note ? ` (${report.inventory.note})` : ''}`);
  if (report.action === 'ignore') {
    lines.push(`ignored: ${report.reason ?? ''}`);
    return `${lines.join('\n')}\n`;
  }
  lines.push('');
  if (report.services.length === 0) {
    lines.push('No service references this secret.');
  } else {
    const rows = report.services.map((s) => [
      s.serviceName,
      lastPathSegment(s.cluster),
      s.outcome,
      s.outcome === 'redeployed' && s.deploymentId ? `new deployment ${s.deploymentId} (${s.reason ?? ''})` : (s.reason ?? ''),
    ]);
    lines.push(...table(['SERVICE', 'CLUSTER', 'OUTCOME', 'REASON'], rows));
  }
  if (report.standaloneTasks.length > 0) {
    lines.push('', 'Standalone tasks using the secret (not redeployed, restart them yourself):');
    lines.push(
      ...table(
        ['TASK', 'CLUSTER', 'TASK DEFINITION'],
        report.standaloneTasks.map((t) => [lastPathSegment(t.taskArn), lastPathSegment(t.clusterArn), lastPathSegment(t.taskDefinition)]),
      ),
    );
  }
  if (report.drift)
    lines.push('', `drift: ${report.drift.services.length} service(s) were behind with no run on them (missed or failed events)`);
  if (report.continued) lines.push(`continued: ${report.continued.reason}`);
  for (const warning of report.warnings) lines.push(`warning: ${warning}`);
  const counts = countOutcomes(report);
  lines.push(
    '',
    Object.entries(counts)
      .map(([outcome, n]) => `${n} ${outcome}`)
      .join(', '),
  );
  return `${lines.join('\n')}\n`;
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/** A reconcile of every indexed secret, summed up. */
export function formatSchedule(summary: ReconcileAllSummary): string {
  const lines = [`reconciled ${summary.reconciled} of ${summary.secrets} indexed secrets`];
  lines.push(
    Object.entries(summary.outcomes)
      .map(([outcome, n]) => `${n} ${outcome}`)
      .join(', '),
  );
  for (const { secret, services } of summary.drift) lines.push(`drift: ${secret}: ${services.map(lastPathSegment).join(', ')}`);
  for (const { secret, error } of summary.errors) lines.push(`error: ${secret}: ${error}`);
  if (summary.continueFrom) lines.push(`continued from ${summary.continueFrom}`);
  return `${lines.join('\n')}\n`;
}

/** Where every consumer of a secret stands, and how far the rollout of its current versions has reached. */
export function formatStatus(status: SecretStatus): string {
  const secret = status.secret.name ?? status.secret.arn ?? '';
  const lines = [
    `secret:  ${secret} (${status.secret.kind === 'parameter' ? 'version' : 'AWSCURRENT'} ${status.secret.versionId ?? 'none'})`,
  ];
  const { rollout } = status;
  if (rollout) {
    const halted = rollout.halted
      ? `: halted at wave ${rollout.halted.wave} since ${rollout.halted.at} (ecs-secret-redeploy resume ${status.secret.arn})`
      : '';
    lines.push(`rollout: ${rollout.status}, started ${rollout.startedAt}${halted}`);
  }
  lines.push('');
  if (status.consumers.length === 0) lines.push('No indexed service uses this secret.');
  else {
    const versions = (v: Record<string, string> | undefined) => (v ? describeVersions(v, status.secret.kind ?? 'secret') : '-');
    const rows = status.consumers.map((c) => [
      c.serviceName,
      lastPathSegment(c.cluster),
      c.wave === undefined ? '-' : String(c.wave),
      c.state,
      versions(c.runs),
      versions(c.current),
      c.deploymentId ? `${c.deploymentId} ${c.deploymentState ?? ''}`.trim() : c.via === 'baseline' ? '(since indexed)' : '-',
      c.tasks ? `${c.tasks.running - c.tasks.onOlderVersions}/${c.tasks.running}` : '-',
    ]);
    lines.push(...table(['SERVICE', 'CLUSTER', 'WAVE', 'STATE', 'RUNS', 'CURRENT', 'DEPLOYMENT', 'TASKS ON CURRENT'], rows));
  }
  lines.push('', status.summary);
  return `${lines.join('\n')}\n`;
}

/** What an ECS deployment event changed. */
export function formatProgress(progress: ProgressOutcome): string {
  const head = `deployment ${progress.deploymentId ?? '(none)'} of ${lastPathSegment(progress.service)}: ${progress.state ?? 'not finished'}`;
  if (progress.secrets.length === 0) return `${head}; ${progress.reason ?? 'nothing recorded'}\n`;
  const lines = progress.secrets.map(
    (s) => `  ${s.secret}: ${s.recorded ? 'recorded' : 'not recorded (changed meanwhile)'}${s.report ? '; rollout continued' : ''}`,
  );
  return `${[head, ...lines].join('\n')}\n`;
}
