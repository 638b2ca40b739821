import { DescribeSecretCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { parseArn, SecretsManagerRef } from '../core/arn';
import { UnknownSecretError } from '../core/errors';
import type { SecretState } from '../core/secret-state';
import type { Deps } from './clients';

/**
 * The secret's metadata and which version holds which stage, fresh from DescribeSecret (never the
 * value: this service has no GetSecretValue permission). Throws {@link UnknownSecretError} when
 * the secret does not exist.
 */
export async function describeSecretState(deps: Deps, secretId: string): Promise<SecretState> {
  const region = parseArn(secretId)?.region;
  try {
    const out = await clientFor(deps, region).send(new DescribeSecretCommand({ SecretId: secretId }));
    if (!out.ARN || !out.Name) throw new UnknownSecretError(`DescribeSecret returned no ARN for ${secretId}`);
    return {
      arn: out.ARN,
      name: out.Name,
      versionIdsToStages: out.VersionIdsToStages ?? {},
      deletedDate: out.DeletedDate?.toISOString(),
    };
  } catch (error) {
    if (error instanceof ResourceNotFoundException || (error as Error).name === 'ResourceNotFoundException') {
      throw new UnknownSecretError(`secret not found: ${secretId}`, { cause: error });
    }
    throw error;
  }
}

const resolved = new WeakMap<SecretsManagerClient, Map<string, Promise<string | undefined>>>();

function cacheOf(client: SecretsManagerClient): Map<string, Promise<string | undefined>> {
  let cache = resolved.get(client);
  if (!cache) {
    cache = new Map();
    resolved.set(client, cache);
  }
  return cache;
}

/**
 * Seeds the resolution cache with a secret just described, so that references to it by full
 * ARN, partial ARN or name resolve without another DescribeSecret.
 */
export function rememberSecret(deps: Deps, state: SecretState): void {
  const cache = cacheOf(clientFor(deps, parseArn(state.arn)?.region));
  const partialArn = state.arn.split(':').slice(0, 6).concat(state.name).join(':');
  for (const id of [state.arn, partialArn, state.name]) cache.set(id, Promise.resolve(state.arn));
}

/**
 * The full ARN of the secret a task definition reference names, or undefined when no such
 * secret exists. Cached per process and client under every spelling of the secret: a name always
 * names the same secret until it is deleted, and references are resolved again whenever a task
 * definition is indexed.
 */
export function resolveSecretArn(deps: Deps, ref: SecretsManagerRef): Promise<string | undefined> {
  const cache = cacheOf(clientFor(deps, ref.location.region));
  let arn = cache.get(ref.secretId);
  if (!arn) {
    arn = describeSecretState(deps, ref.secretId).then(
      (state) => {
        // Other task definitions may spell the same secret another way (name, partial or full ARN).
        rememberSecret(deps, state);
        return state.arn;
      },
      (error) => {
        if (error instanceof UnknownSecretError) return undefined;
        cache.delete(ref.secretId);
        throw error;
      },
    );
    cache.set(ref.secretId, arn);
  }
  return arn;
}

function clientFor(deps: Deps, region: string | undefined): SecretsManagerClient {
  return region ? deps.secretsIn(region) : deps.secrets;
}
