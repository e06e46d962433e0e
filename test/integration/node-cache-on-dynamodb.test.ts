/**
 * The node cache on DynamoDB Local and s3rver: what the in-memory suites (test/unit/node-cache,
 * node-info) cannot show. Request costs (no scans; lookups, listing and clean-up in proportion to
 * what they look at), a record deleted under its lookup attributes, the encryption S3 is asked for, the
 * S3 client built only when introspection data is first used, and the races that the real
 * conditional writes and transactions must settle.
 */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { recordKey } from '#lib/adapters/dynamodb/items.ts';
import { dynamoDbDocumentClient } from '#lib/adapters/dynamodb/stores.ts';
import { introspectionDataKey } from '#lib/adapters/s3/introspection-data-store.ts';
import {
  NodeNotOnIntrospectionError,
  NodeStateInvalidEvent,
  NodeStateRaceCondition,
} from '#lib/domain/errors.ts';
import type { IntrospectionState } from '#lib/domain/state-machine.ts';
import type { AwsClients } from '#lib/runtime.ts';
import { type Fixture, newUuid, nodeCacheFixture, recordCommands } from '#test/support/fixture.ts';

let f: Fixture;
let clients: AwsClients;
beforeEach(async () => {
  f = await nodeCacheFixture({ stores: 'local-services' });
  clients = f.clients as AwsClients;
  return () => f.runtime.close();
});

let macCounter = Math.floor(Math.random() * 0xffff) * 8;
const uniqueMacs = (count: number) =>
  Array.from({ length: count }, () => {
    macCounter++;
    const hex = macCounter.toString(16).padStart(6, '0');
    return `52:54:01:${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}`;
  });
let ipCounter = 1;
const uniqueIp = () => `10.9.${Math.floor(ipCounter / 250)}.${ipCounter++ % 250}`;
const hour = 3600 * 1000;

async function staleNode(state: IntrospectionState, ageMs: number): Promise<string> {
  const uuid = newUuid();
  const then = new Date(f.clock.now().getTime() - ageMs);
  await f.another({ now: () => then }).addNode(uuid, state, { attributes: { mac: uniqueMacs(1) } });
  return uuid;
}

describe('request costs', () => {
  it('find_node costs requests in proportion to the values supplied, not to the nodes cached', async () => {
    const commands = recordCommands(clients.dynamoDb);
    const bmc = uniqueIp();
    const macs = uniqueMacs(4);
    await f.nodeCache.addNode(newUuid(), 'waiting', { attributes: { bmc_address: bmc, mac: macs } });
    const measure = async () => {
      commands.length = 0;
      const nodeInfo = await f.nodeCache.findNode({ bmc_address: [bmc], mac: macs });
      const used = [...commands];
      await nodeInfo.releaseLock();
      return used;
    };
    const small = await measure();
    for (let i = 0; i < 40; i++) {
      await f.nodeCache.addNode(newUuid(), 'waiting', {
        attributes: { bmc_address: uniqueIp(), mac: uniqueMacs(4) },
      });
    }
    const large = await measure();
    expect(large).toEqual(small);
    // 5 index queries (one per value), the lease, the record read under the lock.
    expect(small.filter((c) => c === 'QueryCommand')).toHaveLength(5);
    expect(small).toHaveLength(7);
    expect(small).not.toContain('ScanCommand');
  });

  it('a list costs one query per page of every state, and one per asked state of some', async () => {
    await f.nodeCache.addNode(newUuid(), 'error');
    const waiting = Array.from({ length: 4 }, () => newUuid());
    for (const uuid of waiting) {
      f.clock.advance(1000);
      await f.nodeCache.addNode(uuid, 'waiting');
    }
    const commands = recordCommands(clients.dynamoDb);
    // Every state: one index in the listing order, one query for the page.
    expect(await f.nodeCache.getNodeList({ limit: 3 })).toHaveLength(3);
    expect(commands).toEqual(['QueryCommand']);
    commands.length = 0;
    const all = await f.nodeCache.getNodeList();
    expect(all.map((n) => n.uuid)).toEqual(expect.arrayContaining(waiting));
    expect(commands).toEqual(['QueryCommand']);
    // Some states: one query each, none past the page (the 3 newest are waiting: a full page of that
    // state, whose next page the list does not need).
    commands.length = 0;
    const page = await f.nodeCache.getNodeList({ limit: 3, state: ['waiting', 'starting'] });
    expect(page.map((n) => n.uuid)).toEqual([...waiting].reverse().slice(0, 3));
    expect(commands).toEqual(['QueryCommand', 'QueryCommand']);
  });

  it('a clean-up pass with nothing expired only queries the index, and takes no lock', async () => {
    const uuid = await staleNode('waiting', hour - 60_000);
    const commands = recordCommands(clients.dynamoDb);
    expect(await f.nodeCache.cleanUp()).toEqual([]);
    // One query per active state (the index is keyed by state), nothing else.
    expect(commands).toEqual(Array.from({ length: 6 }, () => 'QueryCommand'));
    expect(await (await f.nodeCache.getNode(uuid)).state()).toBe('waiting');
  });
});

describe('raw items', () => {
  it('find_node fails when the matched node record is gone from under its lookup attributes', async () => {
    const uuid = newUuid();
    const [m] = uniqueMacs(1) as [string];
    await f.nodeCache.addNode(uuid, 'waiting', { attributes: { mac: [m] } });
    await dynamoDbDocumentClient(clients.dynamoDb).send(
      new DeleteCommand({ TableName: f.config.nodeCacheTable, Key: recordKey(uuid) }),
    );
    const error = await f.nodeCache.findNode({ mac: [m] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NodeNotOnIntrospectionError);
    expect((error as Error).message).toBe(
      `Could not find node ${uuid} in introspection cache, probably it's not on introspection now`,
    );
    expect(await f.nodeCache.nodeInfo(uuid).acquireLock({ blocking: false })).toBe(true); // released on the error
  });

  it('the S3 client is built by the first use of introspection data, and the store sends through it', async () => {
    const uuid = newUuid();
    await f.nodeCache.addNode(uuid, 'waiting', { attributes: { mac: uniqueMacs(1) } });
    await f.nodeCache.getNode(uuid);
    expect(clients.s3.built).toBeUndefined(); // the node cache worked on DynamoDB alone
    await f.nodeCache.storeIntrospectionData(uuid, { a: 1 });
    const s3 = clients.s3.built;
    expect(s3).toBeDefined();
    expect(await clients.s3.get()).toBe(s3);
    const commands = recordCommands(s3 as NonNullable<typeof s3>);
    expect(await f.nodeCache.getIntrospectionData(uuid)).toEqual({ a: 1 });
    expect(commands).toEqual(['GetObjectCommand']);
  });

  it('introspection data: server-side encryption on every put, under the Swift-compatible names', async () => {
    const uuid = newUuid();
    const headers: Array<Record<string, string>> = [];
    const s3 = await clients.s3.get();
    s3.middlewareStack.add(
      (next) => async (args) => {
        const request = (args as { request?: { method?: string; headers?: Record<string, string> } }).request;
        if (request?.method === 'PUT' && request.headers) headers.push({ ...request.headers });
        return next(args);
      },
      { step: 'finalizeRequest', name: 'captureHeaders' },
    );
    await f.nodeCache.storeIntrospectionData(uuid, { a: 1 });
    await f.nodeCache.storeIntrospectionData(uuid, { a: 1 }, { processed: false });
    s3.middlewareStack.remove('captureHeaders');
    expect(headers).toHaveLength(2);
    for (const h of headers) expect(h['x-amz-server-side-encryption']).toBe('AES256');
    const object = await s3.send(
      new GetObjectCommand({
        Bucket: f.config.introspectionDataBucket,
        Key: introspectionDataKey(uuid, false),
      }),
    );
    expect(introspectionDataKey(uuid, false)).toBe(`inspector_data-${uuid}-UNPROCESSED`);
    expect(JSON.parse((await object.Body?.transformToString()) ?? '')).toEqual({ a: 1 });
  });
});

describe('races settled by the conditional writes', () => {
  it('one of two concurrent starts wins, for a new node and for a cached one', async () => {
    for (const existing of [false, true]) {
      const uuid = newUuid();
      if (existing) await f.nodeCache.addNode(uuid, 'finished');
      const results = await Promise.allSettled([
        f.nodeCache.startIntrospection(uuid, { attributes: { mac: uniqueMacs(1) } }),
        f.another().startIntrospection(uuid, { attributes: { mac: uniqueMacs(1) } }),
      ]);
      const lost = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(lost).toHaveLength(1);
      const reason = lost[0]?.reason;
      expect(reason instanceof NodeStateRaceCondition || reason instanceof NodeStateInvalidEvent).toBe(true);
      expect(Object.values(await (await f.nodeCache.getNode(uuid)).attributes()).flat()).toHaveLength(1);
    }
  });

  it('exactly one of two NodeInfo objects wins a concurrent write', async () => {
    for (let round = 0; round < 5; round++) {
      const uuid = newUuid();
      await f.nodeCache.addNode(uuid, 'starting');
      const a = f.nodeCache.nodeInfo(uuid);
      const b = f.nodeCache.nodeInfo(uuid);
      await Promise.all([a.state(), b.state()]);
      const results = await Promise.allSettled([a.fsmEvent('wait'), b.fsmEvent('error')]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const lost = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
      expect(lost).toHaveLength(1);
      expect(lost[0]?.reason).toBeInstanceOf(NodeStateRaceCondition);
    }
  });

  it('20 concurrent blocking acquirers never hold the lease at the same time', async () => {
    const uuid = newUuid();
    await f.nodeCache.addNode(uuid, 'starting');
    const cache = f.another({ lockWaitMs: 30_000 });
    let holders = 0;
    let maxHolders = 0;
    let acquired = 0;
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        const nodeInfo = cache.nodeInfo(uuid);
        await nodeInfo.acquireLock({ blocking: true });
        acquired++;
        holders++;
        maxHolders = Math.max(maxHolders, holders);
        await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 10));
        holders--;
        await nodeInfo.releaseLock();
      }),
    );
    expect(acquired).toBe(20);
    expect(maxHolders).toBe(1);
  });

  it('a lease left by a crashed holder is taken over after it expires and not before', async () => {
    const uuid = newUuid();
    await f.nodeCache.addNode(uuid, 'waiting');
    const crashed = f.nodeCache.nodeInfo(uuid);
    await crashed.acquireLock();
    const successor = f.nodeCache.nodeInfo(uuid);
    f.clock.advance(f.options.lease.leaseMs - 1000);
    expect(await successor.acquireLock({ blocking: false })).toBe(false);
    f.clock.advance(1001);
    expect(await successor.acquireLock({ blocking: false })).toBe(true);
    await crashed.releaseLock(); // the late release must not free the successor's lease
    expect(await f.nodeCache.nodeInfo(uuid).acquireLock({ blocking: false })).toBe(false);
    await successor.releaseLock();
  });

  it('two overlapping clean-up passes time each stale node out once', async () => {
    const stale = await Promise.all([1, 2, 3, 4].map(() => staleNode('waiting', 2 * hour)));
    const [a, b] = await Promise.all([f.nodeCache.cleanUp(), f.another().cleanUp()]);
    expect([...a, ...b].sort()).toEqual([...stale].sort());
    for (const uuid of stale) expect(await (await f.nodeCache.getNode(uuid)).state()).toBe('error');
  });

  it('deleting nodes while attributes are added leaves no orphan rows', async () => {
    for (let round = 0; round < 10; round++) {
      const uuid = (await f.nodeCache.addNode(newUuid(), 'waiting', { attributes: { mac: uniqueMacs(1) } }))
        .uuid;
      const writer = f.nodeCache.nodeInfo(uuid);
      await writer.versionId();
      const [added] = await Promise.allSettled([
        writer.addAttribute('mac', uniqueMacs(1)),
        f.nodeCache.deleteNodesNotInList([]),
      ]);
      expect(await f.stores.nodes.getNode(uuid)).toBeUndefined();
      expect(await f.stores.nodes.getLookupAttributes(uuid)).toEqual([]);
      if (added.status === 'rejected') expect(added.reason).toBeInstanceOf(NodeStateRaceCondition);
    }
    expect(await f.nodeCache.activeMacs()).toEqual(new Set());
  });
});
