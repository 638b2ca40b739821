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

const PARTITIONS = new Set(['aws', 'aws-cn', 'aws-us-gov']);

/** Splits an ARN into its fields; undefined when the text is not an ARN of a known partition. */
export function parseArn(text: string): Arn | undefined {
  const parts = text.split(':');
  if (parts.length < 6 || parts[0] !== 'arn' || !PARTITIONS.has(parts[1]) || parts[2] === '') return undefined;
  const [, partition, service, region, account] = parts;
  return { partition, service, region, account, resource: parts.slice(5).join(':') };
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
 * Parses `arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:NAME[-XXXXXX][:json-key:version-stage:version-id]`
 * or a plain secret name. The three trailing fields come together and may be empty.
 * Returns undefined when the text is an ARN of another service or breaks the grammar.
 */
export function parseSecretsManagerRef(text: string, home: Location): SecretsManagerRef | undefined {
  if (!text.startsWith('arn:')) {
    if (text === '' || text.includes(':')) return undefined;
    return { secretId: text, namePart: text, isArn: false, location: home };
  }
  const parts = text.split(':');
  const arn = parseArn(text);
  if (arn?.service !== 'secretsmanager' || parts[5] !== 'secret' || parts[6] === '' || parts[6] === undefined) {
    return undefined;
  }
  if (parts.length !== 7 && parts.length !== 10) return undefined;
  const [jsonKey, versionStage, versionId] = parts.length === 10 ? parts.slice(7) : [];
  if (versionStage && versionId) return undefined;
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

/**
 * The full ARN of an SSM parameter, from its ARN or its name (read in the task definition's own
 * region and account). `/a/b` and `a/b` name the same ARN `...:parameter/a/b`.
 */
export function ssmParameterArn(text: string, home: Location): string | undefined {
  if (text.startsWith('arn:')) {
    const arn = parseArn(text);
    if (arn?.service !== 'ssm' || !arn.resource.startsWith('parameter/')) return undefined;
    return text;
  }
  if (text === '') return undefined;
  const path = text.startsWith('/') ? text : `/${text}`;
  return `arn:${home.partition}:ssm:${home.region}:${home.account}:parameter${path}`;
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
