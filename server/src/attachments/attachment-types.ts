/** The kinds of file a user message may carry. */
export type AttachmentKind = 'image' | 'audio' | 'document';

/** A file as a client sent it (the wire's AttachmentUpload): nothing in it is trusted yet. */
export interface AttachmentUpload {
  data: Uint8Array;
  /** The sender's claim; ignored for deciding what the file is. */
  mediaType: string;
  fileName: string;
  /** Where the request carried it, for errors (`attachments[2]`); that by default. */
  field?: string;
}

/** An upload that passed the checks: its kind and media type come from its bytes. */
export interface CheckedUpload {
  kind: AttachmentKind;
  mediaType: string;
  name: string;
  data: Uint8Array;
  /** What a transcription server expects the file to be called ('' for documents). */
  extension: string;
  /** Where the request carried it (`attachments[2]`, `messages[1].content[0]`): errors name it. */
  field: string;
  /** Audio already heard (the same bytes, stored with an earlier message): not transcribed again. */
  heard?: string;
}

/** A checked upload made ready for the model: audio transcribed, documents turned into text. */
export interface PreparedAttachment {
  kind: AttachmentKind;
  mediaType: string;
  name: string;
  data: Uint8Array;
  transcript?: string;
  text?: string;
  truncated?: boolean;
}
