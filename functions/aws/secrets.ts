import {
  DescribeSecretCommand,
  paginateListSecretVersionIds,
  type ReplicationStatusType,
  ResourceNotFoundException,
} from '@aws-sdk/client-secrets-manager';
import { DescribeParametersCommand } from '@aws-sdk/client-ssm';
import { UnknownSecretError } from '../domain/errors';
import { type Location, locationOf, partialSecretArn, type SecretsManagerRef } from '../domain/identity/arn';
import { OWN_ACCOUNT_ONLY, ownerToAssume, type SecretOwners } from '../domain/identity/owners';
import { type ParameterTarget, regionOf, type Target } from '../domain/identity/target';
import type { ReplicaStatus, SecretState } from '../domain/plan/secret-state';
import { type Clock, systemClock } from '../ports/clock';
import type { SecretStore } from '../ports/secrets';
import type { AwsClients } from './clients';
import type { OwnerAccount } from './owner-credentials';

/** Whose credentials read a secret: this deployment's own, or an allowed owner account's read role. */
export interface OwnerReads {
  owners: SecretOwners;
  /** This deployment's account. */
  accountId(): Promise<string>;
}

/** Own credentials for every secret (a deployment that manages its own account's secrets only). */
const OWN_READS: OwnerReads = { owners: OWN_ACCOUNT_ONLY, accountId: () => Promise.resolve('') };

/**
 * The secrets port on Secrets Manager (DescribeSecret) and SSM (DescribeParameters): versions and
 * stages, never values. Resolutions of task definition references are cached for the life of the
 * store, per region, under every spelling of a secret: a name names the same secret until it is
 * deleted, and references are resolved again whenever a task definition is indexed. A secret
 * that does not exist is never cached as missing.
 *
 * Every state read is also kept, by full ARN, with the time its request was sent: `describe`
 * with `readSince` answers from it when that time is not earlier (an index rebuild baselines the
 * ledger with the states it read while resolving references, rather than describing every
 * secret a second time). A name or partial ARN always asks, and so does a secret last found missing.
 */
export function awsSecretStore(clients: AwsClients, clock: Clock = systemClock, reads: OwnerReads = OWN_READS): SecretStore {
  /** The owner account to read as, for a secret in `location` (undefined: own credentials). */
  const ownerOf = async (location: Pick<Location, 'account' | 'partition'> | undefined): Promise<OwnerAccount | undefined> => {
    if (!location || (reads.owners.kind === 'accounts' && reads.owners.accounts.length === 0)) return undefined;
    const account = ownerToAssume(location.account, await reads.accountId(), reads.owners);
    return account === undefined ? undefined : { account, partition: location.partition };
  };
  const ownerOfTarget = (target: Target) =>
    target.kind === 'parameter' ? ownerOf(target.location) : target.arn ? ownerOf(target.arn) : Promise.resolve(undefined);
  const resolved = new Map<string, Map<string, Promise<string | undefined>>>();
  // Per account and region: a plain name names a secret of the task definition's own account only.
  const cacheOf = (location: Pick<Location, 'account' | 'region'> | undefined) => {
    const key = `${location?.account ?? ''}/${location?.region ?? ''}`;
    let cache = resolved.get(key);
    if (!cache) {
      cache = new Map();
      resolved.set(key, cache);
    }
    return cache;
  };
  const read = new Map<string, { state: SecretState; at: number }>();
  /** Reads a state, keeping it with the time the request was sent (the state is at least that recent). */
  const readState = async (target: () => Promise<SecretState>, arn?: string): Promise<SecretState> => {
    const at = clock.now().getTime();
    try {
      const state = await target();
      if ((read.get(state.arn)?.at ?? Number.NEGATIVE_INFINITY) <= at) read.set(state.arn, { state, at });
      return state;
    } catch (error) {
      // Missing now (or unreadable): whatever was read before no longer answers for it.
      if (arn !== undefined) read.delete(arn);
      throw error;
    }
  };
  const remember = (state: SecretState) => {
    const cache = cacheOf(locationOf(state.arn));
    for (const id of [state.arn, partialSecretArn(state.arn, state.name), state.name]) cache.set(id, Promise.resolve(state.arn));
  };
  const store: SecretStore = {
    describe(target, options = {}) {
      const id = target.kind === 'parameter' ? target.arn : target.secretId;
      const known = options.readSince ? read.get(id) : undefined;
      if (known && options.readSince && known.at >= options.readSince.getTime()) return Promise.resolve(known.state);
      return readState(async () => {
        const owner = await ownerOfTarget(target);
        return target.kind === 'parameter'
          ? describeParameter(clients, target, owner)
          : describeSecret(clients, target.secretId, regionOf(target), owner);
      }, id);
    },
    remember,
    versionDates: async (secret) => versionDates(clients, secret, await ownerOf(locationOf(secret.arn))),
    resolve(ref: SecretsManagerRef) {
      const cache = cacheOf(ref.location);
      let arn = cache.get(ref.secretId);
      if (!arn) {
        const owner = ref.isArn ? ownerOf(ref.location) : Promise.resolve(undefined);
        arn = readState(async () => describeSecret(clients, ref.secretId, ref.location.region, await owner), ref.secretId).then(
          (state) => {
            // Other task definitions may spell the same secret another way (name, partial or full ARN).
            remember(state);
            return state.arn;
          },
          (error) => {
            // A miss is shared only by the lookups already waiting on it: the secret may be created
            // at any time, and a warm Lambda must then find it (a cached miss hid it for good).
            cache.delete(ref.secretId);
            if (error instanceof UnknownSecretError) return undefined;
            throw error;
          },
        );
        cache.set(ref.secretId, arn);
      }
      return arn;
    },
  };
  return store;
}

/**
 * DescribeSecret in the secret's own region, as its owner account's read role when it belongs to
 * an allowed owner. Throws {@link UnknownSecretError} when it does not exist.
 */
async function describeSecret(
  clients: AwsClients,
  secretId: string,
  region: string | undefined,
  owner: OwnerAccount | undefined,
): Promise<SecretState> {
  try {
    const out = await clients.secretsIn(region, owner).send(new DescribeSecretCommand({ SecretId: secretId }));
    if (!out.ARN || !out.Name) throw new UnknownSecretError(`DescribeSecret returned no ARN for ${secretId}`);
    return {
      kind: 'secret',
      arn: out.ARN,
      name: out.Name,
      versionIdsToStages: out.VersionIdsToStages ?? {},
      deletedDate: out.DeletedDate?.toISOString(),
      lastChangedDate: out.LastChangedDate?.toISOString(),
      primaryRegion: out.PrimaryRegion,
      replicationStatus: replicationStatusOf(out.ReplicationStatus),
    };
  } catch (error) {
    if (error instanceof ResourceNotFoundException) {
      throw new UnknownSecretError(`secret not found: ${secretId}`, { cause: error });
    }
    throw error;
  }
}

/** DescribeSecret's replicas and their status; an entry that names no region cannot be placed and is left out. */
function replicationStatusOf(entries: ReplicationStatusType[] | undefined): ReplicaStatus[] | undefined {
  if (entries === undefined) return undefined;
  return entries.flatMap((entry) =>
    entry.Region
      ? [
          {
            region: entry.Region,
            // The SDK knows InSync, InProgress and Failed; a status it does not know is kept as given.
            status: entry.Status ?? 'unknown',
            statusMessage: entry.StatusMessage,
            kmsKeyId: entry.KmsKeyId,
            lastAccessedDate: entry.LastAccessedDate?.toISOString(),
          },
        ]
      : [],
  );
}

/** Creation time of each version holding a stage (ListSecretVersionIds: metadata only, every page). */
async function versionDates(clients: AwsClients, secret: SecretState, owner: OwnerAccount | undefined): Promise<Record<string, string>> {
  if (secret.kind === 'parameter') {
    const [version] = Object.keys(secret.versionIdsToStages);
    return version !== undefined && secret.lastChangedDate ? { [version]: secret.lastChangedDate } : {};
  }
  const dates: Record<string, string> = {};
  const client = clients.secretsIn(locationOf(secret.arn)?.region, owner);
  for await (const page of paginateListSecretVersionIds({ client }, { SecretId: secret.arn, MaxResults: 100 })) {
    for (const v of page.Versions ?? []) if (v.VersionId && v.CreatedDate) dates[v.VersionId] = v.CreatedDate.toISOString();
  }
  return dates;
}

/**
 * An SSM parameter's state in the shape of a secret's: its current version number holds
 * AWSCURRENT. Read with DescribeParameters, which returns metadata and never the value.
 */
async function describeParameter(clients: AwsClients, target: ParameterTarget, owner: OwnerAccount | undefined): Promise<SecretState> {
  // A parameter of an owner account (shared through AWS RAM) is read as that owner: there, its name names it.
  const out = await clients
    .ssmIn(target.location.region, owner)
    .send(new DescribeParametersCommand({ ParameterFilters: [{ Key: 'Name', Option: 'Equals', Values: [target.name] }] }));
  const parameter = out.Parameters?.find((p) => p.Name === target.name);
  if (!parameter || parameter.Version === undefined) throw new UnknownSecretError(`SSM parameter not found: ${target.name}`);
  return {
    kind: 'parameter',
    arn: target.arn,
    name: target.name,
    versionIdsToStages: { [String(parameter.Version)]: ['AWSCURRENT'] },
    ...(parameter.LastModifiedDate ? { lastChangedDate: parameter.LastModifiedDate.toISOString() } : {}),
  };
}
