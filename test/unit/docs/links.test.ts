import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

/*
 * Every relative link of the README and docs/ leads somewhere: the file exists and, when the link
 * names a heading (`page.md#heading`), the page has that heading. Pages move; links must follow.
 */

const ROOT = join(__dirname, '..', '..', '..');
const PAGES = [
  join(ROOT, 'README.md'),
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => join(ROOT, 'docs', f)),
];

/** The text outside fenced code blocks, where a link is a link. */
function prose(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```/gm, '');
}

/** Relative link targets of a page: `[text](target)`, web and mail links left out. */
function linksOf(markdown: string): string[] {
  return [...prose(markdown).matchAll(/\[[^\]]*\]\(([^)\s]+)\)/g)].map((m) => m[1]).filter((t) => !/^[a-z]+:/i.test(t));
}

/** The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces as hyphens, repeats numbered. */
function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const [, heading] of prose(markdown).matchAll(/^#{1,6}\s+(.+?)\s*#*$/gm)) {
    const slug = heading
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    anchors.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return anchors;
}

function broken(page: string): string[] {
  const text = readFileSync(page, 'utf8');
  return linksOf(text).flatMap((link) => {
    const [path, anchor] = link.split('#');
    const target = path === '' ? page : join(dirname(page), decodeURIComponent(path));
    const where = `${relative(ROOT, page)}: ${link}`;
    if (!existsSync(target)) return [`${where} (no such file)`];
    if (anchor === undefined || statSync(target).isDirectory() || !target.endsWith('.md')) return [];
    return anchorsOf(readFileSync(target, 'utf8')).has(anchor) ? [] : [`${where} (no such heading)`];
  });
}

describe('documentation links', () => {
  it.each(PAGES.map((p) => [relative(ROOT, p), p]))('%s links only to files and headings that exist', (_, page) => {
    expect(broken(page)).toEqual([]);
  });

  it('finds the links and headings it checks (the checker is not blind)', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(linksOf(readme)).toContain('docs/deploy.md');
    expect(linksOf('[a](https://example.com) [b](x.md#y)\n```\n[c](z.md)\n```')).toEqual(['x.md#y']);
    expect(anchorsOf('## When something fails: no event is lost\n## `plan` twice\n## `plan` twice')).toEqual(
      new Set(['when-something-fails-no-event-is-lost', 'plan-twice', 'plan-twice-1']),
    );
  });
});
