import { SpanKind } from '@opentelemetry/api';
import type { ConversationStore } from '../conversations/conversation-store.ts';
import { inSpan } from '../tracing/spans.ts';

/** Readiness probes and shutdown: tracing them would only add noise (a root trace every few seconds). */
const UNTRACED = new Set<PropertyKey>(['ping', 'close']);

/**
 * The same store with a client span (`store.{operation}`, `db.system.name`, `db.operation.name`) around
 * each call. A Proxy rather than a class of twelve pass-through methods: a method added to the interface
 * is traced without touching this file. Methods run with the real store as `this` (private fields).
 */
export function tracedStore(store: ConversationStore, system: 'mongodb' | 'sqlite'): ConversationStore {
  return new Proxy(store, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      if (typeof property !== 'string' || UNTRACED.has(property)) return value.bind(target);
      const attributes = { 'db.system.name': system, 'db.operation.name': property };
      return (...args: unknown[]) =>
        inSpan(`store.${property}`, { kind: SpanKind.CLIENT, attributes }, async () =>
          value.apply(target, args),
        );
    },
  });
}
