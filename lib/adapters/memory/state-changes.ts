/**
 * Introspection events from the in-memory node store: what the table's stream and the EventBridge
 * pipe do in AWS, for the local stack and tests on memory stores. Each state change the store keeps
 * goes through the pipe's own filter and template ({@link transitionEvent}), in write order, after the
 * write (no request waits on it).
 *
 * @example
 * ```ts
 * const follower = followMemoryStateChanges({ nodes, logger, onEvent: (e) => console.log(eventLine(e)) });
 * await follower.drain();
 * await follower.stop();
 * ```
 */
import type { MemoryNodeStore } from '#lib/adapters/memory/node-store.ts';
import {
  type StateChangedEventSink,
  type StateChangeFollower,
  transitionEvent,
} from '#lib/events/state-changed.ts';
import type { Logger } from '#lib/ports/logger.ts';

export interface FollowMemoryStateChangesOptions {
  readonly nodes: MemoryNodeStore;
  readonly logger: Logger;
  readonly onEvent: StateChangedEventSink;
}

/** Start following the store's state changes. */
export function followMemoryStateChanges(options: FollowMemoryStateChangesOptions): StateChangeFollower {
  const { logger, onEvent } = options;
  // One chain: events are handed on one after the other, in the order the writes made them.
  let delivered: Promise<void> = Promise.resolve();
  let stopped = false;
  const unsubscribe = options.nodes.onStateChange((uuid, transition) => {
    const event = transitionEvent(uuid, transition);
    if (event === undefined || stopped) return;
    delivered = delivered.then(async () => {
      try {
        await onEvent(event);
      } catch (err) {
        logger.error('Could not hand on an introspection event', { node: uuid, error: String(err) });
      }
    });
  });
  return {
    async drain() {
      // The store hands changes on at the next turn of the event loop: let those in flight arrive.
      await new Promise((resolve) => setImmediate(resolve));
      await delivered;
    },
    async stop() {
      stopped = true;
      unsubscribe();
      await delivered;
    },
  };
}
