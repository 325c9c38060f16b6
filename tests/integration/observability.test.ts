import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedLlm } from '../../server/src/assistant/scripted-llm.ts';
import type { ComponentStatus } from '../../server/src/observability/readiness.ts';
import { type FakeWeatherApi, startFakeWeatherApi } from '../support/fake-weather-api.ts';
import { type OpenAiStandIn, type StandInUsage, startOpenAiStandIn } from '../support/openai-stand-in.ts';
import { type RunningParley, startParley, TEST_KEY, waitForRedis } from '../support/parley.ts';
import { type PrivateRedis, startPrivateRedis } from '../support/private-redis.ts';
import { matching, parseExposition, scrape, total } from '../support/prometheus-text.ts';

// Metrics and readiness through the real server: turns go client → HTTP edge → Twirp → assistant →
// OpenAI-compatible stand-in (and the weather tool → fake provider), then /metrics and /ready are read.

const cli = { platform: 'cli', userId: 'metrics', chatId: '' };
const usage = (prompt_tokens: number, completion_tokens: number): StandInUsage => ({
  prompt_tokens,
  completion_tokens,
});
const weatherCall = (id: string) => ({
  toolCalls: [{ id, name: 'get_weather', arguments: { location: 'Oslo' } }],
  usage: usage(20, 5),
});

describe('/metrics after a few turns', () => {
  let model: OpenAiStandIn;
  let weather: FakeWeatherApi;
  let parley: RunningParley;

  beforeAll(async () => {
    [model, weather] = await Promise.all([startOpenAiStandIn(), startFakeWeatherApi()]);
    parley = await startParley({
      env: {
        OPENAI_BASE_URL: model.url,
        OPENAI_API_KEY: 'test',
        WEATHER_API_URL: weather.url,
        WEATHER_API_KEY: weather.apiKey,
      },
    });
    const client = parley.client();
    model.script({ reply: 'Hello!', usage: usage(11, 4) });
    const first = await client.startConversation({ message: 'hello', session: cli });
    model.script(weatherCall('w1'), { reply: 'Sunny.', usage: usage(30, 6) });
    await client.continueConversation({
      conversationId: first.conversation?.id,
      message: 'weather?',
      session: cli,
    });
    model.script(weatherCall('w2'), { reply: 'Still sunny.', usage: usage(30, 6) });
    await client.startConversation({ message: 'Oslo weather again?', session: cli });
    await expect(client.describeConversation({ conversationId: 'nope', session: cli })).rejects.toThrow();
    await expect(parley.client({ apiKey: 'wrong-key-0123456789' }).listConversations({})).rejects.toThrow();
    const telegram = { platform: 'telegram', userId: '7', chatId: 'm1' };
    for (const message of ['one', 'two']) {
      model.script({ reply: `re: ${message}`, usage: usage(5, 2) });
      await client.continueConversation({ message, session: telegram });
    }
    await fetch(`${parley.url}/twirp/parley.chat.v1.ChatService/Nope`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json' },
      body: '{}',
    });
  });
  afterAll(async () => {
    await parley.cleanup();
    await Promise.all([model.close(), weather.close()]);
  });

  it('counts RPCs by method and Twirp code, with a latency histogram', async () => {
    const samples = await scrape(parley.url);
    const rpcs = (method: string, code: string) =>
      total(samples, 'parley_rpc_requests_total', { method, code });
    expect(rpcs('StartConversation', 'ok')).toBe(2);
    expect(rpcs('ContinueConversation', 'ok')).toBe(3);
    expect(rpcs('DescribeConversation', 'not_found')).toBe(1);
    expect(rpcs('ListConversations', 'unauthenticated')).toBe(1);
    expect(rpcs('unknown', 'bad_route')).toBe(1);
    expect(matching(samples, 'parley_rpc_requests_total', { method: 'Nope' })).toEqual([]);
    const histogram = { method: 'StartConversation', code: 'ok' };
    expect(total(samples, 'parley_rpc_duration_seconds_count', histogram)).toBe(2);
    expect(total(samples, 'parley_rpc_duration_seconds_bucket', { ...histogram, le: '+Inf' })).toBe(2);
  });

  it('counts model calls and the tokens the provider reported', async () => {
    const samples = await scrape(parley.url);
    const model = { model: 'gpt-4o-mini' };
    expect(total(samples, 'parley_model_calls_total', { ...model, outcome: 'ok' })).toBe(7);
    expect(total(samples, 'parley_model_duration_seconds_count', model)).toBe(7);
    expect(total(samples, 'parley_model_tokens_total', { ...model, kind: 'prompt' })).toBe(
      11 + 20 + 30 + 20 + 30 + 5 + 5,
    );
    expect(total(samples, 'parley_model_tokens_total', { ...model, kind: 'completion' })).toBe(
      4 + 5 + 6 + 5 + 6 + 2 + 2,
    );
  });

  it('counts tool calls by outcome and the cache behind them', async () => {
    const samples = await scrape(parley.url);
    const tool = { tool: 'get_weather' };
    expect(total(samples, 'parley_tool_calls_total', { ...tool, outcome: 'fresh' })).toBe(1);
    expect(total(samples, 'parley_tool_calls_total', { ...tool, outcome: 'cached' })).toBe(1);
    expect(total(samples, 'parley_tool_duration_seconds_count', tool)).toBe(2);
    expect(total(samples, 'parley_cache_requests_total', { cache: 'weather', result: 'miss' })).toBe(1);
    expect(total(samples, 'parley_cache_requests_total', { cache: 'weather', result: 'hit' })).toBe(1);
    expect(weather.requestCount).toBe(1);
  });

  it('shows every breaker closed, session lookups by source, and the process defaults', async () => {
    const samples = await scrape(parley.url);
    for (const breaker of ['model', 'weather', 'holidays']) {
      expect(matching(samples, 'parley_circuit_breaker_state', { breaker })).toEqual([
        expect.objectContaining({ value: 0 }),
      ]);
    }
    expect(total(samples, 'parley_session_lookups_total', { source: 'new' })).toBe(1);
    expect(total(samples, 'parley_session_lookups_total', { source: 'session' })).toBe(1);
    expect(total(samples, 'parley_session_store_fallbacks_total')).toBe(0);
    expect(matching(samples, 'parley_process_cpu_user_seconds_total')).toHaveLength(1);
    expect(samples.every((s) => s.name.startsWith('parley_'))).toBe(true);
    const labels = samples.flatMap((s) => Object.values(s.labels));
    expect(labels.some((value) => /metrics|^7$|^m1$/.test(value))).toBe(false);
  });
});

describe('/metrics behind METRICS_TOKEN', () => {
  const token = 'scrape-0123456789abcdef';
  let parley: RunningParley;
  beforeAll(async () => {
    parley = await startParley({ env: { METRICS_TOKEN: token } });
  });
  afterAll(() => parley.cleanup());

  it('answers 401 without the token or with another one, and the exposition with it', async () => {
    expect((await fetch(`${parley.url}/metrics`)).status).toBe(401);
    const wrong = await fetch(`${parley.url}/metrics`, { headers: { authorization: `Bearer ${TEST_KEY}` } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toBe('Bearer');
    const ok = await fetch(`${parley.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(parseExposition(await ok.text()).length).toBeGreaterThan(10);
  });
});

describe('a model whose circuit opens', () => {
  let model: OpenAiStandIn;
  let parley: RunningParley;
  beforeAll(async () => {
    model = await startOpenAiStandIn();
    parley = await startParley({
      env: { OPENAI_BASE_URL: model.url, OPENAI_API_KEY: 'test', OPENAI_MAX_RETRIES: '0' },
    });
  });
  afterAll(async () => {
    await parley.cleanup();
    await model.close();
  });

  it('counts unavailable turns, shows the breaker open, and stays ready', async () => {
    const client = parley.client();
    model.setDefault(() => ({ status: 503, body: { error: { message: 'overloaded' } } }));
    for (let i = 0; i < 6; i++) {
      await expect(client.startConversation({ message: `try ${i}`, session: cli })).rejects.toThrow();
    }
    expect(model.requests).toHaveLength(5);
    const samples = await scrape(parley.url);
    expect(total(samples, 'parley_rpc_requests_total', { code: 'unavailable' })).toBe(6);
    expect(total(samples, 'parley_model_calls_total', { outcome: 'unavailable' })).toBe(6);
    expect(total(samples, 'parley_circuit_breaker_state', { breaker: 'model' })).toBe(1);
    const ready = await fetch(`${parley.url}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ components: { model: { ok: false, optional: true } } });
  });
});

describe('/health and /ready with Redis up and down', () => {
  let redis: PrivateRedis;
  let parley: RunningParley;
  const chat = { platform: 'telegram', userId: '9', chatId: 'ready-1' };

  beforeAll(async () => {
    redis = await startPrivateRedis();
    parley = await startParley({ env: { REDIS_URL: redis.url }, overrides: { llm: new ScriptedLlm() } });
  });
  afterAll(async () => {
    await parley.cleanup();
    await redis.kill();
  });

  const ready = async () => {
    const response = await fetch(`${parley.url}/ready`);
    const body = (await response.json()) as { components: Record<string, ComponentStatus> };
    return { status: response.status, body };
  };

  it('is live and ready with every component ok while Redis is up', async () => {
    expect((await fetch(`${parley.url}/health`)).status).toBe(200);
    // The server connects to Redis in the background (it must start while Redis is down): wait for it.
    await waitForRedis(parley.url);
    expect(await ready()).toMatchObject({
      status: 200,
      body: {
        status: 'ready',
        components: {
          store: { ok: true },
          redis: { ok: true, optional: true },
          model: { ok: true, detail: 'circuit closed' },
        },
      },
    });
  });

  it('stays ready with Redis down, serves chats from the store, and counts the fallbacks', async () => {
    const client = parley.client();
    const first = await client.continueConversation({ message: 'before', session: chat });
    await redis.kill();
    const during = await client.continueConversation({ message: 'during', session: chat });
    expect(during.conversationId).toBe(first.conversationId);
    expect(await ready()).toMatchObject({
      status: 200,
      body: { status: 'ready', components: { redis: { ok: false, optional: true } } },
    });
    const samples = await scrape(parley.url);
    expect(total(samples, 'parley_session_store_fallbacks_total')).toBeGreaterThanOrEqual(1);
    expect(total(samples, 'parley_session_lookups_total', { source: 'store' })).toBe(1);
    expect((await fetch(`${parley.url}/health`)).status).toBe(200);
  });

  it('reports Redis ok again once it is back', async () => {
    await redis.restart();
    await waitForRedis(parley.url);
    const { body } = await ready();
    expect(body.components.redis).toEqual({ ok: true, detail: 'redis', optional: true });
  });
});
