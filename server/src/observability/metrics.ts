import { Counter, collectDefaultMetrics, Gauge, Histogram, type Registry } from 'prom-client';

/** Every metric the server exports, registered on one injected registry (never prom-client's global). */
export interface ParleyMetrics {
  readonly registry: Registry;
  /** RPCs by method (one of the service's, or `unknown`) and Twirp code (`ok` on success). */
  readonly rpcRequests: Counter<'method' | 'code'>;
  readonly rpcDuration: Histogram<'method' | 'code'>;
  /** Model calls by model and outcome (`ok`, or the error code the call failed with). */
  readonly modelCalls: Counter<'model' | 'outcome'>;
  readonly modelDuration: Histogram<'model'>;
  /** Tokens the provider reported, `kind` = `prompt` | `completion`. */
  readonly modelTokens: Counter<'model' | 'kind'>;
  /** Tool calls by tool (an enabled tool, or `unknown`) and the registry's outcome. */
  readonly toolCalls: Counter<'tool' | 'outcome'>;
  readonly toolDuration: Histogram<'tool'>;
  /** Tool-result cache lookups by cache (provider) and result: `hit`, `miss`, or `stale` (served past TTL). */
  readonly cacheRequests: Counter<'cache' | 'result'>;
  /** 0 closed, 1 open (or isolated), 2 half-open. */
  readonly breakerState: Gauge<'breaker'>;
  /** How a chat found its conversation: `session` (fast store), `store` (durable fallback) or `new`. */
  readonly sessionLookups: Counter<'source'>;
  /** Session-store operations that failed and fell back to the conversation store. */
  readonly sessionStoreFallbacks: Counter;
  /** From the start of a turn to its first piece of reply text. */
  readonly turnFirstToken: Histogram;
  /** Server-Sent Events streams open now. */
  readonly streamsOpen: Gauge;
  /** Clients that left a turn before its end, by transport (`sse`, `unary`). */
  readonly turnDisconnects: Counter<'transport'>;
}

// An RPC is mostly a model call (seconds, up to the model timeout); the short end is for list/describe.
const RPC_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120];
const MODEL_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120];
const FIRST_TOKEN_BUCKETS = [0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 20];
const TOOL_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * Registers Parley's metrics and the process defaults (prefixed `parley_`) on `registry`. One registry per
 * server: a second call on the same registry throws, as prom-client refuses duplicate names.
 */
export function createMetrics(registry: Registry): ParleyMetrics {
  const registers = [registry];
  collectDefaultMetrics({ register: registry, prefix: 'parley_' });
  return {
    registry,
    rpcRequests: new Counter({
      name: 'parley_rpc_requests_total',
      help: 'RPCs handled, by method and Twirp code',
      labelNames: ['method', 'code'],
      registers,
    }),
    rpcDuration: new Histogram({
      name: 'parley_rpc_duration_seconds',
      help: 'Time from request to response, by method and Twirp code',
      labelNames: ['method', 'code'],
      buckets: RPC_BUCKETS,
      registers,
    }),
    modelCalls: new Counter({
      name: 'parley_model_calls_total',
      help: 'Model calls, by model and outcome (ok or the error code)',
      labelNames: ['model', 'outcome'],
      registers,
    }),
    modelDuration: new Histogram({
      name: 'parley_model_duration_seconds',
      help: 'Model call latency including retries, by model',
      labelNames: ['model'],
      buckets: MODEL_BUCKETS,
      registers,
    }),
    modelTokens: new Counter({
      name: 'parley_model_tokens_total',
      help: 'Tokens reported by the model provider, by model and kind (prompt, completion)',
      labelNames: ['model', 'kind'],
      registers,
    }),
    toolCalls: new Counter({
      name: 'parley_tool_calls_total',
      help: 'Tool calls, by tool and outcome',
      labelNames: ['tool', 'outcome'],
      registers,
    }),
    toolDuration: new Histogram({
      name: 'parley_tool_duration_seconds',
      help: 'Tool call latency, by tool',
      labelNames: ['tool'],
      buckets: TOOL_BUCKETS,
      registers,
    }),
    cacheRequests: new Counter({
      name: 'parley_cache_requests_total',
      help: 'Tool-result cache lookups, by cache and result (hit, miss, stale)',
      labelNames: ['cache', 'result'],
      registers,
    }),
    breakerState: new Gauge({
      name: 'parley_circuit_breaker_state',
      help: 'Circuit breaker state: 0 closed, 1 open, 2 half-open',
      labelNames: ['breaker'],
      // WORKERS > 1: each worker has its own breaker; the pool reports the furthest from closed.
      aggregator: 'max',
      registers,
    }),
    sessionLookups: new Counter({
      name: 'parley_session_lookups_total',
      help: 'Chat-to-conversation lookups, by where the conversation was found (session, store, new)',
      labelNames: ['source'],
      registers,
    }),
    sessionStoreFallbacks: new Counter({
      name: 'parley_session_store_fallbacks_total',
      help: 'Session store (Redis) failures answered from the conversation store instead',
      registers,
    }),
    turnFirstToken: new Histogram({
      name: 'parley_turn_first_token_seconds',
      help: 'Time from the start of a turn to the first piece of reply text',
      buckets: FIRST_TOKEN_BUCKETS,
      registers,
    }),
    streamsOpen: new Gauge({
      name: 'parley_sse_streams_open',
      help: 'Server-Sent Events streams open now',
      registers,
    }),
    turnDisconnects: new Counter({
      name: 'parley_turn_disconnects_total',
      help: 'Clients that left a turn before its end, by transport (sse, unary)',
      labelNames: ['transport'],
      registers,
    }),
  };
}

/**
 * Label values taken from input the server does not control (a model name a client chose), bounded: the
 * first `max` values seen are kept, anything after reads `other`, so series cannot grow without limit.
 */
export class BoundedLabel {
  readonly #values: Set<string>;
  readonly #max: number;

  constructor(max: number, initial: readonly string[] = []) {
    this.#max = max;
    this.#values = new Set(initial);
  }

  /** The label for `value`, admitting it while there is room. */
  admit(value: string): string {
    if (this.#values.has(value)) return value;
    if (this.#values.size >= this.#max) return 'other';
    this.#values.add(value);
    return value;
  }

  /** The label for `value` without admitting it (for failures, which should not claim a slot). */
  peek(value: string): string {
    return this.#values.has(value) ? value : 'other';
  }
}
