/**
 * The introspection event scenarios, run on both kinds of stores: the node cache's state changes read
 * back as events (DynamoDB Local's stream, or the in-memory store's changes), each exactly once, and
 * the local stack posting them to `EVENTS_URL`. test/unit runs them in memory, test/integration on
 * DynamoDB Local.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { followStateChanges } from '#lib/adapters/dynamodb/stream-events.ts';
import { MemoryNodeStore } from '#lib/adapters/memory/node-store.ts';
import { followMemoryStateChanges } from '#lib/adapters/memory/state-changes.ts';
import type { StateChangedEvent, StateChangeFollower } from '#lib/events/state-changed.ts';
import { FakeIronic } from './fake-ironic.ts';
import { type Fixture, type FixtureStores, newUuid, nodeCacheFixture } from './fixture.ts';
import { ramdiskCallback, startTestStack } from './stack.ts';

/** Follow a fixture's state changes as the local stack does, handing each event to `onEvent`. */
export async function followFixture(
  f: Fixture,
  onEvent: (event: StateChangedEvent) => void,
): Promise<StateChangeFollower> {
  const { nodes } = f.stores;
  if (nodes instanceof MemoryNodeStore) return followMemoryStateChanges({ nodes, logger: f.logger, onEvent });
  if (f.clients === undefined) throw new Error('a fixture on local services has SDK clients');
  const streams = new DynamoDBStreamsClient({ endpoint: f.config.dynamoDbEndpoint, region: 'us-east-1' });
  const follower = await followStateChanges({
    dynamoDb: f.clients.dynamoDb,
    streams,
    tableName: f.config.nodeCacheTable,
    logger: f.logger,
    pollMs: 50,
    onEvent,
  });
  return {
    drain: () => follower.drain(),
    async stop() {
      await follower.stop();
      streams.destroy();
    },
  };
}

/** The node cache's state changes as events, on `stores`. */
export function describeNodeCacheEvents(stores: FixtureStores): void {
  describe(`the node cache's state changes as events (${stores})`, () => {
    let f: Fixture;
    let follower: StateChangeFollower;
    const seen: StateChangedEvent[] = [];
    beforeAll(async () => {
      f = await nodeCacheFixture({ stores });
      follower = await followFixture(f, (event) => {
        seen.push(event);
      });
    });
    afterAll(async () => {
      await follower?.stop();
    });

    async function eventsOf(uuid: string) {
      await follower.drain();
      return seen
        .filter((e) => e.detail.node === uuid)
        .map((e) => [e.detail.previous_state, e.detail.event, e.detail.state, e.detail.error]);
    }

    it('a whole introspection: each state change once, none for the other writes of the record', async () => {
      const uuid = newUuid();
      const nodeInfo = await f.nodeCache.startIntrospection(uuid, {
        attributes: { bmc_address: '10.9.0.1' },
      });
      await nodeInfo.fsmEvent('wait');
      // Writes of the record that change no state: lookup attributes, options, timestamps.
      await nodeInfo.addAttribute('mac', ['52:54:00:9a:00:01']);
      await nodeInfo.setOption('new_ipmi_credentials', null);
      await nodeInfo.commit();
      await nodeInfo.fsmEvent('process', { strict: true });
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

    it('a timeout from the clean-up', async () => {
      const g = await nodeCacheFixture({ stores, env: { INSPECTOR_TIMEOUT: '1' } });
      const events: StateChangedEvent[] = [];
      const follow = await followFixture(g, (e) => {
        events.push(e);
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
      }
    });
  });
}

/** The local stack posting events to `EVENTS_URL`, on `stores`. */
export function describeLocalStackEvents(stores: FixtureStores): void {
  describe(`the local stack posts events to EVENTS_URL (${stores})`, () => {
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
        stores: stores === 'memory' ? 'memory' : 'local-services',
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
}
