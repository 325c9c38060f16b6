#!/usr/bin/env node
// Builds the `parley` command (cli/'s `build` script): one ESM file, dist/parley.js, with the workspace
// packages and every library bundled in, so the packed CLI installs with `npm install -g` and needs
// nothing from the registry, and starts without resolving hundreds of modules. A package the CLI lists
// under "dependencies" stays external (installed beside it), which is what a native addon would need.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const cli = process.cwd();
const manifest = JSON.parse(readFileSync(join(cli, 'package.json'), 'utf8'));
const dist = join(cli, 'dist');

rmSync(dist, { recursive: true, force: true });
const result = await build({
  // dist/parley.js turns on V8's compile cache, then imports the CLI: every run after the first skips
  // compiling the bundle, most of what `parley --help` costs beyond Node's own start.
  stdin: {
    contents: [
      "import { enableCompileCache } from 'node:module';",
      'enableCompileCache?.();',
      "await import('./src/main.ts');",
    ].join('\n'),
    resolveDir: cli,
    sourcefile: 'parley.js',
    loader: 'js',
  },
  entryNames: 'parley',
  chunkNames: '[name]-[hash]',
  outdir: dist,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  // Bundle workspace packages from their sources: no need to build them first.
  conditions: ['@parley/source'],
  external: Object.keys(manifest.dependencies ?? {}),
  minifySyntax: true,
  minifyWhitespace: true,
  legalComments: 'linked',
  metafile: true,
  banner: {
    // CommonJS libraries bundled into ESM still call require() for Node's built-in modules.
    js: [
      '#!/usr/bin/env node',
      "import { createRequire as __parleyCreateRequire } from 'node:module';",
      'const require = __parleyCreateRequire(import.meta.url);',
    ].join('\n'),
  },
  logLevel: 'warning',
});

const bytes = Object.values(result.metafile.outputs).reduce((sum, o) => sum + o.bytes, 0);
console.log(
  `build: dist/parley.js and ${Object.keys(result.metafile.outputs).length - 1} chunk(s), ${Math.round(bytes / 1024)} KiB`,
);
