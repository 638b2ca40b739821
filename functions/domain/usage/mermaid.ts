import { lastPathSegment } from '../identity/arn';
import type { ReportReference } from '../report/report';
import { escapeControl } from '../text';
import type { ConsumerUsage, UsageMap } from './usage';

/**
 * The usage map as a Mermaid flowchart (renders in a README or a pull request on GitHub and
 * GitLab): secrets on the left, consumers grouped by cluster (scheduled tasks apart), one arrow
 * per consumer and secret labelled with how it is referenced; secrets that need attention in red.
 * Node ids are generated (s1, c1, g1), never taken from names; every label is escaped.
 */
export function usageMermaid(map: UsageMap): string {
  const lines = ['flowchart LR'];
  const secretIds = new Map<string, string>();
  const consumerIds = new Map<string, string>();
  const groups = new Map<string, ConsumerUsage[]>();
  map.secrets.forEach((secret, i) => {
    secretIds.set(secret.arn, `s${i + 1}`);
    for (const consumer of secret.consumers) {
      if (consumerIds.has(consumer.arn)) continue;
      consumerIds.set(consumer.arn, `c${consumerIds.size + 1}`);
      const group = consumer.kind === 'scheduled-task' ? 'scheduled tasks' : `cluster ${lastPathSegment(consumer.clusterArn)}`;
      groups.set(group, [...(groups.get(group) ?? []), consumer]);
    }
  });
  lines.push('  subgraph g0["secrets and parameters"]');
  for (const secret of map.secrets) {
    const kind = secret.kind === 'parameter' ? 'SSM parameter' : 'secret';
    const owner = secret.ownership === 'own' ? '' : `, account ${secret.account}`;
    lines.push(`    ${secretIds.get(secret.arn)}["${label(`${secret.name} (${kind}, ${secret.region}${owner})`)}"]`);
  }
  lines.push('  end');
  [...groups.entries()].forEach(([group, consumers], i) => {
    lines.push(`  subgraph g${i + 1}["${label(group)}"]`);
    for (const consumer of consumers) {
      const what = consumer.kind === 'scheduled-task' ? `scheduled task, ${consumer.schedule ?? 'event pattern'}` : consumer.kind;
      lines.push(`    ${consumerIds.get(consumer.arn)}["${label(`${consumer.name} (${what})`)}"]`);
    }
    lines.push('  end');
  });
  for (const secret of map.secrets) {
    for (const consumer of secret.consumers) {
      lines.push(
        `  ${secretIds.get(secret.arn)} -->|"${label(consumer.references.map(how).join(' / '))}"| ${consumerIds.get(consumer.arn)}`,
      );
    }
  }
  const attention = map.secrets.filter((s) => s.attention.length > 0).map((s) => secretIds.get(s.arn));
  if (attention.length > 0) {
    lines.push('  classDef attention fill:#fde2e2,stroke:#c00000,color:#000000');
    lines.push(`  class ${attention.join(',')} attention`);
  }
  return `${lines.join('\n')}\n`;
}

/** How a reference reads its secret, in a few words: `secrets DB_PASSWORD, key password, stage AWSPREVIOUS`. */
export function how(reference: ReportReference): string {
  const where = reference.name ?? reference.container ?? reference.volume ?? '';
  return [
    `${reference.field}${where ? ` ${where}` : ''}`,
    reference.jsonKey && `key ${reference.jsonKey}`,
    reference.versionStage && `stage ${reference.versionStage}`,
    reference.versionId && `version id ${reference.versionId}`,
    reference.parameterVersion && `version ${reference.parameterVersion}`,
    reference.parameterLabel && `label ${reference.parameterLabel}`,
  ]
    .filter(Boolean)
    .join(', ');
}

/**
 * Text inside a quoted Mermaid label: control characters escaped first, then every character
 * outside a plain set written as a Mermaid entity (`#35;`), so that no quote, bracket, pipe, `#`,
 * `<` or newline can end the label or inject markup.
 */
export function label(text: string): string {
  return escapeControl(text).replace(/[^A-Za-z0-9 _.,:/@+=()!?-]/gu, (c) => `#${c.codePointAt(0)};`);
}
