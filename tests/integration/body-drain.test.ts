import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedLlm } from '../../server/src/assistant/scripted-llm.ts';
import { type RunningParley, startParley, TEST_KEY } from '../support/parley.ts';

const LIST = '/twirp/parley.chat.v1.ChatService/ListConversations';

/**
 * Sends a request head and a body of `size` bytes over a raw socket, writing all of it before reading
 * anything (as curl and most HTTP libraries do), then returns what the server answered.
 */
function uploadThenRead(
  port: number,
  size: number,
  chunked: boolean,
): Promise<{ text: string; error?: string }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.pause(); // read nothing until the whole body is written
    let text = '';
    let error: string | undefined;
    socket.on('data', (data) => {
      text += data;
    });
    socket.on('error', (err) => {
      error = (err as NodeJS.ErrnoException).code ?? err.message;
    });
    socket.on('close', () => resolve({ text, ...(error ? { error } : {}) }));
    const framing = chunked ? 'transfer-encoding: chunked' : `content-length: ${size}`;
    socket.write(
      `POST ${LIST} HTTP/1.1\r\nhost: parley\r\nauthorization: Bearer ${TEST_KEY}\r\n` +
        `content-type: application/json\r\n${framing}\r\n\r\n`,
    );
    const chunk = Buffer.alloc(64 * 1024, 'x');
    let sent = 0;
    const pump = () => {
      while (sent < size) {
        sent += chunk.length;
        const data = chunked
          ? Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')])
          : chunk;
        if (!socket.write(data)) {
          socket.once('drain', pump);
          return;
        }
      }
      socket.write(chunked ? '0\r\n\r\n' : '', () => socket.resume());
    };
    pump();
  });
}

describe('a body over MAX_BODY_BYTES', () => {
  let parley: RunningParley;

  beforeAll(async () => {
    parley = await startParley({ overrides: { llm: new ScriptedLlm() }, env: { MAX_BODY_BYTES: '65536' } });
  });
  afterAll(() => parley.cleanup());

  it.each([
    { framing: 'content-length', chunked: false },
    { framing: 'chunked', chunked: true },
  ])('is answered 413 to a client that writes the whole body first ($framing)', async ({ chunked }) => {
    const port = Number(new URL(parley.url).port);
    // Several MiB: far more than the socket buffers hold, so the server must read it to let the client finish.
    const { text, error } = await uploadThenRead(port, 6 * 1024 * 1024, chunked);
    expect(error).toBeUndefined();
    expect(text).toMatch(/^HTTP\/1\.1 413 /);
    expect(text).toContain('"code":"malformed"');
    expect(text).toContain('"max_bytes":"65536"');
  });

  it('cuts a refused upload off once it passes the drain bound', async () => {
    const port = Number(new URL(parley.url).port);
    const { error } = await uploadThenRead(port, 64 * 1024 * 1024, false);
    expect(error).toMatch(/EPIPE|ECONNRESET/);
  });
});
