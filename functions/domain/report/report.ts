import type { Trigger } from '../decode/events';
import { parseArn } from '../identity/arn';
import { type Target, targetText } from '../identity/target';
import type { StandaloneTask } from '../inventory/service';
import { type SecretState, versionOfStage } from '../plan/secret-state';
import type { SecretReference } from '../references/references';
import type { WindowFacts } from '../windows/restart-policy';

/** What happened to one service: the five public words (scripts and alarms read them). */
export const OUTCOMES = ['redeployed', 'would-redeploy', 'waiting', 'skipped', 'failed'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/**
 * What a waiting consumer waits for: an earlier wave (`wave`), a halted rollout's `resume`, the
 * claim of another run in flight (`claim`), a new run, this one having reached its deadline
 * (`continuation`), its restart window to open (`window`: the row's `window` says when, and
 * when its deadline falls), the end of the deployment its CodeDeploy group runs now (`group`:
 * a group runs one deployment at a time), or the change to reach the replica secret it reads
 * (`replica`). A new kind is a new entry here and a row of the vocabulary (vocabulary.ts).
 */
export const WAITING_FOR = ['wave', 'resume', 'claim', 'continuation', 'window', 'group', 'replica'] as const;
export type WaitingFor = (typeof WAITING_FOR)[number];

/**
 * Why a consumer is skipped: it runs the current versions already (`up-to-date`), it follows no
 * stage that moves (`pinned`) or one no version holds (`unattached`), the service is `gone`, its
 * task definition no longer references the secret (`unreferenced`), it runs no task
 * (`no-tasks`), it may not be redeployed (`ineligible`: opted out, outside the clusters, an
 * EXTERNAL controller, CodeDeploy redeploys turned off, scaling to zero), or its CODE_DEPLOY
 * controller has no one CodeDeploy deployment group to redeploy it through (`no-group`: none,
 * or several). A new kind is a new entry here and a row of the vocabulary (vocabulary.ts).
 */
export const SKIPPED_AS = ['up-to-date', 'pinned', 'unattached', 'gone', 'unreferenced', 'no-tasks', 'ineligible', 'no-group'] as const;
export type SkippedAs = (typeof SKIPPED_AS)[number];

/**
 * Who asked for a run: an AWS event (a secret's or parameter's change, an ECS deployment), the
 * reconcile schedule, or a person (`manual`: the CLI, or an invoke of redeploy-secret). A run that
 * continues another past its deadline keeps the origin of the run it continues.
 */
const ORIGINS = ['event', 'schedule', 'manual'] as const;
export type Origin = (typeof ORIGINS)[number];

/**
 * What ran: the reconcile of one secret (`one-secret`: an event's, `plan`, `redeploy`,
 * `reconcile SECRET`), or of every indexed secret (`every-secret`: what the schedule runs, and
 * `reconcile` without SECRET), which also reports drift and polls the rollouts' deployments.
 */
const SCOPES = ['one-secret', 'every-secret'] as const;
export type Scope = (typeof SCOPES)[number];

/** A reference as reported: where it is and what it follows (never a value). */
export interface ReportReference {
  field: SecretReference['field'];
  container?: string;
  volume?: string;
  name?: string;
  valueFrom: string;
  jsonKey?: string;
  versionStage?: string;
  versionId?: string;
  /** An SSM reference pinned to a version (`name:3`) or a label (`name:my-label`). */
  parameterVersion?: string;
  parameterLabel?: string;
}

export interface ServiceReportFields {
  cluster: string;
  service: string;
  serviceName: string;
  taskDefinition: string;
  reason?: string;
  deploymentId?: string;
  /** Its wave (tag `ecs-secret-redeploy:wave`), when it takes part in a rollout. */
  wave?: number;
  /** The versions the service was known to run, and those it must run now (stage -> version id). */
  versions?: { from?: Record<string, string>; to: Record<string, string> };
  /**
   * A CODE_DEPLOY service: its CodeDeploy application and deployment group, and the deployment
   * the row is about (ours, just created; or the one the group runs now, that it waits for).
   */
  codeDeploy?: { application: string; group: string; deploymentId?: string; status?: string };
  /**
   * Set for a service behind whose restart window or deadline had a say: the window it waits for
   * (when it opens) or that released it, and when its deadline falls.
   */
  window?: WindowFacts;
  references: ReportReference[];
}

/**
 * An outcome with, for a consumer waiting or skipped, its kind: what it waits for, or why it is
 * left (the report's reason says it in words).
 */
export type Verdict =
  | { outcome: 'redeployed' | 'would-redeploy' | 'failed' }
  | { outcome: 'waiting'; kind: WaitingFor }
  | { outcome: 'skipped'; kind: SkippedAs };

/** One service that was considered, with its outcome and why. */
export type ServiceReport = ServiceReportFields & Verdict;

/** How the candidate services were found. */
export interface InventoryInfo {
  source: 'index' | 'scan';
  /** Why a scan was used instead of the index, or what the index could not guarantee. */
  note?: string;
}

/** The one value a run produces: logged, returned by the handlers, printed by the CLI, published. */
export interface Report {
  secret: { arn?: string; name?: string; versionId?: string; kind?: 'secret' | 'parameter' };
  trigger: Trigger;
  /** Who asked for the run (see {@link Origin}); the same in every report of one run. */
  origin?: Origin;
  /** What ran (see {@link Scope}). */
  scope?: Scope;
  /** Set in a run that continues another past its deadline: its place in the chain (1: the first continuation). */
  hop?: number;
  action: 'redeploy' | 'ignore';
  reason?: string;
  dryRun: boolean;
  inventory?: InventoryInfo;
  services: ServiceReport[];
  standaloneTasks: StandaloneTask[];
  warnings: string[];
  /**
   * Set by a scheduled run: the services it found behind the current versions with no run on
   * them yet, i.e. what events missed (a throttled, failed or disabled trigger).
   */
  drift?: { services: string[] };
  /** Set when the run stopped before its end (its deadline) and a new run continues the rest. */
  continued?: { reason: string };
  /**
   * The same secret's copies (Secrets Manager replication) and what was done or planned for
   * their consumers: for an event, the copy in this region reconciled with the secret it named;
   * for `plan`, each other region's copy, planned there.
   */
  copies?: CopyReport[];
}

/** A copy of the reported secret in a region, and the report made of it there. */
export interface CopyReport {
  region: string;
  /** Its ARN there. */
  arn: string;
  /** `replica` of the reported secret, or its `primary`. */
  role: 'replica' | 'primary';
  /** How replication to it stands, as the primary reports it (a replica, when the primary was read). */
  status?: string;
  /** Its report there; absent, with `note`, when none could be made (no deployment in that region). */
  report?: Report;
  note?: string;
}

/** How a run is told apart in its reports: who asked, what ran, its place in a continuation chain, a dry run. */
export interface RunFields {
  origin?: Origin;
  scope?: Scope;
  hop?: number;
  dryRun: boolean;
}

/** What ran a report: its trigger, its origin and scope (and hop), and whether it was a dry run. */
export function runFields(trigger: Trigger, run: RunFields): Pick<Report, 'trigger' | 'origin' | 'scope' | 'hop' | 'dryRun'> {
  return {
    trigger,
    ...(run.origin ? { origin: run.origin } : {}),
    ...(run.scope ? { scope: run.scope } : {}),
    ...(run.hop ? { hop: run.hop } : {}),
    dryRun: run.dryRun,
  };
}

/** The report of a run that acted on nothing, and why. */
export function ignored(secret: Report['secret'], trigger: Trigger, run: RunFields, reason: string): Report {
  return { secret, ...runFields(trigger, run), action: 'ignore', reason, services: [], standaloneTasks: [], warnings: [] };
}

/** The reported form of a reference. */
export function toReportReference(reference: SecretReference): ReportReference {
  return {
    field: reference.field,
    ...(reference.container ? { container: reference.container } : {}),
    ...(reference.volume ? { volume: reference.volume } : {}),
    ...(reference.name ? { name: reference.name } : {}),
    valueFrom: reference.valueFrom,
    ...(reference.secret?.jsonKey ? { jsonKey: reference.secret.jsonKey } : {}),
    ...(reference.secret?.versionStage ? { versionStage: reference.secret.versionStage } : {}),
    ...(reference.secret?.versionId ? { versionId: reference.secret.versionId } : {}),
    ...(reference.parameterVersion ? { parameterVersion: reference.parameterVersion } : {}),
    ...(reference.parameterLabel ? { parameterLabel: reference.parameterLabel } : {}),
  };
}

/** Counts of services by outcome. */
export function countOutcomes(report: Pick<Report, 'services'>): Record<Outcome, number> {
  const counts = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
  for (const service of report.services) counts[service.outcome] += 1;
  return counts;
}

/** The report and those of its copies (see {@link Report.copies}). */
export function withCopies(report: Report): Report[] {
  return [report, ...(report.copies ?? []).flatMap((c) => (c.report ? withCopies(c.report) : []))];
}

/** 0 when every service ended well (including "nothing to do"), 1 when any failed (a copy's too). */
export function exitCodeOf(report: Report): 0 | 1 {
  return withCopies(report).some((r) => r.services.some((s) => s.outcome === 'failed')) ? 1 : 0;
}

/** How a report names a secret it described, with the version AWSCURRENT holds. */
export function secretIdentity(secret: SecretState): Report['secret'] {
  return { arn: secret.arn, name: secret.name, versionId: versionOfStage(secret, 'AWSCURRENT'), kind: secret.kind };
}

/** How a report names a secret it could not describe: by ARN when given one, else by name. */
export function targetIdentity(target: Target | undefined): Report['secret'] {
  if (!target) return {};
  const text = targetText(target);
  return parseArn(text) ? { arn: text } : { name: text };
}
