import type { Chat } from 'telegraf/types';
import { describe, expect, it } from 'vitest';
import { sessionMetadataFor } from './session-metadata.ts';

const privateChat: Chat = { id: 7, type: 'private', first_name: 'Ann' };
const group: Chat = { id: -100, type: 'supergroup', title: 'Friends' };
const ann = { id: 7, is_bot: false, first_name: 'Ann' };

describe('sessionMetadataFor', () => {
  it('gives a private chat to its user', () => {
    expect(sessionMetadataFor(privateChat, ann)).toEqual({ platform: 'telegram', userId: '7', chatId: '7' });
  });

  it('gives a group chat one owner shared by all members', () => {
    expect(sessionMetadataFor(group, ann)).toEqual({
      platform: 'telegram',
      userId: 'group:-100',
      chatId: '-100',
    });
    expect(sessionMetadataFor(group, { ...ann, id: 8 }).userId).toBe('group:-100');
  });
});
