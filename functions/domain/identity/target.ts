import { quoted } from '../text';
import { type Arn, checkArn, isRegion, isSecretName, isSecretNameInArn, type Location, parameterNameOf, parseParameterRef } from './arn';

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
  /** Set when `secretId` is an ARN: where the secret lives. */
  arn?: Arn;
  /**
   * Where a plain name is read when it is not the home region: the region an event came from (an
   * event forwarded from the secret's region to its consumers'). An ARN says its region itself.
   */
  region?: string;
}

export interface ParameterTarget {
  kind: 'parameter';
  /** The parameter's full ARN. */
  arn: string;
  /** Its name as DescribeParameters filters it: `/a/b`, or `a` for a top-level name. */
  name: string;
  location: Location;
}

/** A target, or why the text names none (a phrase to put in a message). */
export type TargetCheck = { target: Target } | { problem: string };

/**
 * Parses a secret name, a Secrets Manager ARN or an SSM parameter ARN, checking each against its
 * grammar (partition, region and account of an ARN; the characters of a name), so that nothing
 * malformed ever reaches an AWS call. `nameRegion` is where a plain name is read (the region of the
 * event that names it); without it, in the home region.
 */
export function checkTarget(text: string, nameRegion?: string): TargetCheck {
  const id = text.trim();
  if (id === '') return { problem: 'an empty secret id' };
  if (!id.startsWith('arn:')) {
    if (!isSecretName(id)) return { problem: `${quoted(id)}, which is not a secret name (at most 512 letters, digits and / _ + = . @ -)` };
    if (nameRegion === undefined) return { target: { kind: 'secret', secretId: id } };
    if (!isRegion(nameRegion)) return { problem: `${quoted(id)} in ${quoted(nameRegion, 40)}, which is not a region name` };
    return { target: { kind: 'secret', secretId: id, region: nameRegion } };
  }
  const checked = checkArn(id);
  if ('problem' in checked) return { problem: `${quoted(id)}, which is not a valid ARN: ${checked.problem}` };
  const { arn } = checked;
  if (arn.service === 'secretsmanager') {
    const name = arn.resource.startsWith('secret:') ? arn.resource.slice('secret:'.length) : '';
    if (isSecretNameInArn(name)) return { target: { kind: 'secret', secretId: id, arn } };
    return { problem: `${quoted(id)}, which is not a secret ARN (arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:NAME)` };
  }
  if (arn.service === 'ssm') {
    const { partition, region, account } = arn;
    const ref = parseParameterRef(id, { partition, region, account });
    if (ref && !ref.version && !ref.label) {
      return { target: { kind: 'parameter', arn: ref.arn, name: parameterNameOf(ref.arn), location: { partition, region, account } } };
    }
    return { problem: `${quoted(id)}, which is not an SSM parameter ARN (arn:PARTITION:ssm:REGION:ACCOUNT:parameter/NAME)` };
  }
  return { problem: `${quoted(id)}, which names neither a Secrets Manager secret nor an SSM parameter` };
}

/** The target a text names, or undefined (see {@link checkTarget} for why). */
export function parseTarget(text: string, nameRegion?: string): Target | undefined {
  const checked = checkTarget(text, nameRegion);
  return 'target' in checked ? checked.target : undefined;
}

/** The account a target names, when it names one (a plain secret name does not). */
export function accountOf(target: Target): string | undefined {
  return target.kind === 'parameter' ? target.location.account : target.arn?.account;
}

/** The region a target names, when it names one (a plain secret name names one only when it came with an event's region). */
export function regionOf(target: Target): string | undefined {
  return target.kind === 'parameter' ? target.location.region : (target.arn?.region ?? target.region);
}

/** The text the target was given as. */
export function targetText(target: Target): string {
  return target.kind === 'parameter' ? target.arn : target.secretId;
}
