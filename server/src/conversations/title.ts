/** A title from the first message: its first line, cut at a word boundary. */
export function fallbackTitle(message: string, maxLength = 60): string {
  const line = message.trim().split('\n')[0]?.replace(/\s+/g, ' ') ?? '';
  if (!line) return 'New conversation';
  if (line.length <= maxLength) return line;
  const cut = line.slice(0, maxLength - 1);
  const space = cut.lastIndexOf(' ');
  return `${space > maxLength / 2 ? cut.slice(0, space) : cut}…`;
}
