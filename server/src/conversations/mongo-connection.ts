import type { Logger } from '@parley/logger';
import {
  MongoClient,
  type MongoClientOptions,
  MongoNetworkError,
  MongoNotConnectedError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
} from 'mongodb';
import { UnavailableError } from '../errors/app-error.ts';

export interface MongoConnectOptions {
  url: string;
  /** Defaults to the database named in the URL, else 'parley'. */
  dbName?: string;
  logger: Logger;
  /** Extra driver options (tests turn on command monitoring); they win over the defaults. */
  clientOptions?: MongoClientOptions;
}

/**
 * Every timeout explicit: an unreachable server fails a call after seconds, never hangs a request, and
 * a saturated pool fails instead of queueing forever.
 */
const CLIENT_DEFAULTS: MongoClientOptions = {
  appName: 'parley',
  serverSelectionTimeoutMS: 5000,
  connectTimeoutMS: 5000,
  socketTimeoutMS: 30_000,
  waitQueueTimeoutMS: 5000,
  maxPoolSize: 20,
  retryWrites: true,
  retryReads: true,
};

/** A client (not yet connected) with the defaults above, and the database it should use. */
export function newMongoClient(options: MongoConnectOptions): { client: MongoClient; dbName: string } {
  const client = new MongoClient(options.url, { ...CLIENT_DEFAULTS, ...options.clientOptions });
  return { client, dbName: options.dbName ?? databaseInUrl(options.url) ?? 'parley' };
}

function databaseInUrl(url: string): string | undefined {
  const name = /^mongodb(?:\+srv)?:\/\/[^/]+\/([^?]+)/.exec(url)?.[1];
  return name ? decodeURIComponent(name) : undefined;
}

/** Unreachable or lost server → unavailable (a retryable condition for the client); the rest as is. */
export async function guard<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    throw unavailable(err);
  }
}

const CONNECTION_LOST = [
  MongoNetworkError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
  MongoNotConnectedError,
];

export function unavailable(err: unknown): unknown {
  const lost = CONNECTION_LOST.some((type) => err instanceof type);
  return lost ? new UnavailableError('conversation store unavailable', { cause: err }) : err;
}
