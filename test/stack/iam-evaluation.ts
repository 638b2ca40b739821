/**
 * IAM's evaluation of identity policies, as far as the stack's policies use it, so that a stack test
 * can ask what a role may do in a given request instead of only what its statements look like:
 * moto enforces no IAM policy at all. An explicit Deny wins over every Allow (IAM's policy
 * evaluation logic); without an Allow the answer is an implicit deny. Action and Resource match
 * with `*` and `?` (Action without case); the condition operators are those the templates use:
 * String(Not)Equals, String(Not)Like, Arn(Not)Equals, Arn(Not)Like, Null and Bool. Several values
 * of one key are ORed (negated operators: matching none), several keys and operators ANDed; a key
 * the request lacks fails a positive operator and satisfies a negated one, as IAM documents.
 * Statements must be resolved first (deployedAs): a Resource or value still holding an intrinsic
 * function (a reference to a stack resource) matches only itself, compared as JSON.
 */
import { asArray, type Json } from './template';

/** One request, as IAM sees it: who asks (for a trust policy), the action, the resource, and the request context's keys. */
export interface Request {
  /** A service principal (`lambda.amazonaws.com`) or an account id, matched against a statement's Principal. */
  principal?: { Service: string } | { AWS: string };
  action: string;
  resource?: string | Json;
  context?: Record<string, string>;
}

export type Decision = 'allowed' | 'explicitly denied' | 'implicitly denied';

/** What the statements decide for the request (identity policies of one principal, plus any others given). */
export function decide(statements: Json[], request: Request): Decision {
  const applying = statements.filter((s) => applies(s, request));
  if (applying.some((s) => s.Effect === 'Deny')) return 'explicitly denied';
  return applying.some((s) => s.Effect === 'Allow') ? 'allowed' : 'implicitly denied';
}

function applies(statement: Json, request: Request): boolean {
  if (statement.Principal !== undefined && !principalMatches(statement.Principal as Json | string, request.principal)) return false;
  const actionMatches = (patterns: unknown) =>
    asArray(patterns as string | string[]).some((p) => wildcard(String(p).toLowerCase(), request.action.toLowerCase()));
  if (statement.Action !== undefined && !actionMatches(statement.Action)) return false;
  if (statement.NotAction !== undefined && actionMatches(statement.NotAction)) return false;
  const { resource } = request;
  const resourceMatches = (patterns: unknown) =>
    resource !== undefined && asArray(patterns as unknown).some((p) => sameResource(p, resource));
  // A trust policy names no resource: the role itself is the resource.
  if (statement.Resource !== undefined && !resourceMatches(statement.Resource)) return false;
  if (statement.NotResource !== undefined && resourceMatches(statement.NotResource)) return false;
  return conditionHolds((statement.Condition ?? {}) as Json, request.context ?? {});
}

/** `*`, a service principal, or accounts (an account id stands for the account's root: every principal of it). */
function principalMatches(principal: Json | string, asking: Request['principal']): boolean {
  if (principal === '*') return true;
  if (asking === undefined || typeof principal !== 'object') return false;
  if ('Service' in asking) return asArray(principal.Service as string | string[]).includes(asking.Service);
  return asArray(principal.AWS as string | string[]).some((p) => p === '*' || p === asking.AWS || p === `arn:aws:iam::${asking.AWS}:root`);
}

function sameResource(pattern: unknown, resource: string | Json): boolean {
  if (typeof pattern === 'string' && typeof resource === 'string') return wildcard(pattern, resource);
  return JSON.stringify(pattern) === JSON.stringify(resource);
}

function conditionHolds(condition: Json, context: Record<string, string>): boolean {
  return Object.entries(condition).every(([operator, keys]) =>
    Object.entries(keys as Json).every(([key, values]) => {
      const actual = lookup(context, key);
      const expected = asArray(values as unknown).map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
      return holds(operator, actual, expected);
    }),
  );
}

/** Condition key names are not case-sensitive. */
function lookup(context: Record<string, string>, key: string): string | undefined {
  const found = Object.keys(context).find((k) => k.toLowerCase() === key.toLowerCase());
  return found === undefined ? undefined : context[found];
}

function holds(operator: string, actual: string | undefined, expected: string[]): boolean {
  switch (operator) {
    case 'StringEquals':
    case 'ArnEquals':
      return actual !== undefined && expected.includes(actual);
    case 'StringNotEquals':
    case 'ArnNotEquals':
      return actual === undefined || !expected.includes(actual);
    case 'StringLike':
    case 'ArnLike':
      return actual !== undefined && expected.some((p) => wildcard(p, actual));
    case 'StringNotLike':
    case 'ArnNotLike':
      return actual === undefined || !expected.some((p) => wildcard(p, actual));
    case 'Null':
      return expected.includes(String(actual === undefined));
    case 'Bool':
      return actual !== undefined && expected.includes(actual);
    default:
      throw new Error(`the evaluation does not know the condition operator ${operator}`);
  }
}

/** IAM's `*` (any run of characters) and `?` (any one character); everything else literal. */
export function wildcard(pattern: string, value: string): boolean {
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${regex}$`, 's').test(value);
}
