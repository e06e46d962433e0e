/**
 * ironic-inspector's introspection state machine (`introspection_state.py`), as a table of
 * (source, event, target): data, not branching code.
 *
 * The table holds upstream's 26 transitions plus two additions (`waiting + error -> error`,
 * `aborting + error -> error`), so a failure reported while the node waits for its ramdisk moves it to
 * `error` at once instead of leaving it `waiting` until the timeout (docs/design.md#failures-while-waiting).
 * docs/design.md#state-machine draws the whole machine.
 *
 * @example
 * ```ts
 * nextState('waiting', 'process'); // 'processing'
 * nextState('finished', 'timeout'); // throws NodeStateInvalidEvent
 * ```
 */
import { NodeStateInvalidEvent, UndefinedStateError } from '#lib/domain/errors.ts';

/** The 8 introspection states, in upstream's `States.all()` order (also the API's `state` filter values). */
export const STATES = [
  'starting',
  'waiting',
  'processing',
  'finished',
  'error',
  'reapplying',
  'enrolling',
  'aborting',
] as const;
export type IntrospectionState = (typeof STATES)[number];

/** The 9 events. */
export const EVENTS = [
  'start',
  'wait',
  'process',
  'finish',
  'error',
  'timeout',
  'abort',
  'abort_end',
  'reapply',
] as const;
export type IntrospectionEvent = (typeof EVENTS)[number];

/** One row of the transition table. */
export interface Transition {
  readonly source: IntrospectionState;
  readonly event: IntrospectionEvent;
  readonly target: IntrospectionState;
  /** Where the row comes from: upstream's machine, or a deliberate addition (docs/design.md#failures-while-waiting). */
  readonly origin: 'upstream' | 'addition';
}

/** Every valid transition; anything not listed is invalid. */
export const TRANSITIONS: readonly Transition[] = [
  { source: 'aborting', event: 'abort_end', target: 'error', origin: 'upstream' },
  { source: 'aborting', event: 'timeout', target: 'error', origin: 'upstream' },
  { source: 'aborting', event: 'error', target: 'error', origin: 'addition' },
  { source: 'enrolling', event: 'error', target: 'error', origin: 'upstream' },
  { source: 'enrolling', event: 'process', target: 'processing', origin: 'upstream' },
  { source: 'enrolling', event: 'timeout', target: 'error', origin: 'upstream' },
  { source: 'error', event: 'abort', target: 'error', origin: 'upstream' },
  { source: 'error', event: 'error', target: 'error', origin: 'upstream' },
  { source: 'error', event: 'reapply', target: 'reapplying', origin: 'upstream' },
  { source: 'error', event: 'start', target: 'starting', origin: 'upstream' },
  { source: 'finished', event: 'finish', target: 'finished', origin: 'upstream' },
  { source: 'finished', event: 'reapply', target: 'reapplying', origin: 'upstream' },
  { source: 'finished', event: 'start', target: 'starting', origin: 'upstream' },
  { source: 'processing', event: 'error', target: 'error', origin: 'upstream' },
  { source: 'processing', event: 'finish', target: 'finished', origin: 'upstream' },
  { source: 'processing', event: 'timeout', target: 'error', origin: 'upstream' },
  { source: 'reapplying', event: 'error', target: 'error', origin: 'upstream' },
  { source: 'reapplying', event: 'finish', target: 'finished', origin: 'upstream' },
  { source: 'reapplying', event: 'reapply', target: 'reapplying', origin: 'upstream' },
  { source: 'reapplying', event: 'timeout', target: 'error', origin: 'upstream' },
  { source: 'starting', event: 'error', target: 'error', origin: 'upstream' },
  { source: 'starting', event: 'timeout', target: 'error', origin: 'upstream' },
  { source: 'starting', event: 'wait', target: 'waiting', origin: 'upstream' },
  { source: 'waiting', event: 'abort', target: 'aborting', origin: 'upstream' },
  { source: 'waiting', event: 'error', target: 'error', origin: 'addition' },
  { source: 'waiting', event: 'process', target: 'processing', origin: 'upstream' },
  { source: 'waiting', event: 'start', target: 'starting', origin: 'upstream' },
  { source: 'waiting', event: 'timeout', target: 'error', origin: 'upstream' },
];

/**
 * States in which introspection is under way and the node may be timed out by `clean_up`. `reapplying`
 * is one of them here (docs/design.md#reapply-timeout); upstream never times a reapply out.
 */
export const ACTIVE_STATES: readonly IntrospectionState[] = [
  'starting',
  'waiting',
  'processing',
  'reapplying',
  'enrolling',
  'aborting',
];

const targets = new Map<string, IntrospectionState>(
  TRANSITIONS.map((t) => [`${t.source}\u0000${t.event}`, t.target]),
);

/** Whether `value` is one of the 8 states. */
export function isState(value: string): value is IntrospectionState {
  return (STATES as readonly string[]).includes(value);
}

/**
 * The state `event` leads to from `state`.
 *
 * @throws UndefinedStateError when `state` is not one of the 8 (upstream: automaton's raw NotFound)
 * @throws NodeStateInvalidEvent with automaton's text when the table has no such transition
 */
export function nextState(state: string, event: IntrospectionEvent): IntrospectionState {
  if (!isState(state)) throw new UndefinedStateError(state);
  const target = targets.get(`${state}\u0000${event}`);
  if (target === undefined) {
    throw new NodeStateInvalidEvent(
      `Can not transition from state '${state}' on event '${event}' (no defined transition)`,
    );
  }
  return target;
}
