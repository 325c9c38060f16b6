import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

// README.md and docs/ link to each other and into the repository: every relative link must reach a file
// that exists, every #anchor a heading of its page, and the docs index must list every page, so moving
// or renaming a section fails here rather than for a reader.

const root = join(import.meta.dirname, '..', '..');
const docsDir = join(root, 'docs');
const pages = [
  join(root, 'README.md'),
  ...readdirSync(docsDir)
    .filter((file) => file.endsWith('.md'))
    .map((file) => join(docsDir, file)),
];

/** The text a reader sees as prose: fenced and indented code blocks and inline code removed. */
function prose(markdown: string): string {
  return markdown
    .replace(/^```[\s\S]*?^```/gm, '')
    .replace(/^(?: {4}|\t).*$/gm, '')
    .replace(/`[^`\n]*`/g, '');
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const [, heading = ''] of prose(markdown).matchAll(/^#{1,6} +(.+?) *#*$/gm)) {
    const text = heading.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/`/g, '');
    const slug = text
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

function linksOf(markdown: string): string[] {
  return [...prose(markdown).matchAll(/\]\(([^)\s]+)(?: "[^"]*")?\)/g)].map((m) => m[1] ?? '');
}

describe.each(pages.map((page) => ({ page, name: relative(root, page) })))('$name', ({ page }) => {
  const markdown = readFileSync(page, 'utf8');

  it('links only to files and headings that exist', () => {
    const broken: string[] = [];
    for (const link of linksOf(markdown)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue; // https:, mailto: — not ours to check
      const [path = '', anchor] = link.split('#');
      const target = path === '' ? page : join(dirname(page), decodeURIComponent(path));
      if (!existsSync(target)) {
        broken.push(`${link}: no such file`);
        continue;
      }
      if (anchor === undefined) continue;
      if (!target.endsWith('.md') || !anchorsOf(readFileSync(target, 'utf8')).has(anchor)) {
        broken.push(`${link}: no such heading`);
      }
    }
    expect(broken).toEqual([]);
  });
});

describe('docs/README.md', () => {
  it('lists every page in docs/', () => {
    const index = readFileSync(join(docsDir, 'README.md'), 'utf8');
    const listed = new Set(linksOf(index).map((link) => link.split('#')[0]));
    const unlisted = readdirSync(docsDir).filter(
      (file) => file.endsWith('.md') && file !== 'README.md' && !listed.has(file),
    );
    expect(unlisted).toEqual([]);
  });
});
