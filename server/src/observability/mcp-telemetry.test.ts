import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMcpMetrics, mcpReadiness, recordMcpEvents } from './mcp-telemetry.ts';

const since = new Date('2026-01-01T00:00:00Z');

describe('MCP telemetry', () => {
  it('counts calls by server, tool and outcome, and tracks each server being up', async () => {
    const registry = new Registry();
    const record = recordMcpEvents(createMcpMetrics(registry));
    record({ type: 'call', source: 'docs', tool: 'search', outcome: 'ok', durationMs: 120 });
    record({ type: 'call', source: 'docs', tool: 'search', outcome: 'timeout', durationMs: 5000 });
    record({ type: 'state', source: 'docs', state: { status: 'ready', since, tools: 2, attempts: 0 } });
    record({ type: 'tools', source: 'docs', tools: [] });
    const text = await registry.metrics();
    expect(text).toContain('parley_mcp_tool_calls_total{server="docs",tool="search",outcome="ok"} 1');
    expect(text).toContain('parley_mcp_tool_calls_total{server="docs",tool="search",outcome="timeout"} 1');
    expect(text).toContain('parley_mcp_tool_duration_seconds_count{server="docs",tool="search"} 2');
    expect(text).toContain('parley_mcp_server_up{server="docs"} 1');
    expect(text).toContain('parley_mcp_server_tools{server="docs"} 0');
    record({ type: 'state', source: 'docs', state: { status: 'down', since, tools: 0, attempts: 1 } });
    expect(await registry.metrics()).toContain('parley_mcp_server_up{server="docs"} 0');
  });

  it('reports each server as an optional /ready component with its state and last error', () => {
    expect(
      mcpReadiness({
        docs: { status: 'ready', since, tools: 3, attempts: 0 },
        ops: { status: 'down', since, tools: 0, attempts: 2, lastError: 'connect ECONNREFUSED' },
      }),
    ).toEqual({
      'mcp:docs': { ok: true, detail: 'ready, 3 tools', optional: true },
      'mcp:ops': { ok: false, detail: 'down: connect ECONNREFUSED', optional: true },
    });
  });
});
