// esbuild options shared by the app bundles (build-app.mjs: server, bot) and the CLI bundle
// (build-cli.mjs). A bundle must run the libraries it holds exactly as they run unbundled; each option
// or plugin below that is not plain bundling exists because some library noticed the difference.
import { readFile } from 'node:fs/promises';

/**
 * The options every bundle shares; callers add entry, output, banner and externals. `keepNames: false`
 * is for a bundle whose libraries were checked not to need it (see below).
 */
export function sharedBundleOptions({ keepNames = true } = {}) {
  return {
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    // Bundle workspace packages from their sources: no need to build them first.
    conditions: ['@parley/source'],
    minifySyntax: true,
    minifyWhitespace: true,
    // Libraries check classes by name: node-fetch (inside telegraf) accepts a signal only when
    // `signal.constructor.name === 'AbortSignal'`. esbuild renames a class whose name collides with
    // another in the bundle (the abort-controller polyfill's `AbortSignal` became `AbortSignal2`), and
    // the bundled bot then died on its first getUpdates. keepNames restores every original `.name`,
    // at a price: every function or class expression is wrapped in a `__name(fn, "name")` call that
    // redefines its `name`, each time the code creating it runs (the closures of a request, per request).
    // The server's bundle goes without (build-app.mjs --no-keep-names): the only class esbuild renames
    // there is @protobufjs/eventemitter's `EventEmitter` (inside the OTLP gRPC exporter), which nothing
    // checks by name; the functions it renames only read differently in a stack trace.
    keepNames,
    legalComments: 'linked',
    metafile: true,
    logLevel: 'warning',
  };
}

/** The banner line every ESM bundle needs: CommonJS libraries inside still call require(). */
export const requireBanner = [
  "import { createRequire as __parleyCreateRequire } from 'node:module';",
  'const require = __parleyCreateRequire(import.meta.url);',
].join('\n');

/**
 * Bundles what libraries built by rolldown (tsdown) load lazily. Their ESM files call
 * `__require('pkg')`, a `createRequire(import.meta.url)` that esbuild cannot see through, so the
 * package was left out of the bundle and looked up beside dist/ at run time, where only "dependencies"
 * are installed (the OTLP gRPC exporter could not find @grpc/grpc-js in the images). Rewritten to plain
 * `require('pkg')`, esbuild bundles the package and the call stays lazy.
 */
export function bundleLazyRequires() {
  const importsRuntimeRequire = /import\s*\{[^}]*\b__require\b[^}]*\}\s*from\s*["'][^"']*_virtual[^"']*["']/;
  const lazyRequire = /\b__require\((["'])([^"'./][^"']*)\1\)/g;
  return {
    name: 'bundle-lazy-requires',
    setup(b) {
      b.onLoad({ filter: /[\\/]node_modules[\\/].*\.mjs$/ }, async (args) => {
        const text = await readFile(args.path, 'utf8');
        if (!importsRuntimeRequire.test(text)) return undefined;
        return { contents: text.replace(lazyRequire, 'require($1$2$1)'), loader: 'js' };
      });
    },
  };
}
