import type {
  ChatCompletionCreateParamsStreaming,
  ChatCompletionFunctionTool,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions';
import type { ToolDefinition } from '../tools/tool-runner.ts';
import type { LlmMessage, LlmRequest } from './llm.ts';

/** The chat-completions request body (streamed, with usage) for an {@link LlmRequest} on `model`. */
export function toChatRequest(request: LlmRequest, model: string): ChatCompletionCreateParamsStreaming {
  return {
    model,
    stream: true,
    // Usage arrives in a last chunk; providers that ignore this get an estimate.
    stream_options: { include_usage: true },
    messages: request.messages.map(toChatMessage),
    // OpenAI rejects an empty `tools` array, so leave the key out instead.
    ...(request.tools?.length ? { tools: request.tools.map(toChatTool) } : {}),
    ...(request.maxTokens === undefined ? {} : { max_completion_tokens: request.maxTokens }),
  };
}

function toChatMessage(message: LlmMessage): ChatCompletionMessageParam {
  switch (message.role) {
    case 'system':
      return { role: 'system', content: message.content };
    case 'user':
      if (!message.images?.length) return { role: 'user', content: message.content };
      // Vision: the text, then each image inline as a data URL (no URL the provider would fetch).
      return {
        role: 'user',
        content: [
          ...(message.content ? [{ type: 'text' as const, text: message.content }] : []),
          ...message.images.map((image) => ({
            type: 'image_url' as const,
            image_url: {
              url: `data:${image.mediaType};base64,${Buffer.from(image.data).toString('base64')}`,
            },
          })),
        ],
      };
    case 'tool':
      return { role: 'tool', content: message.content, tool_call_id: message.toolCallId };
    case 'assistant':
      return {
        role: 'assistant',
        content: message.content,
        ...(message.toolCalls?.length
          ? {
              tool_calls: message.toolCalls.map((call) => ({
                id: call.id,
                type: 'function' as const,
                function: { name: call.name, arguments: call.arguments },
              })),
            }
          : {}),
      };
  }
}

function toChatTool(tool: ToolDefinition): ChatCompletionFunctionTool {
  return {
    type: 'function',
    function: {
      name: tool.name,
      description: tool.description,
      parameters: tool.parameters,
      strict: tool.strict !== false,
    },
  };
}
