/**
 * CloudFormation values and intrinsic functions -> Terraform (HCL) expressions, for the module
 * scripts/forms/terraform.ts writes. Every function the behaviour template uses is translated, and
 * any other fails the generation by name, so that a new construct in infra/ is translated here
 * once rather than silently dropped.
 *
 * - Ref to a parameter -> its variable (a list joined with commas, as CloudFormation passes it;
 *   a number or boolean compared as text); pseudo parameters -> the data sources.
 * - Ref / Fn::GetAtt to a resource -> its Terraform attribute (`one(x[*].attr)` when it has a count).
 * - Fn::If -> a conditional; branches of different shapes go through jsonencode/jsondecode (HCL
 *   wants both branches of one type). AWS::NoValue -> null, dropped from lists and objects.
 */
import type { Json } from '../org/member-template';

export type Kind = 'string' | 'number' | 'bool' | 'list' | 'object' | 'null';

export interface Expr {
  code: string;
  kind: Kind;
  /** The value may be null (AWS::NoValue), so lists and objects holding it filter it out. */
  nullable: boolean;
}

export interface HclContext {
  /** CloudFormation parameter -> Terraform variable and how its value becomes CloudFormation's string. */
  parameter(name: string): { variable: string; type: 'string' | 'number' | 'boolean' | 'list' } | undefined;
  /** A resource's attribute (`Ref` when attribute is undefined) -> an HCL expression. */
  resource(logicalId: string, attribute: string | undefined): string | undefined;
  /** A condition -> the local holding it. */
  condition(name: string): string | undefined;
}

const PSEUDO: Record<string, string> = {
  'AWS::Region': 'data.aws_region.current.name',
  'AWS::AccountId': 'data.aws_caller_identity.current.account_id',
  'AWS::Partition': 'data.aws_partition.current.partition',
  'AWS::URLSuffix': 'data.aws_partition.current.dns_suffix',
};

const expr = (code: string, kind: Kind, nullable = false): Expr => ({ code, kind, nullable });

export function isNoValue(node: unknown): boolean {
  return typeof node === 'object' && node !== null && !Array.isArray(node) && (node as Json).Ref === 'AWS::NoValue';
}

/** A CloudFormation value -> an HCL expression. `where` names the place in errors. */
export function hcl(node: unknown, ctx: HclContext, where: string): Expr {
  if (node === null || node === undefined) return expr('null', 'null', true);
  if (typeof node === 'string') return expr(quote(node), 'string');
  if (typeof node === 'number') return expr(String(node), 'number');
  if (typeof node === 'boolean') return expr(String(node), 'bool');
  if (Array.isArray(node)) return list(node, ctx, where);
  const obj = node as Json;
  const keys = Object.keys(obj);
  if (keys.length === 1 && (keys[0] === 'Ref' || keys[0] === 'Condition' || keys[0].startsWith('Fn::'))) {
    return intrinsic(keys[0], obj[keys[0]], ctx, `${where}.${keys[0]}`);
  }
  return object(obj, ctx, where);
}

function list(items: unknown[], ctx: HclContext, where: string): Expr {
  const elements = items.filter((item) => !isNoValue(item)).map((item, i) => hcl(item, ctx, `${where}[${i}]`));
  const code = `[${elements.map((e) => e.code).join(', ')}]`;
  if (!elements.some((e) => e.nullable)) return expr(code, 'list');
  return expr(`[for v in ${code} : v if v != null]`, 'list');
}

function object(obj: Json, ctx: HclContext, where: string): Expr {
  const members = Object.entries(obj)
    .filter(([, value]) => !isNoValue(value))
    .map(([key, value]) => [key, hcl(value, ctx, `${where}.${key}`)] as const);
  const code = `{\n${members.map(([key, value]) => `${objectKey(key)} = ${value.code}`).join('\n')}\n}`;
  if (!members.some(([, value]) => value.nullable)) return expr(code, 'object');
  return expr(`{ for k, v in ${code} : k => v if v != null }`, 'object');
}

/** An identifier stays bare; anything else (`aws:SourceArn`, `detail-type`) is quoted. */
export function objectKey(key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? key : quote(key);
}

function intrinsic(fn: string, arg: unknown, ctx: HclContext, where: string): Expr {
  switch (fn) {
    case 'Ref':
      return ref(String(arg), ctx, where);
    case 'Condition':
      return expr(condition(String(arg), ctx, where), 'bool');
    case 'Fn::GetAtt': {
      const [id, attribute] = Array.isArray(arg) ? (arg as string[]) : String(arg).split(/\.(.*)/s, 2);
      const code = ctx.resource(id, attribute);
      if (!code) throw new Error(`${where}: no Terraform attribute for ${id}.${attribute}`);
      return expr(code, 'string');
    }
    case 'Fn::Sub': {
      const [text, variables] = (Array.isArray(arg) ? arg : [arg, {}]) as [string, Json];
      return sub(text, variables, ctx, where);
    }
    case 'Fn::Join': {
      const [separator, values] = arg as [string, unknown];
      // A literal list of strings reads better as one template: "arn:${partition}:events:...".
      if (Array.isArray(values) && !values.some((v) => isNoValue(v) || isList(v))) {
        const parts = values.flatMap((v, i) => [...(i > 0 ? [{ literal: separator }] : []), ...stringParts(v, ctx, `${where}[1][${i}]`)]);
        return expr(template(parts), 'string');
      }
      return expr(`join(${quote(separator)}, ${hcl(values, ctx, `${where}[1]`).code})`, 'string');
    }
    case 'Fn::Split': {
      const [separator, text] = arg as [string, unknown];
      return expr(`split(${quote(separator)}, ${hcl(text, ctx, `${where}[1]`).code})`, 'list');
    }
    case 'Fn::Select': {
      const [index, values] = arg as [number | string, unknown];
      return expr(`${hcl(values, ctx, `${where}[1]`).code}[${Number(index)}]`, 'string');
    }
    case 'Fn::If': {
      const [name, yes, no] = arg as [string, unknown, unknown];
      const test = condition(name, ctx, where);
      const a = isNoValue(yes) ? expr('null', 'null', true) : hcl(yes, ctx, `${where}[1]`);
      const b = isNoValue(no) ? expr('null', 'null', true) : hcl(no, ctx, `${where}[2]`);
      const nullable = a.nullable || b.nullable;
      if (a.kind === 'null' || b.kind === 'null' || (a.kind === b.kind && isScalar(a.kind))) {
        return expr(`(${test} ? ${a.code} : ${b.code})`, a.kind === 'null' ? b.kind : a.kind, nullable);
      }
      // Branches of different shapes: HCL wants one type for both, JSON text is one.
      return expr(`jsondecode(${test} ? jsonencode(${a.code}) : jsonencode(${b.code}))`, a.kind === b.kind ? a.kind : 'object', nullable);
    }
    case 'Fn::Equals':
      return expr(`(${equality(arg as [unknown, unknown], '==', ctx, where)})`, 'bool');
    case 'Fn::Not': {
      const [operand] = arg as [unknown];
      const equals = (operand as Json | null)?.['Fn::Equals'];
      if (equals) return expr(`(${equality(equals as [unknown, unknown], '!=', ctx, `${where}[0].Fn::Equals`)})`, 'bool');
      return expr(`!${hcl(operand, ctx, `${where}[0]`).code}`, 'bool');
    }
    case 'Fn::And':
    case 'Fn::Or': {
      const operator = fn === 'Fn::And' ? ' && ' : ' || ';
      return expr(`(${(arg as unknown[]).map((a, i) => hcl(a, ctx, `${where}[${i}]`).code).join(operator)})`, 'bool');
    }
    case 'Fn::ToJsonString':
      return expr(`jsonencode(${hcl(arg, ctx, where).code})`, 'string');
    case 'Fn::Length':
      return expr(`length(${hcl(arg, ctx, where).code})`, 'number');
    default:
      throw new Error(`${where}: ${fn} has no Terraform translation (scripts/forms/hcl.ts)`);
  }
}

/** CloudFormation compares strings: a number or a boolean is compared as its text. */
function equality([a, b]: [unknown, unknown], operator: '==' | '!=', ctx: HclContext, where: string): string {
  const text = (e: Expr) => (e.kind === 'number' || e.kind === 'bool' ? `tostring(${e.code})` : e.code);
  return `${text(hcl(a, ctx, `${where}[0]`))} ${operator} ${text(hcl(b, ctx, `${where}[1]`))}`;
}

function isList(node: unknown): boolean {
  if (Array.isArray(node)) return true;
  const keys = node && typeof node === 'object' ? Object.keys(node) : [];
  return keys.length === 1 && (keys[0] === 'Fn::Split' || keys[0] === 'Fn::If' || keys[0] === 'Fn::GetAZs');
}

/** A string-valued node as template parts: literal text inline, anything else interpolated. */
function stringParts(node: unknown, ctx: HclContext, where: string): Part[] {
  if (typeof node === 'string') return [{ literal: node }];
  const sub = (node as Json | null)?.['Fn::Sub'];
  if (sub !== undefined) {
    const [text, variables] = (Array.isArray(sub) ? sub : [sub, {}]) as [string, Json];
    return subParts(text, variables, ctx, `${where}.Fn::Sub`);
  }
  const join = (node as Json | null)?.['Fn::Join'];
  if (Array.isArray(join) && Array.isArray(join[1]) && !join[1].some((v) => isNoValue(v) || isList(v))) {
    const [separator, values] = join as [string, unknown[]];
    return values.flatMap((v, i) => [...(i > 0 ? [{ literal: separator }] : []), ...stringParts(v, ctx, `${where}.Fn::Join[1][${i}]`)]);
  }
  return [{ code: hcl(node, ctx, where).code }];
}

function isScalar(kind: Kind): boolean {
  return kind === 'string' || kind === 'number' || kind === 'bool';
}

function condition(name: string, ctx: HclContext, where: string): string {
  const local = ctx.condition(name);
  if (!local) throw new Error(`${where}: no condition ${name}`);
  return local;
}

function ref(name: string, ctx: HclContext, where: string): Expr {
  if (name === 'AWS::NoValue') return expr('null', 'null', true);
  if (PSEUDO[name]) return expr(PSEUDO[name], 'string');
  if (name.startsWith('AWS::')) throw new Error(`${where}: pseudo parameter ${name} has no Terraform translation`);
  const parameter = ctx.parameter(name);
  if (parameter?.type === 'list') return expr(`join(",", ${parameter.variable})`, 'string');
  // Terraform turns a number or a boolean into the text CloudFormation would pass wherever a string goes.
  if (parameter) return expr(parameter.variable, { string: 'string', number: 'number', boolean: 'bool' }[parameter.type] as Kind);
  const resource = ctx.resource(name, undefined);
  if (resource) return expr(resource, 'string');
  throw new Error(`${where}: Ref to ${name}, which is neither a parameter nor a resource`);
}

type Part = { literal: string } | { code: string };

/** Fn::Sub -> an HCL template (a single `${x}` is the expression itself). */
function sub(text: string, variables: Json, ctx: HclContext, where: string): Expr {
  return expr(template(subParts(text, variables, ctx, where)), 'string');
}

function subParts(text: string, variables: Json, ctx: HclContext, where: string): Part[] {
  const parts: Part[] = [];
  let rest = text;
  for (;;) {
    const at = rest.indexOf('${');
    if (at < 0) {
      parts.push({ literal: rest });
      break;
    }
    const end = rest.indexOf('}', at);
    if (end < 0) throw new Error(`${where}: unterminated \${ in ${JSON.stringify(text)}`);
    parts.push({ literal: rest.slice(0, at) });
    const name = rest.slice(at + 2, end);
    if (name.startsWith('!')) parts.push({ literal: `\${${name.slice(1)}}` });
    else if (name in variables) parts.push({ code: hcl(variables[name], ctx, `${where}[1].${name}`).code });
    else if (name.includes('.') && !name.startsWith('AWS::')) {
      const [id, attribute] = name.split(/\.(.*)/s, 2);
      const code = ctx.resource(id, attribute);
      if (!code) throw new Error(`${where}: no Terraform attribute for ${name}`);
      parts.push({ code });
    } else parts.push({ code: ref(name, ctx, where).code });
    rest = rest.slice(end + 1);
  }
  return parts;
}

/** Literal text and interpolations -> a quoted HCL string, or a heredoc for text of several lines. */
function template(all: Part[]): string {
  const parts = all.filter((p) => !('literal' in p) || p.literal !== '');
  if (parts.length === 0) return '""';
  if (parts.length === 1 && 'code' in parts[0]) return parts[0].code;
  const literal = parts.map((p) => ('literal' in p ? p.literal : '')).join('');
  const last = parts[parts.length - 1];
  // A heredoc ends its text with a newline: only text that ends with one can be written as one.
  if (literal.includes('\n') && 'literal' in last && last.literal.endsWith('\n')) {
    return `<<EOT\n${parts.map((p) => ('literal' in p ? escapeTemplate(p.literal) : `\${${p.code}}`)).join('')}EOT\n`;
  }
  return `"${parts.map((p) => ('literal' in p ? escapeQuoted(p.literal) : `\${${p.code}}`)).join('')}"`;
}

export function quote(text: string): string {
  return `"${escapeQuoted(text)}"`;
}

/** Template sequences are literal in CloudFormation and must not be read as interpolations. */
function escapeTemplate(text: string): string {
  return text.replace(/\$\{/g, () => '$${').replace(/%\{/g, () => '%%{');
}

function escapeQuoted(text: string): string {
  return escapeTemplate(text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t'));
}
