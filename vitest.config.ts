import { defineConfig } from 'vitest/config';

// CI asks for a JSON report (see .ci/run) to print its own "N passed, N failed" line.
const report = process.env.PARLEY_TEST_REPORT;

// Workspace packages export dist/ by default (production); tests run their TypeScript sources through
// the `@parley/source` condition, as typecheck (tsconfig customConditions) and tsx runs do.
const sourceConditions = ['@parley/source', 'module', 'node', 'development'];

export default defineConfig({
  resolve: { conditions: sourceConditions },
  ssr: { resolve: { conditions: sourceConditions, externalConditions: ['@parley/source'] } },
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'server/src/**/*.test.ts',
      'cli/src/**/*.test.ts',
      'bot/src/**/*.test.ts',
      'tests/**/*.test.ts',
    ],
    // Sources the dependency rules are tried on, named like tests on purpose: not tests themselves.
    exclude: ['**/node_modules/**', 'tests/architecture/fixtures/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    reporters: report ? ['default', ['json', { outputFile: report }]] : ['default'],
    env: { OTEL_SDK_DISABLED: 'true', LOG_LEVEL: 'silent' },
  },
});
