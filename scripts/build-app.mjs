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
  plugins: [requireBuiltins(['http']), bundleLazyRequires()],
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

/**
 * Static imports of these builtins bundled as `require('node:<name>')`: named imports of them become
 * lazy property reads. `import()` of them stays as it is (esbuild would give it a default export only).
 */
function requireBuiltins(names) {
  const filter = new RegExp(`^(node:)?(${names.join('|')})$`);
  return {
    name: 'require-builtins',
    setup(b) {
      b.onResolve({ filter }, (args) => {
        if (args.namespace === 'builtin' || args.kind !== 'import-statement') {
          return { path: args.path, external: true };
        }
        return { path: args.path.replace(/^node:/, ''), namespace: 'builtin' };
      });
      b.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => ({
        contents: `module.exports = require('node:${args.path}');`,
        loader: 'js',
      }));
    },
  };
}
