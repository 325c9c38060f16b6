// Preloaded into the benchmarked server (`node --import tsx --import ./tests/bench/memory-probe.ts ...`)
// so the runner can read the heap as well as RSS: the server exposes neither yet. It only answers the
// parent's questions over the IPC channel: no timers, nothing on the request path.

if (process.send) {
  process.on('message', (message) => {
    if (message !== 'memory') return;
    const { rss, heapUsed, heapTotal } = process.memoryUsage();
    process.send?.({ type: 'memory', rss, heapUsed, heapTotal });
  });
  // The channel must not keep the server alive once it has closed its listener.
  process.channel?.unref();
}

export {};
