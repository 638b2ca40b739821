/**
 * Text from outside (events, task definitions, arguments, AWS error messages) can carry control
 * characters and Unicode bidi overrides, which rewrite a terminal line or reorder what a reader
 * sees. Every message shows them escaped, never raw.
 */

/**
 * C0 and C1 controls, DEL, the bidi marks, embeddings, overrides and isolates, zero-width
 * characters and the line and paragraph separators.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

/** Characters that JSON.stringify leaves raw (it escapes C0 controls itself). */
const UNSAFE_IN_JSON = /[\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

const codePoint = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * The text with every unsafe character written as an escape (`\n`, `\u202e`). Idempotent: an
 * escaped text has nothing left to escape, so layers may each apply it.
 */
export function escapeControl(text: string): string {
  return text.replace(UNSAFE, (c) => NAMED[c] ?? codePoint(c));
}

/**
 * Text from outside as it appears inside a message: escaped, cut to `max` characters (a 300 KB
 * secret id must not make a 300 KB message), in double quotes.
 */
export function quoted(text: string, max = 200): string {
  if (text.length <= max) return `"${escapeControl(text)}"`;
  // Never cut a surrogate pair in two.
  const end = /[\ud800-\udbff]/.test(text[max - 1]) ? max - 1 : max;
  return `"${escapeControl(text.slice(0, end))}…" (${text.length} characters)`;
}

/**
 * A string field of outside input as this service keeps it: escaped (it ends up in reasons,
 * reports and logs), cut to `max` characters when given; undefined when absent, empty or not a string.
 */
export function textField(value: unknown, max?: number): string | undefined {
  return typeof value === 'string' && value !== '' ? escapeControl(value.slice(0, max)) : undefined;
}

/** JSON text of a value with the unsafe characters that JSON.stringify keeps raw escaped too; still valid JSON. */
export function safeJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(UNSAFE_IN_JSON, codePoint);
}

/** "1 cluster", "2 clusters". */
export function plural(count: number, noun: string, nouns = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : nouns}`;
}

/** The text cut to `max` characters, the cut marked with "…" (where it is shown whole elsewhere). */
export function fitted(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

/** "a, b, c and 4 more": the names shown, and how many of `total` are not. */
export function andMore(shown: string[], total: number): string {
  return `${shown.join(', ')}${total > shown.length ? ` and ${total - shown.length} more` : ''}`;
}
