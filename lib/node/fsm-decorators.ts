/**
 * Upstream's node_cache decorators as higher-order functions over `(nodeInfo, ...args) => Promise<R>`.
 * The first argument is always the NodeInfo, as upstream assumes.
 *
 * @example
 * ```ts
 * // upstream: _do_introspect = release_lock(fsm_transition(wait))
 * const doIntrospect = releaseLock(fsmTransition('wait')(async (nodeInfo: NodeInfo) => {
 *   await setBootDeviceAndReboot(nodeInfo);
 * }));
 * ```
 */
import { NodeStateInvalidEvent, NodeStateRaceCondition } from '#lib/domain/errors.ts';
import type { IntrospectionEvent } from '#lib/domain/state-machine.ts';
import type { NodeInfo } from '#lib/node/node-info.ts';
import type { Logger } from '#lib/ports/logger.ts';

/** A function whose first argument is a NodeInfo. */
export type NodeInfoFunction<A extends unknown[], R> = (nodeInfo: NodeInfo, ...args: A) => Promise<R>;

// biome-ignore lint/suspicious/noExplicitAny: error classes take any constructor arguments
type ErrorClass = abstract new (...args: any[]) => Error;

/** Upstream's `fsm_event_before`: fire `event`, then run the function (an invalid event stops it). */
export function fsmEventBefore(event: IntrospectionEvent, options: { readonly strict?: boolean } = {}) {
  return <A extends unknown[], R>(fn: NodeInfoFunction<A, R>): NodeInfoFunction<A, R> =>
    async (nodeInfo, ...args) => {
      await nodeInfo.fsmEvent(event, options);
      return fn(nodeInfo, ...args);
    };
}

/** Upstream's `fsm_event_after`: run the function; only if it returned, fire `event`. */
export function fsmEventAfter(event: IntrospectionEvent, options: { readonly strict?: boolean } = {}) {
  return <A extends unknown[], R>(fn: NodeInfoFunction<A, R>): NodeInfoFunction<A, R> =>
    async (nodeInfo, ...args) => {
      const result = await fn(nodeInfo, ...args);
      await nodeInfo.fsmEvent(event, options);
      return result;
    };
}

/** Options of {@link triggersFsmErrorTransition}. */
export interface ErrorTransitionOptions {
  /** Errors that move the node to `error` (then re-thrown). Default: every Error. */
  readonly errors?: readonly ErrorClass[];
  /** Errors swallowed with a debug log (checked first). Default: invalid event and race condition. */
  readonly noErrors?: readonly ErrorClass[];
  /**
   * Failures that a later try can get past (Ironic unreachable, a storage hiccup): re-thrown with no
   * transition, so the job is run again (docs/design.md#recovery). Checked after `noErrors`.
   */
  readonly retryable?: (err: unknown) => boolean;
  readonly logger?: Logger;
}

/**
 * Upstream's `triggers_fsm_error_transition`: an error in `noErrors` is logged at debug and swallowed
 * (the wrapper resolves to undefined); one in `errors` finishes the node with event `error` and its
 * message, then is re-thrown; any other error propagates with no transition.
 */
export function triggersFsmErrorTransition(options: ErrorTransitionOptions = {}) {
  const errors = options.errors ?? [Error];
  const noErrors = options.noErrors ?? [NodeStateInvalidEvent, NodeStateRaceCondition];
  return <A extends unknown[], R>(fn: NodeInfoFunction<A, R>): NodeInfoFunction<A, R | undefined> =>
    async (nodeInfo, ...args) => {
      try {
        return await fn(nodeInfo, ...args);
      } catch (err) {
        if (noErrors.some((cls) => err instanceof cls)) {
          options.logger?.debug(`Not processing error event for the exception: ${String(err)}`, {
            node: nodeInfo.uuid,
          });
          return undefined;
        }
        if (options.retryable?.(err) !== true && errors.some((cls) => err instanceof cls)) {
          await nodeInfo.finished('error', err instanceof Error ? err.message : String(err));
        }
        throw err;
      }
    };
}

/** Options of {@link fsmTransition}: `reentrant` plus those of {@link triggersFsmErrorTransition}. */
export interface FsmTransitionOptions extends ErrorTransitionOptions {
  /** true: fire the event (non-strict) after the function; false: before it, strictly. Default true. */
  readonly reentrant?: boolean;
}

/**
 * Upstream's `fsm_transition`: the function wrapped in {@link triggersFsmErrorTransition}, then either
 * {@link fsmEventAfter} (reentrant, non-strict) or {@link fsmEventBefore} (strict) outermost, so an
 * invalid non-reentrant event reaches the caller instead of being swallowed.
 */
export function fsmTransition(event: IntrospectionEvent, options: FsmTransitionOptions = {}) {
  const { reentrant = true, ...errorOptions } = options;
  return <A extends unknown[], R>(fn: NodeInfoFunction<A, R>): NodeInfoFunction<A, R | undefined> => {
    const guarded = triggersFsmErrorTransition(errorOptions)(fn);
    return reentrant ? fsmEventAfter(event)(guarded) : fsmEventBefore(event, { strict: true })(guarded);
  };
}

/** Upstream's `release_lock` decorator: run the function, then release the lock if this NodeInfo holds it. */
export function releaseLock<A extends unknown[], R>(fn: NodeInfoFunction<A, R>): NodeInfoFunction<A, R> {
  return async (nodeInfo, ...args) => {
    try {
      return await fn(nodeInfo, ...args);
    } finally {
      await nodeInfo.releaseLock();
    }
  };
}
