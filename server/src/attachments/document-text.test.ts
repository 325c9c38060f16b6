import { describe, expect, it } from 'vitest';
import { pdf, truncatedPdf } from '../../../tests/support/attachment-fixtures.ts';
import { documentText } from './document-text.ts';

describe('documentText', () => {
  it('reads a PDF’s text layer', async () => {
    const read = await documentText(
      { mediaType: 'application/pdf', data: pdf('Total due: 42 EUR') },
      1_000,
      'f',
    );
    expect(read).toEqual({ text: 'Total due: 42 EUR', truncated: false });
  });

  it('cuts text past the limit and says it did', async () => {
    const read = await documentText({ mediaType: 'text/plain', data: Buffer.from('\uFEFFabcdefgh') }, 5, 'f');
    expect(read).toEqual({ text: 'abcde', truncated: true });
  });

  it('refuses a truncated PDF clearly', async () => {
    await expect(
      documentText({ mediaType: 'application/pdf', data: truncatedPdf() }, 100, 'attachments[1]'),
    ).rejects.toMatchObject({
      code: 'invalid_argument',
      message: 'attachments[1] is a PDF that cannot be read (damaged, truncated or encrypted)',
    });
  });

  it('refuses a PDF without text (a scan)', async () => {
    await expect(
      documentText({ mediaType: 'application/pdf', data: pdf('') }, 100, 'f'),
    ).rejects.toMatchObject({
      message: expect.stringContaining('without text'),
    });
  });
});
