import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EMPTY_TRANSCRIPT, extendTranscript } from './transcript.ts';

const fingerprint = (...files: string[]) =>
  extendTranscript(EMPTY_TRANSCRIPT, [
    {
      role: 'user',
      content: 'What is this?',
      ...(files.length > 0 ? { uploads: files.map((f) => ({ data: Buffer.from(f) })) } : {}),
    },
    { role: 'assistant', content: 'A cat.' },
  ]);

describe('extendTranscript', () => {
  it('counts a user message’s files by their bytes', () => {
    expect(fingerprint('cat.png')).toBe(fingerprint('cat.png'));
    expect(fingerprint('cat.png')).not.toBe(fingerprint('dog.png'));
    expect(fingerprint('cat.png')).not.toBe(fingerprint());
    expect(fingerprint('a', 'b')).not.toBe(fingerprint('b', 'a'));
  });

  it('fingerprints a message without files as before files were counted (stored ones still match)', () => {
    const before = createHash('sha256').update(`${EMPTY_TRANSCRIPT}\n["user","Hi"]`).digest('base64url');
    expect(extendTranscript(EMPTY_TRANSCRIPT, [{ role: 'user', content: 'Hi' }])).toBe(before);
    expect(extendTranscript(EMPTY_TRANSCRIPT, [{ role: 'user', content: 'Hi', uploads: [] }])).toBe(
      extendTranscript(EMPTY_TRANSCRIPT, [{ role: 'user', content: 'Hi' }]),
    );
  });
});
