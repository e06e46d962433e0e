/**
 * The `Introspection State Changed` events: the pipe's filter and input template on stream records of
 * every state change (the transformer's output, pure), then the node cache on in-memory stores (its
 * state changes through the same filter and template, each published exactly once) and the local
 * stack posting them to `EVENTS_URL` through a whole introspection over the API. The same scenarios
 * on DynamoDB Local's stream: test/integration/introspection-events-dynamodb.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { TRANSITIONS } from '#lib/domain/state-machine.ts';
import {
  DETAIL_TYPE,
  EVENT_SOURCE,
  eventLine,
  type IntrospectionStateChanged,
  matchesPattern,
  PIPE_FILTER_PATTERN,
  PIPE_INPUT_TEMPLATE,
  renderInputTemplate,
  type StateChangedEvent,
  stateChangedEvent,
  storedTransition,
  transitionEvent,
} from '#lib/events/state-changed.ts';
import type { StateTransition } from '#lib/ports/node-store.ts';
import { newUuid } from '#test/support/fixture.ts';
import { describeLocalStackEvents, describeNodeCacheEvents } from '#test/support/state-change-events.ts';

const STARTED = new Date('2026-11-25T17:38:03.123Z');
const CHANGED = new Date('2026-11-25T17:40:00.000Z');

/** A stream record as DynamoDB (and so Pipes) delivers it for a node record item. */
function streamRecord(
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE',
  item: Record<string, unknown> | undefined,
  sk = 'RECORD',
): Record<string, unknown> {
  const uuid = (item?.uuid as string | undefined) ?? 'b3a5f0d2-0000-4000-8000-000000000001';
  return {
    eventID: randomUUID(),
    eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'us-east-1',
    dynamodb: {
      ApproximateCreationDateTime: 1795000000,
      Keys: marshall({ pk: `NODE#${uuid}`, sk }),
      ...(item === undefined ? {} : { NewImage: marshall(item, { removeUndefinedValues: true }) }),
      SequenceNumber: '100000000000000000001',
      SizeBytes: 300,
      StreamViewType: 'NEW_IMAGE',
    },
  };
}

/** The node record item the DynamoDB adapter writes with a state change. */
function recordItem(uuid: string, t: StateTransition): Record<string, unknown> {
  return {
    pk: `NODE#${uuid}`,
    sk: 'RECORD',
    uuid,
    state: t.state,
    version_id: randomUUID(),
    started_at: '2026-11-25T17:38:03.123000',
    ...(t.finishedAt ? { finished_at: '2026-11-25T17:40:00.000000' } : {}),
    ...(t.error ? { error: t.error } : {}),
    manage_boot: true,
    list_key: `2026-11-25T17:38:03.123000#${uuid}`,
    child_count: 0,
    transition: storedTransition(t),
  };
}

describe('the pipe template and filter (the transformer), for each state change', () => {
  it('the template is the detail object: one quoted placeholder per field', () => {
    const skeleton = JSON.parse(PIPE_INPUT_TEMPLATE.replace(/<[^>]+>/g, 'x')) as Record<string, string>;
    expect(Object.keys(skeleton)).toEqual([
      'node',
      'event',
      'previous_state',
      'state',
      'error',
      'started_at',
      'finished_at',
      'changed_at',
    ]);
    expect(PIPE_INPUT_TEMPLATE).toContain('"node": "<$.dynamodb.NewImage.uuid.S>"');
    expect(PIPE_INPUT_TEMPLATE).toContain('"event": "<$.dynamodb.NewImage.transition.M.event.S>"');
  });

  // Every row of the transition table, plus a start on a node without a record.
  const cases = [
    ...TRANSITIONS.map((t) => ({ event: t.event, from: t.source as string | null, to: t.target })),
    { event: 'start' as const, from: null, to: 'starting' as const },
  ];
  it.each(cases)('$from + $event -> $to', ({ event, from, to }) => {
    const uuid = newUuid();
    const finishing = ['finish', 'error', 'timeout', 'abort_end'].includes(event);
    const error =
      to === 'error'
        ? event === 'timeout'
          ? 'Introspection timeout'
          : event === 'abort_end'
            ? 'Canceled by operator'
            : 'Unexpected exception "boom"\nduring processing'
        : null;
    const transition: StateTransition = {
      event,
      previousState: from as StateTransition['previousState'],
      state: to,
      error,
      startedAt: STARTED,
      finishedAt: finishing ? CHANGED : null,
      at: CHANGED,
    };
    const published = stateChangedEvent(
      streamRecord(from === null ? 'INSERT' : 'MODIFY', recordItem(uuid, transition)),
    );
    const expected: IntrospectionStateChanged = {
      node: uuid,
      event,
      previous_state: from ?? '',
      state: to,
      error: error ?? '',
      started_at: '2026-11-25T17:38:03.123Z',
      finished_at: finishing ? '2026-11-25T17:40:00.000Z' : '',
      changed_at: '2026-11-25T17:40:00.000Z',
    };
    expect(published).toEqual({ source: EVENT_SOURCE, 'detail-type': DETAIL_TYPE, detail: expected });
  });

  it('drops what is no state change: deletions, other items, record writes without a transition', () => {
    const uuid = newUuid();
    const item = recordItem(uuid, {
      event: 'wait',
      previousState: 'starting',
      state: 'waiting',
      error: null,
      startedAt: STARTED,
      finishedAt: null,
      at: CHANGED,
    });
    expect(stateChangedEvent(streamRecord('MODIFY', item))).toBeDefined();
    expect(stateChangedEvent(streamRecord('REMOVE', undefined))).toBeUndefined();
    const { transition: _t, ...withoutTransition } = item;
    expect(stateChangedEvent(streamRecord('MODIFY', withoutTransition))).toBeUndefined();
    expect(stateChangedEvent(streamRecord('INSERT', { ...item, sk: 'LEASE' }, 'LEASE'))).toBeUndefined();
    expect(
      stateChangedEvent(streamRecord('INSERT', { attr_name: 'mac', attr_value: 'x' }, 'ATTR#1')),
    ).toBeUndefined();
  });

  it('the filter evaluator refuses matchers it does not implement, and the renderer missing paths', () => {
    expect(() => matchesPattern({ a: [{ prefix: 'x' } as never] }, { a: 'xy' })).toThrow(/Unsupported/);
    expect(matchesPattern(PIPE_FILTER_PATTERN as never, { eventName: 'MODIFY' })).toBe(false);
    expect(() => renderInputTemplate('{"a": "<$.b.c>"}', { b: {} })).toThrow(/holds no string/);
  });

  it('a state change kept in memory becomes the same event as its stream record', () => {
    const uuid = newUuid();
    const transition: StateTransition = {
      event: 'abort_end',
      previousState: 'aborting',
      state: 'error',
      error: 'Canceled by operator',
      startedAt: STARTED,
      finishedAt: CHANGED,
      at: CHANGED,
    };
    expect(transitionEvent(uuid, transition)).toEqual(
      stateChangedEvent(streamRecord('MODIFY', recordItem(uuid, transition))),
    );
  });

  it('one short line per event for the local stack', () => {
    const event: StateChangedEvent = {
      source: EVENT_SOURCE,
      'detail-type': DETAIL_TYPE,
      detail: {
        node: 'n1',
        event: 'timeout',
        previous_state: 'waiting',
        state: 'error',
        error: 'Introspection timeout',
        started_at: '',
        finished_at: '',
        changed_at: '',
      },
    };
    expect(eventLine(event)).toBe(
      'Introspection State Changed: node n1 waiting -> error on timeout (error: Introspection timeout)',
    );
  });
});

describeNodeCacheEvents('memory');
describeLocalStackEvents('memory');
