import type { Logger } from '@parley/logger';
import { type Db, MongoClient, type MongoClientOptions } from 'mongodb';
import { UnavailableError } from '../errors/app-error.ts';

export interface OwnClientOptions {
  url: string;
  dbName: string;
  logger: Logger;
  clientOptions?: MongoClientOptions;
}

/**
 * Connects a MongoDB client of a store's own (failing fast when unreachable), builds the store on its
 * database and ensures its indexes; on any failure the client is closed and the store is `unavailable`.
 */
export async function connectOwnClient<T extends { ensureIndexes(): Promise<void> }>(
  options: OwnClientOptions,
  what: string,
  build: (db: Db, client: MongoClient) => T,
): Promise<T> {
  const client = new MongoClient(options.url, { serverSelectionTimeoutMS: 5000, ...options.clientOptions });
  try {
    await client.connect();
    const store = build(client.db(options.dbName), client);
    await store.ensureIndexes();
    options.logger.info({ dbName: options.dbName }, `${what} on MongoDB`);
    return store;
  } catch (err) {
    await client.close().catch(() => {});
    throw new UnavailableError(`${what} unavailable`, { cause: err });
  }
}
