import { andMore, escapeControl, fitted, plural, quoted, safeJson, textField } from '../../../functions/domain/text';

describe('escapeControl', () => {
  it.each([
    ['a newline, a carriage return and a tab by name', 'a\nb\rc\td', 'a\\nb\\rc\\td'],
    ['an escape sequence that would clear the screen', '\u001b[2J', '\\u001b[2J'],
    ['NUL and DEL', '\u0000\u007f', '\\u0000\\u007f'],
    ['a C1 control', '\u009b', '\\u009b'],
    ['a right-to-left override', 'abc\u202edef', 'abc\\u202edef'],
    ['the bidi isolates', '\u2066\u2067\u2068\u2069', '\\u2066\\u2067\\u2068\\u2069'],
    ['the left-to-right and right-to-left marks', '\u200e\u200f\u061c', '\\u200e\\u200f\\u061c'],
    ['zero-width characters and the BOM', '\u200b\u200d\ufeff', '\\u200b\\u200d\\ufeff'],
    ['the line and paragraph separators', '\u2028\u2029', '\\u2028\\u2029'],
  ])('escapes %s', (_label, text, expected) => {
    expect(escapeControl(text)).toBe(expected);
  });

  it('keeps printable text, accents and other scripts as they are', () => {
    expect(escapeControl('prod/db-é_Ωπ 秘密 ✓')).toBe('prod/db-é_Ωπ 秘密 ✓');
  });

  it('is idempotent, so that layers may each apply it', () => {
    const once = escapeControl('x\u202e\n\u0007');
    expect(escapeControl(once)).toBe(once);
  });
});

describe('quoted', () => {
  it('quotes and escapes', () => {
    expect(quoted('a\u202eb')).toBe('"a\\u202eb"');
  });

  it('cuts a long text and says how long it was', () => {
    expect(quoted('x'.repeat(1000), 10)).toBe('"xxxxxxxxxx…" (1000 characters)');
  });

  it('never cuts a surrogate pair in two', () => {
    expect(quoted(`${'x'.repeat(9)}😀tail`, 10)).toBe('"xxxxxxxxx…" (15 characters)');
  });
});

describe('safeJson', () => {
  it('escapes the characters JSON.stringify keeps raw, and stays valid JSON', () => {
    const value = { reason: 'a\u202eb\u2028c\u0085', nested: ['\u0007'] };
    const text = safeJson(value);
    expect(text).toBe('{"reason":"a\\u202eb\\u2028c\\u0085","nested":["\\u0007"]}');
    expect(JSON.parse(text)).toEqual(value);
  });

  it('indents like JSON.stringify', () => {
    expect(safeJson({ a: 1 }, 2)).toBe('{\n  "a": 1\n}');
  });
});

describe('textField', () => {
  it.each<[unknown, number | undefined, string | undefined]>([
    ['plain', undefined, 'plain'],
    ['a\u202eb', undefined, 'a\\u202eb'],
    ['abcdef', 3, 'abc'],
    ['', undefined, undefined],
    [42, undefined, undefined],
    [undefined, undefined, undefined],
  ])('%p (max %p) -> %p', (value, max, text) => {
    expect(textField(value, max)).toBe(text);
  });
});

describe('plural', () => {
  it.each([
    [0, 'clusters'],
    [1, 'cluster'],
    [2, 'clusters'],
  ])('says %p %s', (n, word) => {
    expect(plural(n, 'cluster')).toBe(`${n} ${word}`);
  });

  it('takes an irregular plural', () => {
    expect(plural(2, 'entry', 'entries')).toBe('2 entries');
  });
});

describe('fitted', () => {
  it.each([
    ['a text that fits, as it is', 'orders-api', 10, 'orders-api'],
    ['a longer one cut, the cut marked', 'orders-api-worker', 10, 'orders-ap…'],
  ])('%s', (_label, text, max, shown) => {
    expect(fitted(text, max)).toBe(shown);
  });
});

describe('andMore', () => {
  it.each([
    ['all shown', ['a', 'b'], 2, 'a, b'],
    ['some not shown', ['a', 'b'], 5, 'a, b and 3 more'],
  ])('%s', (_label, shown, total, text) => {
    expect(andMore(shown, total)).toBe(text);
  });
});
