import { MongoClient } from 'mongodb';
import { afterAll, beforeAll } from 'vitest';
import { type CongoDb, startCongo } from './congo.ts';

/**
 * Starts CongoDB and one driver client for a test file (vitest `beforeAll`/`afterAll`); `client()` is
 * that client once started. Each test gives itself a fresh database on it.
 */
export function useCongoClient(): { client(): MongoClient } {
  let server: CongoDb | undefined;
  let client: MongoClient | undefined;
  beforeAll(async () => {
    server = await startCongo();
    client = await new MongoClient(server.url, {
      serverSelectionTimeoutMS: 5000,
      ...server.clientOptions,
    }).connect();
  });
  afterAll(async () => {
    await client?.close();
    await server?.stop();
  });
  return {
    client() {
      if (!client) throw new Error('CongoDB has not started (use it inside a test)');
      return client;
    },
  };
}
