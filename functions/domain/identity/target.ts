import { type Arn, type Location, parameterNameOf, parseArn } from './arn';

/**
 * What a change or a request names, parsed once where it enters (event decoding, CLI argument,
 * manual invoke) and passed on as this value: a Secrets Manager secret, by name or ARN, or an SSM
 * parameter, by ARN.
 */
export type Target = SecretTarget | ParameterTarget;

export interface SecretTarget {
  kind: 'secret';
  /** What DescribeSecret accepts: a name, a partial ARN or a full ARN. */
  secretId: string;
  /** Set when `secretId` is an ARN: where the secret lives. A name lives in the home region. */
  arn?: Arn;
}

export interface ParameterTarget {
  kind: 'parameter';
  /** The parameter's full ARN. */
  arn: string;
  /** Its name as DescribeParameters filters it: `/a/b`, or `a` for a top-level name. */
  name: string;
  location: Location;
}

/**
 * Parses a secret name, a Secrets Manager ARN or an SSM parameter ARN. Undefined when the text is
 * an ARN of another service, or no usable name (empty, or a name with `:` that is not an ARN).
 */
export function parseTarget(text: string): Target | undefined {
  const id = text.trim();
  if (id === '') return undefined;
  if (!id.startsWith('arn:')) return id.includes(':') ? undefined : { kind: 'secret', secretId: id };
  const arn = parseArn(id);
  if (!arn) return undefined;
  if (arn.service === 'secretsmanager' && arn.resource.startsWith('secret:') && arn.resource.length > 'secret:'.length) {
    return { kind: 'secret', secretId: id, arn };
  }
  if (arn.service === 'ssm' && arn.resource.startsWith('parameter/') && arn.resource.length > 'parameter/'.length) {
    const { partition, region, account } = arn;
    return { kind: 'parameter', arn: id, name: parameterNameOf(id), location: { partition, region, account } };
  }
  return undefined;
}

/** The account a target names, when it names one (a plain secret name does not). */
export function accountOf(target: Target): string | undefined {
  return target.kind === 'parameter' ? target.location.account : target.arn?.account;
}

/** The region a target names, when it names one (a plain secret name does not). */
export function regionOf(target: Target): string | undefined {
  return target.kind === 'parameter' ? target.location.region : target.arn?.region;
}

/** The text the target was given as. */
export function targetText(target: Target): string {
  return target.kind === 'parameter' ? target.arn : target.secretId;
}
