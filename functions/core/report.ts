import type { Trigger } from './events';
import type { StandaloneTask } from './inventory';
import type { SecretReference } from './references';

/** What happened to one service. */
export type Outcome = 'redeployed' | 'would-redeploy' | 'skipped' | 'failed';

/** A reference as reported: where it is and what it follows (never a value). */
export interface ReportReference {
  field: SecretReference['field'];
  container?: string;
  volume?: string;
  name?: string;
  valueFrom: string;
  jsonKey?: string;
  versionStage?: string;
  versionId?: string;
}

/** One service that was considered, with its outcome and why. */
export interface ServiceReport {
  cluster: string;
  service: string;
  serviceName: string;
  taskDefinition: string;
  outcome: Outcome;
  reason?: string;
  deploymentId?: string;
  references: ReportReference[];
}

/** How the candidate services were found. */
export interface InventoryInfo {
  source: 'index' | 'scan';
  /** Why a scan was used instead of the index, or what the index could not guarantee. */
  note?: string;
}

/** The one value a run produces: logged, returned by the handlers, printed by the CLI, published. */
export interface Report {
  secret: { arn?: string; name?: string; versionId?: string };
  trigger: Trigger;
  action: 'redeploy' | 'ignore';
  reason?: string;
  dryRun: boolean;
  inventory?: InventoryInfo;
  services: ServiceReport[];
  standaloneTasks: StandaloneTask[];
  warnings: string[];
}

/** The reported form of a reference. */
export function toReportReference(reference: SecretReference): ReportReference {
  return {
    field: reference.field,
    ...(reference.container ? { container: reference.container } : {}),
    ...(reference.volume ? { volume: reference.volume } : {}),
    ...(reference.name ? { name: reference.name } : {}),
    valueFrom: reference.valueFrom,
    ...(reference.secret?.jsonKey ? { jsonKey: reference.secret.jsonKey } : {}),
    ...(reference.secret?.versionStage ? { versionStage: reference.secret.versionStage } : {}),
    ...(reference.secret?.versionId ? { versionId: reference.secret.versionId } : {}),
  };
}

/** Counts of services by outcome. */
export function countOutcomes(report: Report): Record<Outcome, number> {
  const counts: Record<Outcome, number> = { redeployed: 0, 'would-redeploy': 0, skipped: 0, failed: 0 };
  for (const service of report.services) counts[service.outcome] += 1;
  return counts;
}

/** 0 when every service ended well (including "nothing to do"), 1 when any failed. */
export function exitCodeOf(report: Report): 0 | 1 {
  return report.services.some((s) => s.outcome === 'failed') ? 1 : 0;
}

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
    return lines.join('\n') + '\n';
  }
  lines.push('');
  if (report.services.length === 0) {
    lines.push('No service references this secret.');
  } else {
    const rows = report.services.map((s) => [s.serviceName, clusterName(s.cluster), s.outcome, s.outcome === 'redeployed' && s.deploymentId ? `new deployment ${s.deploymentId} (${s.reason ?? ''})` : s.reason ?? '']);
    lines.push(...table(['SERVICE', 'CLUSTER', 'OUTCOME', 'REASON'], rows));
  }
  if (report.standaloneTasks.length > 0) {
    lines.push('', 'Standalone tasks using the secret (not redeployed, restart them yourself):');
    lines.push(...table(['TASK', 'CLUSTER', 'TASK DEFINITION'], report.standaloneTasks.map((t) => [t.taskArn.split('/').pop() ?? t.taskArn, clusterName(t.clusterArn), t.taskDefinition.split('/').pop() ?? ''])));
  }
  for (const warning of report.warnings) lines.push(`warning: ${warning}`);
  const counts = countOutcomes(report);
  lines.push('', Object.entries(counts).map(([outcome, n]) => `${n} ${outcome}`).join(', '));
  return lines.join('\n') + '\n';
}

function clusterName(arn: string): string {
  return arn.split('/').pop() ?? arn;
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}
