import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeHolidaysApi, startFakeHolidaysApi } from '../support/fake-holidays-api.ts';
import { type FakeWeatherApi, startFakeWeatherApi } from '../support/fake-weather-api.ts';
import { type OpenAiStandIn, startOpenAiStandIn } from '../support/openai-stand-in.ts';
import { type RunningParley, startParley } from '../support/parley.ts';

// The real server, the real openai SDK against the OpenAI-compatible stand-in, and fake weather and
// holiday APIs over HTTP: a turn goes model → tool → provider → model exactly as in production.

const session = { platform: 'cli', userId: 'tools', chatId: '' };

describe('assistant turns with tools', () => {
  let model: OpenAiStandIn;
  let weather: FakeWeatherApi;
  let holidays: FakeHolidaysApi;
  let parley: RunningParley;

  beforeAll(async () => {
    [model, weather, holidays] = await Promise.all([
      startOpenAiStandIn(),
      startFakeWeatherApi(),
      startFakeHolidaysApi(),
    ]);
    parley = await startParley({
      env: {
        OPENAI_BASE_URL: model.url,
        OPENAI_API_KEY: 'test',
        WEATHER_API_URL: weather.url,
        WEATHER_API_KEY: weather.apiKey,
        HOLIDAYS_API_URL: holidays.url,
        MAX_TOOL_ROUNDS: '3',
        CONTEXT_TOKEN_BUDGET: '1500',
      },
    });
  });
  afterAll(async () => {
    await parley.cleanup();
    await Promise.all([model.close(), weather.close(), holidays.close()]);
  });
  beforeEach(() => {
    model.reset();
    weather.reset();
    holidays.reset();
  });

  const toolMessages = (index: number) =>
    (model.requests[index]?.body.messages ?? [])
      .filter((m) => m.role === 'tool')
      .map((m) => String(m.content));

  it('answers a weather question through the tool, then a follow-up from the same conversation', async () => {
    model.script(
      { toolCalls: [{ id: 'w1', name: 'get_weather', arguments: { location: 'Oslo' } }] },
      { reply: 'It is sunny in Oslo.' },
    );
    const client = parley.client();
    const first = await client.startConversation({ message: 'Weather in Oslo?', session });
    expect(first.reply?.content).toBe('It is sunny in Oslo.');
    expect(first.reply?.toolCalls.map((t) => t.name)).toEqual(['get_weather']);
    expect(toolMessages(1)[0]).toContain('fresh');
    expect(
      model.requests[0]?.body.tools?.map((t) => (t as { function: { name: string } }).function.name).sort(),
    ).toEqual(['get_datetime', 'get_holidays', 'get_weather']);

    model.script(
      { toolCalls: [{ id: 'w2', name: 'get_weather', arguments: { location: 'Oslo', days: 2 } }] },
      { reply: 'Tomorrow looks fine too.' },
    );
    const id = first.conversation?.id ?? '';
    const next = await client.continueConversation({ conversationId: id, message: 'and tomorrow?', session });
    expect(next.toolsUsed).toEqual(['get_weather']);
    const sent = model.requests[2]?.body.messages?.map((m) => m.content) ?? [];
    expect(sent).toEqual(
      expect.arrayContaining(['Weather in Oslo?', 'It is sunny in Oslo.', 'and tomorrow?']),
    );
    expect(toolMessages(3)[0]).toContain('forecast');
    const described = await client.describeConversation({ conversationId: id, session });
    expect(described.messages[1]?.toolCalls[0]).toMatchObject({ name: 'get_weather', isError: false });
  });

  it('serves a repeated lookup from the cache: the provider is called once', async () => {
    const ask = (id: string) => ({
      toolCalls: [{ id, name: 'get_weather', arguments: { location: 'Bergen' } }],
    });
    model.script(ask('c1'), { reply: 'one' }, ask('c2'), { reply: 'two' });
    const client = parley.client();
    await client.startConversation({ message: 'Bergen?', session });
    await client.startConversation({ message: 'Bergen again?', session });
    expect(weather.requestCount).toBe(1);
    expect(toolMessages(3)[0]).toContain('cached');
  });

  it('opens the breaker after repeated provider failures and answers unavailable without calling it', async () => {
    weather.fail(503);
    const client = parley.client();
    for (let i = 0; i < 6; i++) {
      model.script(
        { toolCalls: [{ id: `f${i}`, name: 'get_weather', arguments: { location: `Nowhere-${i}` } }] },
        { reply: 'The weather service is unavailable.' },
      );
      await client.startConversation({ message: `weather ${i}?`, session });
    }
    const callsWhenOpen = weather.requestCount;
    model.script(
      { toolCalls: [{ id: 'f-open', name: 'get_weather', arguments: { location: 'Tromsø' } }] },
      { reply: 'Still unavailable.' },
    );
    await client.startConversation({ message: 'weather now?', session });
    expect(weather.requestCount).toBe(callsWhenOpen);
    expect(toolMessages(model.requests.length - 1)[0]).toMatch(/unavailable/i);
    weather.heal();
  });

  it('gives the model a validation message for bad tool arguments', async () => {
    model.script(
      { toolCalls: [{ id: 'bad', name: 'get_holidays', arguments: { country_code: 'Norway!!' } }] },
      { reply: 'Which country code?' },
    );
    const reply = await parley.client().startConversation({ message: 'holidays?', session });
    expect(reply.reply?.content).toBe('Which country code?');
    expect(toolMessages(1)[0]).toMatch(/invalid|country/i);
    expect(holidays.requestCount).toBe(0);
  });

  it('stops tool rounds at the cap and still answers', async () => {
    const ask = (id: string) => ({ toolCalls: [{ id, name: 'get_datetime', arguments: {} }] });
    model.script(ask('t1'), ask('t2'), ask('t3'), { reply: 'Enough tools.' });
    const reply = await parley.client().startConversation({ message: 'time?', session });
    expect(reply.reply?.content).toBe('Enough tools.');
    expect(model.requests).toHaveLength(4);
    expect(model.requests[3]?.body.tools).toBeUndefined();
  });

  it('keeps what is sent to the model within budget for a 1,000-message conversation', async () => {
    model.setDefault((body) => {
      const system = String(body.messages?.[0]?.content ?? '');
      if (system.includes('running summary'))
        return { reply: `Summary after ${body.messages?.length} messages.` };
      return { reply: `Echo: ${String(body.messages?.at(-1)?.content ?? '')}` };
    });
    const client = parley.client();
    const id = (await client.startConversation({ session })).conversation?.id ?? '';
    for (let i = 0; i < 500; i++) {
      await client.continueConversation({
        conversationId: id,
        message: `message ${i} ${'x'.repeat(100)}`,
        session,
      });
    }
    const isSummary = (r: (typeof model.requests)[number]) =>
      String(r.body.messages?.[0]?.content).includes('running summary');
    const chatRequests = model.requests.filter((r) => !isSummary(r));
    expect(model.requests.filter(isSummary).length).toBeGreaterThan(10);
    const sizes = chatRequests.slice(-50).map((r) => JSON.stringify(r.body.messages).length);
    // 1,500 tokens of budget ≈ 6,000 characters of content, plus JSON framing.
    for (const size of sizes) expect(size).toBeLessThan(9_000);
    const described = await client.describeConversation({ conversationId: id, session, pageSize: 1 });
    expect(described.conversation?.messageCount).toBe(1_000);
    const last = chatRequests.at(-1)?.body.messages?.[0]?.content ?? '';
    expect(String(last)).toContain('Summary of the earlier conversation');
  }, 120_000);
});
