#!/usr/bin/env node
// Builds the workspace package in the current directory (its `build` script): src/ → dist/ with tsc
// (JavaScript + declarations, `.ts` imports rewritten to `.js`), from a clean dist/ so that files
// moved or deleted in src/ leave nothing stale behind.
//
// The generated protobuf-ts and twirp-ts code imports relative modules without an extension, which
// Node's ESM loader (and TypeScript's NodeNext resolution for consumers of the .d.ts) cannot resolve,
// and neither generator has an option for extensions. So after tsc, every relative specifier in dist/
// that names an emitted module without its extension gets one. Nothing else in dist/ is touched.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const root = join(import.meta.dirname, '..');
const dist = join(process.cwd(), 'dist');

rmSync(dist, { recursive: true, force: true });
const tsc = spawnSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.build.json'], {
  stdio: 'inherit',
});
if (tsc.status !== 0) process.exit(tsc.status ?? 1);

let fixed = 0;
for (const file of filesUnder(dist)) {
  if (!/\.(js|d\.ts)$/.test(file)) continue;
  const text = readFileSync(file, 'utf8');
  const next = addExtensions(text, dirname(file));
  if (next !== text) {
    writeFileSync(file, next);
    fixed += 1;
  }
}
if (fixed > 0) console.log(`build: added .js extensions to relative imports in ${fixed} generated file(s)`);

/** Rewrites `from './x'` / `import('./x')` to './x.js' (or './x/index.js') when that file was emitted. */
function addExtensions(text, dir) {
  return text.replace(
    /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(["'])(\.\.?\/[^"']*)\2/g,
    (whole, lead, quote, spec) => {
      if (/\.(c|m)?js$|\.json$|\.d\.ts$|\.ts$/.test(spec)) return whole;
      if (existsSync(join(dir, `${spec}.js`))) return `${lead}${quote}${spec}.js${quote}`;
      if (existsSync(join(dir, spec, 'index.js'))) return `${lead}${quote}${spec}/index.js${quote}`;
      return whole;
    },
  );
}

function* filesUnder(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* filesUnder(path);
    else yield path;
  }
}
