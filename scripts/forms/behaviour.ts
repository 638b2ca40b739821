/**
 * The behaviour definition every install form is made from: serverless.yml and infra/, packaged by
 * the framework itself, as one CloudFormation template whose every setting is a parameter.
 *
 * 1. `osls package` with a placeholder for every `params.default` key and the stage FORMS_STAGE
 *    (scripts/org/stackset-template.ts packageWithPlaceholders, the StackSet's own machinery).
 * 2. Every name the framework derives from service and stage (`ecs-secret-redeploy-<stage>`: the
 *    functions, the table, the rules, the queue, the dashboard, the metrics' `service` dimension)
 *    becomes the parameter `Name`; toMemberTemplate turns the placeholders into parameters.
 * 3. The function code points at two parameters, BundlesBucket and BundlesKeyPrefix (each form
 *    replaces them: CDK assets, SAM CodeUri, Terraform files or S3 objects), and the rules take
 *    logical ids of their own names instead of the framework's stage-bearing ones.
 *
 * The result carries, beside the template, the parameter list with the type each form gives it
 * (string, number, boolean, or a comma-separated list). Pure apart from packaging.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  ARTIFACT_BUCKET_PREFIX,
  ARTIFACT_KEY_PREFIX,
  type CfnParameter,
  type CfnTemplate,
  type Json,
  placeholder,
  type ServiceParameter,
  toMemberTemplate,
} from '../org/member-template';
import { packageWithPlaceholders, readServiceConfig } from '../org/stackset-template';

/** The stage packaged: a word that appears nowhere else, so that every trace of it can be found. */
const FORMS_STAGE = 'formsstage';
const PACKAGING_REGION = 'eu-west-1';
const NAME_KEY = 'name';
export const BUNDLES_BUCKET = 'BundlesBucket';
export const BUNDLES_KEY_PREFIX = 'BundlesKeyPrefix';

export type ParameterType = 'string' | 'number' | 'boolean' | 'list';

/** One setting, as each form names it. */
export interface FormParameter {
  /** serverless.yml `params` key, and the CDK prop. */
  key: string;
  /** CloudFormation parameter (SAM, StackSet). */
  cfn: string;
  /** Terraform variable. */
  tf: string;
  type: ParameterType;
  /** The default as serverless.yml writes it (a string). */
  default: string;
  description: string;
  /** Environment variables whose value is this setting. */
  env: string[];
  allowedPattern?: string;
  allowedValues?: string[];
  maxLength?: number;
}

export interface Behaviour {
  service: string;
  parameters: FormParameter[];
  /** CloudFormation: every setting a parameter, code at BundlesBucket/BundlesKeyPrefix. */
  template: CfnTemplate;
  /** Lambda function logical id -> the bundle it runs (a file name of `npm run package`'s output). */
  bundles: Record<string, string>;
}

/** Where each name limit of the template lies: property -> longest value AWS accepts. */
const NAME_LIMITS: Record<string, Record<string, number>> = {
  'AWS::Lambda::Function': { FunctionName: 64 },
  'AWS::Events::Rule': { Name: 64 },
  'AWS::Events::EventBusPolicy': { StatementId: 64 },
  'AWS::SQS::Queue': { QueueName: 80 },
  'AWS::SNS::Topic': { TopicName: 256 },
  'AWS::DynamoDB::Table': { TableName: 255 },
  'AWS::CloudWatch::Dashboard': { DashboardName: 255 },
  'AWS::CloudWatch::Alarm': { AlarmName: 255 },
  'AWS::Logs::LogGroup': { LogGroupName: 512 },
};

const NAME_DESCRIPTION =
  'Prefix of every name the deployment gives: the functions <name>-on-secret-change, -redeploy-secret and -refresh-index, the table <name>, ' +
  'the rules, the queue, the dashboard, the metrics dimension `service`. serverless.yml derives it from service and stage (ecs-secret-redeploy-<stage>).';

/** What `osls package` reads of the repository (node_modules is linked, not copied). */
const SERVICE_FILES = ['serverless.yml', 'package.json', 'tsconfig.json', 'infra', 'functions'];

/** Packages serverless.yml with a placeholder for every setting, and converts it. */
export function buildBehaviour(root: string): Behaviour {
  const { service, parameters } = readServiceConfig(root, FORMS_STAGE);
  const packaged = packageCopy(root, { stage: FORMS_STAGE, keys: parameters.map((p) => p.key) });
  return toBehaviour(packaged, service, parameters);
}

/**
 * `osls package` of a copy of the service: the framework empties the service's .serverless/ when
 * it packages elsewhere, and the repository's own package (what `npm run package` and the stack
 * tests use) stays as it is. `keys` get placeholders, `fixed` values.
 */
export function packageCopy(root: string, options: { stage: string; keys?: string[]; fixed?: Record<string, string> }): CfnTemplate {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ecs-secret-redeploy-forms-'));
  try {
    const copy = path.join(work, 'service');
    fs.mkdirSync(copy);
    for (const entry of SERVICE_FILES) {
      // (A Terraform working directory under infra/terraform is no input of the stack.)
      fs.cpSync(path.join(root, entry), path.join(copy, entry), {
        recursive: true,
        filter: (source) => path.basename(source) !== '.terraform',
      });
    }
    fs.symlinkSync(path.join(root, 'node_modules'), path.join(copy, 'node_modules'), 'dir');
    return packageWithPlaceholders({
      root: copy,
      stage: options.stage,
      region: PACKAGING_REGION,
      dir: path.join(work, 'package'),
      keys: options.keys ?? [],
      fixed: options.fixed,
    });
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** The packaged (placeholder) stack -> the behaviour definition. Pure. */
export function toBehaviour(packaged: CfnTemplate, service: string, parameters: ServiceParameter[]): Behaviour {
  if (parameters.some((p) => p.key === NAME_KEY)) throw new Error(`params key "${NAME_KEY}" is taken by the forms' name prefix`);
  const stageName = `${service}-${FORMS_STAGE}`;
  const named = replaceStrings(structuredClone(packaged), stageName, placeholder(NAME_KEY));
  const all: ServiceParameter[] = [{ key: NAME_KEY, default: service, description: NAME_DESCRIPTION }, ...parameters];
  const { template, parameterNames } = toMemberTemplate(named, {
    parameters: all,
    artifactKeyPrefix: 'unused',
    packagingRegion: PACKAGING_REGION,
  });

  const bundles = pointCodeAtBundles(template);
  renameRules(template);
  const left = stagePaths(template);
  if (left.length > 0) {
    throw new Error(`the stage is still written literally at ${left.join(', ')}: name it \${self:service}-\${sls:stage} (it becomes Name)`);
  }

  const declared = template.Parameters as Record<string, CfnParameter>;
  delete declared[ARTIFACT_BUCKET_PREFIX];
  delete declared[ARTIFACT_KEY_PREFIX];
  const nameParameter = declared[parameterNames[NAME_KEY]];
  nameParameter.AllowedPattern = '^[A-Za-z0-9][A-Za-z0-9_-]*$';
  nameParameter.MaxLength = longestName(template, parameterNames[NAME_KEY]);
  nameParameter.ConstraintDescription = `letters, digits, - and _, at most ${nameParameter.MaxLength} characters (the longest name built from it must fit)`;
  template.Parameters = {
    ...declared,
    [BUNDLES_BUCKET]: { Type: 'String', Description: 'S3 bucket holding the function bundles (each form sets it)' },
    [BUNDLES_KEY_PREFIX]: { Type: 'String', Default: '', Description: 'Key prefix of the bundles in BundlesBucket' },
  };
  template.Metadata = {
    'AWS::CloudFormation::Interface': {
      ParameterGroups: [{ Label: { default: 'Settings' }, Parameters: all.map((p) => parameterNames[p.key]) }],
    },
  };
  template.Description = 'ecs-secret-redeploy: redeploys the ECS services that use a secret, exactly once per change';

  const formParameters = all.map((p): FormParameter => {
    const cfn = parameterNames[p.key];
    const declaredParameter = declared[cfn];
    const description = declaredParameter.Description ?? p.description;
    // Every form documents every setting from this text (variables, props, the parameter table).
    if (!description) throw new Error(`params.${p.key} has no comment above it in serverless.yml: say there what it sets`);
    const sentence = /[.!?)]$/.test(description) ? description : `${description}.`;
    return {
      key: p.key,
      cfn,
      tf: snakeCase(p.key),
      type: parameterType(declaredParameter, description),
      default: p.default,
      description: sentence,
      env: environmentOf(template, cfn),
      ...(declaredParameter.AllowedPattern ? { allowedPattern: declaredParameter.AllowedPattern } : {}),
      ...(declaredParameter.AllowedValues && !isBoolean(declaredParameter) ? { allowedValues: declaredParameter.AllowedValues } : {}),
      ...(declaredParameter.MaxLength !== undefined ? { maxLength: declaredParameter.MaxLength } : {}),
    };
  });
  return { service, parameters: formParameters, template, bundles };
}

/**
 * A setting that holds several values is written comma-separated in serverless.yml, and its
 * comment says so: the forms whose tools have lists (CDK, Terraform) take a list and join it.
 */
function parameterType(parameter: CfnParameter, description: string): ParameterType {
  if (parameter.Type === 'Number') return 'number';
  if (isBoolean(parameter)) return 'boolean';
  if (/comma-separated|separated by commas/i.test(description)) return 'list';
  return 'string';
}

function isBoolean(parameter: CfnParameter): boolean {
  return JSON.stringify(parameter.AllowedValues) === JSON.stringify(['true', 'false']);
}

/** `maxConcurrency` -> `max_concurrency`. */
export function snakeCase(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/-/g, '_')
    .toLowerCase();
}

/** Environment variables (of any function) whose whole value is a Ref to the parameter. */
function environmentOf(template: CfnTemplate, parameter: string): string[] {
  const names = new Set<string>();
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const variables = ((resource.Properties?.Environment as Json | undefined)?.Variables ?? {}) as Json;
    for (const [name, value] of Object.entries(variables)) {
      if (JSON.stringify(value) === JSON.stringify({ Ref: parameter })) names.add(name);
    }
  }
  return [...names];
}

/** Every string value (never a key) with `from` replaced by `to`. */
function replaceStrings<T>(node: T, from: string, to: string): T {
  const walk = (n: unknown): unknown => {
    if (typeof n === 'string') return n.split(from).join(to);
    if (Array.isArray(n)) return n.map(walk);
    if (n && typeof n === 'object') return Object.fromEntries(Object.entries(n as Json).map(([k, v]) => [k, walk(v)]));
    return n;
  };
  return walk(node) as T;
}

/** toMemberTemplate's regional artifact buckets -> BundlesBucket and BundlesKeyPrefix. */
function pointCodeAtBundles(template: CfnTemplate): Record<string, string> {
  const bundles: Record<string, string> = {};
  for (const [id, resource] of Object.entries(template.Resources)) {
    const code = resource.Properties?.Code as Json | undefined;
    if (!code) continue;
    if (resource.Type !== 'AWS::Lambda::Function') throw new Error(`${id} (${resource.Type}) has code: only functions are bundled`);
    const key = (code.S3Key as Json | undefined)?.['Fn::Sub'];
    const file = typeof key === 'string' ? /^\$\{ArtifactKeyPrefix\}\/([^/]+\.zip)$/.exec(key)?.[1] : undefined;
    if (!file) throw new Error(`${id}: unexpected code location ${JSON.stringify(code)}`);
    bundles[id] = file;
    resource.Properties = { ...resource.Properties, Code: bundleCode(file) };
  }
  return bundles;
}

function bundleCode(file: string): Json {
  return { S3Bucket: { Ref: BUNDLES_BUCKET }, S3Key: { 'Fn::Sub': `\${${BUNDLES_KEY_PREFIX}}${file}` } };
}

/**
 * The framework names a function's rules after service and stage (`Ecssecretredeploy<stage>...rule1`)
 * and their permissions after the function and a number. Each takes the name of its rule instead
 * (`${Name}-secret-api-call` -> SecretApiCallRule, SecretApiCallRulePermission): ids that say what
 * they are, and stay the same whatever the stage.
 */
function renameRules(template: CfnTemplate): void {
  const renames = new Map<string, string>();
  const taken = new Set(Object.keys(template.Resources));
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (!id.toLowerCase().includes(FORMS_STAGE)) continue;
    const name = (resource.Properties?.Name as Json | undefined)?.['Fn::Sub'];
    const suffix = typeof name === 'string' ? /^\$\{Name\}-([a-z0-9-]+)$/.exec(name)?.[1] : undefined;
    if (resource.Type !== 'AWS::Events::Rule' || !suffix) throw new Error(`cannot give ${id} (${resource.Type}) an id without the stage`);
    const renamed = `${pascalCase(suffix)}Rule`;
    if (taken.has(renamed)) throw new Error(`${id} would be renamed ${renamed}, which is taken`);
    taken.add(renamed);
    renames.set(id, renamed);
  }
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Permission') continue;
    // The framework writes the rule's ARN from its name: arn:...:rule/<name>.
    const source = JSON.stringify(resource.Properties?.SourceArn ?? '');
    const rule = [...renames.keys()].find((old) => source.includes(JSON.stringify(template.Resources[old].Properties?.Name)));
    if (!rule) continue;
    const renamed = `${renames.get(rule)}Permission`;
    if (taken.has(renamed)) throw new Error(`${id} would be renamed ${renamed}, which is taken`);
    taken.add(renamed);
    renames.set(id, renamed);
  }
  const resources: Record<string, (typeof template.Resources)[string]> = {};
  for (const [id, resource] of Object.entries(template.Resources)) resources[renames.get(id) ?? id] = resource;
  template.Resources = renameReferences(resources, renames);
  template.Outputs = renameReferences(template.Outputs ?? {}, renames);
}

function renameReferences<T>(node: T, renames: Map<string, string>): T {
  const walk = (n: unknown, key?: string): unknown => {
    if (typeof n === 'string') {
      if ((key === 'Ref' || key === 'DependsOn') && renames.has(n)) return renames.get(n);
      return n;
    }
    if (Array.isArray(n)) {
      if (key === 'Fn::GetAtt' && typeof n[0] === 'string') return [renames.get(n[0]) ?? n[0], ...n.slice(1)];
      return n.map((v) => walk(v, key === 'DependsOn' ? key : undefined));
    }
    if (n && typeof n === 'object') {
      return Object.fromEntries(
        Object.entries(n as Json).map(([k, v]) => {
          if (k === 'Fn::Sub') {
            const sub = (text: string) =>
              text.replace(/\$\{([A-Za-z0-9]+)([.}])/g, (whole, id: string, end: string) =>
                renames.has(id) ? `\${${renames.get(id)}${end}` : whole,
              );
            return [k, typeof v === 'string' ? sub(v) : [sub((v as [string, Json])[0]), walk((v as [string, Json])[1])]];
          }
          return [k, walk(v, k)];
        }),
      );
    }
    return n;
  };
  return walk(node) as T;
}

function pascalCase(words: string): string {
  return words
    .split('-')
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join('');
}

function stagePaths(template: CfnTemplate): string[] {
  const found: string[] = [];
  const walk = (n: unknown, at: string): void => {
    if (typeof n === 'string') {
      if (n.toLowerCase().includes(FORMS_STAGE)) found.push(at);
    } else if (Array.isArray(n)) {
      for (const [i, v] of n.entries()) walk(v, `${at}[${i}]`);
    } else if (n && typeof n === 'object') {
      for (const [k, v] of Object.entries(n as Json)) {
        if (k.toLowerCase().includes(FORMS_STAGE)) found.push(`${at}.${k}`);
        walk(v, `${at}.${k}`);
      }
    }
  };
  walk(template, '$');
  return found;
}

/** The longest Name that keeps every name built from it within its AWS limit. */
function longestName(template: CfnTemplate, nameParameter: string): number {
  let longest = 255;
  const within = (where: string, value: unknown, limit: number) => {
    const text = typeof value === 'object' && value !== null ? (value as Json)['Fn::Sub'] : undefined;
    if (typeof text !== 'string' || !text.includes(`\${${nameParameter}}`)) return;
    if (/\$\{(?!Name\})/.test(text)) throw new Error(`${where} is built from more than Name: ${text}`);
    longest = Math.min(longest, limit - (text.length - `\${${nameParameter}}`.length));
  };
  for (const [id, resource] of Object.entries(template.Resources)) {
    for (const [property, limit] of Object.entries(NAME_LIMITS[resource.Type] ?? {}))
      within(`${id}.${property}`, resource.Properties?.[property], limit);
    // A rule target's Id: at most 64 characters.
    if (resource.Type === 'AWS::Events::Rule') {
      for (const [i, target] of ((resource.Properties?.Targets as Json[] | undefined) ?? []).entries())
        within(`${id}.Targets[${i}].Id`, target?.Id, 64);
    }
  }
  return longest;
}
