/**
 * The `Introspection State Changed` events: the pipe's filter and input template on stream records of
 * every state change (the transformer's output, pure), then the real thing — node cache writes on
 * DynamoDB Local, its stream read back, each state change published exactly once — and the local
 * stack posting them to `EVENTS_URL` through a whole introspection over the API.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { followStateChanges, type StateChangeFollower } from '#lib/adapters/dynamodb-stream-events.ts';
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
} from '#lib/events/state-changed.ts';
import type { StateTransition } from '#lib/ports/node-store.ts';
import { TRANSITIONS } from '#lib/state-machine.ts';
import { FakeIronic } from '#test/support/fake-ironic.ts';
import { type Fixture, newUuid, nodeCacheFixture } from '#test/support/fixture.ts';
import { ramdiskCallback, startTestStack } from '#test/support/stack.ts';

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

describe('from the node cache through DynamoDB Local’s stream', () => {
  let f: Fixture;
  let follower: StateChangeFollower;
  let streams: DynamoDBStreamsClient;
  const seen: StateChangedEvent[] = [];
  beforeAll(async () => {
    f = await nodeCacheFixture();
    streams = new DynamoDBStreamsClient({ endpoint: f.config.dynamoDbEndpoint, region: 'us-east-1' });
    follower = await followStateChanges({
      dynamoDb: f.dynamoDb,
      streams,
      tableName: f.config.nodeCacheTable,
      logger: f.logger,
      pollMs: 50,
      onEvent: (event) => {
        seen.push(event);
      },
    });
  });
  afterAll(async () => {
    await follower?.stop();
    streams?.destroy();
  });

  async function eventsOf(uuid: string) {
    await follower.drain();
    return seen
      .filter((e) => e.detail.node === uuid)
      .map((e) => [e.detail.previous_state, e.detail.event, e.detail.state, e.detail.error]);
  }

  it('a whole introspection: each state change once, none for the other writes of the record', async () => {
    const uuid = newUuid();
    const nodeInfo = await f.nodeCache.startIntrospection(uuid, { attributes: { bmc_address: '10.9.0.1' } });
    await nodeInfo.fsmEvent('wait');
    // Writes of the record that change no state: lookup attributes, options, timestamps.
    await nodeInfo.addAttribute('mac', ['52:54:00:9a:00:01']);
    await nodeInfo.setOption('new_ipmi_credentials', null);
    await nodeInfo.commit();
    await nodeInfo.fsmEvent('process', true);
    await nodeInfo.finished('finish');
    expect(await eventsOf(uuid)).toEqual([
      ['', 'start', 'starting', ''],
      ['starting', 'wait', 'waiting', ''],
      ['waiting', 'process', 'processing', ''],
      ['processing', 'finish', 'finished', ''],
    ]);
    const finish = seen.filter((e) => e.detail.node === uuid).at(-1)?.detail;
    expect(finish?.finished_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(finish?.started_at).toBe(nodeInfo.startedAt?.toISOString());
    expect(finish?.changed_at).toBe(finish?.finished_at);

    // A new start of the same node replaces the record: its previous state is the finished one.
    await f.nodeCache.startIntrospection(uuid);
    expect((await eventsOf(uuid)).at(-1)).toEqual(['finished', 'start', 'starting', '']);
  });

  it('abort, timeout and error, with their error texts; an invalid event publishes nothing', async () => {
    const aborted = newUuid();
    const a = await f.nodeCache.startIntrospection(aborted);
    await a.fsmEvent('wait');
    await a.fsmEvent('abort');
    await a.finished('abort_end', 'Canceled by operator');
    await expect(a.fsmEvent('finish')).rejects.toThrow(/no defined transition/);

    const failed = newUuid();
    const b = await f.nodeCache.startIntrospection(failed);
    await b.finished('error', 'Failed to set boot device to PXE: "power" is off');

    expect(await eventsOf(aborted)).toEqual([
      ['', 'start', 'starting', ''],
      ['starting', 'wait', 'waiting', ''],
      ['waiting', 'abort', 'aborting', ''],
      ['aborting', 'abort_end', 'error', 'Canceled by operator'],
    ]);
    expect(await eventsOf(failed)).toEqual([
      ['', 'start', 'starting', ''],
      ['starting', 'error', 'error', 'Failed to set boot device to PXE: "power" is off'],
    ]);
  });

  it('a table made before the stream existed (a kept local table) gets its stream', async () => {
    const { CreateTableCommand, DescribeTableCommand } = await import('@aws-sdk/client-dynamodb');
    const table = `old-${newUuid()}`;
    await f.dynamoDb.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
      }),
    );
    const follow = await followStateChanges({
      dynamoDb: f.dynamoDb,
      streams,
      tableName: table,
      logger: f.logger,
      pollMs: 50,
      onEvent: () => undefined,
    });
    await follow.stop();
    const { Table } = await f.dynamoDb.send(new DescribeTableCommand({ TableName: table }));
    expect(Table?.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: 'NEW_IMAGE' });
  });

  it('a timeout from the clean-up', async () => {
    const g = await nodeCacheFixture({ INSPECTOR_TIMEOUT: '1' });
    const s = new DynamoDBStreamsClient({ endpoint: g.config.dynamoDbEndpoint, region: 'us-east-1' });
    const events: StateChangedEvent[] = [];
    const follow = await followStateChanges({
      dynamoDb: g.dynamoDb,
      streams: s,
      tableName: g.config.nodeCacheTable,
      logger: g.logger,
      pollMs: 50,
      onEvent: (e) => {
        events.push(e);
      },
    });
    try {
      const uuid = newUuid();
      const n = await g.nodeCache.startIntrospection(uuid);
      await n.fsmEvent('wait');
      g.clock.advance(5_000);
      expect(await g.nodeCache.cleanUp()).toEqual([uuid]);
      await follow.drain();
      expect(
        events.map((e) => [e.detail.previous_state, e.detail.event, e.detail.state, e.detail.error]),
      ).toEqual([
        ['', 'start', 'starting', ''],
        ['starting', 'wait', 'waiting', ''],
        ['waiting', 'timeout', 'error', 'Introspection timeout'],
      ]);
    } finally {
      await follow.stop();
      s.destroy();
    }
  });
});

describe('the local stack posts events to EVENTS_URL', () => {
  it('a whole introspection over the API, as EventBridge-shaped JSON', async () => {
    const received: Array<Record<string, unknown>> = [];
    const sink = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      req.on('end', () => {
        received.push(JSON.parse(body) as Record<string, unknown>);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
    const ironic = new FakeIronic();
    const stack = await startTestStack({
      ironic,
      env: { EVENTS_URL: `http://127.0.0.1:${(sink.address() as AddressInfo).port}/events` },
      events: 'stack',
    }).catch(async (err: unknown) => {
      sink.close();
      throw err;
    });
    try {
      const macs: [string, string] = ['52:54:00:9b:00:01', '52:54:00:9b:00:02'];
      const node = ironic.addNode({ driver_info: { ipmi_address: '192.0.2.201' } }, macs);
      expect((await stack.call('POST', `/v1/introspection/${node.uuid}`)).status).toBe(202);
      await stack.idle();
      const done = await stack.call('POST', '/v1/continue', {
        body: await ramdiskCallback(macs, '192.0.2.201'),
      });
      expect(done.status).toBe(200);
      await stack.idle();
      await stack.eventsDrained();
      const mine = received.filter((e) => (e.detail as { node: string }).node === node.uuid);
      expect(mine.map((e) => (e.detail as { event: string }).event)).toEqual([
        'start',
        'wait',
        'process',
        'finish',
      ]);
      expect(mine[0]).toMatchObject({
        version: '0',
        source: 'serverless-inspector',
        'detail-type': 'Introspection State Changed',
        resources: [],
        detail: { node: node.uuid, previous_state: '', state: 'starting', error: '', finished_at: '' },
      });
      expect(mine[3]?.detail).toMatchObject({ previous_state: 'processing', state: 'finished' });
    } finally {
      await stack.stop();
      sink.close();
    }
  });
});
