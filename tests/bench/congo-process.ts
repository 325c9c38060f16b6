import { startCongo } from '../support/congo.ts';

// CongoDB in a process of its own, so the benchmarked server talks to it over TCP like to a MongoDB,
// and its work does not share the runner's event loop. Prints MONGODB_URL=<url> once listening.
// CongoDB is a wire-protocol peer for tests, not MongoDB: its numbers say nothing of MongoDB's speed.

const congo = await startCongo();
process.stdout.write(`MONGODB_URL=${congo.url}/?serverMonitoringMode=poll\n`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void congo.stop().finally(() => process.exit(0)));
}
