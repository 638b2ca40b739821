/**
 * The member-account template of the organization StackSet (docs/organization.md), made from the
 * template `osls package` produces: pure, a packaged template in, the member template out (the
 * packaging, files and command line are scripts/org/stackset-template.ts).
 *
 * toMemberTemplate() drops the framework's deployment bucket and its policy, points each
 * function's code at the artifact bucket of the stack's own region (Lambda only reads code from a
 * bucket in the function's region), and turns every placeholder (`@@org.<key>@@`, what the
 * packaging gave each key of `params`) into a CloudFormation parameter (`{Ref}` or `Fn::Sub`); a
 * template parameter that already defaults to a placeholder (an infra/ file's
 * `Default: '${param:x}'`) becomes x's parameter as it is. It fails when a key is never found, is
 * found where a parameter cannot go (a logical id, a Ref target, a description), or when any
 * placeholder survives.
 */

export type Json = Record<string, unknown>;

export interface CfnParameter {
  Type: string;
  Default?: string;
  Description?: string;
  AllowedValues?: string[];
  AllowedPattern?: string;
  MinLength?: number;
  MaxLength?: number;
  ConstraintDescription?: string;
}

export interface CfnResource {
  Type: string;
  Properties?: Json;
  DependsOn?: string | string[];
  Condition?: string;
  [attribute: string]: unknown;
}

export interface CfnTemplate {
  AWSTemplateFormatVersion?: string;
  Description?: string;
  Metadata?: Json;
  Parameters?: Record<string, CfnParameter>;
  Conditions?: Json;
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, Json>;
  [section: string]: unknown;
}

/** One deploy-time parameter of serverless.yml (`params.default`, then `params.<stage>`). */
export interface ServiceParameter {
  key: string;
  default: string;
  description?: string;
}

export interface ConvertOptions {
  parameters: ServiceParameter[];
  /** Default of ArtifactKeyPrefix: where this release's zips are, under every regional bucket. */
  artifactKeyPrefix: string;
  /** The region given to `osls package`: a literal copy of it in the template would be wrong elsewhere. */
  packagingRegion?: string;
}

export interface MemberTemplate {
  template: CfnTemplate;
  /** The zip each function's code points at (the file name in the package directory). */
  artifacts: Array<{ logicalId: string; file: string }>;
  /** params key -> CloudFormation parameter name. */
  parameterNames: Record<string, string>;
}

export const DEPLOYMENT_BUCKET = 'ServerlessDeploymentBucket';
export const ARTIFACT_BUCKET_PREFIX = 'ArtifactBucketPrefix';
export const ARTIFACT_KEY_PREFIX = 'ArtifactKeyPrefix';
/** The longest region name today (ap-southeast-5 and the like) plus the hyphen before it. */
const REGION_SUFFIX_LENGTH = 15;
const MARK = '@@org.';
const PLACEHOLDERS = /@@org\.([A-Za-z0-9_-]+)@@/g;
const VALID_KEY = /^[A-Za-z][A-Za-z0-9_-]*$/;

export function placeholder(key: string): string {
  return `${MARK}${key}@@`;
}

/** `maxConcurrency` -> `MaxConcurrency`, `log-level` -> `LogLevel` (CloudFormation allows [A-Za-z0-9] only). */
export function parameterName(key: string): string {
  if (!VALID_KEY.test(key))
    throw new Error(`params key "${key}" cannot become a CloudFormation parameter name (letters, digits, - and _ only)`);
  return key
    .split(/[-_]/)
    .filter(Boolean)
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join('');
}

/** The parameter's type and constraints, from the shape of its default value. */
export function cfnParameter(param: ServiceParameter): CfnParameter {
  const base: CfnParameter = { Type: 'String', Default: param.default };
  if (param.description) base.Description = param.description.slice(0, 4000);
  // Small integers only: an account id with a leading zero must stay a string.
  if (/^(0|[1-9][0-9]{0,8})$/.test(param.default)) return { ...base, Type: 'Number' };
  if (param.default === 'true' || param.default === 'false') return { ...base, AllowedValues: ['true', 'false'] };
  if (/^(rate|cron)\(.+\)$/.test(param.default)) {
    return { ...base, AllowedPattern: '^(rate|cron)\\(.+\\)$', ConstraintDescription: 'an EventBridge schedule: rate(...) or cron(...)' };
  }
  return base;
}

/** The packaged stack -> the template every stack instance of the StackSet runs. Pure: `packaged` is not modified. */
export function toMemberTemplate(packaged: CfnTemplate, options: ConvertOptions): MemberTemplate {
  const template = structuredClone(packaged) as CfnTemplate;
  // A template parameter that defaults to a params value (`Default: '${param:x}'` in infra/, e.g.
  // to drive a Condition) already is x's parameter: keep its name and constraints.
  const declared = adoptDeclaredParameters(template, options.parameters);
  const parameterNames = declareNames(template, options.parameters, declared);

  const removed = removeDeploymentBucket(template);
  const artifacts = pointCodeAtArtifactBuckets(template);
  const dangling = referencesTo(template, removed);
  if (dangling.length > 0) throw new Error(`still referenced after removing the deployment bucket: ${dangling.join(', ')}`);

  const used = replacePlaceholders(template, parameterNames);
  for (const key of declared.keys()) if (referencesTo(template, new Set([parameterNames[key]])).length > 0) used.add(key);
  const unused = options.parameters.map((p) => p.key).filter((key) => !used.has(key));
  if (unused.length > 0) {
    throw new Error(
      `no trace of params ${unused.join(', ')} in the packaged template: the framework used them at packaging time ` +
        '(or not at all), so a StackSet parameter cannot drive them. Give them a value with --fixed key=value.',
    );
  }
  const survivors = placeholderPaths(template);
  if (survivors.length > 0) throw new Error(`placeholders survived the conversion at ${survivors.join(', ')}`);
  if (options.packagingRegion) {
    const literal = pathsContaining(template, options.packagingRegion, ['Resources', 'Outputs', 'Conditions']);
    if (literal.length > 0) {
      throw new Error(`the packaging region ${options.packagingRegion} is written literally at ${literal.join(', ')}: use AWS::Region`);
    }
  }

  const others = Object.fromEntries(Object.entries(template.Parameters ?? {}).filter(([name]) => ![...declared.values()].includes(name)));
  template.Parameters = {
    [ARTIFACT_BUCKET_PREFIX]: {
      Type: 'String',
      Description: 'Regional artifact buckets are named <prefix>-<region> (infra/organization/artifact-buckets.yml)',
      // No dots: the bucket is addressed virtual-hosted style over TLS (TemplateURL), where a dot breaks the certificate.
      AllowedPattern: '^[a-z0-9][a-z0-9-]*[a-z0-9]$',
      MinLength: 3,
      MaxLength: 63 - REGION_SUFFIX_LENGTH,
    },
    [ARTIFACT_KEY_PREFIX]: {
      Type: 'String',
      Default: options.artifactKeyPrefix,
      Description: 'Key prefix of this release in the artifact buckets (a new prefix per release makes Lambda load the new code)',
      AllowedPattern: '^[A-Za-z0-9!_.*()/-]+[^/]$',
    },
    ...Object.fromEntries(
      options.parameters.map((p) => {
        const own = declared.has(p.key) ? template.Parameters?.[parameterNames[p.key]] : undefined;
        const description = own?.Description ?? p.description;
        return [
          parameterNames[p.key],
          own ? { ...own, Default: p.default, ...(description ? { Description: description } : {}) } : cfnParameter(p),
        ];
      }),
    ),
    ...others,
  };
  template.Metadata = {
    ...(template.Metadata ?? {}),
    'AWS::CloudFormation::Interface': {
      ParameterGroups: [
        { Label: { default: 'Artifacts' }, Parameters: [ARTIFACT_BUCKET_PREFIX, ARTIFACT_KEY_PREFIX] },
        { Label: { default: 'Settings (serverless.yml params)' }, Parameters: options.parameters.map((p) => parameterNames[p.key]) },
      ],
    },
  };
  return { template, artifacts, parameterNames };
}

/** params key -> the template parameter whose Default is exactly that key's placeholder. Clears those defaults. */
function adoptDeclaredParameters(template: CfnTemplate, parameters: ServiceParameter[]): Map<string, string> {
  const declared = new Map<string, string>();
  for (const [name, parameter] of Object.entries(template.Parameters ?? {})) {
    const key = parameters.find((p) => parameter.Default === placeholder(p.key))?.key;
    if (!key) continue;
    if (declared.has(key))
      throw new Error(`params key "${key}" is the default of two template parameters: ${declared.get(key)} and ${name}`);
    declared.set(key, name);
    delete parameter.Default;
  }
  return declared;
}

function declareNames(template: CfnTemplate, parameters: ServiceParameter[], declared: Map<string, string>): Record<string, string> {
  const taken = new Map<string, string>();
  for (const section of ['Parameters', 'Resources', 'Conditions', 'Mappings', 'Outputs']) {
    for (const id of Object.keys((template[section] as Json | undefined) ?? {})) taken.set(id, `${section}.${id}`);
  }
  taken.set(ARTIFACT_BUCKET_PREFIX, 'the artifact bucket parameter');
  taken.set(ARTIFACT_KEY_PREFIX, 'the artifact key parameter');
  const names: Record<string, string> = {};
  for (const { key } of parameters) {
    const own = declared.get(key);
    if (own) {
      names[key] = own;
      continue;
    }
    const name = parameterName(key);
    const clash = taken.get(name);
    if (clash) throw new Error(`params key "${key}" would become parameter ${name}, which is already ${clash}`);
    taken.set(name, `params key "${key}"`);
    names[key] = name;
  }
  return names;
}

/** Deletes the framework's bucket and every bucket policy on it, and the outputs that name them. */
function removeDeploymentBucket(template: CfnTemplate): Set<string> {
  const bucket = template.Resources[DEPLOYMENT_BUCKET];
  if (bucket?.Type !== 'AWS::S3::Bucket')
    throw new Error(`no ${DEPLOYMENT_BUCKET} in the template: is it the update template of \`osls package\`?`);
  const removed = new Set([DEPLOYMENT_BUCKET]);
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resource.Type === 'AWS::S3::BucketPolicy' && sameJson(resource.Properties?.Bucket, { Ref: DEPLOYMENT_BUCKET })) removed.add(id);
  }
  for (const id of removed) delete template.Resources[id];
  for (const [id, output] of Object.entries(template.Outputs ?? {})) {
    if (referencesTo({ Resources: {}, Outputs: { [id]: output } }, removed).length > 0) delete template.Outputs?.[id];
  }
  return removed;
}

/** `{S3Bucket: {Ref: ServerlessDeploymentBucket}, S3Key: '<dir>/<file>'}` (function code, layer content) -> the regional bucket. */
function pointCodeAtArtifactBuckets(template: CfnTemplate): Array<{ logicalId: string; file: string }> {
  const artifacts: Array<{ logicalId: string; file: string }> = [];
  const rewrite = (node: unknown, logicalId: string): void => {
    if (Array.isArray(node)) {
      for (const n of node) rewrite(n, logicalId);
      return;
    }
    if (!node || typeof node !== 'object') return;
    const obj = node as Json;
    if (sameJson(obj.S3Bucket, { Ref: DEPLOYMENT_BUCKET }) && typeof obj.S3Key === 'string') {
      const file = obj.S3Key.split('/').pop() as string;
      if (artifacts.some((a) => a.file === file && a.logicalId !== logicalId))
        throw new Error(`two resources use an artifact named ${file}`);
      artifacts.push({ logicalId, file });
      obj.S3Bucket = { 'Fn::Sub': `\${${ARTIFACT_BUCKET_PREFIX}}-\${AWS::Region}` };
      obj.S3Key = { 'Fn::Sub': `\${${ARTIFACT_KEY_PREFIX}}/${file}` };
      return;
    }
    for (const v of Object.values(obj)) rewrite(v, logicalId);
  };
  for (const [id, resource] of Object.entries(template.Resources)) rewrite(resource.Properties, id);
  if (artifacts.length === 0) throw new Error('no function code in the deployment bucket: nothing to point at the artifact buckets');
  return artifacts;
}

/** Where the template still refers to one of `ids` (Ref, GetAtt, Sub, DependsOn). */
function referencesTo(template: CfnTemplate, ids: Set<string>): string[] {
  const found: string[] = [];
  const walk = (node: unknown, where: string): void => {
    if (Array.isArray(node)) {
      node.forEach((n, i) => {
        walk(n, `${where}[${i}]`);
      });
      return;
    }
    if (!node || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node as Json)) {
      const here = `${where}.${key}`;
      if (key === 'Ref' && typeof value === 'string' && ids.has(value)) found.push(here);
      else if (key === 'Fn::GetAtt' && ids.has(String(Array.isArray(value) ? value[0] : String(value).split('.')[0]))) found.push(here);
      else if (key === 'Fn::Sub') {
        const text = Array.isArray(value) ? value[0] : value;
        if (typeof text === 'string' && [...text.matchAll(/\$\{([A-Za-z0-9]+)[.}]/g)].some((m) => ids.has(m[1]))) found.push(here);
        if (Array.isArray(value)) walk(value[1], here);
      } else if (key === 'DependsOn' && [value].flat().some((d) => ids.has(String(d)))) found.push(here);
      else walk(value, here);
    }
  };
  walk(template.Resources, 'Resources');
  walk(template.Outputs, 'Outputs');
  walk(template.Conditions, 'Conditions');
  return found;
}

/**
 * Every placeholder -> its parameter, where CloudFormation evaluates intrinsic functions: resource
 * Properties and Metadata, Conditions, output values and export names. Returns the keys found.
 */
function replacePlaceholders(template: CfnTemplate, names: Record<string, string>): Set<string> {
  const used = new Set<string>();
  const name = (key: string, where: string): string => {
    const found = names[key];
    if (!found) throw new Error(`placeholder for unknown params key "${key}" at ${where}`);
    used.add(key);
    return found;
  };
  const forbid = (node: unknown, where: string, why: string): void => {
    const at = placeholderPaths(node, where);
    if (at.length > 0) throw new Error(`a params value is used at ${at.join(', ')}, where ${why}`);
  };
  const inSub = (text: string, where: string): string => text.replace(PLACEHOLDERS, (_, key: string) => `\${${name(key, where)}}`);
  const convert = (node: unknown, where: string): unknown => {
    if (typeof node === 'string') {
      if (!node.includes(MARK)) return node;
      const whole = /^@@org\.([A-Za-z0-9_-]+)@@$/.exec(node);
      if (whole) return { Ref: name(whole[1], where) };
      // Literal "${" must not be read as a Sub variable.
      const escaped = node
        .split(PLACEHOLDERS)
        .map((part, i) => (i % 2 === 1 ? `\${${name(part, where)}}` : part.replace(/\$\{/g, '${!')))
        .join('');
      return { 'Fn::Sub': escaped };
    }
    if (Array.isArray(node)) return node.map((n, i) => convert(n, `${where}[${i}]`));
    if (!node || typeof node !== 'object') return node;
    const obj = node as Json;
    const keys = Object.keys(obj);
    if (keys.length === 1 && keys[0] === 'Fn::Sub') {
      const value = obj['Fn::Sub'];
      if (typeof value === 'string') return { 'Fn::Sub': inSub(value, where) };
      if (Array.isArray(value) && typeof value[0] === 'string') {
        return { 'Fn::Sub': [inSub(value[0], where), convert(value[1], `${where}.Fn::Sub[1]`)] };
      }
    }
    if (keys.length === 1 && (keys[0] === 'Ref' || keys[0] === 'Fn::GetAtt' || keys[0] === 'Condition')) {
      forbid(obj, where, 'it names a resource or condition');
      return obj;
    }
    const out: Json = {};
    for (const [key, value] of Object.entries(obj)) {
      forbid(key, `${where} (a key)`, 'a key cannot be a parameter');
      out[key] = convert(value, `${where}.${key}`);
    }
    return out;
  };

  for (const [section, value] of Object.entries(template)) {
    if (section === 'Resources' || section === 'Conditions' || section === 'Outputs') continue;
    forbid(value, section, 'CloudFormation evaluates no functions');
  }
  for (const [id, resource] of Object.entries(template.Resources)) {
    forbid(id, `Resources (logical id ${id})`, 'a logical id cannot be a parameter');
    for (const [attribute, value] of Object.entries(resource)) {
      const where = `Resources.${id}.${attribute}`;
      if (attribute === 'Properties' || attribute === 'Metadata') (resource as Json)[attribute] = convert(value, where);
      else forbid(value, where, 'resource attributes take no functions');
    }
  }
  if (template.Conditions) template.Conditions = convert(template.Conditions, 'Conditions') as Json;
  for (const [id, output] of Object.entries(template.Outputs ?? {})) {
    forbid(id, `Outputs (logical id ${id})`, 'a logical id cannot be a parameter');
    forbid(output.Description, `Outputs.${id}.Description`, 'a description takes no functions');
    if (output.Value !== undefined) output.Value = convert(output.Value, `Outputs.${id}.Value`);
    if (output.Export !== undefined) output.Export = convert(output.Export, `Outputs.${id}.Export`);
    forbid(output.Condition, `Outputs.${id}.Condition`, 'it names a condition');
  }
  return used;
}

/** JSON paths under `node` whose key or value still holds a placeholder. */
export function placeholderPaths(node: unknown, where = '$'): string[] {
  return pathsContaining(node, MARK, undefined, where);
}

function pathsContaining(node: unknown, text: string, sections?: string[], where = '$'): string[] {
  const found: string[] = [];
  const walk = (n: unknown, at: string): void => {
    if (typeof n === 'string') {
      if (n.includes(text)) found.push(at);
    } else if (Array.isArray(n)) {
      n.forEach((v, i) => {
        walk(v, `${at}[${i}]`);
      });
    } else if (n && typeof n === 'object') {
      for (const [k, v] of Object.entries(n as Json)) {
        if (k.includes(text)) found.push(`${at} (key ${k})`);
        walk(v, `${at}.${k}`);
      }
    }
  };
  if (sections) for (const s of sections) walk((node as Json)[s], s);
  else walk(node, where);
  return found;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
