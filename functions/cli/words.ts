import { type Tone, WORDS, type Word } from '../domain/report/vocabulary';
import type { Cell, Color } from './output';

/** How each tone of the vocabulary is painted on a terminal. */
const TONE_COLORS: Record<Tone, Color | undefined> = {
  good: 'green',
  busy: 'yellow',
  attention: 'yellow',
  bad: 'red',
  quiet: 'dim',
};

/** A word of the vocabulary as a table cell, in its tone's colour. */
export function wordCell(word: Word): Cell {
  return { text: word, color: TONE_COLORS[WORDS[word].tone] };
}

/** The colour of a summary line: red when a word is bad, green when every word is settled, else yellow. */
export function summaryColor(words: Iterable<Word>): Color {
  const list = [...words];
  if (list.some((w) => WORDS[w].tone === 'bad')) return 'red';
  return list.every((w) => WORDS[w].settled) ? 'green' : 'yellow';
}
