import { SpanKind } from '@opentelemetry/api';
import type { ConversationStore } from '../conversations/conversation-store.ts';
import { inSpan, inUnrecordedSpan } from '../tracing/spans.ts';

/** Readiness probes and shutdown: tracing them would only add noise (a root trace every few seconds). */
const UNTRACED = new Set<PropertyKey>(['ping', 'close']);

/**
 * The same store with a client span (`store.{operation}`, `db.system.name`, `db.operation.name`) around
 * each call made in a recorded trace (inside an unrecorded one, the call goes straight through). A Proxy
 * rather than a class of twelve pass-through methods: a method added to the interface is traced without
 * touching this file. Methods run with the real store as `this` (private fields).
 */
export function tracedStore(store: ConversationStore, system: 'mongodb' | 'sqlite'): ConversationStore {
  return new Proxy(store, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      if (typeof property !== 'string' || UNTRACED.has(property)) return value.bind(target);
      return (...args: unknown[]) => {
        // A turn that is not traced (the default) makes several store calls: no span for each.
        if (inUnrecordedSpan()) return value.apply(target, args);
        const attributes = { 'db.system.name': system, 'db.operation.name': property };
        return inSpan(`store.${property}`, { kind: SpanKind.CLIENT, attributes }, async () =>
          value.apply(target, args),
        );
      };
    },
  });
}
