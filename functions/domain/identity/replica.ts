import { quoted } from '../text';
import { checkArn, isRegion, secretNamePartOf } from './arn';
import { partitionOfRegion } from './owners';

/**
 * Replica secrets (Secrets Manager multi-Region replication). "The ARN for a replicated secret is
 * the same as the primary secret except for the Region" (Secrets Manager User Guide, "Replicate
 * secrets across Regions"): the name and its 6-character suffix are kept. Replication stays within
 * a partition (GovCloud and China secrets replicate only within their own Regions).
 *
 * The rule works on a secret as DescribeSecret returned it (its full ARN and its name), never on a
 * reference as written: a name may itself end in `-` and six characters, so a partial ARN cannot be
 * told from a full one by its text. The full ARN's name part is checked against the name instead.
 */

/** A secret as DescribeSecret names it. */
export interface SecretIdentity {
  /** Its full ARN (the name and the 6-character suffix Secrets Manager appended). */
  arn: string;
  name: string;
}

/** The ARN of the same secret in another region, or why there is none. */
export type RegionalArnCheck = { arn: string } | { problem: string };

/** Secrets Manager appends `-` and six random letters or digits to the name in a full ARN. */
const SUFFIX = /^[A-Za-z0-9]{6}$/;

/** True when `arn` is the full ARN of the secret called `name`: its name part is the name, `-`, and a 6-character suffix. */
export function isFullSecretArnOf(arn: string, name: string): boolean {
  const namePart = secretNamePartOf(arn);
  return namePart.length === name.length + 7 && namePart.startsWith(`${name}-`) && SUFFIX.test(namePart.slice(name.length + 1));
}

/**
 * The ARN the secret has in `region`: its full ARN with the region field replaced, nothing else
 * (not a text replacement: a name may contain a region's name). Refused for anything but a full
 * secret ARN of that name, and for a region of another partition.
 */
export function checkArnInRegion(secret: SecretIdentity, region: string): RegionalArnCheck {
  const checked = checkArn(secret.arn);
  if ('problem' in checked) return { problem: `${quoted(secret.arn)} is not a valid ARN: ${checked.problem}` };
  const { arn } = checked;
  // A secret's own ARN has seven fields; a reference's trailing fields (json key, stage, version id) make ten.
  if (arn.service !== 'secretsmanager' || !arn.resource.startsWith('secret:') || secret.arn.split(':').length !== 7) {
    return { problem: `${quoted(secret.arn)} is not a secret ARN (arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:NAME-XXXXXX)` };
  }
  if (!isFullSecretArnOf(secret.arn, secret.name)) {
    return { problem: `${quoted(secret.arn)} is not the full ARN of the secret ${quoted(secret.name)} (its name and 6-character suffix)` };
  }
  if (!isRegion(region)) return { problem: `${quoted(region, 40)} is not a region name` };
  if (partitionOfRegion(region) !== arn.partition) {
    return { problem: `${region} is not in the ${arn.partition} partition: a secret replicates within its partition only` };
  }
  return { arn: ['arn', arn.partition, arn.service, region, arn.account, arn.resource].join(':') };
}

/** The secret's ARN in `region` (see {@link checkArnInRegion}), or undefined when it can have none. */
export function arnInRegion(secret: SecretIdentity, region: string): string | undefined {
  const checked = checkArnInRegion(secret, region);
  return 'arn' in checked ? checked.arn : undefined;
}
