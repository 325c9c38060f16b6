import type { Logger } from '@parley/logger';
import type { ChatClient, ToolInfo } from '@parley/rpc';
import type { Texts } from '../i18n/texts.ts';
import { escapeHtml } from '../telegram/reply-format.ts';

const MAX_TOOLS = 30;
const MAX_DESCRIPTION = 120;

/**
 * The /help section naming the tools the assistant may use for this bot (built-in and MCP servers'),
 * asked of the server each time since MCP servers come and go. Empty when the server cannot say: /help
 * still answers with the commands.
 */
export async function toolListSection(chat: ChatClient, logger: Logger, texts: Texts): Promise<string> {
  try {
    const { tools } = await chat.listTools({});
    return tools.length === 0 ? '' : `\n\n<b>${texts.t('tools.heading')}</b>\n${formatTools(tools, texts)}`;
  } catch (err) {
    logger.warn({ err }, 'could not list the tools for /help');
    return '';
  }
}

function formatTools(tools: ToolInfo[], texts: Texts): string {
  const lines = tools.slice(0, MAX_TOOLS).map((tool) => {
    const description = tool.description.split('\n')[0]?.trim() ?? '';
    const short =
      description.length > MAX_DESCRIPTION ? `${description.slice(0, MAX_DESCRIPTION - 1)}…` : description;
    const from = tool.source === 'builtin' ? '' : ` <i>(${escapeHtml(tool.source)})</i>`;
    return `• <code>${escapeHtml(tool.name)}</code>${short ? ` — ${escapeHtml(short)}` : ''}${from}`;
  });
  if (tools.length > MAX_TOOLS) lines.push(texts.t('tools.more', { count: tools.length - MAX_TOOLS }));
  return lines.join('\n');
}
