import { readFileSync } from 'node:fs';
import { cruise, type ICruiseResult, type IForbiddenRuleType } from 'dependency-cruiser';
import { describe, expect, it } from 'vitest';

// The rules `pnpm check:deps` applies to server/src, bot/src and cli/src, pointed at small fixtures
// instead: proof that each rule catches what it is for, and passes a layout that keeps to it.
const config = JSON.parse(readFileSync('.dependency-cruiser.json', 'utf8')) as {
  forbidden: IForbiddenRuleType[];
  options: { includeOnly: string };
};
const APPS = ['server', 'bot', 'cli'];
const APP_ROOTS = '(server|bot|cli)/src';

async function violations(fixture: string): Promise<string[]> {
  const root = `tests/architecture/fixtures/${fixture}`;
  const forbidden = JSON.parse(JSON.stringify(config.forbidden).replaceAll(APP_ROOTS, root));
  const result = await cruise([root], {
    validate: true,
    ruleSet: { forbidden },
    includeOnly: `^${root}`,
    tsPreCompilationDeps: true,
  });
  const output = result.output as ICruiseResult;
  return [...new Set(output.summary.violations.map((v) => v.rule.name))].sort();
}

describe('the dependency rules', () => {
  it('cover every app: check:deps cruises server, bot and cli, and each rule names them all', () => {
    const scripts = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> })
      .scripts;
    for (const app of APPS) expect(scripts['check:deps']).toContain(`${app}/src`);
    expect(config.options.includeOnly).toBe(`^${APP_ROOTS}`);
    for (const rule of config.forbidden) expect(JSON.stringify(rule.from)).toContain(APP_ROOTS);
  });

  it('reject two folders that import each other, even without a module cycle', async () => {
    expect(await violations('folder-cycle')).toEqual(['no-folder-cycles']);
  });

  it('reject a module cycle', async () => {
    expect(await violations('module-cycle')).toContain('no-module-cycles');
  });

  it('reject a folder importing a root-level file (the composition root)', async () => {
    expect(await violations('root-import')).toEqual(['no-imports-of-the-root']);
  });

  it('let tests and test support drive an app through its root', async () => {
    expect(await violations('test-through-root')).toEqual([]);
  });

  it('let test support use the folder whose tests use it', async () => {
    expect(await violations('testing-support')).toEqual([]);
  });

  it('accept dependencies that point one way', async () => {
    expect(await violations('one-way')).toEqual([]);
  });
});
