import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  BOT_VARIABLES,
  CLI_VARIABLES,
  type ConfigVariable,
  MCP_VARIABLES,
  POLICY_VARIABLES,
  SERVER_VARIABLES,
} from '@parley/config';
import { describe, expect, it } from 'vitest';
import { resolveServerUrl } from '../../cli/src/io/command-context.ts';

// The variable tables in docs/ and .env.example must say what packages/config says (which its own tests
// hold to the zod schemas): every variable, each with its real default. Each app's table lives on its
// docs page; a page's variable rows are all read, wherever on the page they are.

const root = join(import.meta.dirname, '..', '..');
const envExample = readFileSync(join(root, '.env.example'), 'utf8');

function docsPage(page: string): string {
  return readFileSync(join(root, 'docs', page), 'utf8');
}

/** The rows of a `| Variable | Default | Meaning |` table: name → default cell. */
function variableTable(text: string): Map<string, string> {
  const rows = new Map<string, string>();
  for (const match of text.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \| ([^|]*) \|/gm)) {
    rows.set(match[1] ?? '', (match[2] ?? '').trim());
  }
  return rows;
}

function expectedCell(variable: ConfigVariable): string {
  return variable.default === undefined ? (variable.defaultNote ?? '') : `\`${variable.default}\``;
}

describe.each([
  { app: 'server', page: 'configuration.md', variables: [...SERVER_VARIABLES, ...MCP_VARIABLES] },
  { app: 'policy', page: 'cost-control.md', variables: POLICY_VARIABLES },
  { app: 'bot', page: 'bot.md', variables: BOT_VARIABLES },
  { app: 'CLI', page: 'cli.md', variables: CLI_VARIABLES },
])('the $app configuration table in docs/$page', ({ page, variables }) => {
  it('lists exactly the variables the config reads, each with its real default', () => {
    const documented = Object.fromEntries(variableTable(docsPage(page)));
    const expected = Object.fromEntries(variables.map((v) => [v.name, expectedCell(v)]));
    expect(documented).toEqual(expected);
  });
});

describe('.env.example', () => {
  // `NAME=value` or `# NAME=value`; comment prose never starts with an upper-case name and `=`.
  const assignments = [...envExample.matchAll(/^(?:# )?([A-Z][A-Z0-9_]*)=(.*)$/gm)].map((m) => ({
    name: m[1] ?? '',
    value: (m[2] ?? '').trim(),
  }));
  const all = [
    ...SERVER_VARIABLES,
    ...MCP_VARIABLES,
    ...POLICY_VARIABLES,
    ...BOT_VARIABLES,
    ...CLI_VARIABLES,
  ];

  it('shows every variable, with its real default where it has one', () => {
    for (const variable of all) {
      const shown = assignments.filter((a) => a.name === variable.name);
      expect(shown.length, `${variable.name} is missing`).toBeGreaterThan(0);
      if (variable.default === undefined) continue;
      for (const { value } of shown) expect(value, variable.name).toBe(variable.default);
    }
  });

  it('shows nothing that nobody reads', () => {
    // Besides ours: the OpenTelemetry SDK's standard variables and what docker-compose.yml substitutes.
    const compose = readFileSync(join(root, 'docker-compose.yml'), 'utf8');
    const composeNames = new Set([...compose.matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]));
    const ours = new Set(all.map((v) => v.name));
    const unknown = assignments
      .map((a) => a.name)
      .filter((name) => !ours.has(name) && !composeNames.has(name) && !name.startsWith('OTEL_'));
    expect(unknown).toEqual([]);
  });
});

describe('the CLI variables table', () => {
  it('names every variable the CLI reads', () => {
    // The CLI has no schema; its source is the truth. Variables of the OS (USER, HOME) are not ours.
    const dir = join(root, 'cli', 'src');
    const sources = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter(
      (file) => file.endsWith('.ts') && !file.endsWith('.test.ts') && !file.startsWith('testing'),
    );
    const read = new Set<string>(['PARLEY_LOCAL_KEY_FILE']); // via defaultLocalKeyFile in @parley/config
    for (const file of sources) {
      for (const match of readFileSync(join(dir, file), 'utf8').matchAll(/env\.([A-Z][A-Z0-9_]*)/g)) {
        if (!['USER', 'LOGNAME', 'HOME', 'XDG_CONFIG_HOME'].includes(match[1] ?? ''))
          read.add(match[1] ?? '');
      }
    }
    expect(CLI_VARIABLES.map((v) => v.name).sort()).toEqual([...read].sort());
  });

  it('gives the CLI’s real default server URL', () => {
    const documented = CLI_VARIABLES.find((v) => v.name === 'PARLEY_URL')?.default;
    expect(resolveServerUrl({}, {})).toBe(documented);
  });
});
