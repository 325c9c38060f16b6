import { describe, expect, it } from 'vitest';
import { BOT_SCHEMA_KEYS, loadBotConfig } from './bot-config.ts';
import {
  BOT_VARIABLES,
  type ConfigVariable,
  MCP_VARIABLES,
  POLICY_VARIABLES,
  SERVER_VARIABLES,
} from './config-variables.ts';
import { loadMcpConfig } from './mcp-config.ts';
import { policyEnv } from './policy-schema.ts';
import { loadServerConfig, SERVER_SCHEMA_KEYS } from './server-config.ts';

// Read outside the schemas, by defaultLocalKeyFile (the server and the bot both use it).
const OUTSIDE_SCHEMA = ['PARLEY_LOCAL_KEY_FILE'];

const names = (variables: readonly ConfigVariable[]) => variables.map((v) => v.name).sort();

describe.each([
  {
    app: 'server',
    variables: SERVER_VARIABLES,
    schemaKeys: SERVER_SCHEMA_KEYS,
    load: (env: Record<string, string>) => loadServerConfig({ HOME: '/home/test', ...env }),
  },
  {
    app: 'bot',
    variables: BOT_VARIABLES,
    schemaKeys: BOT_SCHEMA_KEYS,
    load: (env: Record<string, string>) =>
      loadBotConfig({ HOME: '/home/test', TELEGRAM_BOT_TOKEN: '1:test', ...env }),
  },
])('the $app variables table', ({ variables, schemaKeys, load }) => {
  it('lists every variable the schema reads, and no other', () => {
    expect(names(variables)).toEqual([...schemaKeys, ...OUTSIDE_SCHEMA].sort());
  });

  it('gives each variable a default or a note, not both', () => {
    for (const variable of variables) {
      expect(
        [variable.default, variable.defaultNote].filter((v) => v !== undefined),
        variable.name,
      ).toHaveLength(1);
    }
  });

  it.each(variables.filter((v) => v.default !== undefined))(
    'documents the real default of $name: setting it changes nothing',
    ({ name, default: value }) => {
      expect(load({ [name]: value ?? '' })).toEqual(load({}));
    },
  );
});

describe('the policy variables table', () => {
  it('lists every variable the policy schema reads, and no other', () => {
    expect(names(POLICY_VARIABLES)).toEqual(Object.keys(policyEnv.shape).sort());
  });
});

describe('the MCP variables table', () => {
  it('lists the variables loadMcpConfig reads', () => {
    const read = new Set<string>();
    const env = new Proxy({} as Record<string, string | undefined>, {
      get: (_target, name) => {
        if (typeof name === 'string') read.add(name);
        return undefined;
      },
    });
    loadMcpConfig(env, { readFile: () => '' });
    expect(names(MCP_VARIABLES)).toEqual([...read].sort());
  });
});
