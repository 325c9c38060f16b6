#!/usr/bin/env node
// Builds a long-running app (the server's and the bot's `build` script) for production: src/main.ts and
// everything it imports, workspace packages included, bundled by esbuild into dist/ as ESM, so a start
// reads a handful of files instead of resolving and compiling ~600 modules one by one.
//
// - A package the app lists under "dependencies" stays external and is installed beside dist/ by
//   `pnpm deploy --prod`: native addons (better-sqlite3), drivers with optional native peers they
//   require() by name (mongodb), and libraries that start worker threads from their own files (pino).
//   Everything else belongs under "devDependencies": it is compiled into dist/.
// - dist/main.js is a few lines: it turns on V8's compile cache (node:module enableCompileCache) and then
//   imports the app, so every start after the first skips parsing and compiling the bundle.
// - Modules the app imports with `import()` (drivers, the model SDK, OpenTelemetry's SDK) become chunks
//   of their own, loaded only when the configuration asks for them.
// - node:http is taken through require(): Node 22's ESM view of node:http reads every export, and its
//   WebSocket getters load Node's whole fetch implementation (undici) at start, which costs more than
//   anything else the server loads before it listens.
// - So are the CommonJS packages left external (pino, better-sqlite3): an ESM import of one makes Node
//   scan its source, and the sources it re-exports, with the JavaScript lexer for named exports, long
//   enough that V8 optimises the lexer with TurboFan while the server starts. Paging in the optimising
//   compiler costs an idle process about 5 MiB of resident binary and 2-3 MiB of compiler memory.
// - Options shared with the CLI's bundle, and why each differs from plain bundling: bundle-options.mjs.
//   `--no-keep-names` (the server's build) leaves out esbuild's keepNames: see there.
// - Source maps (dist/**/*.map) map stack traces back to src/ under `node --enable-source-maps`.
import { readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { build } from 'esbuild';
import { bundleLazyRequires, requireBanner, sharedBundleOptions } from './bundle-options.mjs';

const app = process.cwd();
const manifest = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8'));
const dist = join(app, 'dist');

rmSync(dist, { recursive: true, force: true });
const result = await build({
  stdin: {
    contents: [
      "import { enableCompileCache } from 'node:module';",
      // Off when NODE_DISABLE_COMPILE_CACHE is set, or when the cache folder cannot be written (it stays
      // a plain start then).
      'enableCompileCache?.();',
      "await import('./src/main.ts');",
    ].join('\n'),
    resolveDir: app,
    sourcefile: 'start.js',
    loader: 'js',
  },
  ...sharedBundleOptions({ keepNames: !process.argv.includes('--no-keep-names') }),
  outdir: dist,
  entryNames: 'main',
  chunkNames: 'chunks/[name]-[hash]',
  external: Object.keys(manifest.dependencies ?? {}),
  sourcemap: 'linked',
  banner: { js: requireBanner },
  plugins: [
    requireAtStart(['node:http', ...Object.keys(manifest.dependencies ?? {}).filter(isCommonJs)]),
    bundleLazyRequires(),
  ],
});

const outputs = Object.entries(result.metafile.outputs).filter(([file]) => file.endsWith('.js'));
const bytes = outputs.reduce((sum, [, output]) => sum + output.bytes, 0);
const biggest = outputs
  .filter(([file]) => file.includes('/chunks/'))
  .sort((a, b) => b[1].bytes - a[1].bytes)[0];
console.log(
  `build: ${relative(app, dist)}/main.js and ${outputs.length - 1} chunk(s), ${Math.round(bytes / 1024)} KiB` +
    (biggest ? ` (largest ${relative(app, biggest[0])}, ${Math.round(biggest[1].bytes / 1024)} KiB)` : ''),
);

/** A dependency whose package is CommonJS: its static imports are better served by require(). */
function isCommonJs(name) {
  const pkg = JSON.parse(readFileSync(join(app, 'node_modules', name, 'package.json'), 'utf8'));
  return pkg.type !== 'module';
}

/**
 * Static imports of these modules (builtins as `node:<name>`) bundled as `require('<name>')`: named
 * imports of them become lazy property reads. `import()` of them stays as it is (esbuild would give it
 * a default export only), so a driver loaded on demand is still loaded on demand.
 */
function requireAtStart(specifiers) {
  const names = specifiers.map((s) => s.replace(/^node:/, ''));
  const escaped = names.map((n) => n.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));
  const filter = new RegExp(`^(node:)?(${escaped.join('|')})$`);
  const builtins = new Set(specifiers.filter((s) => s.startsWith('node:')).map((s) => s.slice(5)));
  return {
    name: 'require-at-start',
    setup(b) {
      b.onResolve({ filter }, (args) => {
        if (args.namespace === 'required' || args.kind !== 'import-statement') {
          return { path: args.path, external: true };
        }
        return { path: args.path.replace(/^node:/, ''), namespace: 'required' };
      });
      b.onLoad({ filter: /.*/, namespace: 'required' }, (args) => ({
        contents: `module.exports = require('${builtins.has(args.path) ? 'node:' : ''}${args.path}');`,
        loader: 'js',
      }));
    },
  };
}
