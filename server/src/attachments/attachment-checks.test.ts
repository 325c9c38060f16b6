import { DEFAULT_ATTACHMENTS } from '@parley/config';
import { describe, expect, it } from 'vitest';
import { jpeg, pdf, png, program, voiceNote, zipBomb } from '../../../tests/support/attachment-fixtures.ts';
import { checkUploads } from './attachment-checks.ts';

const upload = (data: Buffer, fileName = '', mediaType = '') => ({ data, fileName, mediaType });

describe('checkUploads', () => {
  it('takes each kind for what its bytes are, whatever its name and claimed type', async () => {
    const checked = await checkUploads(
      [
        upload(png(), 'holiday.pdf', 'application/pdf'),
        upload(jpeg()),
        upload(voiceNote('hi'), 'voice.mp3'),
        upload(pdf('Hello'), 'scan.png'),
        upload(Buffer.from('a,b\n1,2\n'), 'table.csv'),
        upload(Buffer.from('fn main() {}\n'), 'main.rs'),
      ],
      DEFAULT_ATTACHMENTS,
    );
    expect(checked.map((c) => [c.kind, c.mediaType])).toEqual([
      ['image', 'image/png'],
      ['image', 'image/jpeg'],
      ['audio', 'audio/ogg'],
      ['document', 'application/pdf'],
      ['document', 'text/csv'],
      ['document', 'text/plain'],
    ]);
    expect(checked[2]?.extension).toBe('ogg');
  });

  it.each([
    ['a zip bomb named .txt', zipBomb(), /is a file of type application\/zip \(named "notes.txt"\)/],
    ['a program named .txt', program(), /application\/x-elf|application\/octet-stream/],
    ['binary bytes without a signature', Buffer.from([1, 2, 3, 0, 4]), /application\/octet-stream/],
  ])('refuses %s, saying what it is and what is taken', async (_, data, message) => {
    const refused = checkUploads([upload(data, 'notes.txt', 'text/plain')], DEFAULT_ATTACHMENTS);
    await expect(refused).rejects.toMatchObject({
      code: 'invalid_argument',
      message: expect.stringMatching(message),
    });
    await expect(refused).rejects.toMatchObject({ meta: { argument: 'attachments[0]' } });
  });

  it('names each limit it refuses by', async () => {
    const policy = { kinds: ['image' as const], maxBytes: 100, maxTurnBytes: 150, maxCount: 2 };
    const small = png();
    await expect(checkUploads([upload(small), upload(small), upload(small)], policy)).rejects.toMatchObject({
      code: 'invalid_argument',
      meta: { limit: 'attachment_count', max_count: '2' },
    });
    await expect(checkUploads([upload(Buffer.alloc(101, 'a'))], policy)).rejects.toMatchObject({
      message: 'attachments[0] is 101 bytes, over the limit of 100 bytes per file',
      meta: { limit: 'attachment_bytes', max_bytes: '100' },
    });
    await expect(checkUploads([upload(small), upload(Buffer.alloc(90, 'a'))], policy)).rejects.toMatchObject({
      meta: { limit: 'attachment_turn_bytes', max_bytes: '150' },
    });
    await expect(checkUploads([upload(Buffer.from('hello'))], policy)).rejects.toMatchObject({
      code: 'permission_denied',
      message: 'this client may not send documents',
      meta: { limit: 'attachment_kinds', allowed_kinds: 'image' },
    });
    await expect(checkUploads([upload(Buffer.alloc(0))], policy)).rejects.toMatchObject({
      message: 'attachments[0] is empty',
    });
  });
});
