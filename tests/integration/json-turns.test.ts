import {
  ContinueConversationRequest,
  ContinueConversationResponse,
  StartConversationRequest,
  StartConversationResponse,
} from '@parley/rpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedLlm } from '../../server/src/assistant/scripted-llm.ts';
import { type RunningParley, startParley, TEST_KEY } from '../support/parley.ts';

// JSON StartConversation and ContinueConversation are served beside twirp-ts (their answers written by
// hand); protobuf callers and every other method still go through twirp-ts. A call repeated with its
// request_id is answered from the first call's record, so the same answer can be asked for once in JSON
// and once in protobuf, and the two compared byte for byte.

const CHAT = '/twirp/parley.chat.v1.ChatService';
const PROTO_JSON = { useProtoFieldName: true, emitDefaultValues: false } as const;

describe('JSON turn-taking calls', () => {
  let parley: RunningParley;

  beforeAll(async () => {
    const llm = new ScriptedLlm([{ reply: 'Hello "there" ✓', usage: { promptTokens: 0 } }]);
    parley = await startParley({ overrides: { llm } });
  });
  afterAll(() => parley.cleanup());

  const post = (method: string, body: string | Uint8Array, type = 'application/json') =>
    fetch(`${parley.url}${CHAT}/${method}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_KEY}`, 'content-type': type },
      body,
    });

  const inProtobuf = async (method: string, bytes: Uint8Array) => {
    const res = await post(method, bytes, 'application/protobuf');
    expect(res.status).toBe(200);
    return new Uint8Array(await res.arrayBuffer());
  };

  it('answers StartConversation and ContinueConversation with the bytes twirp-ts would write', async () => {
    const session = { platform: 'test', user_id: 'json-turns', chat_id: 'c1' };
    const start = { message: 'hi', session, request_id: 'json-start-1' };
    const started = await post('StartConversation', JSON.stringify(start));
    expect(started.status).toBe(200);
    expect(started.headers.get('content-type')).toBe('application/json');
    const startText = await started.text();
    const startBytes = StartConversationRequest.toBinary(StartConversationRequest.fromJson(start));
    const again = StartConversationResponse.fromBinary(await inProtobuf('StartConversation', startBytes));
    expect(startText).toBe(StartConversationResponse.toJsonString(again, PROTO_JSON));

    const id = (JSON.parse(startText) as { conversation: { id: string } }).conversation.id;
    const next = { conversation_id: id, message: 'and again', session, request_id: 'json-continue-1' };
    const continued = await post('ContinueConversation', JSON.stringify(next));
    expect(continued.status).toBe(200);
    expect(continued.headers.get('content-type')).toBe('application/json');
    const continueText = await continued.text();
    const bytes = ContinueConversationRequest.toBinary(ContinueConversationRequest.fromJson(next));
    const replayed = ContinueConversationResponse.fromBinary(await inProtobuf('ContinueConversation', bytes));
    expect(continueText).toBe(ContinueConversationResponse.toJsonString(replayed, PROTO_JSON));
    expect(JSON.parse(continueText)).toMatchObject({
      conversation_id: id,
      reply: { role: 'ROLE_ASSISTANT' },
    });
  });

  it('refuses a body that does not decode exactly as twirp-ts refuses it for other methods', async () => {
    const twirp = await post('ListConversations', '{"session": ');
    const expected = {
      status: twirp.status,
      type: twirp.headers.get('content-type'),
      body: await twirp.text(),
    };
    expect(expected.status).toBe(400);
    for (const method of ['StartConversation', 'ContinueConversation']) {
      for (const body of ['{"session": ', '{"message": 5}', '[1]']) {
        const res = await post(method, body);
        const got = { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
        expect(got, `${method} ${body}`).toEqual(expected);
      }
    }
  });

  it('answers an invalid request with the same Twirp error in JSON and in protobuf', async () => {
    const bad = { conversation_id: 'not an id', message: 'hi', session: { user_id: 'json-turns' } };
    const json = await post('ContinueConversation', JSON.stringify(bad));
    const bytes = ContinueConversationRequest.toBinary(ContinueConversationRequest.fromJson(bad));
    const proto = await post('ContinueConversation', bytes, 'application/protobuf');
    expect(json.status).toBe(400);
    expect(json.status).toBe(proto.status);
    expect(json.headers.get('content-type')).toBe(proto.headers.get('content-type'));
    expect(await json.text()).toBe(await proto.text());
  });
});
