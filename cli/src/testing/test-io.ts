// Test helpers shared by the CLI's tests: in-memory streams and a client factory. The fake ChatClient
// itself is `FakeChatClient` from `@parley/rpc/testing`.
import { PassThrough, Writable } from 'node:stream';
import type { ChatClientOptions } from '@parley/rpc';
import type { CliClient, Io } from '../io/command-context.ts';

/** A writable that keeps what was written; `isTTY` as asked. */
export class MemoryStream extends Writable {
  text = '';
  isTTY: boolean;

  constructor(isTTY = false) {
    super();
    this.isTTY = isTTY;
  }

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

export interface TestIo {
  io: Io;
  stdin: PassThrough & { isTTY?: boolean };
  stdout: MemoryStream;
  stderr: MemoryStream;
}

export function testIo(
  env: Record<string, string | undefined> = {},
  options: { tty?: boolean } = {},
): TestIo {
  const stdin: PassThrough & { isTTY?: boolean } = new PassThrough();
  stdin.isTTY = options.tty ?? false;
  const stdout = new MemoryStream();
  const stderr = new MemoryStream();
  const io: Io = {
    stdin,
    stdout,
    stderr,
    env: { PARLEY_USER: 'tester', PARLEY_LOCAL_KEY_FILE: '/nonexistent', ...env },
  };
  return { io, stdin, stdout, stderr };
}

/** A client factory that always hands out `client` and remembers the options it was called with. */
export function factoryFor(client: CliClient): ((options: ChatClientOptions) => CliClient) & {
  options: ChatClientOptions[];
} {
  const options: ChatClientOptions[] = [];
  return Object.assign(
    (opts: ChatClientOptions) => {
      options.push(opts);
      return client;
    },
    { options },
  );
}
