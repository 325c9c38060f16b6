#!/usr/bin/env node
// Builds the `parley` command (cli/'s `build` script): one ESM file, dist/parley.js, with the workspace
// packages and every library bundled in, so the packed CLI installs with `npm install -g` and needs
// nothing from the registry, and starts without resolving hundreds of modules. A package the CLI lists
// under "dependencies" stays external (installed beside it), which is what a native addon would need.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { bundleLazyRequires, requireBanner, sharedBundleOptions } from './bundle-options.mjs';

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
  ...sharedBundleOptions(),
  entryNames: 'parley',
  chunkNames: '[name]-[hash]',
  outdir: dist,
  external: Object.keys(manifest.dependencies ?? {}),
  banner: { js: `#!/usr/bin/env node\n${requireBanner}` },
  plugins: [bundleLazyRequires()],
});

const bytes = Object.values(result.metafile.outputs).reduce((sum, o) => sum + o.bytes, 0);
console.log(
  `build: dist/parley.js and ${Object.keys(result.metafile.outputs).length - 1} chunk(s), ${Math.round(bytes / 1024)} KiB`,
);
