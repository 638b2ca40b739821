import { DescribeParametersCommand } from '@aws-sdk/client-ssm';
import { parseArn } from '../core/arn';
import { UnknownSecretError } from '../core/errors';
import type { SecretState } from '../core/secret-state';
import type { Deps } from './clients';

/** The parameter name an SSM ARN names: `...:parameter/a/b` is `/a/b`, `...:parameter/a` is `a`. */
export function parameterNameOf(parameterArn: string): string {
  const path = parameterArn.split(':parameter/')[1] ?? '';
  return path.includes('/') ? `/${path}` : path;
}

/**
 * An SSM parameter's state in the shape of a secret's: its current version number holds
 * AWSCURRENT. Read with DescribeParameters, which returns metadata and never the value (this
 * service has no ssm:GetParameter* permission). Throws {@link UnknownSecretError} when the
 * parameter does not exist.
 */
export async function describeParameterState(deps: Deps, parameterArn: string): Promise<SecretState> {
  const name = parameterNameOf(parameterArn);
  const out = await deps
    .ssmIn(parseArn(parameterArn)?.region)
    .send(new DescribeParametersCommand({ ParameterFilters: [{ Key: 'Name', Option: 'Equals', Values: [name] }] }));
  const parameter = out.Parameters?.find((p) => p.Name === name);
  if (!parameter || parameter.Version === undefined) throw new UnknownSecretError(`SSM parameter not found: ${name}`);
  return { arn: parameterArn, name, versionIdsToStages: { [String(parameter.Version)]: ['AWSCURRENT'] } };
}
