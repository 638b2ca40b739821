import { OUTCOMES, SKIPPED_AS, type Verdict, WAITING_FOR } from '../../../../functions/domain/report/report';
import {
  LEDGER_ONLY_WORDS,
  SETTLEMENT_WORDS,
  settlementOf,
  USAGE_WORDS,
  VERDICT_WORDS,
  verdictWord,
  WORD_LIST,
  WORDS,
  wordSummary,
} from '../../../../functions/domain/report/vocabulary';

/** Every verdict a report row can carry: each outcome, and for waiting and skipped each kind. */
const VERDICTS: Verdict[] = OUTCOMES.flatMap((outcome): Verdict[] => {
  if (outcome === 'waiting') return WAITING_FOR.map((kind) => ({ outcome, kind }));
  if (outcome === 'skipped') return SKIPPED_AS.map((kind) => ({ outcome, kind }));
  return [{ outcome }];
});

const label = (v: Verdict) => ('kind' in v ? `${v.outcome}/${v.kind}` : v.outcome);

describe('the vocabulary', () => {
  // A new WaitingFor or SkippedAs kind (a window, a replica, a group) fails here until it has its row.
  it.each(VERDICTS.map((v) => [label(v), v] as const))('maps the verdict %s to exactly one word of the vocabulary', (_label, verdict) => {
    const word = verdictWord(verdict);
    expect(WORD_LIST).toContain(word);
    expect(WORDS[word].meaning.length).toBeGreaterThan(0);
  });

  it('has a row for every outcome and every kind, and no row for anything else', () => {
    expect(Object.keys(VERDICT_WORDS).sort()).toEqual([...OUTCOMES].sort());
    expect(Object.keys(VERDICT_WORDS.waiting).sort()).toEqual([...WAITING_FOR].sort());
    expect(Object.keys(VERDICT_WORDS.skipped).sort()).toEqual([...SKIPPED_AS].sort());
  });

  it('gives different verdicts different words: a reader tells them apart from the word alone', () => {
    const words = VERDICTS.map(verdictWord);
    expect(new Set(words).size).toBe(words.length);
  });

  it('gives every fact status adds a word of its own, never one of a verdict it does not mean', () => {
    const verdictWords = new Set(VERDICTS.map(verdictWord));
    for (const word of [...Object.values(SETTLEMENT_WORDS), ...Object.values(LEDGER_ONLY_WORDS)]) {
      expect(WORD_LIST).toContain(word);
      expect(verdictWords.has(word)).toBe(false);
    }
  });

  it("shares the usage map's pinned and unattached with the plan's", () => {
    expect(USAGE_WORDS.pinned).toBe(VERDICT_WORDS.skipped.pinned);
    expect(USAGE_WORDS.unattached).toBe(VERDICT_WORDS.skipped.unattached);
  });

  it('uses every word somewhere, and has each in one tone', () => {
    const used = new Set([
      ...VERDICTS.map(verdictWord),
      ...Object.values(SETTLEMENT_WORDS),
      ...Object.values(LEDGER_ONLY_WORDS),
      ...Object.values(USAGE_WORDS),
    ]);
    expect([...used].sort()).toEqual([...WORD_LIST].sort());
  });

  it.each([
    ['no deployment of ours, no older task', {}, 'completed'],
    ['its deployment completed, an older task left', { deploymentState: 'COMPLETED', olderTasks: 1 }, 'older-tasks'],
    ['its deployment in progress', { deploymentState: 'IN_PROGRESS' }, 'in-progress'],
    ['its deployment failed', { deploymentState: 'FAILED' }, 'failed'],
    ['its deployment stopped', { deploymentState: 'STOPPED' }, 'failed'],
    ['its deployment replaced by a newer one', { deploymentState: 'replaced by a newer deployment' }, 'completed'],
  ] as const)('settles an up-to-date consumer with %s as %s', (_label, facts, settlement) => {
    expect(settlementOf({ olderTasks: 0, ...facts })).toBe(settlement);
  });

  it('counts words in the order of the vocabulary, in summary lines', () => {
    expect(wordSummary(['pinned', 'due', 'no tasks', 'due', 'due'])).toBe('3 due, 1 no tasks, 1 pinned');
    expect(wordSummary([])).toBe('');
  });
});
