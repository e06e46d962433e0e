/**
 * The `Introspection State Changed` event: what it says, how a state change is stored on the node
 * record so the table's stream can carry it, and the one mapping from a stream record to the event.
 *
 * That mapping is data, used twice: in AWS it is the EventBridge pipe's filter pattern and input
 * template (the CDK stack puts {@link PIPE_FILTER_PATTERN} and {@link PIPE_INPUT_TEMPLATE} into the
 * pipe as they are); locally, {@link stateChangedEvent} evaluates the very same pattern and template
 * on the records it reads from DynamoDB Local's stream. There is no second description to drift.
 *
 * Every value the template reads is always present on a record the filter lets through (the stored
 * transition has every field, `""` for none), so the template never meets a missing path.
 *
 * @example
 * ```ts
 * const event = stateChangedEvent(streamRecord);
 * // { source: 'serverless-inspector', 'detail-type': 'Introspection State Changed',
 * //   detail: { node: '…', event: 'finish', previous_state: 'processing', state: 'finished', … } }
 * ```
 */
import type { StateTransition } from '#lib/ports/node-store.ts';

/** The event's `source`. */
export const EVENT_SOURCE = 'serverless-inspector';
/** The event's `detail-type`. */
export const DETAIL_TYPE = 'Introspection State Changed';

/** The node record attribute (a map) holding the state change its write made. */
export const TRANSITION_ATTRIBUTE = 'transition';
/** The node record's sort key (`lib/adapters/dynamodb/items.ts`). */
export const NODE_RECORD_SORT_KEY = 'RECORD';

/** The event's `detail`: strings only, `""` where there is none (a pipe's template cannot write null). */
export interface IntrospectionStateChanged {
  /** The node's UUID. */
  readonly node: string;
  /** The state machine's event: start, wait, process, finish, error, timeout, abort, abort_end, reapply. */
  readonly event: string;
  /** The state before; `""` for a node that had no record. */
  readonly previous_state: string;
  readonly state: string;
  /** The node's error after the change (`""`: none), as the status API shows it. */
  readonly error: string;
  /** ISO 8601 UTC times; `""` when unset. */
  readonly started_at: string;
  readonly finished_at: string;
  /** When the change was written. */
  readonly changed_at: string;
}

/** The stored form of a state change (a DynamoDB map of strings). */
export function storedTransition(t: StateTransition): Record<string, string> {
  const iso = (d: Date | null) => (d === null ? '' : d.toISOString());
  return {
    event: t.event,
    previous_state: t.previousState ?? '',
    state: t.state,
    error: t.error ?? '',
    started_at: iso(t.startedAt),
    finished_at: iso(t.finishedAt),
    at: t.at.toISOString(),
  };
}

const IMAGE = '$.dynamodb.NewImage';
const stored = (field: string) => `${IMAGE}.${TRANSITION_ATTRIBUTE}.M.${field}.S`;

/** Each detail field and the stream record path it comes from. */
const DETAIL_PATHS: ReadonlyArray<readonly [keyof IntrospectionStateChanged, string]> = [
  ['node', `${IMAGE}.uuid.S`],
  ['event', stored('event')],
  ['previous_state', stored('previous_state')],
  ['state', stored('state')],
  ['error', stored('error')],
  ['started_at', stored('started_at')],
  ['finished_at', stored('finished_at')],
  ['changed_at', stored('at')],
];

/** The pipe's input template: the event's detail, one quoted placeholder per field. */
export const PIPE_INPUT_TEMPLATE = `{${DETAIL_PATHS.map(([name, path]) => `"${name}": "<${path}>"`).join(', ')}}`;

/**
 * The pipe's filter: node records written (inserted or modified) with a state change. Lookup
 * attributes, options, leases and the throttle item are other sort keys; record writes that change no
 * state carry no transition; deletions have no new image.
 */
export const PIPE_FILTER_PATTERN = {
  eventName: ['INSERT', 'MODIFY'],
  dynamodb: {
    Keys: { sk: { S: [NODE_RECORD_SORT_KEY] } },
    NewImage: { [TRANSITION_ATTRIBUTE]: { M: { event: { S: [{ exists: true }] } } } },
  },
} as const;

type Pattern = { readonly [key: string]: Pattern | ReadonlyArray<string | { readonly exists: boolean }> };

/**
 * Whether `value` matches an EventBridge event pattern, for the parts of the syntax
 * {@link PIPE_FILTER_PATTERN} uses: nested objects, lists of exact strings, and `exists`.
 *
 * @throws Error for any other matcher (so a pattern grown beyond this subset fails loudly)
 */
export function matchesPattern(pattern: Pattern, value: unknown): boolean {
  for (const [key, expected] of Object.entries(pattern)) {
    const actual =
      typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
    if (Array.isArray(expected)) {
      const ok = expected.some((matcher: string | { readonly exists: boolean }) => {
        if (typeof matcher === 'string') return actual === matcher;
        if (typeof matcher === 'object' && matcher !== null && Object.keys(matcher).join() === 'exists') {
          return (actual !== undefined) === matcher.exists;
        }
        throw new Error(`Unsupported event pattern matcher: ${JSON.stringify(matcher)}`);
      });
      if (!ok) return false;
    } else if (!matchesPattern(expected as Pattern, actual)) {
      return false;
    }
  }
  return true;
}

/** The value at a JSONPath of the dot form the template uses (`$.a.b.c`). */
function at(document: unknown, path: string): unknown {
  let value: unknown = document;
  for (const key of path.replace(/^\$\./, '').split('.')) {
    value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
  }
  return value;
}

/**
 * Fill an input template's quoted placeholders (`"<$.path>"`) from `document`, as EventBridge Pipes
 * does: the string found there, escaped for JSON.
 *
 * @throws Error when a path leads to no string (the filter rules that out for the pipe's records)
 */
export function renderInputTemplate(template: string, document: unknown): string {
  return template.replace(/"<(\$[.\w-]+)>"/g, (_match, path: string) => {
    const value = at(document, path);
    if (typeof value !== 'string') throw new Error(`The input template's path ${path} holds no string`);
    return JSON.stringify(value);
  });
}

/** The event published on the bus. */
export interface StateChangedEvent {
  readonly source: typeof EVENT_SOURCE;
  readonly 'detail-type': typeof DETAIL_TYPE;
  readonly detail: IntrospectionStateChanged;
}

/**
 * The event a DynamoDB stream record becomes (the stream record as Lambda and Pipes see it:
 * `eventName`, `dynamodb.Keys`, `dynamodb.NewImage` in DynamoDB JSON), or undefined when the pipe's
 * filter drops it.
 */
export function stateChangedEvent(streamRecord: unknown): StateChangedEvent | undefined {
  if (!matchesPattern(PIPE_FILTER_PATTERN as unknown as Pattern, streamRecord)) return undefined;
  const detail = JSON.parse(
    renderInputTemplate(PIPE_INPUT_TEMPLATE, streamRecord),
  ) as IntrospectionStateChanged;
  return { source: EVENT_SOURCE, 'detail-type': DETAIL_TYPE, detail };
}

/**
 * The event of a state change stored in memory (the in-memory node store's stand-in for the stream):
 * the record version's image as the stream would carry it, through the same filter and template.
 */
export function transitionEvent(uuid: string, transition: StateTransition): StateChangedEvent | undefined {
  const stored = Object.entries(storedTransition(transition)).map(([name, value]) => [name, { S: value }]);
  return stateChangedEvent({
    eventName: 'MODIFY',
    dynamodb: {
      Keys: { sk: { S: NODE_RECORD_SORT_KEY } },
      NewImage: { uuid: { S: uuid }, [TRANSITION_ATTRIBUTE]: { M: Object.fromEntries(stored) } },
    },
  });
}

/** Reads the state changes of a node store as they are written, and hands on their events. */
export interface StateChangeFollower {
  /** Resolves once every change written before the call has been handed on. */
  drain(): Promise<void>;
  stop(): Promise<void>;
}

/** Where a follower hands each event; a throw is logged and the event is not retried. */
export type StateChangedEventSink = (event: StateChangedEvent) => Promise<void> | void;

/** One log line for an event (the local stack prints these). */
export function eventLine(event: StateChangedEvent): string {
  const d = event.detail;
  const from = d.previous_state === '' ? '(new)' : d.previous_state;
  return `${event['detail-type']}: node ${d.node} ${from} -> ${d.state} on ${d.event}${d.error === '' ? '' : ` (error: ${d.error})`}`;
}
