// Preloaded into the benchmarked server (`node --import tsx --import ./tests/bench/memory-probe.ts ...`)
// so the runner can read the heap as well as RSS: the server exposes neither yet. It only answers the
// parent's questions over the IPC channel: no timers, nothing on the request path.

import cluster from 'node:cluster';
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';

// 'loop-start' and 'loop' measure event-loop delay between them (its sampling timer runs only then).
let loop: IntervalHistogram | undefined;

// A WORKERS > 1 server's workers inherit the preload; their channel is the cluster's, not the runner's.
if (process.send && cluster.isPrimary) {
  process.on('message', (message) => {
    if (message === 'loop-start') {
      loop = monitorEventLoopDelay({ resolution: 10 });
      loop.enable();
      return;
    }
    if (message === 'loop' && loop) {
      loop.disable();
      process.send?.({
        type: 'loop',
        p50: loop.percentile(50) / 1e6,
        p99: loop.percentile(99) / 1e6,
        max: loop.max / 1e6,
      });
      loop = undefined;
      return;
    }
    if (message !== 'memory') return;
    const { rss, heapUsed, heapTotal } = process.memoryUsage();
    process.send?.({ type: 'memory', rss, heapUsed, heapTotal });
  });
  // The channel must not keep the server alive once it has closed its listener.
  process.channel?.unref();
}
