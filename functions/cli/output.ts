import { escapeControl, safeJson } from '../domain/text';

/** Output formats, as the AWS CLI's --output (plus `mermaid`, for the usage map). */
export const FORMATS = ['json', 'table', 'text', 'mermaid'] as const;
export type Format = (typeof FORMATS)[number];

/** What most commands print: JSON, a readable table (the default), or tab-separated lines. */
export const REPORT_FORMATS: readonly Format[] = ['json', 'table', 'text'];

/** How a table may look: colours only on a terminal, never with --no-color or NO_COLOR. */
export interface Style {
  color: boolean;
}

/** One result, ready to print in every format its command offers. */
export interface Rendering {
  json: unknown;
  table(style: Style): string;
  text(): string;
  mermaid?(): string;
}

/** The result in the chosen format. JSON escapes what JSON.stringify keeps raw (bidi, C1). */
export function rendered(rendering: Rendering, format: Format, style: Style): string {
  if (format === 'json') return `${safeJson(rendering.json, 2)}\n`;
  if (format === 'text') return rendering.text();
  if (format === 'mermaid' && rendering.mermaid) return rendering.mermaid();
  return rendering.table(style);
}

const COLORS = { red: 31, green: 32, yellow: 33, dim: 2 } as const;
export type Color = keyof typeof COLORS;

/** The text in a colour when the style allows colours. */
export function paint(style: Style, color: Color | undefined, text: string): string {
  return style.color && color ? `\u001b[${COLORS[color]}m${text}\u001b[0m` : text;
}

/** A table cell: text, and a colour for it on a terminal. */
export type Cell = string | { text: string; color?: Color };

/**
 * Rows in columns aligned under their header (the last column unpadded). Every cell is escaped:
 * names and reasons come from outside. Colours are applied after padding, so they never shift
 * the columns.
 */
export function table(header: string[], rows: Cell[][], style: Style): string[] {
  const cells = rows.map((row) =>
    row.map((cell) => (typeof cell === 'string' ? { text: escapeControl(cell) } : { ...cell, text: escapeControl(cell.text) })),
  );
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]?.text.length ?? 0)));
  const line = (row: { text: string; color?: Color }[]) =>
    row
      .map((cell, i) => paint(style, cell.color, i === row.length - 1 ? cell.text : cell.text.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header.map((text) => ({ text }))), ...cells.map(line)];
}

/**
 * One line of the text format: tab-separated fields, first the kind of record, as the AWS CLI's
 * `--output text` (for grep, cut and awk). Tabs and newlines inside a value are escaped.
 */
export function textLine(fields: (string | number | boolean | undefined)[]): string {
  return `${fields.map((f) => escapeControl(f === undefined ? '' : String(f))).join('\t')}\n`;
}

/**
 * Version ids (UUIDs) shortened to their first eight characters, as git shortens a commit: the
 * narrow tables show which version, the wide table and JSON the whole id.
 */
export function shortIds(text: string): string {
  return text.replace(/\b([0-9a-f]{8})-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g, '$1');
}
