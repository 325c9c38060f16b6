/**
 * Model Markdown → the HTML subset Telegram accepts (`parse_mode: 'HTML'`). Everything that is not a
 * recognised, balanced construct stays literal text, and every `&`, `<`, `>` is escaped, so whatever the
 * model (or a user quoting HTML) writes, the output is well-formed and nests properly.
 */

/** Placeholders for finished HTML fragments; private-use characters, stripped from the input first. */
const OPEN = '\uE000';
const CLOSE = '\uE001';
const PLACEHOLDER = /\uE000(\d+)\uE001/g;
const MAX_URL = 1_000;
const MAX_DEPTH = 6;

interface Delimiter {
  marker: string;
  tag: 'b' | 'i' | 's';
  /** Underscores only count at word edges, so snake_case_names stay as they are. */
  wordEdge: boolean;
}

// Longest markers first: `**` must not be read as two `*`.
const DELIMITERS: Delimiter[] = [
  { marker: '**', tag: 'b', wordEdge: false },
  { marker: '__', tag: 'b', wordEdge: true },
  { marker: '~~', tag: 's', wordEdge: false },
  { marker: '*', tag: 'i', wordEdge: false },
  { marker: '_', tag: 'i', wordEdge: true },
];

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function escapeAttribute(text: string): string {
  return escapeHtml(text).replace(/"/g, '&quot;');
}

/** Converts Markdown as models write it into Telegram-safe HTML. */
export function markdownToTelegramHtml(markdown: string): string {
  const fragments: string[] = [];
  const stash = (html: string) => `${OPEN}${fragments.push(html) - 1}${CLOSE}`;
  const source = markdown.replace(/[\uE000\uE001]/g, '\uFFFD').replace(/\r\n?/g, '\n');
  const withoutFences = stashFences(source, stash);
  const html = withoutFences
    .split('\n')
    .map((line) => formatLine(line, stash))
    .join('\n');
  return restore(html, fragments);
}

function restore(html: string, fragments: string[]): string {
  // Fragments may contain placeholders of their own (a link's formatted text).
  let out = html;
  for (let round = 0; round < MAX_DEPTH + 2 && out.includes(OPEN); round++) {
    out = out.replace(PLACEHOLDER, (_, index: string) => fragments[Number(index)] ?? '');
  }
  return out;
}

/** ```lang\n…``` blocks become <pre><code>; a fence without its closing fence stays literal. */
function stashFences(text: string, stash: (html: string) => string): string {
  let out = '';
  let from = 0;
  for (;;) {
    const open = text.indexOf('```', from);
    if (open < 0) break;
    const close = text.indexOf('```', open + 3);
    if (close < 0) break;
    const body = text.slice(open + 3, close);
    const newline = body.indexOf('\n');
    const info = newline >= 0 ? body.slice(0, newline).trim() : '';
    const hasLanguage = newline >= 0 && /^[\w+#.-]{1,32}$/.test(info);
    const code = (newline >= 0 && (hasLanguage || info === '') ? body.slice(newline + 1) : body).replace(
      /\n$/,
      '',
    );
    const attr = hasLanguage ? ` class="language-${escapeAttribute(info)}"` : '';
    out += text.slice(from, open) + stash(`<pre><code${attr}>${escapeHtml(code)}</code></pre>`);
    from = close + 3;
  }
  return out + text.slice(from);
}

/** Headings become bold lines, list bullets become "•"; the rest is inline Markdown. */
function formatLine(line: string, stash: (html: string) => string): string {
  const heading = /^ {0,3}#{1,6}\s+(.+?)(?:\s+#+)?\s*$/.exec(line);
  if (heading?.[1]) return `<b>${formatInline(heading[1], stash)}</b>`;
  const bullet = /^(\s*)[-*+]\s+(.*)$/.exec(line);
  if (bullet) return `${bullet[1] ?? ''}• ${formatInline(bullet[2] ?? '', stash)}`;
  return formatInline(line, stash);
}

/** Code spans and links first (their insides are not emphasis), then emphasis on what is left. */
function formatInline(text: string, stash: (html: string) => string, depth = 0): string {
  const withCode = text.replace(/`([^`\n]+)`/g, (_, code: string) =>
    stash(`<code>${escapeHtml(code)}</code>`),
  );
  const withLinks = withCode.replace(
    /\[([^\]\n]+)\]\((https?:\/\/[^\s()<>\uE000\uE001]+)\)/g,
    (whole: string, label: string, url: string) => {
      if (url.length > MAX_URL) return whole;
      return stash(`<a href="${escapeAttribute(url)}">${emphasize(label, depth + 1)}</a>`);
    },
  );
  return emphasize(withLinks, depth);
}

/**
 * Balanced emphasis markers become tags, innermost content converted recursively; unbalanced ones stay
 * literal. A failed search for a closing marker is remembered so hostile input (10k `*`) stays linear.
 */
function emphasize(text: string, depth: number): string {
  if (depth > MAX_DEPTH) return escapeHtml(text);
  let out = '';
  let plain = 0;
  const noCloserAfter = new Map<string, number>();
  for (let i = 0; i < text.length; ) {
    const found = matchDelimiter(text, i, noCloserAfter);
    if (!found) {
      i++;
      continue;
    }
    const { delimiter, close } = found;
    const inner = text.slice(i + delimiter.marker.length, close);
    out += `${escapeHtml(text.slice(plain, i))}<${delimiter.tag}>${emphasize(inner, depth + 1)}</${delimiter.tag}>`;
    i = close + delimiter.marker.length;
    plain = i;
  }
  return out + escapeHtml(text.slice(plain));
}

function matchDelimiter(
  text: string,
  at: number,
  noCloserAfter: Map<string, number>,
): { delimiter: Delimiter; close: number } | undefined {
  for (const delimiter of DELIMITERS) {
    const { marker } = delimiter;
    if (!text.startsWith(marker, at) || !opens(text, at, delimiter)) continue;
    const from = at + marker.length + 1;
    const failedFrom = noCloserAfter.get(marker);
    if (failedFrom !== undefined && from >= failedFrom) return undefined;
    const close = findCloser(text, from, delimiter);
    if (close >= 0) return { delimiter, close };
    noCloserAfter.set(marker, from);
    // A `**` without a partner must not be re-read as `*` + `*`.
    return undefined;
  }
  return undefined;
}

function opens(text: string, at: number, { marker, wordEdge }: Delimiter): boolean {
  const next = text[at + marker.length];
  if (next === undefined || /\s/.test(next) || next === marker[0]) return false;
  return !wordEdge || !isWordChar(text[at - 1]);
}

function findCloser(text: string, from: number, { marker, wordEdge }: Delimiter): number {
  for (let j = text.indexOf(marker, from); j >= 0; j = text.indexOf(marker, j + 1)) {
    const before = text[j - 1];
    const after = text[j + marker.length];
    if (before === undefined || /\s/.test(before)) continue;
    // A single `*` next to another `*` belongs to a `**`.
    if (marker.length === 1 && (after === marker || before === marker)) continue;
    if (wordEdge && isWordChar(after)) continue;
    return j;
  }
  return -1;
}

function isWordChar(char: string | undefined): boolean {
  return char !== undefined && /[\p{L}\p{N}_]/u.test(char);
}
