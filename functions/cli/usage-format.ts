import { lastPathSegment } from '../domain/identity/arn';
import { describeReplication } from '../domain/plan/replication';
import { escapeControl, plural } from '../domain/text';
import { how, usageMermaid } from '../domain/usage/mermaid';
import type { SecretUsage, UsageMap } from '../domain/usage/usage';
import { paint, type Rendering, type Style, table, textLine } from './output';
import { wordCell } from './words';

/**
 * The usage map in every format. Mermaid comes in a ```mermaid fence, which is what GitHub and
 * GitLab draw in a Markdown file or a pull request (a bare `flowchart LR` shows as text there);
 * `fence: false` gives the graph alone, for a .mmd file or the Mermaid CLI.
 */
export function usageRendering(map: UsageMap, options: { fence?: boolean } = {}): Rendering {
  const graph = () => usageMermaid(map);
  return {
    json: map,
    table: (style) => usageTable(map, style),
    text: () => usageText(map),
    mermaid: () => (options.fence === false ? graph() : `\`\`\`mermaid\n${graph()}\`\`\`\n`),
  };
}

function usageTable(map: UsageMap, style: Style): string {
  const lines = [
    `${plural(map.secrets.length, 'secret or parameter', 'secrets and parameters')} used by task definitions (found by ${map.source})`,
  ];
  if (map.secrets.length > 0) {
    lines.push(
      '',
      ...table(
        ['SECRET', 'KIND', 'REGION', 'OWNER', 'CONSUMERS', 'ATTENTION'],
        map.secrets.map((s) => [
          s.name,
          s.kind,
          s.region,
          s.ownership === 'own' ? 'this account' : s.account,
          String(s.consumers.length),
          s.attention.length > 0 ? { text: String(s.attention.length), color: 'red' as const } : '-',
        ]),
        style,
      ),
    );
  }
  const attention = map.secrets.filter((s) => s.attention.length > 0);
  if (attention.length > 0) {
    lines.push('', 'Needs attention:');
    for (const secret of attention) {
      for (const a of secret.attention) {
        lines.push(
          paint(style, 'red', `  ${escapeControl(secret.name)}: ${escapeControl(a.message)} [${escapeControl(a.consumers.join(', '))}]`),
        );
      }
    }
  }
  for (const secret of map.secrets) {
    lines.push('', `${escapeControl(secret.name)}  ${escapeControl(secret.arn)}${versionNote(secret)}${replicationNote(secret)}`);
    lines.push(
      ...table(
        ['  CONSUMER', 'KIND', 'NOW', 'CLUSTER', 'TASK DEFINITION', 'HOW'],
        secret.consumers.map((c) => [
          `  ${c.name}`,
          c.kind === 'scheduled-task' ? `scheduled (${c.schedule ?? 'event pattern'})` : c.kind,
          wordCell(c.now),
          lastPathSegment(c.clusterArn),
          lastPathSegment(c.taskDefinition),
          c.references.map(how).join(' / '),
        ]),
        style,
      ),
    );
  }
  if (map.unresolved.length > 0) {
    lines.push('', 'References that name no secret it could describe (tasks that need them cannot start):');
    for (const u of map.unresolved)
      lines.push(
        paint(style, 'red', `  ${escapeControl(u.reference)}: ${escapeControl(u.reason)} [${escapeControl(u.consumers.join(', '))}]`),
      );
  }
  for (const note of map.notes) lines.push('', paint(style, 'yellow', `note: ${escapeControl(note)}`));
  return `${lines.join('\n')}\n`;
}

function versionNote(secret: SecretUsage): string {
  if (!secret.found) return ' (not found)';
  if (!secret.currentVersion) return '';
  return secret.kind === 'parameter' ? ` (version ${secret.currentVersion})` : ` (AWSCURRENT ${secret.currentVersion})`;
}

/** ", replica of us-east-1 (InSync)" / ", primary; replicas eu-west-1 InSync": a replicated secret shown as such. */
function replicationNote(secret: SecretUsage): string {
  return secret.replication ? `, ${escapeControl(describeReplication(secret.replication))}` : '';
}

function usageText(map: UsageMap): string {
  return [
    ...map.secrets.flatMap((s) => [
      textLine(['SECRET', s.arn, s.name, s.kind, s.region, s.found ? 'found' : 'not-found', s.currentVersion, s.deletedDate]),
      ...replicationLines(s),
      ...s.consumers.map((c) =>
        textLine(['CONSUMER', s.arn, c.kind, c.name, c.clusterArn, c.taskDefinition, c.references.map(how).join(' / '), c.now]),
      ),
      ...s.attention.map((a) => textLine(['ATTENTION', s.arn, a.kind, a.message, a.consumers.join(',')])),
      ...s.consumers
        .filter((c) => c.restart && c.restart.windows.length > 0)
        .map((c) => textLine(['RESTART', s.arn, c.name, c.restart?.windows.join('; '), `${c.restart?.deadlineMinutes}m`])),
    ]),
    ...map.unresolved.map((u) => textLine(['UNRESOLVED', u.reference, u.reason, u.consumers.join(',')])),
    ...map.notes.map((n) => textLine(['NOTE', n])),
  ].join('');
}

/** REPLICA <arn> <primary region> <status> <message>, or one REPLICATED <arn> <region> <status> <message> per replica of a primary. */
function replicationLines(secret: SecretUsage): string[] {
  const view = secret.replication;
  if (!view) return [];
  if (view.role === 'replica') return [textLine(['REPLICA', secret.arn, view.primaryRegion, view.status, view.statusMessage])];
  return view.replicas.map((r) => textLine(['REPLICATED', secret.arn, r.region, r.status, r.statusMessage]));
}
