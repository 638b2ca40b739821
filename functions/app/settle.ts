import { errorLine } from '../domain/errors';
import { parseTarget } from '../domain/identity/target';
import { type CodeDeployRef, type LedgerRecord, type Stamp, settled, type Versions } from '../domain/ledger/record';
import { type SecretState, stageVersions } from '../domain/plan/secret-state';
import { pairId } from '../ports/ledger';
import type { Ports } from '../ports/ports';
import { mapWithConcurrency } from '../util/concurrency';
import { commitRecord } from './compare-and-set';

/** A service's other secrets as read before its UpdateService was sent: their stages, and its records of them. */
export interface OtherSecrets {
  /** No state was read before this time: a record written after it is newer than what was read. */
  readSince: Date;
  pairs: Array<{ secretArn: string; versions: Versions; record?: LedgerRecord }>;
}

/** Reads a secret's state at most once per run (the run shares one answer among its services). */
export type DescribeOnce = (secretArn: string) => Promise<SecretState>;

/**
 * For services about to be redeployed for `secretArn`: the stages of their other secrets (each
 * secret described once, a state read since `readSince` will do) and the services' records of
 * them, read in batches. `otherSecrets` are those an index entry names; without them, the index
 * is asked. Best effort: without them, a later change of another secret redeploys the service
 * again, which is all a failure costs.
 */
export async function readOtherSecrets(
  ports: Ports,
  secretArn: string,
  services: Array<{ serviceArn: string; otherSecrets?: string[] }>,
  describe: DescribeOnce,
  readSince: Date,
): Promise<Map<string, OtherSecrets>> {
  const others = new Map<string, OtherSecrets>();
  try {
    const arnsOf = await mapWithConcurrency(services, 4, async (s) => ({
      serviceArn: s.serviceArn,
      arns: (s.otherSecrets ?? (await ports.index.secretsOfService(s.serviceArn))).filter((arn) => arn !== secretArn),
    }));
    const versions = new Map<string, Versions>();
    await mapWithConcurrency([...new Set(arnsOf.flatMap((s) => s.arns))], 4, async (arn) => {
      try {
        versions.set(arn, stageVersions(await describe(arn)));
      } catch (error) {
        ports.log.warn('another secret of a redeployed service not read', { secret: arn, error: errorLine(error) });
      }
    });
    const pairs = arnsOf.flatMap((s) =>
      s.arns.filter((arn) => versions.has(arn)).map((arn) => ({ secretArn: arn, serviceArn: s.serviceArn })),
    );
    const records = new Map((await ports.ledger.readMany(pairs)).map((r) => [pairId(r), r]));
    for (const { serviceArn, arns } of arnsOf) {
      others.set(serviceArn, {
        readSince,
        pairs: arns.flatMap((arn) => {
          const stages = versions.get(arn);
          const record = records.get(pairId({ secretArn: arn, serviceArn }));
          return stages ? [{ secretArn: arn, versions: stages, ...(record ? { record } : {}) }] : [];
        }),
      });
    }
  } catch (error) {
    ports.log.warn('other secrets of redeployed services not read', { secret: secretArn, error: errorLine(error) });
  }
  return others;
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
 * start, so once its deploy call (UpdateService, CreateDeployment) is known to have been
 * applied, the service's records of its other secrets advance to the versions read before the
 * call (a CodeDeploy deployment's group recorded with it). Only records written before those
 * versions were read, and not claimed by a run in flight; never a pair without a record (first
 * sight judges it from the new deployment). Best effort, like reading them: a record changed
 * since it was read keeps its change.
 */
export async function settleOtherSecrets(
  ports: Ports,
  serviceArn: string,
  others: OtherSecrets | undefined,
  deploymentId: string | undefined,
  stamp: () => Stamp,
  codeDeploy?: CodeDeployRef,
): Promise<void> {
  await mapWithConcurrency(others?.pairs ?? [], 4, async ({ secretArn, versions, record }) => {
    if (!others || record?.state !== 'settled' || Date.parse(record.at) > others.readSince.getTime()) return;
    const next = settled(record, versions, deploymentId, stamp(), codeDeploy);
    if (!next) return;
    try {
      await commitRecord(ports.ledger, next, record.rev);
    } catch (error) {
      ports.log.warn('ledger of another secret not settled', { service: serviceArn, secret: secretArn, error: errorLine(error) });
    }
  });
}
