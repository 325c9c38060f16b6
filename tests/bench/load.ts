import autocannon, { type Client, type Options, type Result } from 'autocannon';

export interface LoadOptions {
  /** Full URL of the endpoint (path included). */
  url: string;
  connections: number;
  /** Seconds to run; ignored when `amount` is set. */
  durationSec?: number;
  /** Stop after this many requests. */
  amount?: number;
  headers: Record<string, string>;
  /** Body of each connection, by connection index: a connection sends the same body every time. */
  bodyFor?: (connection: number) => string | Buffer;
  /** Body of each request, by request index (rebuilt per request: costs the load generator a little). */
  bodyOf?: (request: number) => string | Buffer;
  /** Record latencies here (to pool several runs, see {@link combine}); a fresh list by default. */
  into?: Samples;
  /** Called about every `everyMs` while the load runs (memory sampling). */
  onTick?: () => void;
  everyMs?: number;
}

export interface LoadResult {
  connections: number;
  /** Completed requests with a 2xx answer. */
  requests: number;
  seconds: number;
  reqPerSec: number;
  /** Latency of 2xx responses in milliseconds, from our own exact recording (not autocannon's 1 ms buckets). */
  p50: number;
  p90: number;
  p99: number;
  mean: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  /** CPU time (user + system) the server process spent per 2xx request, when measured. */
  serverCpuMsPerRequest?: number;
}

/**
 * Runs autocannon in this process and records every response time itself: autocannon's histogram
 * has 1 ms resolution, too coarse for the sub-millisecond overheads the targets talk about.
 */
export function runLoad(options: LoadOptions): Promise<LoadResult> {
  const latencies = options.into ?? new Samples();
  let clients = 0;
  const base: Options = {
    url: options.url,
    connections: options.connections,
    method: 'POST',
    headers: options.headers,
    timeout: 30,
    ...(options.amount ? { amount: options.amount } : { duration: options.durationSec ?? 10 }),
  };
  const { bodyFor, bodyOf } = options;
  if (bodyFor) {
    base.setupClient = (client: Client) => client.setBody(bodyFor(clients++));
  }
  if (bodyOf) {
    let next = 0;
    base.requests = [{ setupRequest: (request) => ({ ...request, body: bodyOf(next++) }) }];
  }
  const started = performance.now();
  return new Promise<LoadResult>((resolve, reject) => {
    const ticker = options.onTick ? setInterval(options.onTick, options.everyMs ?? 250) : undefined;
    const instance = autocannon(base, (err: Error | null, result: Result) => {
      if (ticker) clearInterval(ticker);
      if (err) return reject(err);
      const seconds = (performance.now() - started) / 1000;
      const requests = result['2xx'];
      resolve({
        connections: options.connections,
        requests,
        seconds,
        reqPerSec: requests / seconds,
        p50: latencies.percentile(50),
        p90: latencies.percentile(90),
        p99: latencies.percentile(99),
        mean: latencies.mean(),
        errors: result.errors,
        timeouts: result.timeouts,
        non2xx: result.non2xx,
      });
    });
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) latencies.add(responseTime);
    });
  });
}

/** Pools runs that recorded into the same `samples`: totals add up, percentiles come from all samples. */
export function combine(runs: LoadResult[], samples: Samples): LoadResult {
  const sum = (pick: (r: LoadResult) => number) => runs.reduce((total, r) => total + pick(r), 0);
  const requests = sum((r) => r.requests);
  const seconds = sum((r) => r.seconds);
  const cpu = runs.every((r) => r.serverCpuMsPerRequest !== undefined)
    ? { serverCpuMsPerRequest: sum((r) => (r.serverCpuMsPerRequest ?? 0) * r.requests) / requests }
    : {};
  return {
    connections: runs[0]?.connections ?? 0,
    requests,
    seconds,
    reqPerSec: requests / seconds,
    p50: samples.percentile(50),
    p90: samples.percentile(90),
    p99: samples.percentile(99),
    mean: samples.mean(),
    errors: sum((r) => r.errors),
    timeouts: sum((r) => r.timeouts),
    non2xx: sum((r) => r.non2xx),
    ...cpu,
  };
}

/** A growable list of latencies with exact (nearest-rank) percentiles. */
export class Samples {
  #values = new Float64Array(1024);
  #count = 0;
  #sorted = true;

  add(value: number): void {
    if (this.#count === this.#values.length) {
      const grown = new Float64Array(this.#values.length * 2);
      grown.set(this.#values);
      this.#values = grown;
    }
    this.#values[this.#count++] = value;
    this.#sorted = false;
  }

  get count(): number {
    return this.#count;
  }

  percentile(p: number): number {
    if (this.#count === 0) return Number.NaN;
    const view = this.#values.subarray(0, this.#count);
    if (!this.#sorted) {
      view.sort();
      this.#sorted = true;
    }
    const rank = Math.min(this.#count - 1, Math.max(0, Math.ceil((p / 100) * this.#count) - 1));
    return view[rank] ?? Number.NaN;
  }

  mean(): number {
    let sum = 0;
    for (let i = 0; i < this.#count; i++) sum += this.#values[i] ?? 0;
    return this.#count === 0 ? Number.NaN : sum / this.#count;
  }
}
