#!/usr/bin/env node
// Development launcher: runs the CLI from its TypeScript sources through tsx, with workspace packages
// resolved to their sources (the `@parley/source` export condition) instead of their dist/ builds.
// The installed `parley` command is the bundled dist/parley.js (`pnpm build`); see docs/cli.md.
import { register as registerHooks } from 'node:module';
import { register } from 'tsx/esm/api';

const addSourceCondition =
  'export function resolve(specifier, context, next) {' +
  "  return next(specifier, { ...context, conditions: [...context.conditions, '@parley/source'] });" +
  '}';
registerHooks(`data:text/javascript,${encodeURIComponent(addSourceCondition)}`);
register();
await import('../src/main.ts');
