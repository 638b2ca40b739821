import { randomUUID } from 'node:crypto';
import type { Trigger } from '../domain/decode/events';
import { UnknownSecretError } from '../domain/errors';
import type { Target } from '../domain/identity/target';
import { targetText } from '../domain/identity/target';
import type { IndexEntry } from '../domain/index/entries';
import type { SecretRecord } from '../domain/ledger/record';
import type { SecretState } from '../domain/plan/secret-state';
import { type Origin, type Report, secretIdentity, targetIdentity } from '../domain/report/report';
import type { Ports } from '../ports/ports';
import { rotationFailed, scheduledForDeletion } from './notifications';

/** The services and standalone tasks the index says use a secret. */
interface Users {
  services: IndexEntry[];
  tasks: number;
}

async function usersOf(ports: Ports, secretArn: string, entries?: IndexEntry[]): Promise<Users> {
  const all = entries ?? (await ports.index.entriesOf(secretArn));
  return { services: all.filter((e) => e.kind === 'service'), tasks: all.filter((e) => e.kind === 'task').length };
}

const named = (users: Users) => users.services.map((c) => ({ service: c.resourceArn, serviceName: c.name, cluster: c.clusterArn }));

function ignoreReport(secret: Report['secret'], trigger: Trigger, origin: Origin, dryRun: boolean, reason: string): Report {
  return { secret, trigger, origin, action: 'ignore', reason, dryRun, services: [], standaloneTasks: [], warnings: [] };
}

/**
 * A rotation failed or was abandoned: nothing is redeployed (the consumers keep the value they
 * run, which is still current), and the consumers are named on the bus (`Secret Rotation Failed`)
 * so that someone fixes the rotation before the old credential expires.
 */
export async function warnRotationFailed(ports: Ports, target: Target, trigger: Trigger, dryRun: boolean): Promise<Report> {
  const secret = await describeOrUndefined(ports, target);
  const identity = secret ? secretIdentity(secret) : targetIdentity(target);
  const users = await usersOf(ports, secret?.arn ?? targetText(target));
  const report = ignoreReport(
    identity,
    trigger,
    'event',
    dryRun,
    `${trigger.eventName ?? 'the rotation'}: nothing is redeployed, the consumers keep the current value`,
  );
  if (users.services.length > 0)
    report.warnings.push(`the rotation did not finish; ${users.services.length} service(s) use this secret: ${names(users)}`);
  // A secret no service or task uses is none of this service's business.
  if (!dryRun && (users.services.length > 0 || users.tasks > 0)) {
    const warning = await ports.notifier.publish([
      rotationFailed({
        secret: identity,
        event: trigger.eventName ?? 'RotationFailed',
        consumers: named(users),
        standaloneTasks: users.tasks,
        trigger,
      }),
    ]);
    if (warning) report.warnings.push(warning);
  }
  return report;
}

/**
 * A secret that services use is scheduled for deletion (or deleted at once): nothing is
 * redeployed (their new tasks would fail to start), and the consumers are announced on the bus
 * (`Referenced Secret Scheduled For Deletion`), once per deletion date.
 */
export async function warnDeletion(
  ports: Ports,
  target: Target,
  trigger: Trigger,
  options: { dryRun: boolean; origin: Origin; secret?: SecretState; entries?: IndexEntry[]; record?: SecretRecord },
): Promise<Report> {
  const secret = options.secret ?? (await describeOrUndefined(ports, target));
  const identity = secret ? secretIdentity(secret) : targetIdentity(target);
  const deletionDate = secret?.deletedDate ?? (secret ? undefined : 'now: deleted without a recovery window');
  const arn = secret?.arn ?? targetText(target);
  if (!deletionDate)
    return ignoreReport(
      identity,
      trigger,
      options.origin,
      options.dryRun,
      'the secret is not scheduled for deletion (restored, or the deletion failed)',
    );
  const report = ignoreReport(
    identity,
    trigger,
    options.origin,
    options.dryRun,
    `secret is scheduled for deletion (${deletionDate}): new tasks could not start`,
  );
  const users = await usersOf(ports, arn, options.entries);
  if (users.services.length === 0) return report;
  report.warnings.push(`${users.services.length} service(s) still use it: ${names(users)}`);
  if (options.dryRun || !(await noteDeletion(ports, arn, deletionDate, options.record))) return report;
  const warning = await ports.notifier.publish([
    scheduledForDeletion({ secret: identity, deletionDate, consumers: named(users), standaloneTasks: users.tasks, trigger }),
  ]);
  if (warning) report.warnings.push(warning);
  return report;
}

/** Records that this deletion was announced; false when it was already (once per deletion date). */
async function noteDeletion(ports: Ports, secretArn: string, deletionDate: string, known?: SecretRecord): Promise<boolean> {
  const record = known ?? (await ports.ledger.readSecret(secretArn));
  if (record?.deletionNoticeFor === deletionDate) return false;
  const next: SecretRecord = { ...record, secretArn, deletionNoticeFor: deletionDate, rev: (record?.rev ?? 0) + 1, writeId: randomUUID() };
  return ports.ledger.writeSecret(next, record?.rev).catch(() => false);
}

/** The secret's state, or undefined once it no longer exists (deleted without recovery). */
async function describeOrUndefined(ports: Ports, target: Target): Promise<SecretState | undefined> {
  return ports.secrets.describe(target).catch((error: unknown) => {
    if (error instanceof UnknownSecretError) return undefined;
    throw error;
  });
}

function names(users: Users): string {
  const all = users.services.map((c) => c.name).sort();
  return all.length > 10 ? `${all.slice(0, 10).join(', ')} and ${all.length - 10} more` : all.join(', ');
}
