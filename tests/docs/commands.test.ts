import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// What README.md and docs/ tell a reader to type must exist: every `npm run <script>` (and `npm start`,
// `npm test`) is a script of the root package.json, which is where a newcomer types it.

const root = join(import.meta.dirname, '..', '..');
const scripts = Object.keys(
  (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> })
    .scripts,
);
const pages = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((file) => file.endsWith('.md'))
    .map((file) => join('docs', file)),
];

describe.each(pages)('%s', (page) => {
  it('names only npm scripts the root package.json has', () => {
    const text = readFileSync(join(root, page), 'utf8');
    const named = [
      ...[...text.matchAll(/\bnpm run ([a-z][a-z0-9:-]*)/g)].map((m) => m[1] ?? ''),
      ...[...text.matchAll(/\bnpm (start|test)\b/g)].map((m) => m[1] ?? ''),
    ];
    expect(named.filter((name) => !scripts.includes(name))).toEqual([]);
  });
});
