/**
 * The tables the docs show of the settings, generated from the behaviour definition so that every
 * form's page lists the same settings with the same defaults: the parameter table (docs/deploy.md,
 * the SAR readme), the Terraform module's inputs and outputs (its README, in terraform-docs'
 * layout and markers) and the CDK props (the construct's README).
 */
import type { Behaviour, FormParameter } from './behaviour';
import { cdkDefault, cdkPropType } from './cdk';
import { MODULE_VARIABLES, type TerraformOutput, terraformDefault } from './terraform';

/** Replaces what lies between `<!-- BEGIN GENERATED: what -->` and `<!-- END GENERATED: what -->`. */
export function replaceSection(text: string, what: string, content: string, file: string): string {
  const begin = `<!-- BEGIN GENERATED: ${what} (npm run forms) -->`;
  const end = `<!-- END GENERATED: ${what} -->`;
  const from = text.indexOf(begin);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`${file} has no section "${what}" (${begin} ... ${end})`);
  return `${text.slice(0, from + begin.length)}\n${content}${text.slice(to)}`;
}

export function parameterTable(behaviour: Behaviour): string {
  const rows = behaviour.parameters.map((p) => [
    p.key === 'name' ? 'the stage: `<service>-<stage>`; CDK `name`' : `\`${p.key}\``,
    `\`${p.tf}\``,
    `\`${p.cfn}\``,
    p.default === '' ? 'empty' : `\`${p.default}\``,
    cell(`${p.description}${p.env.length > 0 ? ` (${p.env.map((e) => `\`${e}\``).join(', ')})` : ''}`),
  ]);
  return table(
    ['serverless.yml `params`, CDK prop', 'Terraform variable', 'SAM / SAR / StackSet parameter', 'default', 'what it sets'],
    rows,
  );
}

export function terraformInputs(behaviour: Behaviour): string {
  const type = (p: FormParameter) => ({ string: 'string', number: 'number', boolean: 'bool', list: 'list(string)' })[p.type];
  const rows = [
    ...behaviour.parameters.map((p) => [`\`${p.tf}\``, cell(p.description), `\`${type(p)}\``, `\`${terraformDefault(p)}\``, 'no']),
    ...MODULE_VARIABLES.map((v) => [`\`${v.name}\``, cell(v.description), `\`${v.type}\``, `\`${v.default}\``, 'no']),
  ];
  return `## Inputs\n\n${table(['Name', 'Description', 'Type', 'Default', 'Required'], rows)}`;
}

export function terraformOutputTable(outputs: TerraformOutput[]): string {
  return `## Outputs\n\n${table(
    ['Name', 'Description'],
    outputs.map((o) => [`\`${o.name}\``, cell(o.description)]),
  )}`;
}

export function cdkPropsTable(behaviour: Behaviour): string {
  const rows = behaviour.parameters.map((p) => [`\`${p.key}\``, `\`${cdkPropType(p)}\``, `\`${cdkDefault(p)}\``, cell(p.description)]);
  rows.push([
    '`bundlesDir`',
    '`string`',
    "the package's `bundles/`",
    'Directory holding the three function zips that `npm run package` writes to .serverless/',
  ]);
  return table(['prop', 'type', 'default', 'what it sets'], rows);
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\s+/g, ' ').trim();
}

/** A Markdown table with its columns padded, as the repository's hand-written tables are. */
function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, 3, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return `${[line(header), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...rows.map(line)].join('\n')}\n`;
}
