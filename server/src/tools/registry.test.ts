import { Writable } from 'node:stream';
import { createLogger } from '@parley/logger';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineTool, type Tool, type ToolServices } from './define-tool.ts';
import { fakeToolServices } from './fake-tool-services.ts';
import { builtinTools } from './index.ts';
import { ToolRegistry } from './registry.ts';
import { toolOk } from './tool-runner.ts';

const logger = createLogger({ name: 'test', level: 'silent', pretty: false });

const echo = defineTool({
  name: 'echo',
  description: 'Echoes its input',
  parameters: z
    .object({
      text: z.string().min(1).max(10),
      times: z.number().int().min(1).max(3).optional(),
      loud: z.boolean().default(false),
      tags: z.array(z.object({ name: z.string(), note: z.string().optional() })).optional(),
    })
    .strict(),
  execute: async (input) => toolOk(input),
});

function tool(name: string, execute: Tool['execute']): Tool {
  return defineTool({ name, description: `the ${name} tool`, parameters: z.object({}).strict(), execute });
}

function registry(
  tools: readonly Tool[],
  options: { timeoutMs?: number; enabled?: string[]; services?: Partial<ToolServices> } = {},
) {
  const services = fakeToolServices({ logger, ...options.services });
  return new ToolRegistry(tools, {
    timeoutMs: options.timeoutMs ?? 1000,
    enabled: options.enabled,
    services,
  });
}

/** Every object node of a schema, depth first. */
function objectNodes(node: unknown): Array<Record<string, unknown>> {
  if (typeof node !== 'object' || node === null) return [];
  const children = Object.values(node).flatMap((value) =>
    Array.isArray(value) ? value.flatMap(objectNodes) : objectNodes(value),
  );
  return (node as { type?: unknown }).type === 'object'
    ? [node as Record<string, unknown>, ...children]
    : children;
}

describe('ToolRegistry', () => {
  it('rejects two tools with the same name', () => {
    expect(() => registry([echo, echo])).toThrow(/two tools are named "echo"/);
  });

  it('rejects enabling a tool that does not exist', () => {
    expect(() => registry([echo], { enabled: ['echo', 'missing'] })).toThrow(
      /unknown tools enabled: missing/,
    );
  });

  it('rejects a tool name the model API would refuse', () => {
    expect(() => tool('has space', async () => toolOk('x'))).toThrow(/must match/);
  });

  it.each(builtinTools.map((t) => [t.name, t] as const))(
    'gives %s a strict-mode JSON schema',
    (_, builtin) => {
      const [definition] = registry([builtin]).definitions();
      expect(definition?.parameters.type).toBe('object');
      const nodes = objectNodes(definition?.parameters);
      expect(nodes.length).toBeGreaterThan(0);
      for (const node of nodes) {
        expect(node.additionalProperties).toBe(false);
        expect(node.required).toEqual(Object.keys(node.properties as object));
      }
      expect(JSON.stringify(definition)).not.toMatch(/"(\$schema|default|minLength|maxLength)"/);
    },
  );

  it('makes optional properties required but nullable, nested ones too', () => {
    const [definition] = registry([echo]).definitions();
    const properties = definition?.parameters.properties as Record<string, Record<string, unknown>>;
    expect(properties.text?.type).toBe('string');
    expect(properties.times?.type).toEqual(['integer', 'null']);
    expect(properties.loud?.type).toEqual(['boolean', 'null']);
    const tags = properties.tags as { type: unknown; items: { properties: { note: { type: unknown } } } };
    expect(tags.type).toEqual(['array', 'null']);
    expect(tags.items.properties.note.type).toEqual(['string', 'null']);
  });

  it('treats null for an optional argument as absent, as strict-mode models send it', async () => {
    const args = JSON.stringify({ text: 'hi', times: null, loud: null, tags: [{ name: 'a', note: null }] });
    const result = await registry([echo]).invoke('echo', args);
    expect(result).toMatchObject({ isError: false, outcome: 'ok' });
    expect(JSON.parse(result.content)).toEqual({ text: 'hi', loud: false, tags: [{ name: 'a' }] });
  });

  it('lists only enabled tools', () => {
    const names = registry(builtinTools, { enabled: ['get_datetime'] })
      .definitions()
      .map((d) => d.name);
    expect(names).toEqual(['get_datetime']);
  });

  it('answers a call to a disabled or unknown tool with a readable error', async () => {
    const tools = registry(builtinTools, { enabled: ['get_datetime'] });
    const result = await tools.invoke('get_weather', '{"location":"Paris"}');
    expect(result).toMatchObject({ isError: true, outcome: 'unknown_tool' });
    expect(result.content).toContain('There is no tool named "get_weather". Available tools: get_datetime.');
  });

  it('lists every validation problem for the model', async () => {
    const args = JSON.stringify({ text: '', times: 9, colour: 'red' });
    const result = await registry([echo]).invoke('echo', args);
    expect(result).toMatchObject({ isError: true, outcome: 'invalid' });
    expect(result.content).toMatch(/^Invalid arguments for echo:/);
    expect(result.content).toMatch(/- text: .*>=1 characters/);
    expect(result.content).toMatch(/- times: .*<=3/);
    expect(result.content).toContain('"colour"');
    expect(result.content).toContain('call echo again');
  });

  it('says so when the arguments are not JSON', async () => {
    const result = await registry([echo]).invoke('echo', '{text: hi');
    expect(result).toMatchObject({ isError: true, outcome: 'invalid' });
    expect(result.content).toContain('not valid JSON');
  });

  it('reads empty arguments as an empty object', async () => {
    const result = await registry([tool('ping', async () => toolOk('pong'))]).invoke('ping', '');
    expect(result).toEqual({ content: 'pong', isError: false, outcome: 'ok', source: 'builtin' });
  });

  it('stops a tool that runs past the timeout, even one ignoring its signal', async () => {
    let sawAbort = false;
    const slow = tool('slow', (_, ctx) => {
      ctx.signal.addEventListener('abort', () => (sawAbort = true));
      return new Promise(() => {});
    });
    const result = await registry([slow], { timeoutMs: 50 }).invoke('slow', '{}');
    expect(result).toMatchObject({ isError: true, outcome: 'timeout' });
    expect(result.content).toContain('slow did not answer within 0.1 s');
    expect(sawAbort).toBe(true);
  });

  it('reports a cancelled turn as cancelled, not as a timeout', async () => {
    const turn = new AbortController();
    const waiting = tool('waiting', () => new Promise(() => {}));
    const call = registry([waiting]).invoke('waiting', '{}', { signal: turn.signal });
    turn.abort();
    expect(await call).toMatchObject({
      isError: true,
      outcome: 'error',
      content: expect.stringContaining('cancelled'),
    });
  });

  it('turns a thrown error into safe text and logs the cause', async () => {
    const lines: string[] = [];
    const destination = new Writable({ write: (chunk, _, done) => done(void lines.push(String(chunk))) });
    const services = { logger: createLogger({ name: 't', pretty: false, destination }) };
    const broken = tool('broken', async () => {
      throw new Error('ECONNREFUSED 10.0.0.7:5432 password=hunter2');
    });
    const sync = tool('sync', () => {
      throw new Error('synchronous');
    });
    const result = await registry([broken, sync], { services }).invoke('broken', '{}');
    expect(result).toMatchObject({ isError: true, outcome: 'error' });
    expect(result.content).toBe(
      'broken failed. Tell the user it is not working right now; do not guess its result.',
    );
    expect(lines.join('')).toContain('ECONNREFUSED');
    expect(await registry([broken, sync], { services }).invoke('sync', '{}')).toMatchObject({
      outcome: 'error',
    });
  });

  it('JSON-encodes object results and keeps the outcome a tool reports', async () => {
    const sourced = tool('sourced', async () => toolOk({ a: 1 }, 'cached'));
    expect(await registry([sourced]).invoke('sourced', '{}')).toEqual({
      content: '{"a":1}',
      isError: false,
      outcome: 'cached',
      source: 'builtin',
    });
  });

  it('gives each call its services and a signal of its own', async () => {
    const seen: string[] = [];
    const clocked = tool('clocked', async (_, ctx) => {
      seen.push(ctx.clock().toISOString(), String(ctx.signal.aborted));
      return toolOk('ok');
    });
    const clock = () => new Date('2030-01-01T00:00:00Z');
    const tools = registry([clocked], { services: { clock } });
    expect(tools.definitions().map((d) => d.name)).toEqual(['clocked']);
    const result = await tools.invoke('clocked', '{}', { signal: new AbortController().signal });
    expect(result).toMatchObject({ content: 'ok', isError: false });
    expect(seen).toEqual(['2030-01-01T00:00:00.000Z', 'false']);
  });

  it('cuts results that would flood the context', async () => {
    const chatty = tool('chatty', async () => toolOk('x'.repeat(100)));
    const tools = new ToolRegistry([chatty], {
      timeoutMs: 1000,
      services: fakeToolServices(),
      maxResultChars: 10,
    });
    expect((await tools.invoke('chatty', '{}')).content).toBe('xxxxxxxxxx… [result truncated]');
  });
});
