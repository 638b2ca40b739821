import { locationOf, parameterNameOf, parseArn } from '../identity/arn';
import { describeOwners, OWN_ACCOUNT_ONLY, type Ownership, ownershipOf, type SecretOwners } from '../identity/owners';
import { desiredVersions } from '../ledger/desired';
import { type SecretState, versionOfStage } from '../plan/secret-state';
import { followedStage, followedStages, type SecretReference } from '../references/references';
import { type ReportReference, toReportReference } from '../report/report';
import { USAGE_WORDS, type UsageFact, type Word } from '../report/vocabulary';
import { type RestartDefaults, restartPolicyOf } from '../windows/restart-policy';

/**
 * The account's secret-usage map: every secret and parameter that task definitions reference, who
 * uses it and how, and what needs attention before rotation is turned on. Pure: the use case
 * gathers the facts, this groups them and applies the rules.
 */

/** What reads a secret when it starts: a service, a standalone task, or a task started by a schedule or rule. */
export interface Consumer {
  kind: 'service' | 'task' | 'scheduled-task';
  name: string;
  /** Service ARN, task ARN, EventBridge rule ARN or Scheduler schedule ARN. */
  arn: string;
  clusterArn: string;
  taskDefinition: string;
  /** Scheduled tasks: the schedule expression, or "event pattern" for a rule that reacts to events. */
  schedule?: string;
  /** Scheduled tasks: `eventbridge-rule` or `eventbridge-scheduler`. */
  via?: string;
  /** Services: when they may be restarted (their restart windows as written, none: at once), their deadline, and the tags that do not parse. */
  restart?: RestartSummary;
}

/** A service's restart policy as the map shows it. */
export interface RestartSummary {
  windows: string[];
  /** Minutes after the change. */
  deadlineMinutes: number;
  problems: string[];
}

/** The restart policy of a service, from its tags and the stack's defaults, as the map shows it. */
export function restartSummary(tags: Record<string, string>, defaults: RestartDefaults): RestartSummary {
  const policy = restartPolicyOf(tags, defaults);
  return { windows: policy.windows.map((w) => w.text), deadlineMinutes: policy.deadlineMinutes, problems: policy.problems };
}

/** What describing a referenced secret or parameter found. */
export type Lookup =
  | { found: true; state: SecretState }
  | {
      found: false;
      /** The secret as referenced: its ARN, or a partial ARN built from a name in the task definition's place. */
      arn: string;
      name: string;
      kind: SecretState['kind'];
      /** `missing`: it does not exist; `unreadable`: describing it failed (another account, a permission). */
      problem: 'missing' | 'unreadable';
      detail?: string;
    };

/** One reference of one consumer, with what its secret turned out to be. */
export interface Use {
  consumer: Consumer;
  reference: SecretReference;
  lookup: Lookup;
}

export type AttentionKind =
  | 'missing'
  | 'unreadable'
  | 'scheduled-for-deletion'
  | 'stale-pin'
  | 'unheld-stage'
  | 'other-region'
  | 'other-account'
  /** A restart window or deadline tag of a consumer does not parse (which way it falls is said). */
  | 'restart-window';

/** Something to fix or to know before rotating, with the consumers it concerns. */
export interface Attention {
  kind: AttentionKind;
  message: string;
  consumers: string[];
}

export interface ConsumerUsage extends Consumer {
  references: ReportReference[];
  /**
   * What the references alone say of it, in the screens' vocabulary (vocabulary.ts): a service
   * `follows` a stage (a change redeploys it), is `pinned` or `unattached` (as status and plan
   * say); a task is `standalone` (never redeployed).
   */
  now: Word;
}

export interface SecretUsage {
  /** Full ARN; for a secret not found, the ARN (or partial ARN) it is referenced by. */
  arn: string;
  name: string;
  kind: SecretState['kind'];
  region: string;
  /** The account that owns it. */
  account: string;
  /**
   * How that account relates to the consumers': `own` (theirs), `allowed-owner` (an owner account
   * this deployment manages secrets of, read through its read role), `not-allowed` (refused).
   */
  ownership: Ownership;
  found: boolean;
  /** The version AWSCURRENT points to (a parameter: its version number). */
  currentVersion?: string;
  deletedDate?: string;
  consumers: ConsumerUsage[];
  attention: Attention[];
}

/**
 * A reference the map cannot resolve to a secret it can describe (a secret that no longer
 * exists, as the index recorded it): a task definition that ECS cannot start, listed with why.
 */
export interface UnresolvedReference {
  /** The `valueFrom` (or credentialsParameter) as written. */
  reference: string;
  reason: string;
  /** Names of the services and tasks whose task definition makes it. */
  consumers: string[];
}

export interface UsageMap {
  generatedAt: string;
  /** How the consumers were found: the index, or a live scan. */
  source: 'index' | 'scan';
  /** What the map may miss, and why (read by people, printed with it). */
  notes: string[];
  secrets: SecretUsage[];
  /** References that name nothing the map could describe, with the reason. */
  unresolved: UnresolvedReference[];
}

/**
 * Groups the uses by secret (full ARN), consumers by kind and name, and applies the attention
 * rules; `owners` are the accounts whose secrets the deployment manages besides the consumers' own.
 */
export function usageMap(
  uses: Use[],
  meta: Omit<UsageMap, 'secrets' | 'unresolved'> & { unresolved?: UnresolvedReference[] },
  owners: SecretOwners = OWN_ACCOUNT_ONLY,
): UsageMap {
  const bySecret = new Map<string, Use[]>();
  for (const use of uses) {
    const arn = use.lookup.found ? use.lookup.state.arn : use.lookup.arn;
    bySecret.set(arn, [...(bySecret.get(arn) ?? []), use]);
  }
  const secrets = [...bySecret.entries()].map(([arn, list]) => secretUsage(arn, list, owners));
  secrets.sort((a, b) => a.name.localeCompare(b.name) || a.arn.localeCompare(b.arn));
  const unresolved = [...(meta.unresolved ?? [])].sort((a, b) => a.reference.localeCompare(b.reference));
  return { ...meta, secrets, unresolved };
}

const KIND_ORDER: Record<Consumer['kind'], number> = { service: 0, task: 1, 'scheduled-task': 2 };

function secretUsage(arn: string, uses: Use[], owners: SecretOwners): SecretUsage {
  const { lookup } = uses[0];
  const location = locationOf(arn) ?? { partition: '', region: '', account: '' };
  const home = homeOf(uses[0]);
  const state = lookup.found ? lookup.state : undefined;
  const referencesOf = new Map<string, SecretReference[]>();
  for (const { consumer, reference } of uses) referencesOf.set(consumer.arn, [...(referencesOf.get(consumer.arn) ?? []), reference]);
  const consumers = new Map<string, ConsumerUsage>();
  for (const { consumer, reference } of uses) {
    const entry = consumers.get(consumer.arn) ?? {
      ...consumer,
      references: [],
      now: USAGE_WORDS[usageFact(consumer, referencesOf.get(consumer.arn) ?? [], state)],
    };
    entry.references.push(toReportReference(reference));
    consumers.set(consumer.arn, entry);
  }
  return {
    arn,
    name: lookup.found ? lookup.state.name : lookup.name,
    kind: lookup.found ? lookup.state.kind : lookup.kind,
    region: location.region,
    account: location.account,
    ownership: home && location.account !== '' ? ownershipOf(location.account, home.account, owners) : 'own',
    found: lookup.found,
    ...(state && versionOfStage(state, 'AWSCURRENT') ? { currentVersion: versionOfStage(state, 'AWSCURRENT') } : {}),
    ...(state?.deletedDate ? { deletedDate: state.deletedDate } : {}),
    consumers: [...consumers.values()].sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || a.name.localeCompare(b.name)),
    attention: attentionOf(arn, uses, owners),
  };
}

/**
 * The rules, in the order they are listed: the secret is gone or going, a reference can no longer
 * get the value it names or not the current one, the secret lives in another region (its changes
 * reach the consumers at their region's scheduled reconcile, at once only with forwarding) or in
 * another account that is not an allowed owner (not handled). A secret of an allowed owner is
 * handled as the consumers' own.
 */
function attentionOf(arn: string, uses: Use[], owners: SecretOwners): Attention[] {
  const found: Attention[] = [];
  const add = (kind: AttentionKind, message: string, who: Use[]) => {
    const names = [...new Set(who.map((u) => u.consumer.name))].sort();
    const same = found.find((a) => a.kind === kind && a.message === message);
    if (same) same.consumers = [...new Set([...same.consumers, ...names])].sort();
    else found.push({ kind, message, consumers: names });
  };
  const { lookup } = uses[0];
  if (!lookup.found) {
    if (lookup.problem === 'missing') add('missing', 'does not exist: tasks that start cannot read it', uses);
    else add('unreadable', `could not be described${lookup.detail ? ` (${lookup.detail})` : ''}`, uses);
  } else {
    const { state } = lookup;
    if (state.deletedDate)
      add('scheduled-for-deletion', `scheduled for deletion (${state.deletedDate}): tasks that start cannot read it`, uses);
    for (const use of uses) {
      const problem = referenceProblem(use.reference, state);
      if (problem) add(problem.kind, problem.message, [use]);
    }
  }
  for (const use of uses) for (const problem of use.consumer.restart?.problems ?? []) add('restart-window', problem, [use]);
  const secret = locationOf(arn);
  for (const use of uses) {
    const home = homeOf(use);
    if (!secret || !home) continue;
    if (ownershipOf(secret.account, home.account, owners) === 'not-allowed') {
      const allowed = owners.kind === 'accounts' && owners.accounts.length === 0 ? '' : ` nor an allowed owner (${describeOwners(owners)})`;
      add(
        'other-account',
        `in account ${secret.account}, not the consumers' (${home.account})${allowed}: its changes are not handled (a secret of another account is refused)`,
        [use],
      );
    } else if (secret.region !== home.region) {
      add(
        'other-region',
        `in ${secret.region}, not in the consumers' region (${home.region}): a change reaches them at the next scheduled reconcile in ${home.region}, ` +
          `at once if the deployment in ${secret.region} forwards its secret events to ${home.region} (forwardSecretEventsTo)`,
        [use],
      );
    }
  }
  return found;
}

/**
 * What a consumer's references say without the ledger: a task is never redeployed; a service
 * pinned, unattached or following a stage, by the plan's own rule (`desiredVersions`); for a
 * secret that could not be described, from the references alone.
 */
function usageFact(consumer: Consumer, references: SecretReference[], state: SecretState | undefined): UsageFact {
  if (consumer.kind !== 'service') return 'standalone';
  if (!state) return followedStages(references).length === 0 ? 'pinned' : 'follows';
  return desiredVersions(references, state).kind;
}

/** Where a consumer runs: its task definition's account and region. */
function homeOf(use: Use) {
  return locationOf(use.consumer.taskDefinition) ?? locationOf(use.consumer.clusterArn);
}

function referenceProblem(reference: SecretReference, state: SecretState): Pick<Attention, 'kind' | 'message'> | undefined {
  const current = versionOfStage(state, 'AWSCURRENT');
  const pinnedId = reference.secret?.versionId;
  if (pinnedId) {
    const stages = state.versionIdsToStages[pinnedId];
    if (!stages) return { kind: 'stale-pin', message: `pinned to version id ${pinnedId}, which has no stage left (deprecated or deleted)` };
    if (!stages.includes('AWSCURRENT')) {
      return {
        kind: 'stale-pin',
        message: `pinned to version id ${pinnedId}, which is not current (it holds ${stages.join(', ') || 'no stage'})`,
      };
    }
    return undefined;
  }
  if (reference.parameterVersion && reference.parameterVersion !== current) {
    return { kind: 'stale-pin', message: `pinned to version ${reference.parameterVersion}; the current version is ${current}` };
  }
  const stage = followedStage(reference);
  if (stage && state.kind === 'secret' && !versionOfStage(state, stage)) {
    return { kind: 'unheld-stage', message: `follows stage ${stage}, which no version holds: tasks that start cannot read it` };
  }
  return undefined;
}

/** The name a missing secret is known by, from the ARN or partial ARN it is referenced by. */
export function nameInArn(arn: string): string {
  const parsed = parseArn(arn);
  if (parsed?.service === 'ssm') return parameterNameOf(arn);
  return parsed?.resource.replace(/^secret:/, '') ?? arn;
}
