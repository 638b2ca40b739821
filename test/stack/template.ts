import * as fs from 'node:fs';
import * as path from 'node:path';
import { oslsPackage, withPackagingLock } from '../../scripts/osls-package';

/** The repository root. */
export const ROOT = path.resolve(__dirname, '../..');
export const PACKAGE_DIR = path.join(ROOT, '.serverless');
export const STAGE = 'ci';
export const REGION = 'eu-west-1';
export const SERVICE = 'ecs-secret-redeploy';
export const STACK_NAME = `${SERVICE}-${STAGE}`;

export type Json = Record<string, unknown>;

export interface Resource {
  Type: string;
  Properties?: Json;
  DependsOn?: string | string[];
  Condition?: string;
}

export interface Template {
  Resources: Record<string, Resource>;
  Outputs?: Record<string, { Value: unknown; Export?: { Name: unknown } }>;
}

export interface Packaged {
  createTemplate: Template;
  updateTemplate: Template;
  /** Where the framework uploads the artifacts in the deployment bucket (`serverless/<service>/<stage>/<time>`). */
  artifactDirectoryName: string;
  dir: string;
}

/** Files whose change makes a packaged template stale. */
const INPUTS = ['serverless.yml', 'infra', 'functions', 'package.json', 'package-lock.json'];

/**
 * The packaged stack (`npm run package`): reused when it is newer than every input, packaged
 * again otherwise. Test files run in parallel workers, and the StackSet script packages too: the
 * check and the packaging happen under the one packaging lock (scripts/osls-package.ts); `keep`
 * runs under it too, to copy files out before another worker may package again.
 */
export function ensurePackaged(keep?: (dir: string) => void): Packaged {
  withPackagingLock(ROOT, () => {
    if (isStale()) oslsPackage(ROOT, ['--stage', STAGE, '--region', REGION], 120_000);
    keep?.(PACKAGE_DIR);
  });
  const read = (file: string) => JSON.parse(fs.readFileSync(path.join(PACKAGE_DIR, file), 'utf8'));
  const state = read('serverless-state.json') as { package: { artifactDirectoryName: string } };
  return {
    createTemplate: read('cloudformation-template-create-stack.json') as Template,
    updateTemplate: read('cloudformation-template-update-stack.json') as Template,
    artifactDirectoryName: state.package.artifactDirectoryName,
    dir: PACKAGE_DIR,
  };
}

function isStale(): boolean {
  const outputs = ['cloudformation-template-update-stack.json', 'cloudformation-template-create-stack.json', 'serverless-state.json'].map(
    (f) => path.join(PACKAGE_DIR, f),
  );
  if (!outputs.every((f) => fs.existsSync(f))) return true;
  const packagedAt = Math.min(...outputs.map((f) => fs.statSync(f).mtimeMs));
  return INPUTS.some((input) => newestMtime(path.join(ROOT, input)) > packagedAt);
}

function newestMtime(file: string): number {
  if (!fs.existsSync(file)) return 0;
  const stat = fs.statSync(file);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return fs.readdirSync(file).reduce((newest, entry) => Math.max(newest, newestMtime(path.join(file, entry))), stat.mtimeMs);
}

export function resourcesOfType(template: Template, type: string): Array<[string, Resource]> {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}

/**
 * The statements of every IAM policy in the template, wherever CloudFormation allows one; a
 * statement under a condition (`Fn::If`) counts with each of its branches.
 */
export function policyStatements(template: Template): Array<{ where: string; statement: Json }> {
  const found: Array<{ where: string; statement: Json }> = [];
  const add = (where: string, s: unknown) => {
    if (!s || typeof s !== 'object') return;
    const branches = (s as Json)['Fn::If'];
    if (Array.isArray(branches)) {
      for (const [b, branch] of branches.slice(1).entries()) if (!isNoValue(branch)) add(`${where}.Fn::If[${b + 1}]`, branch);
      return;
    }
    found.push({ where, statement: s as Json });
  };
  const addDocument = (where: string, doc: unknown) => {
    if (!doc || typeof doc !== 'object') return;
    const statements = (doc as Json).Statement;
    for (const [i, s] of (Array.isArray(statements) ? statements : [statements]).entries()) add(`${where}.Statement[${i}]`, s);
  };
  for (const [id, resource] of Object.entries(template.Resources)) {
    const props = resource.Properties ?? {};
    switch (resource.Type) {
      case 'AWS::IAM::Role':
      case 'AWS::IAM::User':
      case 'AWS::IAM::Group':
        addDocument(`${id}.AssumeRolePolicyDocument`, props.AssumeRolePolicyDocument);
        for (const [i, p] of ((props.Policies as Json[] | undefined) ?? []).entries())
          addDocument(`${id}.Policies[${i}]`, p.PolicyDocument);
        break;
      case 'AWS::IAM::Policy':
      case 'AWS::IAM::ManagedPolicy':
      case 'AWS::IAM::RolePolicy':
      case 'AWS::SQS::QueuePolicy':
      case 'AWS::S3::BucketPolicy':
      case 'AWS::SNS::TopicPolicy':
        addDocument(id, props.PolicyDocument);
        break;
      default:
        break;
    }
  }
  return found;
}

function isNoValue(node: unknown): boolean {
  return typeof node === 'object' && node !== null && (node as Json).Ref === 'AWS::NoValue';
}

export function asArray<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** Where a template is deployed, for {@link deployedAs}. */
export interface Deployment {
  region: string;
  account: string;
  partition?: string;
  /** Values of template parameters; the others keep their Default. */
  parameters?: Record<string, string>;
}

const NO_VALUE = Symbol('AWS::NoValue');

/**
 * The resources a template creates when deployed with these parameters, in this region and
 * account, the way CloudFormation decides them: Conditions evaluated (Fn::Equals, Fn::Not,
 * Fn::And, Fn::Or, Condition), resources whose condition is false left out, and in the others
 * Fn::If, AWS::NoValue, Fn::Select, Fn::Split, Fn::Join, Fn::Sub and Ref to parameters and
 * pseudo parameters resolved. References to resources (Ref, Fn::GetAtt) stay as written, or, given
 * `resource`, become what it names them (`attribute` undefined for a Ref).
 */
export function deployedAs(
  template: Template & { Parameters?: Json; Conditions?: Json },
  where: Deployment,
  resource?: (logicalId: string, attribute: string | undefined) => string,
): Template['Resources'] {
  const declared = (template.Parameters ?? {}) as Record<string, { Default?: unknown }>;
  const values = new Map<string, string>(
    Object.entries(declared).map(([name, p]) => [name, String(where.parameters?.[name] ?? p.Default ?? '')]),
  );
  for (const name of Object.keys(where.parameters ?? {})) if (!(name in declared)) throw new Error(`the template has no parameter ${name}`);
  const pseudo: Record<string, string> = {
    'AWS::Region': where.region,
    'AWS::AccountId': where.account,
    'AWS::Partition': where.partition ?? 'aws',
    'AWS::URLSuffix': 'amazonaws.com',
  };
  const variable = (name: string): string | undefined => pseudo[name] ?? values.get(name);
  const conditions = (template.Conditions ?? {}) as Json;
  const decided = new Map<string, boolean>();
  const condition = (name: string): boolean => {
    if (!(name in conditions)) throw new Error(`no condition ${name}`);
    if (!decided.has(name)) decided.set(name, truth(conditions[name]));
    return decided.get(name) as boolean;
  };
  const truth = (node: unknown): boolean => {
    const [[fn, args]] = Object.entries(node as Json) as Array<[string, unknown[]]>;
    if (fn === 'Condition') return condition(args as unknown as string);
    if (fn === 'Fn::Equals') return String(evaluate(args[0])) === String(evaluate(args[1]));
    if (fn === 'Fn::Not') return !truth(args[0]);
    if (fn === 'Fn::And') return args.every(truth);
    if (fn === 'Fn::Or') return args.some(truth);
    throw new Error(`cannot decide ${fn}`);
  };
  const evaluate = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(evaluate).filter((v) => v !== NO_VALUE);
    if (!node || typeof node !== 'object') return node;
    const obj = node as Json;
    const [key] = Object.keys(obj);
    const arg = obj[key];
    if (Object.keys(obj).length === 1) {
      if (key === 'Ref' && arg === 'AWS::NoValue') return NO_VALUE;
      if (key === 'Ref' && variable(arg as string) !== undefined) return variable(arg as string);
      if (key === 'Ref' && resource) return resource(arg as string, undefined);
      if (key === 'Fn::GetAtt' && resource) {
        const [id, attribute] = Array.isArray(arg) ? (arg as string[]) : String(arg).split(/\.(.*)/s, 2);
        return resource(id, attribute);
      }
      if (key === 'Fn::If') {
        const [name, yes, no] = arg as [string, unknown, unknown];
        return evaluate(condition(name) ? yes : no);
      }
      if (key === 'Fn::Select') {
        const [index, list] = arg as [number | string, unknown];
        const items = evaluate(list) as unknown[];
        if (!Array.isArray(items) || Number(index) >= items.length)
          throw new Error(`Fn::Select ${index} past the end of ${JSON.stringify(items)}`);
        return items[Number(index)];
      }
      if (key === 'Fn::Split') {
        const [separator, text] = arg as [string, unknown];
        return String(evaluate(text)).split(separator);
      }
      if (key === 'Fn::Join') {
        const [separator, list] = arg as [string, unknown];
        return (evaluate(list) as unknown[]).join(separator);
      }
      if (key === 'Fn::Sub') {
        const [text, vars] = (Array.isArray(arg) ? arg : [arg, {}]) as [string, Json];
        const own = Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, evaluate(v)]));
        let unresolved = false;
        // With `resource`, ${Role.Arn} is resolved too; without, it is left in the text.
        const names = resource ? /\$\{([A-Za-z0-9:.]+)\}/g : /\$\{([A-Za-z0-9:]+)\}/g;
        const out = text.replace(names, (whole, name: string) => {
          const [id, attribute] = name.split(/\.(.*)/s, 2);
          const named = resource && !name.includes('::') ? () => resource(id, attribute) : () => undefined;
          const value = name in own ? String(own[name]) : (variable(name) ?? named());
          if (value === undefined) unresolved = true;
          return value ?? whole;
        });
        // A Sub that names a resource (${Role.Arn}) stays a Sub, with what could be resolved.
        return unresolved ? { 'Fn::Sub': out } : out;
      }
    }
    return Object.fromEntries(
      Object.entries(obj)
        .map(([k, v]) => [k, evaluate(v)] as const)
        .filter(([, v]) => v !== NO_VALUE),
    );
  };
  const resources: Template['Resources'] = {};
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resource.Condition !== undefined && !condition(resource.Condition)) continue;
    resources[id] = evaluate(resource) as Resource;
  }
  return resources;
}
