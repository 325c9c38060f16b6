/**
 * The fast chat → conversation map of stateless clients. Keys look like `telegram:12345`.
 * Reads slide the TTL. Implementations: in-process memory (default) and Redis.
 */
export interface SessionStore {
  /** The bound conversation id, refreshing its TTL; null when absent or expired. */
  get(key: string, ttlSeconds: number): Promise<string | null>;
  set(key: string, conversationId: string, ttlSeconds: number): Promise<void>;
  delete(key: string): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
