import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { ToolSourceListener, ToolSourceState } from '../mcp/external-tool.ts';
import { BoundedLabel } from './metrics.ts';
import type { ComponentStatus } from './readiness.ts';

/** Metrics per MCP server and tool, fed by the sources' events. No user or conversation ids as labels. */
export interface McpMetrics {
  /** Calls by server, the server's own tool name and outcome (`ok`, `error`, `invalid`, `timeout`, …). */
  readonly calls: Counter<'server' | 'tool' | 'outcome'>;
  readonly duration: Histogram<'server' | 'tool'>;
  /** 1 while the server is connected and its tools offered, 0 otherwise. */
  readonly up: Gauge<'server'>;
  /** Tools each server offers now. */
  readonly tools: Gauge<'server'>;
}

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
// A server names its tools and may add some at any time: bound the series per server.
const MAX_TOOL_LABELS = 100;

export function createMcpMetrics(registry: Registry): McpMetrics {
  const registers = [registry];
  return {
    calls: new Counter({
      name: 'parley_mcp_tool_calls_total',
      help: 'MCP tool calls, by server, tool and outcome',
      labelNames: ['server', 'tool', 'outcome'],
      registers,
    }),
    duration: new Histogram({
      name: 'parley_mcp_tool_duration_seconds',
      help: 'MCP tool call latency, by server and tool',
      labelNames: ['server', 'tool'],
      buckets: BUCKETS,
      registers,
    }),
    up: new Gauge({
      name: 'parley_mcp_server_up',
      help: 'Whether an MCP server is connected and its tools offered (1) or not (0)',
      labelNames: ['server'],
      // WORKERS > 1: every worker connects on its own; the pool reports up only while all of them are.
      aggregator: 'min',
      registers,
    }),
    tools: new Gauge({
      name: 'parley_mcp_server_tools',
      help: 'Tools an MCP server offers now',
      labelNames: ['server'],
      aggregator: 'max',
      registers,
    }),
  };
}

/** A listener for every MCP source's events that keeps {@link McpMetrics} current. */
export function recordMcpEvents(metrics: McpMetrics): ToolSourceListener {
  const toolLabels = new Map<string, BoundedLabel>();
  const label = (server: string, tool: string) => {
    const labels = toolLabels.get(server) ?? new BoundedLabel(MAX_TOOL_LABELS);
    toolLabels.set(server, labels);
    return labels.admit(tool);
  };
  return (event) => {
    if (event.type === 'call') {
      const tool = label(event.source, event.tool);
      metrics.calls.inc({ server: event.source, tool, outcome: event.outcome });
      metrics.duration.observe({ server: event.source, tool }, event.durationMs / 1000);
    } else if (event.type === 'state') {
      metrics.up.set({ server: event.source }, event.state.status === 'ready' ? 1 : 0);
    } else {
      metrics.tools.set({ server: event.source }, event.tools.length);
    }
  };
}

/**
 * Each MCP server as an optional `/ready` component (`mcp:<server>`): reported, never fatal, since turns
 * go on without its tools. The detail is the state and the last error, already free of secrets.
 */
export function mcpReadiness(states: Record<string, ToolSourceState>): Record<string, ComponentStatus> {
  const components: Record<string, ComponentStatus> = {};
  for (const [server, state] of Object.entries(states)) {
    const detail =
      state.status === 'ready'
        ? `ready, ${state.tools} tools`
        : `${state.status}${state.lastError ? `: ${state.lastError}` : ''}`;
    components[`mcp:${server}`] = { ok: state.status === 'ready', detail, optional: true };
  }
  return components;
}
