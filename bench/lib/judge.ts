/**
 * How the bench judges a target (bench/lib/targets.ts holds the rows): a bound is a list of
 * limits on named quantities of a figure, and one function, {@link judge}, holds the figure to it.
 */
import { type Counts, formatCounts, total } from '../../test/kit/call-counter';

/**
 * What one quantity of a figure must be. `by operation`: each operation at most its count, and no
 * operation outside them (a figure's calls by operation).
 */
export type Limit =
  | { of: string; at: 'most' | 'least' | 'exactly' | 'below'; value: number }
  | { of: string; at: 'by operation'; most: Counts };

/** A target's bound: every limit holds; `text` as the table prints it. No limit: nothing to hold. */
export interface Bound {
  text: string;
  limits: Limit[];
}

/** What was measured: the quantities the limits read, and the figure as the table prints it. */
export interface Figure {
  text: string;
  values: Record<string, number | Counts>;
}

/**
 * Where a bound comes from: the fewest calls the APIs allow for the work, a limit (of AWS, or of
 * the deployment: a Lambda's memory), or a figure the issue set; and the issue that asked for it.
 */
export interface BoundFrom {
  basis: 'API minimum' | 'limit' | 'issue';
  issue: number;
  /** The later issues whose requirements moved the bound, when any did. */
  movedBy?: number[];
}

/** One row of the table: a target, judged on a case of type C. */
export interface Target<C> {
  /** What the target holds; prefixed by the case's subject when it has one. */
  name: string | ((c: C) => string);
  /** The measured case this row judges, as the table names it (`bundle refresh-index`, `k = 400, ...`). */
  subject?: (c: C) => string;
  from: BoundFrom | ((c: C) => BoundFrom);
  /** How the figure is measured. */
  measured: string;
  bound: (c: C) => Bound;
  figure: (c: C) => Figure;
  /** The account size and k of the case, for the table's columns. */
  where?: (c: C) => { size?: number; k?: number };
  /** Reported, never failing the run: a figure of the machine more than of the code (cold load in --quick). */
  advisory?: (c: C) => boolean;
}

export interface TargetResult {
  target: string;
  size?: number;
  k?: number;
  figure: string;
  limit: string;
  /** Where the bound comes from, as the table prints it. */
  from: string;
  measured: string;
  pass: boolean;
  advisory?: boolean;
}

/** Whether a target fails the run. */
export const failing = (t: TargetResult) => !t.pass && t.advisory !== true;

/** Floating-point figures (seconds) may meet their bound to within this much. */
const EPSILON = 1e-9;

function holds(limit: Limit, value: number | Counts | undefined): boolean {
  // A bound on a quantity the figure does not give is a row written wrong, not a pass.
  if (value === undefined) throw new Error(`the figure gives no "${limit.of}" for its bound`);
  if (limit.at === 'by operation') return excess(value instanceof Map ? value : new Map(), limit.most).length === 0;
  const n = typeof value === 'number' ? value : 0;
  if (limit.at === 'most') return n <= limit.value + EPSILON;
  if (limit.at === 'least') return n >= limit.value - EPSILON;
  if (limit.at === 'below') return n < limit.value;
  return n === limit.value;
}

/** The one judge: the row's figure of this case against the row's bound of it. */
export function judge<C>(row: Target<C>, c: C): TargetResult {
  const bound = row.bound(c);
  const figure = row.figure(c);
  const name = typeof row.name === 'string' ? row.name : row.name(c);
  const from = typeof row.from === 'function' ? row.from(c) : row.from;
  return {
    target: row.subject ? `${row.subject(c)}: ${name}` : name,
    ...row.where?.(c),
    figure: figure.text,
    limit: bound.text,
    from: `${from.basis === 'issue' ? `issue ${from.issue}` : `${from.basis}, issue ${from.issue}`}${from.movedBy ? `, moved by issues ${from.movedBy.join(', ')}` : ''}`,
    measured: row.measured,
    pass: bound.limits.every((limit) => holds(limit, figure.values[limit.of])),
    advisory: row.advisory?.(c),
  };
}

export const atMost = (of: string, value: number, text = `<= ${value}`): Bound => ({ text, limits: [{ of, at: 'most', value }] });
export const exactly = (of: string, value: number, text = `= ${value}`): Bound => ({ text, limits: [{ of, at: 'exactly', value }] });
export const byOperation = (minimum: Counts): Bound => ({
  text: `<= ${total(minimum)} (${formatCounts(minimum)})`,
  limits: [{ of: 'calls', at: 'by operation', most: minimum }],
});
export const holdsAll = (text: string, ...of: string[]): Bound => ({ text, limits: of.map((o) => ({ of: o, at: 'exactly', value: 1 })) });
export const yes = (condition: boolean) => (condition ? 1 : 0);

/** Operations of `counts` above their count in `minimum` (absent: 0), biggest excess first: `PutItem +2`. */
export function excess(counts: Counts, minimum: Counts): string[] {
  return [...counts]
    .map(([op, n]) => [op, n - (minimum.get(op) ?? 0)] as const)
    .filter(([, over]) => over > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([op, over]) => `${op} +${over}`);
}
