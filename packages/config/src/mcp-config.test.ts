// biome-ignore-all lint/suspicious/noTemplateCurlyInString: MCP config values spell ${VAR} literally.
import { describe, expect, it } from 'vitest';
import { ConfigError, redact } from './config-error.ts';
import { loadMcpConfig } from './mcp-config.ts';

const noFile = {
  readFile: (path: string): string => {
    throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
  },
};

function problemsOf(load: () => unknown): string[] {
  try {
    load();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadMcpConfig', () => {
  it('has no servers when neither variable is set', () => {
    expect(loadMcpConfig({}, noFile)).toEqual([]);
  });

  it('reads stdio and HTTP servers from the mcpServers file, resolving ${VAR} in headers and env', () => {
    const file = JSON.stringify({
      mcpServers: {
        everything: {
          command: 'npx',
          args: ['-y', '@modelcontextprotocol/server-everything'],
          env: { TOKEN: '${GH}' },
        },
        docs: {
          url: 'https://mcp.example.com/mcp',
          headers: { Authorization: 'Bearer ${env:DOCS_TOKEN}' },
          timeoutMs: 5000,
        },
      },
    });
    const servers = loadMcpConfig(
      { MCP_CONFIG: '/etc/parley/mcp.json', GH: 'ghp_secret', DOCS_TOKEN: 'tok_123' },
      { readFile: (path) => (path === '/etc/parley/mcp.json' ? file : '') },
    );
    expect(servers).toEqual([
      {
        name: 'everything',
        transport: 'stdio',
        command: 'npx',
        args: ['-y', '@modelcontextprotocol/server-everything'],
        env: { TOKEN: 'ghp_secret' },
      },
      {
        name: 'docs',
        transport: 'http',
        url: 'https://mcp.example.com/mcp',
        headers: { Authorization: 'Bearer tok_123' },
        timeoutMs: 5000,
      },
    ]);
  });

  it('takes MCP_SERVERS inline, with or without the mcpServers wrapper, and skips disabled servers', () => {
    const servers = loadMcpConfig(
      {
        MCP_SERVERS: JSON.stringify({
          a: { url: 'http://127.0.0.1:9000/mcp', clients: ['cli'] },
          off: { command: 'node', disabled: true },
        }),
      },
      { ...noFile, knownClients: ['cli', 'bot'] },
    );
    expect(servers).toEqual([
      { name: 'a', transport: 'http', url: 'http://127.0.0.1:9000/mcp', headers: {}, clients: ['cli'] },
    ]);
  });

  it('lists every problem at once and never echoes a header or env value', () => {
    const problems = problemsOf(() =>
      loadMcpConfig(
        {
          MCP_CONFIG: '/missing.json',
          MCP_SERVERS: JSON.stringify({
            'bad name': { command: 'x' },
            a__b: { url: 'http://x/mcp' },
            both: { command: 'x', url: 'http://x' },
            neither: { args: [] },
            sse: { type: 'sse', url: 'http://x/sse' },
            ftp: { url: 'ftp://x/mcp' },
            typo: { command: 'x', header: {} },
            auth: { url: 'http://x/mcp', headers: { Authorization: 'Bearer ${MISSING} sk-literal-secret' } },
            who: { url: 'http://x/mcp', clients: ['stranger'], timeoutMs: 5 },
          }),
        },
        { ...noFile, knownClients: ['bot'] },
      ),
    );
    expect(problems).toEqual([
      'MCP_CONFIG: cannot read /missing.json (ENOENT)',
      'MCP_SERVERS: server "bad name": names match [A-Za-z0-9_-]{1,32} without "__" (they prefix tool names)',
      'MCP_SERVERS: server "a__b": names match [A-Za-z0-9_-]{1,32} without "__" (they prefix tool names)',
      'MCP_SERVERS: server "both": give either "command" (stdio) or "url" (streamable HTTP), not both or neither',
      'MCP_SERVERS: server "neither": give either "command" (stdio) or "url" (streamable HTTP), not both or neither',
      'MCP_SERVERS: server "sse": the SSE transport is deprecated and not supported; use streamable HTTP',
      'MCP_SERVERS: server "ftp": url: must be an http(s) URL',
      expect.stringMatching(/^MCP_SERVERS: server "typo": .*header/),
      'MCP_SERVERS: server "auth": headers: Authorization uses ${MISSING}, which is not set',
      expect.stringMatching(/^MCP_SERVERS: server "who": timeoutMs: /),
    ]);
    expect(problems.join('\n')).not.toContain('sk-literal-secret');
  });

  it('names clients missing from API_KEYS and servers named twice', () => {
    const problems = problemsOf(() =>
      loadMcpConfig(
        {
          MCP_CONFIG: 'mcp.json',
          MCP_SERVERS: JSON.stringify({ Docs: { url: 'http://x/mcp', clients: ['bot', 'ghost'] } }),
        },
        {
          readFile: () => JSON.stringify({ mcpServers: { docs: { command: 'docs-server' } } }),
          knownClients: ['bot'],
        },
      ),
    );
    expect(problems).toEqual([
      'MCP_SERVERS: server "Docs": the name is already used in MCP_CONFIG',
      'MCP_SERVERS: server "Docs": clients: "ghost" is not a client in API_KEYS',
    ]);
  });

  it('reports bad JSON without quoting it', () => {
    const problems = problemsOf(() => loadMcpConfig({ MCP_SERVERS: '{"a": {"headers": sk-secret' }, noFile));
    expect(problems).toEqual(['MCP_SERVERS: not valid JSON']);
  });

  it('is printed with every header and env value redacted', () => {
    const servers = loadMcpConfig(
      {
        MCP_SERVERS: JSON.stringify({
          gh: { command: 'gh-mcp', env: { GITHUB_PAT: 'ghp_x' } },
          docs: { url: 'https://u:pw@x.example/mcp', headers: { Authorization: 'Bearer y' } },
        }),
      },
      noFile,
    );
    const printed = JSON.stringify(redact({ mcp: servers }));
    expect(printed).not.toMatch(/ghp_x|Bearer y|:pw@/);
    expect(printed).toContain('"Authorization":"[redacted]"');
  });
});
