import { errorLine } from '../domain/errors';
import { parseTarget } from '../domain/identity/target';
import { type Stamp, settled, type Versions } from '../domain/ledger/record';
import type { SecretState } from '../domain/plan/secret-state';
import type { Ports } from '../ports/ports';
import { mapWithConcurrency } from '../util/concurrency';
import { commitRecord } from './commit-record';

/** The stages of a service's other secrets, read before its UpdateService was sent. */
export interface OtherSecrets {
  /** No state was read before this time: a record written before it is older than what was read. */
  readSince: Date;
  states: Array<{ secretArn: string; versions: Versions }>;
}

/** Reads a secret's state at most once per run (the run shares one answer among its services). */
export type DescribeOnce = (secretArn: string) => Promise<SecretState>;

/**
 * What the stages of the service's other secrets hold, read since `readSince` by `describe`.
 * `known` are those its index entry names; without them, the index is asked. Best effort:
 * without it, a later change of another secret redeploys the service again, which is all a
 * failure costs.
 */
export async function readOtherSecrets(
  ports: Ports,
  serviceArn: string,
  secretArn: string,
  known: string[] | undefined,
  describe: DescribeOnce,
  readSince: Date,
): Promise<OtherSecrets> {
  try {
    const arns = (known ?? (await ports.index.secretsOfService(serviceArn))).filter((arn) => arn !== secretArn);
    const states = await mapWithConcurrency(arns, 4, async (arn) => ({ secretArn: arn, versions: stagesOf(await describe(arn)) }));
    return { readSince, states };
  } catch (error) {
    ports.log.warn('other secrets of a redeployed service not read', { service: serviceArn, error: errorLine(error) });
    return { readSince, states: [] };
  }
}

/**
 * A {@link DescribeOnce} for one run: each secret described once (a state the store read since
 * `readSince` will do), concurrent asks sharing the answer; a failure is not kept.
 */
export function describeOnce(ports: Ports, readSince: Date): DescribeOnce {
  const states = new Map<string, Promise<SecretState>>();
  return (arn) => {
    let state = states.get(arn);
    if (!state) {
      const target = parseTarget(arn);
      state = target ? ports.secrets.describe(target, { readSince }) : Promise.reject(new Error(`not a secret ARN: ${arn}`));
      state.catch(() => states.delete(arn));
      states.set(arn, state);
    }
    return state;
  };
}

/**
 * One deployment settles every secret of its service: its tasks read every secret when they
 * start, so once UpdateService is known to have been applied, the service's records of its other
 * secrets advance to the versions read before the call. Only records written before those
 * versions were read, and not claimed by a run in flight; never a pair without a record (first
 * sight judges it from the new deployment). Best effort, like reading them.
 */
export async function settleOtherSecrets(
  ports: Ports,
  serviceArn: string,
  others: OtherSecrets,
  deploymentId: string | undefined,
  stamp: () => Stamp,
): Promise<void> {
  await mapWithConcurrency(others.states, 4, async ({ secretArn, versions }) => {
    try {
      const record = await ports.ledger.read(secretArn, serviceArn);
      if (!record || record.claim || Date.parse(record.at) > others.readSince.getTime()) return;
      const next = settled(record, versions, deploymentId, stamp());
      if (next) await commitRecord(ports.ledger, next, record.rev);
    } catch (error) {
      ports.log.warn('ledger of another secret not settled', { service: serviceArn, secret: secretArn, error: errorLine(error) });
    }
  });
}

/** Stage -> the version that holds it. */
function stagesOf(state: SecretState): Versions {
  const versions: Versions = {};
  for (const [version, stages] of Object.entries(state.versionIdsToStages)) for (const stage of stages) versions[stage] = version;
  return versions;
}
