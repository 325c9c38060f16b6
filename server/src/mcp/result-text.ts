import type { ContentBlock } from '@modelcontextprotocol/sdk/types.js';

/** What `Client.callTool` resolves to: the current result shape, or the 2024-10 `toolResult` one. */
export interface RawToolResult {
  content?: unknown;
  structuredContent?: unknown;
  isError?: unknown;
  toolResult?: unknown;
}

export interface ResultTextOptions {
  server: string;
  /** Longer text is cut, so one chatty server cannot blow the context budget. */
  maxChars: number;
}

/**
 * Turns an MCP tool result into the text the model reads: text blocks as they are, other blocks described
 * in a line (the model cannot use raw images or blobs here), structured content as JSON when there is no
 * text. The first line says which server answered, so the reply can cite it.
 */
export function resultText(result: RawToolResult, options: ResultTextOptions): string {
  const blocks = Array.isArray(result.content) ? (result.content as ContentBlock[]) : [];
  const parts = blocks.map(describeBlock);
  if (parts.length === 0 && result.structuredContent !== undefined) {
    parts.push(JSON.stringify(result.structuredContent));
  }
  if (parts.length === 0 && result.toolResult !== undefined) parts.push(JSON.stringify(result.toolResult));
  const body = parts.join('\n') || '(no content)';
  return withProvenance(options.server, cap(body, options.maxChars));
}

/** Prefixes text for the model with the server it came from. */
export function withProvenance(server: string, text: string): string {
  return `[from MCP server "${server}"]\n${text}`;
}

export function cap(text: string, maxChars: number): string {
  return text.length > maxChars ? `${text.slice(0, maxChars)}… [result truncated]` : text;
}

function describeBlock(block: ContentBlock): string {
  switch (block.type) {
    case 'text':
      return block.text;
    case 'image':
    case 'audio':
      return `[${block.type}: ${block.mimeType}, ${approximateBytes(block.data)} bytes, not shown]`;
    case 'resource_link':
      return `[resource: ${block.name} ${block.uri}${block.description ? ` – ${block.description}` : ''}]`;
    case 'resource': {
      const resource = block.resource;
      if ('text' in resource && typeof resource.text === 'string') return resource.text;
      return `[resource: ${resource.uri}${resource.mimeType ? ` (${resource.mimeType})` : ''}, binary, not shown]`;
    }
    default:
      return `[${String((block as { type?: unknown }).type)} content, not shown]`;
  }
}

function approximateBytes(base64: string): number {
  return Math.floor((base64.length * 3) / 4);
}
