const FENCE = /^\s*```/gm;
const PAIRED = ['**', '~~'] as const;

/**
 * Closes what a reply still being written has opened (a code block, inline code, bold, strike), so its
 * preview shows the formatting to come rather than stray markers that turn into it a moment later. A
 * marker with nothing after it yet is dropped instead. For previews only: the finished reply is
 * converted as the model wrote it.
 */
export function closeOpenMarkdown(text: string): string {
  if ((text.match(FENCE)?.length ?? 0) % 2 === 1) return `${text}\n\`\`\``;
  const prose = text.replace(/```[\s\S]*?```/g, (block) => ' '.repeat(block.length));
  const ticks = [...prose.matchAll(/`/g)];
  if (ticks.length % 2 === 1) {
    const last = ticks.at(-1)?.index ?? 0;
    return prose.slice(last + 1).trim() ? `${text}\`` : text.slice(0, last).trimEnd();
  }
  const outsideCode = prose.replace(/`[^`]*`/g, (span) => ' '.repeat(span.length));
  const open = PAIRED.map((marker) => ({ marker, at: unmatched(outsideCode, marker) }))
    .filter((o): o is { marker: (typeof PAIRED)[number]; at: number } => o.at !== undefined)
    .sort((a, b) => b.at - a.at);
  let result = text.trimEnd();
  for (const { marker, at } of open) {
    // Closed innermost first: the marker opened last is closed first.
    if (!outsideCode.slice(at + marker.length).trim()) result = result.slice(0, at).trimEnd();
    else result += marker;
  }
  return open.length > 0 ? result : text;
}

/** Where the last opening `marker` without its closing one is, if any. */
function unmatched(text: string, marker: string): number | undefined {
  const at: number[] = [];
  for (let i = text.indexOf(marker); i !== -1; i = text.indexOf(marker, i + marker.length)) at.push(i);
  return at.length % 2 === 1 ? at.at(-1) : undefined;
}
