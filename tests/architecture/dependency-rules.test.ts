import { readFileSync } from 'node:fs';
import { cruise, type ICruiseResult, type IForbiddenRuleType } from 'dependency-cruiser';
import { describe, expect, it } from 'vitest';

// The rules `pnpm check:deps` applies to server/src, pointed at small fixtures instead: proof that each
// rule catches what it is for, and passes a layout that keeps to it.
const config = JSON.parse(readFileSync('.dependency-cruiser.json', 'utf8')) as {
  forbidden: IForbiddenRuleType[];
};

async function violations(fixture: string): Promise<string[]> {
  const root = `tests/architecture/fixtures/${fixture}`;
  const forbidden = JSON.parse(JSON.stringify(config.forbidden).replaceAll('^server/src', `^${root}`));
  const result = await cruise([root], {
    validate: true,
    ruleSet: { forbidden },
    includeOnly: `^${root}`,
    tsPreCompilationDeps: true,
  });
  const output = result.output as ICruiseResult;
  return [...new Set(output.summary.violations.map((v) => v.rule.name))].sort();
}

describe('the server dependency rules', () => {
  it('reject two folders that import each other, even without a module cycle', async () => {
    expect(await violations('folder-cycle')).toEqual(['no-folder-cycles']);
  });

  it('reject a module cycle', async () => {
    expect(await violations('module-cycle')).toContain('no-module-cycles');
  });

  it('reject a folder importing a root-level file (the composition root)', async () => {
    expect(await violations('root-import')).toEqual(['no-imports-of-the-root']);
  });

  it('accept dependencies that point one way', async () => {
    expect(await violations('one-way')).toEqual([]);
  });
});
