import { paint, rendered, table, textLine } from '../../../functions/cli/output';

const PLAIN = { color: false };

describe('table', () => {
  it('aligns every column under its header and leaves the last one unpadded', () => {
    expect(
      table(
        ['NAME', 'STATE', 'WHY'],
        [
          ['a', 'ok', 'fine'],
          ['longer-name', 'failed', 'x'],
        ],
        PLAIN,
      ),
    ).toEqual(['NAME         STATE   WHY', 'a            ok      fine', 'longer-name  failed  x']);
  });

  it('escapes control and bidi characters of every cell', () => {
    expect(table(['A'], [['x\u202ey\n']], PLAIN)[1]).toBe('x\\u202ey\\n');
  });

  it('colours a cell after padding it, so that colours never shift a column', () => {
    const [, row] = table(['OUTCOME', 'WHY'], [[{ text: 'ok', color: 'green' }, 'fine']], { color: true });
    expect(row).toBe('\u001b[32mok     \u001b[0m  fine');
  });
});

describe('paint', () => {
  it('colours only when the style allows it', () => {
    expect(paint({ color: true }, 'red', 'x')).toBe('\u001b[31mx\u001b[0m');
    expect(paint(PLAIN, 'red', 'x')).toBe('x');
  });
});

describe('textLine', () => {
  it('joins fields with tabs, escaping tabs and newlines inside a value', () => {
    expect(textLine(['SERVICE', 'a\tb', undefined, 3, 'c\nd'])).toBe('SERVICE\ta\\tb\t\t3\tc\\nd\n');
  });
});

describe('rendered', () => {
  const rendering = { json: { reason: 'a\u202eb' }, table: () => 'TABLE\n', text: () => 'TEXT\n' };

  it('prints JSON with the characters JSON.stringify keeps raw escaped', () => {
    const out = rendered(rendering, 'json', PLAIN);
    expect(out).toBe('{\n  "reason": "a\\u202eb"\n}\n');
    expect(JSON.parse(out)).toEqual(rendering.json);
  });

  it.each([
    ['table', 'TABLE\n'],
    ['text', 'TEXT\n'],
  ] as const)('prints the %s rendering', (format, expected) => {
    expect(rendered(rendering, format, PLAIN)).toBe(expected);
  });
});
