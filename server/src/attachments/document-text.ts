import { ValidationError } from '../errors/app-error.ts';

/** A document's text as the model reads it. */
export interface DocumentText {
  text: string;
  /** The whole text was longer than allowed: `text` is its beginning. */
  truncated: boolean;
}

/** Pages read from a PDF at most: the text limit is reached long before on any real document. */
const MAX_PDF_PAGES = 500;

/**
 * The text of a document: a text file decoded as UTF-8, a PDF read with unpdf (loaded only when a PDF
 * arrives). Cut to `maxChars`; a PDF that cannot be read (truncated, encrypted, damaged) or that has no
 * text layer (a scan) is refused with invalid_argument, before anything is stored.
 */
export async function documentText(
  document: { mediaType: string; data: Uint8Array },
  maxChars: number,
  field: string,
): Promise<DocumentText> {
  const full =
    document.mediaType === 'application/pdf'
      ? await pdfText(document.data, field)
      : new TextDecoder('utf-8').decode(document.data);
  const text = full.replace(/^\uFEFF/, '');
  if (text.length <= maxChars) return { text, truncated: false };
  return { text: text.slice(0, maxChars), truncated: true };
}

async function pdfText(data: Uint8Array, field: string): Promise<string> {
  const { extractText, getDocumentProxy } = await import('unpdf');
  let text: string;
  try {
    // unpdf (pdf.js) may detach the buffer it is given: hand it a copy, the original is stored.
    const pdf = await getDocumentProxy(new Uint8Array(data), { verbosity: 0 });
    try {
      if (pdf.numPages > MAX_PDF_PAGES) {
        throw new ValidationError(
          field,
          `is a PDF of ${pdf.numPages} pages; at most ${MAX_PDF_PAGES} are read`,
          {
            limit: 'pdf_pages',
            max_pages: String(MAX_PDF_PAGES),
          },
        );
      }
      ({ text } = await extractText(pdf, { mergePages: true }));
    } finally {
      await pdf.loadingTask.destroy();
    }
  } catch (err) {
    if (err instanceof ValidationError) throw err;
    throw new ValidationError(field, 'is a PDF that cannot be read (damaged, truncated or encrypted)', {
      media_type: 'application/pdf',
    });
  }
  if (!text.trim()) {
    throw new ValidationError(field, 'is a PDF without text (a scan?): send the text or a photo of it', {
      media_type: 'application/pdf',
    });
  }
  return text;
}
