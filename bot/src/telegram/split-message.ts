/**
 * Splits Telegram HTML into messages of at most `limit` characters (Telegram's cap is 4096). Cuts prefer a
 * paragraph break, then a line break, then a space, and only then fall back to any point between two
 * characters. A cut never lands inside a tag, an entity or a grapheme (emoji stay whole); tags open at a
 * cut are closed at the end of one message and re-opened at the start of the next.
 */

export const TELEGRAM_MESSAGE_LIMIT = 4096;

type BreakKind = 'paragraph' | 'line' | 'word';

interface Atom {
  text: string;
  kind: 'open' | 'close' | 'text';
  /** Tag name, for open and close atoms. */
  name?: string;
  /** Set on whitespace a message may be cut at (the whitespace itself is dropped). */
  breakKind?: BreakKind;
}

interface OpenTag {
  name: string;
  raw: string;
}

interface Cut {
  /** Atoms [start, end) go into this message. */
  end: number;
  /** Where the next message starts (after the whitespace of a break). */
  next: number;
  open: OpenTag[];
}

const TOKEN = /<\/?[a-zA-Z][^<>]*>|&(?:#\d{1,7}|#x[0-9a-fA-F]{1,6}|[a-zA-Z]{1,32});|[^<&]+|[<&]/g;
/** Longer "graphemes" (combining-mark floods) are cut between code points instead. */
const MAX_GRAPHEME = 16;
const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

export function splitMessage(html: string, limit = TELEGRAM_MESSAGE_LIMIT): string[] {
  const atoms = tokenize(html);
  const messages: string[] = [];
  let start = 0;
  let open: OpenTag[] = [];
  while (start < atoms.length) {
    while (start < atoms.length && isLeadingWhitespace(atoms[start], open)) start++;
    if (start >= atoms.length) break;
    const cut = findCut(atoms, start, open, limit);
    let end = cut.end;
    while (end > start && atoms[end - 1]?.breakKind) end--;
    const body = atoms.slice(start, end).map((a) => a.text);
    const text = dropEmptyElements(open.map((t) => t.raw).join('') + body.join('') + closing(cut.open));
    if (/\S/.test(text.replace(/<[^>]*>/g, ''))) messages.push(text);
    start = cut.next;
    open = cut.open;
  }
  return messages;
}

/** Newlines at the start of a message are dropped; spaces too, except in code where they indent. */
function isLeadingWhitespace(atom: Atom | undefined, open: OpenTag[]): boolean {
  if (!atom?.breakKind) return false;
  return atom.breakKind !== 'word' || !open.some((t) => t.name === 'pre' || t.name === 'code');
}

/** Walks forward from `start` while the message (with re-opened and closing tags) still fits. */
function findCut(atoms: Atom[], start: number, carried: OpenTag[], limit: number): Cut {
  let length = carried.reduce((sum, t) => sum + t.raw.length, 0);
  let open = carried;
  const breaks: Partial<Record<BreakKind, Cut & { length: number }>> = {};
  for (let i = start; i < atoms.length; i++) {
    const atom = atoms[i] as Atom;
    const nextOpen = applyTag(open, atom);
    const nextLength = length + atom.text.length;
    // Whitespace is a cut point even when it would itself overflow: the text before it fits.
    if (atom.breakKind) breaks[atom.breakKind] = { end: i, next: i + 1, open, length };
    // At least one atom per message, so hostile input always makes progress.
    if (nextLength + closingLength(nextOpen) > limit && i > start) {
      return chooseBreak(breaks, limit) ?? { end: i, next: i, open };
    }
    length = nextLength;
    open = nextOpen;
  }
  return { end: atoms.length, next: atoms.length, open };
}

/** A paragraph break in the second half of the message beats a line break, which beats a space. */
function chooseBreak(breaks: Partial<Record<BreakKind, Cut & { length: number }>>, limit: number) {
  const preferred = [breaks.paragraph, breaks.line, breaks.word];
  const late = preferred.find((b) => b && b.length >= limit / 2);
  if (late) return late;
  const any = preferred.filter((b) => b !== undefined).sort((a, b) => b.length - a.length)[0];
  return any && any.length > 0 ? any : undefined;
}

function applyTag(open: OpenTag[], atom: Atom): OpenTag[] {
  if (atom.kind === 'open' && atom.name) return [...open, { name: atom.name, raw: atom.text }];
  if (atom.kind === 'close') {
    const index = open.map((t) => t.name).lastIndexOf(atom.name ?? '');
    return index < 0 ? open : [...open.slice(0, index), ...open.slice(index + 1)];
  }
  return open;
}

function closing(open: OpenTag[]): string {
  return open
    .map((t) => `</${t.name}>`)
    .reverse()
    .join('');
}

function closingLength(open: OpenTag[]): number {
  return open.reduce((sum, t) => sum + t.name.length + 3, 0);
}

/** `<b></b>` left behind by a cut next to a tag would be rejected by Telegram as an empty entity. */
function dropEmptyElements(html: string): string {
  let out = html;
  for (let previous = ''; previous !== out; ) {
    previous = out;
    out = out.replace(/<([a-zA-Z]+)(?:\s[^<>]*)?><\/\1>/g, '');
  }
  return out;
}

function tokenize(html: string): Atom[] {
  const atoms: Atom[] = [];
  for (const [token] of html.matchAll(TOKEN)) {
    if (token.length > 1 && token.startsWith('<')) {
      const name = /^<\/?([a-zA-Z]+)/.exec(token)?.[1]?.toLowerCase() ?? '';
      atoms.push({ text: token, kind: token.startsWith('</') ? 'close' : 'open', name });
    } else if (token.length > 1 && token.startsWith('&')) {
      atoms.push({ text: token, kind: 'text' });
    } else {
      pushGraphemes(atoms, token);
    }
  }
  return atoms;
}

function pushGraphemes(atoms: Atom[], text: string): void {
  for (const { segment } of segmenter.segment(text)) {
    if (segment.length > MAX_GRAPHEME) {
      for (const codePoint of segment) atoms.push({ text: codePoint, kind: 'text' });
      continue;
    }
    const atom: Atom = { text: segment, kind: 'text' };
    const breakKind = breakKindOf(segment, atoms.at(-1));
    if (breakKind) atom.breakKind = breakKind;
    atoms.push(atom);
  }
}

function breakKindOf(segment: string, previous: Atom | undefined): BreakKind | undefined {
  if (segment === '\n') return previous?.text === '\n' ? 'paragraph' : 'line';
  if (segment === ' ' || segment === '\t') return 'word';
  return undefined;
}
