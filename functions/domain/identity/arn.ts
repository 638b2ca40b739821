import { quoted } from '../text';

/**
 * ARN grammar for the resources this service deals with. Pure string handling; resolving a
 * Secrets Manager reference to its secret's full ARN needs DescribeSecret (the secrets port),
 * because a name may itself end in `-` plus six characters.
 */

/** The fields every ARN has. */
export interface Arn {
  partition: string;
  service: string;
  region: string;
  account: string;
  resource: string;
}

/** Where a task definition lives: a reference without an ARN is read in this place. */
export interface Location {
  partition: string;
  region: string;
  account: string;
}

/**
 * Every AWS partition (the SDK's partitions data, `@aws-sdk/core` util-endpoints): the commercial
 * one, China, GovCloud, the ISO partitions and the European Sovereign Cloud.
 */
const PARTITIONS: readonly string[] = ['aws', 'aws-cn', 'aws-us-gov', 'aws-iso', 'aws-iso-b', 'aws-iso-e', 'aws-iso-f', 'aws-eusc'];

/**
 * A region name: lower-case words joined by `-`, ending in a number (`eu-west-1`,
 * `us-gov-west-1`, `us-isob-east-1`, `eusc-de-east-1`). The SDK builds a hostname from it, so
 * anything else (`us east 1`, `../../etc`) must stop here, not in the SDK.
 */
const REGION = /^[a-z]{2,4}(-[a-z]+){1,3}-\d{1,2}$/;
const ACCOUNT = /^\d{12}$/;

/** True when the text is a region name (the grammar an ARN's region must follow). */
export function isRegion(text: string): boolean {
  return REGION.test(text);
}
const SERVICE = /^[a-z0-9-]+$/;

/** An ARN's fields, or why the text is not an ARN of a regional resource of this account's kind. */
export type ArnCheck = { arn: Arn } | { problem: string };

/**
 * Checks an ARN against the grammar: `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE` with a known
 * partition, a region name, a 12-digit account and a resource. Every ARN this service deals with
 * (secrets, parameters, ECS resources) is regional and belongs to an account.
 */
export function checkArn(text: string): ArnCheck {
  const parts = text.split(':');
  if (parts[0] !== 'arn') return { problem: 'not an ARN (it must start with "arn:")' };
  if (parts.length < 6) return { problem: 'an ARN has the form arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE' };
  const [, partition, service, region, account] = parts;
  const resource = parts.slice(5).join(':');
  if (!PARTITIONS.includes(partition)) return { problem: `unknown partition ${quoted(partition, 40)} (one of ${PARTITIONS.join(', ')})` };
  if (!SERVICE.test(service)) return { problem: `invalid service ${quoted(service, 40)}` };
  if (!isRegion(region)) return { problem: `invalid region ${quoted(region, 40)} (a region looks like eu-west-1)` };
  if (!ACCOUNT.test(account)) return { problem: `invalid account ${quoted(account, 40)} (an account id has 12 digits)` };
  if (resource === '') return { problem: 'the ARN names no resource' };
  return { arn: { partition, service, region, account, resource } };
}

/** Splits an ARN into its fields; undefined when the text breaks the grammar of {@link checkArn}. */
export function parseArn(text: string): Arn | undefined {
  const checked = checkArn(text);
  return 'arn' in checked ? checked.arn : undefined;
}

/** The location (partition, region, account) of any ARN, e.g. a task definition's. */
export function locationOf(arn: string): Location | undefined {
  const parsed = parseArn(arn);
  return parsed && { partition: parsed.partition, region: parsed.region, account: parsed.account };
}

/** True when two locations are the same partition, region and account. */
export function sameLocation(a: Location, b: Location): boolean {
  return a.partition === b.partition && a.region === b.region && a.account === b.account;
}

/**
 * The last segment of an ARN's resource path: the name of a cluster, service or task, or
 * `family:revision` of a task definition. The text itself when it has no `/`.
 */
export function lastPathSegment(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}

/** ECS cluster and service names: letters, digits, `_` and `-`, at most 255 (CreateCluster, CreateService). */
const SERVICE_PATH = /^service\/[A-Za-z0-9_-]{1,255}(\/[A-Za-z0-9_-]{1,255})?$/;

/** True when the text is an ECS service ARN, new format (`service/CLUSTER/NAME`) or old (`service/NAME`). */
export function isServiceArn(text: string): boolean {
  const arn = parseArn(text);
  return arn?.service === 'ecs' && SERVICE_PATH.test(arn.resource);
}

/**
 * The cluster a service ARN names. New-format service ARNs name their cluster
 * (`service/CLUSTER/NAME`); old ones (`service/NAME`) live in `default`.
 */
export function clusterOfService(serviceArn: string): string {
  const path = serviceArn.split(':service/')[1]?.split('/') ?? [];
  return path.length >= 2 ? path[0] : 'default';
}

/** True when a cluster ARN is the given cluster (named by name or ARN). */
export function sameCluster(clusterArn: string, cluster: string): boolean {
  return clusterArn === cluster || clusterArn.endsWith(`:cluster/${cluster}`);
}

/** A Secrets Manager reference as written in a task definition, split into its parts. */
export interface SecretsManagerRef {
  /** What DescribeSecret accepts: the ARN without the trailing fields, or the plain name. */
  secretId: string;
  /** The name part as written: a name, or a name with the 6-character suffix of a full ARN. */
  namePart: string;
  /** True when written as an ARN (full or partial), false for a plain name. */
  isArn: boolean;
  location: Location;
  jsonKey?: string;
  versionStage?: string;
  versionId?: string;
}

/**
 * A secret name: letters, digits and `/ _ + = . @ -` (CreateSecret), `!` in service-owned names
 * (`rds!cluster-...`), never `:`; at most 512 characters, 519 with the suffix of a full ARN.
 */
const SECRET_NAME = /^[A-Za-z0-9/_+=.@!-]+$/;
const MAX_SECRET_NAME = 512;
const FULL_ARN_SUFFIX = '-XXXXXX'.length;

/** True when the text is a secret name (as given to DescribeSecret, not an ARN). */
export function isSecretName(text: string): boolean {
  return text.length <= MAX_SECRET_NAME && SECRET_NAME.test(text);
}

/** True when the text is the name part of a secret ARN: a name, perhaps with the 6-character suffix of a full ARN. */
export function isSecretNameInArn(text: string | undefined): text is string {
  return text !== undefined && text.length <= MAX_SECRET_NAME + FULL_ARN_SUFFIX && SECRET_NAME.test(text);
}

/**
 * Parses `arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:NAME[-XXXXXX][:json-key:version-stage:version-id]`
 * or a plain secret name. The three trailing fields come together and may be empty. A stage and a
 * version id may come together: the ECS agent passes both to GetSecretValue (amazon-ecs-agent,
 * `getASMParametersFromInput`), and the id pins the reference.
 * Returns undefined when the text is an ARN of another service or breaks the grammar.
 */
export function parseSecretsManagerRef(text: string, home: Location): SecretsManagerRef | undefined {
  if (!text.startsWith('arn:')) {
    if (!isSecretName(text)) return undefined;
    return { secretId: text, namePart: text, isArn: false, location: home };
  }
  const parts = text.split(':');
  const arn = parseArn(text);
  if (arn?.service !== 'secretsmanager' || parts[5] !== 'secret' || !isSecretNameInArn(parts[6])) return undefined;
  if (parts.length !== 7 && parts.length !== 10) return undefined;
  const [jsonKey, versionStage, versionId] = parts.length === 10 ? parts.slice(7) : [];
  return {
    secretId: parts.slice(0, 7).join(':'),
    namePart: parts[6],
    isArn: true,
    location: { partition: arn.partition, region: arn.region, account: arn.account },
    ...(jsonKey ? { jsonKey } : {}),
    ...(versionStage ? { versionStage } : {}),
    ...(versionId ? { versionId } : {}),
  };
}

/** An SSM parameter as a task definition references it: its full ARN, and what pins it, if anything. */
export interface ParameterRef {
  /** The parameter's full ARN, without a selector. */
  arn: string;
  /** `name:3`: pinned to version 3. */
  version?: string;
  /** `name:my-label`: pinned to the version that holds the label. */
  label?: string;
}

/**
 * Parameter names: segments of letters, digits and `_ . -`, joined by `/` (PutParameter); a
 * segment of dots alone (`..`) names no level of a hierarchy.
 */
const PARAMETER_NAME = /^(?!\.+(\/|$))[A-Za-z0-9_.-]+(\/(?!\.+(\/|$))[A-Za-z0-9_.-]+)*$/;
const MAX_PARAMETER_NAME = 2048;
const PARAMETER_VERSION = /^[1-9]\d*$/;
/** Labels: letters, digits, `. - _`, at most 100, never starting with a digit, `aws` or `ssm` (LabelParameterVersion). */
const PARAMETER_LABEL = /^(?![0-9]|aws|ssm)[A-Za-z0-9._-]{1,100}$/i;

/**
 * Parses an SSM parameter reference: its ARN, or its name (read in the task definition's own
 * region and account), either with a selector, `name:3` (a version) or `name:my-label` (a label),
 * which GetParameters accepts and ECS passes on: the parameter is `name`, pinned. `/a/b` and `a/b`
 * name the same parameter `...:parameter/a/b`. Undefined when the text breaks the grammar.
 */
export function parseParameterRef(text: string, home: Location): ParameterRef | undefined {
  let path: string;
  let location = home;
  if (text.startsWith('arn:')) {
    const arn = parseArn(text);
    if (arn?.service !== 'ssm' || !arn.resource.startsWith('parameter/')) return undefined;
    path = arn.resource.slice('parameter/'.length);
    location = { partition: arn.partition, region: arn.region, account: arn.account };
  } else {
    path = text.startsWith('/') ? text.slice(1) : text;
  }
  const [name, selector, ...rest] = path.split(':');
  if (rest.length > 0 || name.length > MAX_PARAMETER_NAME || !PARAMETER_NAME.test(name)) return undefined;
  const arn = `arn:${location.partition}:ssm:${location.region}:${location.account}:parameter/${name}`;
  if (selector === undefined) return { arn };
  if (PARAMETER_VERSION.test(selector)) return { arn, version: selector };
  if (PARAMETER_LABEL.test(selector)) return { arn, label: selector };
  return undefined;
}

/** The parameter name an SSM ARN names: `...:parameter/a/b` is `/a/b`, `...:parameter/a` is `a`. */
export function parameterNameOf(parameterArn: string): string {
  const path = parameterArn.split(':parameter/')[1] ?? '';
  return path.includes('/') ? `/${path}` : path;
}

/** The secret's name as it appears in its full ARN, i.e. with the 6-character suffix. */
export function secretNamePartOf(fullArn: string): string {
  return fullArn.split(':')[6] ?? '';
}

/** The partial ARN of a secret (its full ARN without the 6-character suffix), from its full ARN and name. */
export function partialSecretArn(fullArn: string, name: string): string {
  return fullArn.split(':').slice(0, 6).concat(name).join(':');
}

/**
 * True when a reference could name the given secret; only these references need a
 * DescribeSecret to be sure. A reference names a secret only through its exact name or its
 * full-ARN name part, in the same partition, region and account.
 */
export function couldReferTo(ref: SecretsManagerRef, secret: { arn: string; name: string }): boolean {
  const location = locationOf(secret.arn);
  if (!location || !sameLocation(ref.location, location)) return false;
  return ref.namePart === secret.name || ref.namePart === secretNamePartOf(secret.arn);
}
