import type { Chat, Message, UserFromGetMe } from 'telegraf/types';
import { describe, expect, it } from 'vitest';
import { addressedText } from './addressed-text.ts';

const bot = { id: 99, is_bot: true, first_name: 'Parley', username: 'ParleyBot' } as UserFromGetMe;
const privateChat: Chat = { id: 7, type: 'private', first_name: 'Ann' };
const group: Chat = { id: -100, type: 'supergroup', title: 'Friends' };
const ann = { id: 7, is_bot: false, first_name: 'Ann' };

function text(value: string, extra: Partial<Message.TextMessage> = {}): Message.TextMessage {
  return { message_id: 1, date: 0, chat: group, from: ann, text: value, ...extra } as Message.TextMessage;
}

describe('addressedText', () => {
  it('takes every message in a private chat', () => {
    expect(addressedText(text('hello', { chat: privateChat }), privateChat, bot)).toBe('hello');
  });

  it('ignores group chatter that is not for the bot', () => {
    expect(addressedText(text('hello all'), group, bot)).toBeUndefined();
    const other = text('@SomeoneElse hi', { entities: [{ type: 'mention', offset: 0, length: 12 }] });
    expect(addressedText(other, group, bot)).toBeUndefined();
  });

  it('takes a group message that mentions the bot, without the mention', () => {
    const message = text('hey @parleybot what time is it?', {
      entities: [{ type: 'mention', offset: 4, length: 10 }],
    });
    expect(addressedText(message, group, bot)).toBe('hey what time is it?');
  });

  it('takes a group message that replies to the bot', () => {
    // Only the fields the check reads; Telegram's reply type is a union of every message kind.
    const reply = { message_id: 0, date: 0, chat: group, from: bot, text: 'earlier answer' };
    const message = text('and tomorrow?', {
      reply_to_message: reply,
    } as unknown as Partial<Message.TextMessage>);
    expect(addressedText(message, group, bot)).toBe('and tomorrow?');
  });
});
