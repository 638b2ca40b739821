/**
 * One vocabulary for what is true of a consumer, shared by every screen (`status`, `plan`,
 * `redeploy`, `reconcile`, the usage map) and by their summary lines: a fact has one word, a word
 * one meaning. Pure and table-driven: a report row's verdict (outcome and kind), what `status`
 * adds from ECS about a consumer the ledger has up to date, what `status` can say without ECS,
 * and what the usage map knows from the references alone each map to one word of {@link WORDS}.
 * A new kind of verdict (WaitingFor, SkippedAs) is one row of {@link VERDICT_WORDS}: until it has
 * one, the types do not compile and the table test fails.
 *
 * The JSON keeps the five public outcomes and their kinds; the words are what a person reads.
 */

import type { Outcome, SkippedAs, Verdict, WaitingFor } from './report';

/** How a word is painted on a terminal: green, yellow while ECS works, yellow to look at, red, dim. */
export type Tone = 'good' | 'busy' | 'attention' | 'bad' | 'quiet';

export interface WordEntry {
  meaning: string;
  tone: Tone;
  /** Nothing is left to do or to wait for (status is done when every consumer is). */
  settled: boolean;
  /** Changes without anyone running anything: ECS, or another run, is at work on it. */
  moving: boolean;
  /** Settled on older versions: this tool will not redeploy it (only a consumer behind gets this word). */
  leftBehind?: true;
}

/** Every word, in the order summary lines count them. */
export const WORDS = {
  redeployed: {
    meaning: "this run started its new deployment (UpdateService, or CodeDeploy's CreateDeployment, succeeded)",
    tone: 'good',
    settled: false,
    moving: true,
  },
  due: {
    meaning: 'runs older versions than current: a reconcile redeploys it now (plan and --dry-run show it)',
    tone: 'attention',
    settled: false,
    moving: false,
  },
  waiting: {
    meaning: 'runs older versions; held until every deployment of an earlier wave completed',
    tone: 'attention',
    settled: false,
    moving: false,
  },
  window: {
    meaning: 'runs older versions; held outside its restart window until it opens, or its deadline falls',
    tone: 'attention',
    settled: false,
    moving: false,
  },
  halted: {
    meaning: 'runs older versions; its rollout halted at a failed deployment: waits for `resume` (or a newer version)',
    tone: 'bad',
    settled: false,
    moving: false,
  },
  redeploying: {
    meaning: 'another run holds its claim and is redeploying it',
    tone: 'busy',
    settled: false,
    moving: true,
  },
  deferred: {
    meaning: 'runs older versions; this run reached its deadline and the run that continues it redeploys it',
    tone: 'attention',
    settled: false,
    moving: false,
  },
  'group busy': {
    meaning: 'runs older versions; its CodeDeploy deployment group runs another deployment: redeployed once that one ends',
    tone: 'attention',
    settled: false,
    moving: false,
  },
  replicating: {
    meaning: "the replica secret it reads does not hold its primary's change yet: held, and looked at again, until it does",
    tone: 'busy',
    settled: false,
    moving: true,
  },
  failed: {
    meaning: 'its redeploy failed (UpdateService or CreateDeployment refused or failed): the next run tries again',
    tone: 'bad',
    settled: false,
    moving: false,
  },
  deploying: {
    meaning: 'its deployment for the current versions is in progress',
    tone: 'busy',
    settled: false,
    moving: true,
  },
  'old tasks': {
    meaning: 'its deployment completed, but tasks an older deployment started still run',
    tone: 'busy',
    settled: false,
    moving: true,
  },
  'deploy failed': {
    meaning: 'its deployment for the current versions failed (circuit breaker, CodeDeploy Failed) or was stopped',
    tone: 'bad',
    settled: false,
    moving: false,
  },
  current: {
    meaning: 'every task runs the current versions: its deployment completed, no older task is left',
    tone: 'good',
    settled: true,
    moving: false,
  },
  'up to date': {
    meaning: 'the ledger has it on the current versions: nothing to do (status says how its deployment stands)',
    tone: 'good',
    settled: true,
    moving: false,
  },
  'no tasks': {
    meaning: 'runs no task (desiredCount 0): nothing to redeploy, a task that starts reads the current versions',
    tone: 'quiet',
    settled: true,
    moving: false,
  },
  pinned: {
    meaning: 'pinned to a version (a version id, an SSM version or label): a change of stages never redeploys it',
    tone: 'quiet',
    settled: true,
    moving: false,
  },
  unattached: {
    meaning: 'follows a stage that no version holds (AWSPREVIOUS before the first rotation)',
    tone: 'quiet',
    settled: true,
    moving: false,
  },
  excluded: {
    meaning:
      'may not be redeployed: opted out by tag, outside the configured clusters, an EXTERNAL deployment controller, CodeDeploy redeploys turned off, or scaling to zero',
    tone: 'attention',
    settled: true,
    moving: false,
    leftBehind: true,
  },
  'no group': {
    meaning: 'a CODE_DEPLOY service that no one CodeDeploy deployment group deploys (none, or several): not redeployed until one does',
    tone: 'attention',
    settled: true,
    moving: false,
    leftBehind: true,
  },
  gone: {
    meaning: 'the service no longer exists',
    tone: 'quiet',
    settled: true,
    moving: false,
  },
  unreferenced: {
    meaning: 'the task definition it runs now no longer references the secret',
    tone: 'quiet',
    settled: true,
    moving: false,
  },
  behind: {
    meaning: 'the ledger has it on older versions; ECS was not asked (whether it runs tasks, its wave)',
    tone: 'attention',
    settled: false,
    moving: false,
  },
  'no record': {
    meaning: 'no ledger record yet and ECS not asked: the next reconcile judges what it runs from evidence',
    tone: 'attention',
    settled: false,
    moving: false,
  },
  follows: {
    meaning: 'its references follow a stage that a version holds: a change of the secret redeploys it (usage map)',
    tone: 'quiet',
    settled: true,
    moving: false,
  },
  standalone: {
    meaning: 'a standalone or scheduled task: never redeployed; each task reads the versions current when it starts',
    tone: 'quiet',
    settled: true,
    moving: false,
  },
} as const satisfies Record<string, WordEntry>;

export type Word = keyof typeof WORDS;

export const WORD_LIST = Object.keys(WORDS) as Word[];

/**
 * A report row's verdict to its word: the outcome alone, or for `waiting` and `skipped` their
 * kind. One row per outcome and kind.
 */
export const VERDICT_WORDS: {
  [O in Outcome]: O extends 'waiting' ? Record<WaitingFor, Word> : O extends 'skipped' ? Record<SkippedAs, Word> : Word;
} = {
  redeployed: 'redeployed',
  'would-redeploy': 'due',
  failed: 'failed',
  waiting: {
    wave: 'waiting',
    resume: 'halted',
    claim: 'redeploying',
    continuation: 'deferred',
    window: 'window',
    group: 'group busy',
    replica: 'replicating',
  },
  skipped: {
    'up-to-date': 'up to date',
    pinned: 'pinned',
    unattached: 'unattached',
    gone: 'gone',
    unreferenced: 'unreferenced',
    'no-tasks': 'no tasks',
    ineligible: 'excluded',
    'no-group': 'no group',
  },
};

/** The word of a report row (plan, redeploy, reconcile; status judges with the same plan). */
export function verdictWord(verdict: Verdict): Word {
  if (verdict.outcome === 'waiting') return VERDICT_WORDS.waiting[verdict.kind];
  if (verdict.outcome === 'skipped') return VERDICT_WORDS.skipped[verdict.kind];
  return VERDICT_WORDS[verdict.outcome];
}

/**
 * How the deployment of a consumer the ledger has up to date stands, as ECS shows it (status):
 * the running tasks all on current (`completed`), its deployment still in progress, failed or
 * stopped, or completed with tasks of an older deployment still running.
 */
export type Settlement = 'completed' | 'in-progress' | 'failed' | 'older-tasks';

export const SETTLEMENT_WORDS: Record<Settlement, Word> = {
  completed: 'current',
  'in-progress': 'deploying',
  failed: 'deploy failed',
  'older-tasks': 'old tasks',
};

/**
 * The settlement of an up-to-date consumer: `deploymentState` is its deployment's rollout state
 * (undefined when it has none of ours: a baseline, first seen, no tasks), `olderTasks` the running
 * tasks an older deployment started.
 */
export function settlementOf(facts: { deploymentState?: string; olderTasks: number }): Settlement {
  const { deploymentState } = facts;
  if (deploymentState === 'FAILED' || deploymentState === 'STOPPED') return 'failed';
  const finished = deploymentState === undefined || deploymentState === 'COMPLETED' || deploymentState === REPLACED;
  if (!finished) return 'in-progress';
  return facts.olderTasks > 0 ? 'older-tasks' : 'completed';
}

/** What status shows as the deployment state of one of ours that ECS no longer lists: a newer one replaced it. */
export const REPLACED = 'replaced by a newer deployment';

/** What status says of a consumer the ledger alone does not decide, when ECS is not asked. */
export type LedgerOnly = 'behind' | 'no-record';

export const LEDGER_ONLY_WORDS: Record<LedgerOnly, Word> = { behind: 'behind', 'no-record': 'no record' };

/** What the usage map knows of a consumer from its references alone (no ledger, no ECS). */
export type UsageFact = 'follows' | 'pinned' | 'unattached' | 'standalone';

export const USAGE_WORDS: Record<UsageFact, Word> = {
  follows: 'follows',
  pinned: 'pinned',
  unattached: 'unattached',
  standalone: 'standalone',
};

/** How many of each word, in the vocabulary's order (words absent left out). */
export function countWords(words: Iterable<Word>): Array<[Word, number]> {
  const counts = new Map<Word, number>();
  for (const word of words) counts.set(word, (counts.get(word) ?? 0) + 1);
  return WORD_LIST.flatMap((word) => (counts.has(word) ? [[word, counts.get(word) as number] as [Word, number]] : []));
}

/** "3 due, 1 no tasks, 1 pinned": a summary line that counts the words its rows show. */
export function wordSummary(words: Iterable<Word>, notes: Partial<Record<Word, string>> = {}): string {
  return countWords(words)
    .map(([word, n]) => (notes[word] ? `${n} ${word} ${notes[word]}` : `${n} ${word}`))
    .join(', ');
}
