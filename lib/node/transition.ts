/**
 * One state-machine step for a node, with upstream's log line: an invalid event is logged as
 * "Invalid event: …" (a warning, or an error for a strict event) and thrown. NodeInfo's events,
 * `finished()` and the start of introspection all decide their target state through it.
 *
 * @example
 * ```ts
 * const target = transition('waiting', 'process', { logger, uuid }); // 'processing'
 * ```
 */
import { NodeStateInvalidEvent } from '#lib/domain/errors.ts';
import { type IntrospectionEvent, type IntrospectionState, nextState } from '#lib/domain/state-machine.ts';
import type { Logger } from '#lib/ports/logger.ts';
import type { StateTransition } from '#lib/ports/node-store.ts';

/** Who to log an invalid event for, and how loudly. */
export interface TransitionLog {
  readonly logger: Logger;
  readonly uuid: string;
  /** `error` for a strict event (it fails the introspection), `warn` otherwise. */
  readonly level?: 'warn' | 'error';
}

/**
 * The state `event` leads to from `state`.
 *
 * @throws NodeStateInvalidEvent (logged first) when the table has no such transition
 * @throws UndefinedStateError when `state` is not one of the 8 (not logged, as upstream)
 */
export function transition(state: string, event: IntrospectionEvent, log: TransitionLog): IntrospectionState {
  try {
    return nextState(state, event);
  } catch (err) {
    if (err instanceof NodeStateInvalidEvent) {
      log.logger[log.level ?? 'warn'](`Invalid event: ${err.message}`, { node: log.uuid });
    }
    throw err;
  }
}

/**
 * The state change a write stores with it for the introspection events (`lib/events/`): the event,
 * both states, and the node's error and times as they are after the write.
 *
 * @example
 * ```ts
 * const change = stateTransition('wait', 'starting', 'waiting', nodeInfo, now);
 * await nodes.updateNode(uuid, v1, { state: 'waiting', transition: change }, v2);
 * ```
 */
export function stateTransition(
  event: IntrospectionEvent,
  previousState: IntrospectionState | null,
  state: IntrospectionState,
  after: Pick<StateTransition, 'error' | 'startedAt' | 'finishedAt'>,
  at: Date,
): StateTransition {
  const { error, startedAt, finishedAt } = after;
  return { event, previousState, state, error, startedAt, finishedAt, at };
}
