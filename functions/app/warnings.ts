import type { Trigger } from '../domain/decode/events';
import { UnknownSecretError } from '../domain/errors';
import type { Target } from '../domain/identity/target';
import { targetText } from '../domain/identity/target';
import type { IndexEntry } from '../domain/index/entries';
import type { SecretLedger, SecretRecord } from '../domain/ledger/record';
import type { SecretState } from '../domain/plan/secret-state';
import { ignored, type Origin, type Report, type RunFields, secretIdentity, targetIdentity } from '../domain/report/report';
import { andMore } from '../domain/text';
import type { Ports } from '../ports/ports';
import { chatSecret, postToChat } from './chat';
import { recordSecretChange } from './compare-and-set';
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

/**
 * A rotation failed or was abandoned: nothing is redeployed (the consumers keep the value they
 * run, which is still current), and the consumers are named on the bus (`Secret Rotation Failed`)
 * so that someone fixes the rotation before the old credential expires.
 */
export async function warnRotationFailed(
  ports: Ports,
  target: Target,
  trigger: Trigger,
  run: { dryRun: boolean; origin: Origin },
): Promise<Report> {
  const { dryRun } = run;
  const secret = await describeOrUndefined(ports, target);
  const identity = secret ? secretIdentity(secret) : targetIdentity(target);
  const users = await usersOf(ports, secret?.arn ?? targetText(target));
  const report = ignored(
    identity,
    trigger,
    { origin: run.origin, scope: 'one-secret', dryRun },
    `${trigger.eventName ?? 'the rotation'}: nothing is redeployed, the consumers keep the current value`,
  );
  if (users.services.length > 0)
    report.warnings.push(`the rotation did not finish; ${users.services.length} service(s) use this secret: ${names(users)}`);
  // A secret no service or task uses is none of this service's business.
  if (!dryRun && (users.services.length > 0 || users.tasks > 0)) {
    const event = trigger.eventName ?? 'RotationFailed';
    const warning = await ports.notifier.publish([
      rotationFailed({ secret: identity, event, consumers: named(users), standaloneTasks: users.tasks, trigger }),
    ]);
    if (warning) report.warnings.push(warning);
    const secret = chatSecret(identity);
    const consumers = users.services.map((c) => c.name);
    const chatWarning =
      secret && (await postToChat(ports, [{ kind: 'rotation-failed', secret, event, consumers, standaloneTasks: users.tasks }]));
    if (chatWarning) report.warnings.push(chatWarning);
  }
  return report;
}

/**
 * A secret that services use is scheduled for deletion (or deleted at once): nothing is
 * redeployed (their new tasks would fail to start), and the consumers are announced on the bus
 * (`Referenced Secret Scheduled For Deletion`), once per deletion date. Without a ledger
 * (`useLedger` false) nothing can say it was announced: it is not.
 */
export async function warnDeletion(
  ports: Ports,
  target: Target,
  trigger: Trigger,
  options: RunFields & {
    useLedger?: boolean;
    secret?: SecretState;
    /** The index entries and ledger of every secret, already read (the schedule's run). */
    preloaded?: { entries: IndexEntry[]; ledger: SecretLedger };
  },
): Promise<Report> {
  const secret = options.secret ?? (await describeOrUndefined(ports, target));
  const identity = secret ? secretIdentity(secret) : targetIdentity(target);
  const deletionDate = secret?.deletedDate ?? (secret ? undefined : 'now: deleted without a recovery window');
  const arn = secret?.arn ?? targetText(target);
  if (!deletionDate)
    return ignored(identity, trigger, options, 'the secret is not scheduled for deletion (restored, or the deletion failed)');
  const report = ignored(identity, trigger, options, `secret is scheduled for deletion (${deletionDate}): new tasks could not start`);
  const users = await usersOf(
    ports,
    arn,
    options.preloaded?.entries.filter((e) => e.secretArn === arn),
  );
  if (users.services.length === 0) return report;
  report.warnings.push(`${users.services.length} service(s) still use it: ${names(users)}`);
  if (options.dryRun || options.useLedger === false) return report;
  if (!(await noteDeletion(ports, arn, deletionDate, options.preloaded ? (options.preloaded.ledger.secret ?? null) : undefined)))
    return report;
  const warning = await ports.notifier.publish([
    scheduledForDeletion({ secret: identity, deletionDate, consumers: named(users), standaloneTasks: users.tasks, trigger }),
  ]);
  if (warning) report.warnings.push(warning);
  return report;
}

/**
 * Records that this deletion was announced (`known`: the secret's row as already read, null
 * when it has none); false when it was already, once per deletion date: by compare-and-set, so
 * that of two runs only one announces, and a lost answer is not taken for a refusal.
 */
async function noteDeletion(ports: Ports, secretArn: string, deletionDate: string, known?: SecretRecord | null): Promise<boolean> {
  const record = known === undefined ? await ports.ledger.readSecret(secretArn) : (known ?? undefined);
  if (record?.deletionNoticeFor === deletionDate) return false;
  return recordSecretChange(ports, secretArn, record, { deletionNoticeFor: deletionDate });
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
  return andMore(all.slice(0, 10), all.length);
}
