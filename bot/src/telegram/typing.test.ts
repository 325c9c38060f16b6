import { createLogger } from '@parley/logger';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startTyping } from './typing.ts';

const logger = createLogger({ name: 'test', level: 'silent', pretty: false });

afterEach(() => {
  vi.useRealTimers();
});

describe('startTyping', () => {
  it('repeats "typing" every 4.5 s until stopped, shrugging off failures', async () => {
    vi.useFakeTimers();
    let calls = 0;
    const api = {
      sendChatAction: async () => {
        calls++;
        throw new Error('500: Internal Server Error');
      },
    };
    const stop = startTyping(api, 1, { logger });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls).toBe(3);
    stop();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls).toBe(3);
  });
});
