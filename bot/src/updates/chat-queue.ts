import type { Logger } from '@parley/logger';

/** What became of a task handed to {@link ChatQueue.push}. */
export type PushResult = 'queued' | 'rejected' | 'rejected-again';

interface ChatLane {
  tail: Promise<void>;
  pending: number;
  /** Set once the chat has been told it is over its limit, until its lane empties. */
  rejected: boolean;
}

export interface ChatQueueDeps {
  logger: Logger;
  /** Tasks one chat may have waiting or running; more are refused (and the chat told so once). */
  maxPendingPerChat: number;
}

/**
 * One FIFO lane per chat. Telegraf hands polling updates over one at a time, so awaiting a model turn in
 * the update handler would stall every other chat behind it; instead the handler pushes the turn here and
 * returns. Tasks of one chat run in arrival order (a burst is answered in order); chats run concurrently.
 */
export class ChatQueue {
  readonly #lanes = new Map<string, ChatLane>();
  readonly #deps: ChatQueueDeps;

  constructor(deps: ChatQueueDeps) {
    this.#deps = deps;
  }

  /** Tasks waiting or running, over all chats. */
  get size(): number {
    let total = 0;
    for (const lane of this.#lanes.values()) total += lane.pending;
    return total;
  }

  push(chat: string, task: () => Promise<void>): PushResult {
    const lane = this.#lanes.get(chat) ?? { tail: Promise.resolve(), pending: 0, rejected: false };
    if (lane.pending >= this.#deps.maxPendingPerChat) {
      const result = lane.rejected ? 'rejected-again' : 'rejected';
      lane.rejected = true;
      return result;
    }
    lane.pending++;
    lane.tail = lane.tail.then(() => this.#run(chat, lane, task));
    this.#lanes.set(chat, lane);
    return 'queued';
  }

  async #run(chat: string, lane: ChatLane, task: () => Promise<void>): Promise<void> {
    try {
      await task();
    } catch (err) {
      // Features report their own failures to the user; this only keeps the lane alive.
      this.#deps.logger.error({ err }, 'chat task failed');
    } finally {
      lane.pending--;
      if (lane.pending === 0 && this.#lanes.get(chat) === lane) this.#lanes.delete(chat);
    }
  }

  /** Resolves true once every lane is empty, or false when `timeoutMs` passes first. */
  async drain(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.#lanes.size > 0) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) return false;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, remaining);
      });
      await Promise.race([Promise.all([...this.#lanes.values()].map((l) => l.tail)), timeout]);
      clearTimeout(timer);
    }
    return true;
  }
}
