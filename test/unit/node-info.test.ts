/**
 * NodeInfo on the in-memory stores: upstream's TestNodeInfo* and TestInternalLock, the lease
 * (docs/design.md#leases) and the version checks (docs/design.md#optimistic-versions). The same over
 * DynamoDB Local, where it matters, is in test/integration/node-cache-on-dynamodb.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  InvalidLookupAttribute,
  NodeLockedError,
  NodeNotFoundInDBError,
  NodeStateInvalidEvent,
  NodeStateRaceCondition,
  NotFoundInCacheError,
  UndefinedStateError,
} from '#lib/domain/errors.ts';
import type { IntrospectionState } from '#lib/domain/state-machine.ts';
import { NodeInfo } from '#lib/node/node-info.ts';
import type { LeaseStore } from '#lib/ports/lease-store.ts';
import { MAX_CHILD_ITEMS_PER_NODE } from '#lib/ports/node-store.ts';
import { type Fixture, newUuid, nodeCacheFixture, overrideStore } from '#test/support/fixture.ts';

let f: Fixture;
beforeEach(async () => {
  f = await nodeCacheFixture();
});

/** A lease store that counts the calls made through it. */
function countingStore(store: LeaseStore): { store: LeaseStore; calls: Record<string, number> } {
  const calls: Record<string, number> = {};
  const proxy = new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls[String(prop)] = (calls[String(prop)] ?? 0) + 1;
        return value.apply(target, args);
      };
    },
  });
  return { store: proxy, calls };
}

async function nodeIn(state: IntrospectionState, attributes: Record<string, string[]> = {}) {
  const uuid = newUuid();
  await f.nodeCache.addNode(uuid, state, { attributes });
  return uuid;
}

describe('state and version', () => {
  it('loads the state lazily and persists changes', async () => {
    const uuid = await nodeIn('starting');
    const nodeInfo = f.nodeCache.nodeInfo(uuid);
    expect(nodeInfo.toString()).toBe(uuid);
    expect(await nodeInfo.state()).toBe('starting');
    expect(nodeInfo.toString()).toBe(`${uuid} state starting`);
    await nodeInfo.setState('waiting');
    expect(await f.nodeCache.nodeInfo(uuid).state()).toBe('waiting');
  });

  it('raises NodeNotFoundInDBError for the state of a missing record', async () => {
    await expect(f.nodeCache.nodeInfo(newUuid()).state()).rejects.toThrow(NodeNotFoundInDBError);
    await expect(f.nodeCache.nodeInfo(newUuid()).state()).rejects.toThrow(
      'The requested node was not found.',
    );
  });

  it('loads version_id lazily; a missing record is NotFoundInCacheError', async () => {
    const uuid = await nodeIn('starting');
    const version = await f.nodeCache.nodeInfo(uuid).versionId();
    expect(version).toMatch(/^[0-9a-f-]{36}$/);
    await expect(f.nodeCache.nodeInfo(newUuid()).versionId()).rejects.toThrow(NotFoundInCacheError);
    await expect(f.nodeCache.nodeInfo(newUuid()).versionId()).rejects.toThrow('Node not found in the cache');
  });

  it('sets a new version on every write', async () => {
    const uuid = await nodeIn('starting');
    const nodeInfo = f.nodeCache.nodeInfo(uuid);
    const before = await nodeInfo.versionId();
    await nodeInfo.setState('waiting');
    const after = await nodeInfo.versionId();
    expect(after).not.toBe(before);
    expect(await f.nodeCache.nodeInfo(uuid).versionId()).toBe(after);
  });

  it('refuses a write from a stale NodeInfo with NodeStateRaceCondition (409)', async () => {
    const uuid = await nodeIn('starting');
    const first = f.nodeCache.nodeInfo(uuid);
    const second = f.nodeCache.nodeInfo(uuid);
    await first.state();
    await second.state();
    await first.setState('waiting');
    const race = second.setState('error');
    await expect(race).rejects.toThrow(NodeStateRaceCondition);
    await expect(second.setState('error')).rejects.toMatchObject({
      httpStatus: 409,
      message: 'Node state mismatch detected between the DB and the cached node_info object',
    });
    expect(await f.nodeCache.nodeInfo(uuid).state()).toBe('waiting');
  });

  it('lets exactly one of two NodeInfo objects win a concurrent write', async () => {
    for (let round = 0; round < 5; round++) {
      const uuid = await nodeIn('starting');
      const a = f.nodeCache.nodeInfo(uuid);
      const b = f.nodeCache.nodeInfo(uuid);
      await Promise.all([a.state(), b.state()]);
      const results = await Promise.allSettled([a.fsmEvent('wait'), b.fsmEvent('error')]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r) => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect((lost[0] as PromiseRejectedResult).reason).toBeInstanceOf(NodeStateRaceCondition);
      const winner = results[0]?.status === 'fulfilled' ? 'waiting' : 'error';
      expect(await f.nodeCache.nodeInfo(uuid).state()).toBe(winner);
    }
  });

  it('refuses a write after the record vanished', async () => {
    const uuid = await nodeIn('starting');
    const nodeInfo = f.nodeCache.nodeInfo(uuid);
    await nodeInfo.state();
    await f.stores.nodes.deleteNode(uuid);
    await expect(nodeInfo.setState('waiting')).rejects.toThrow(NodeStateRaceCondition);
  });

  it('commit() persists started_at, finished_at and error as held in memory', async () => {
    const uuid = await nodeIn('finished');
    const nodeInfo = await f.nodeCache.getNode(uuid);
    const started = new Date('2026-01-02T03:04:05.678Z');
    nodeInfo.startedAt = started;
    nodeInfo.finishedAt = null;
    nodeInfo.error = 'kept';
    await nodeInfo.commit();
    const reread = await f.nodeCache.getNode(uuid);
    expect(reread.startedAt).toEqual(started);
    expect(reread.finishedAt).toBeNull();
    expect(reread.error).toBe('kept');
    nodeInfo.error = null;
    await nodeInfo.commit();
    expect((await f.nodeCache.getNode(uuid)).error).toBeNull();
  });
});

describe('fsmEvent', () => {
  it('moves starting to waiting on wait and persists it', async () => {
    const uuid = await nodeIn('starting');
    const nodeInfo = f.nodeCache.nodeInfo(uuid);
    await nodeInfo.fsmEvent('wait');
    expect(await nodeInfo.state()).toBe('waiting');
    expect(await f.nodeCache.nodeInfo(uuid).state()).toBe('waiting');
  });

  it('writes nothing for a self-loop (the version stays)', async () => {
    const uuid = await nodeIn('error');
    const nodeInfo = f.nodeCache.nodeInfo(uuid);
    const before = await nodeInfo.versionId();
    await nodeInfo.fsmEvent('abort');
    expect(await f.nodeCache.nodeInfo(uuid).versionId()).toBe(before);
    expect(await nodeInfo.state()).toBe('error');
  });

  it('raises NodeStateInvalidEvent for an illegal event (non-strict) and changes nothing', async () => {
    const uuid = await nodeIn('finished');
    const nodeInfo = f.nodeCache.nodeInfo(uuid);
    const before = await nodeInfo.versionId();
    await expect(nodeInfo.fsmEvent('wait')).rejects.toThrow(
      "Can not transition from state 'finished' on event 'wait' (no defined transition)",
    );
    const reread = await f.nodeCache.getNode(uuid);
    expect(await reread.state()).toBe('finished');
    expect(await reread.versionId()).toBe(before);
    expect(reread.finishedAt).toBeNull();
    expect(f.logger.messages('warn')).toContain(
      "Invalid event: Can not transition from state 'finished' on event 'wait' (no defined transition)",
    );
  });

  it('fails the introspection on an illegal strict event', async () => {
    const uuid = await nodeIn('processing', { mac: ['11:22:33:44:55:66'] });
    const nodeInfo = f.nodeCache.nodeInfo(uuid);
    await nodeInfo.acquireLock();
    const error = await nodeInfo.fsmEvent('process', { strict: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NodeStateInvalidEvent);
    expect((error as NodeStateInvalidEvent).httpStatus).toBe(400);
    const reread = await f.nodeCache.getNode(uuid);
    expect(await reread.state()).toBe('error');
    expect(reread.error).toContain('no defined transition');
    expect(reread.finishedAt).not.toBeNull();
    expect(await reread.attributes()).toEqual({});
    expect(nodeInfo.lockHeld).toBe(false);
  });

  it('decides on the stored state, not one given at construction without a version', async () => {
    const uuid = await nodeIn('waiting');
    const nodeInfo = new NodeInfo(f.options, { uuid, state: 'finished' });
    await nodeInfo.fsmEvent('process'); // valid from the stored `waiting`, invalid from the stale `finished`
    expect(await f.nodeCache.nodeInfo(uuid).state()).toBe('processing');
  });

  it('a failed lease release does not turn a committed finish into a failure', async () => {
    const uuid = await nodeIn('processing');
    const leases = overrideStore(f.stores.leases, {
      releaseLease: async () => Promise.reject(new Error('throttled')),
    });
    const nodeInfo = new NodeInfo({ ...f.options, lease: { ...f.options.lease, leases } }, { uuid });
    await nodeInfo.acquireLock();
    await nodeInfo.finished('finish');
    expect(await f.nodeCache.nodeInfo(uuid).state()).toBe('finished');
    expect(f.logger.messages('warn')).toContain('Could not release the node lease; it will expire');
  });

  it('raises the undefined-state error for a state outside the machine', async () => {
    const nodeInfo = new NodeInfo(f.options, {
      uuid: newUuid(),
      state: 'bogus' as IntrospectionState,
      versionId: 'v1',
    });
    await expect(nodeInfo.fsmEvent('start')).rejects.toThrow(UndefinedStateError);
  });
});

describe('finished', () => {
  it('finish: sets finished_at, no error, drops lookup attributes and options', async () => {
    const uuid = await nodeIn('processing', { mac: ['aa:aa:aa:aa:aa:01'], bmc_address: ['10.1.1.1'] });
    const nodeInfo = f.nodeCache.nodeInfo(uuid);
    await nodeInfo.setOption('foo', { bar: 1 });
    const before = f.clock.now().getTime();
    await nodeInfo.finished('finish');
    const reread = await f.nodeCache.getNode(uuid);
    expect(await reread.state()).toBe('finished');
    expect(reread.error).toBeNull();
    expect(reread.finishedAt?.getTime()).toBeGreaterThanOrEqual(before - 1);
    expect(await reread.attributes()).toEqual({});
    expect(await reread.options()).toEqual({});
    await expect(f.nodeCache.findNode({ mac: ['aa:aa:aa:aa:aa:01'] })).rejects.toThrow(NotFoundInCacheError);
  });

  it('error: stores the message', async () => {
    const uuid = await nodeIn('waiting', { mac: ['aa:aa:aa:aa:aa:02'] });
    await f.nodeCache.nodeInfo(uuid).finished('error', 'boom');
    const reread = await f.nodeCache.getNode(uuid);
    expect(await reread.state()).toBe('error');
    expect(reread.error).toBe('boom');
    expect(await reread.attributes()).toEqual({});
  });

  it('releases a held lock', async () => {
    const uuid = await nodeIn('processing');
    const nodeInfo = f.nodeCache.nodeInfo(uuid);
    expect(await nodeInfo.acquireLock()).toBe(true);
    await nodeInfo.finished('finish');
    expect(nodeInfo.lockHeld).toBe(false);
    expect(await f.nodeCache.nodeInfo(uuid).acquireLock({ blocking: false })).toBe(true);
  });

  it('writes nothing and releases the lock on an invalid event', async () => {
    const uuid = await nodeIn('finished', { mac: ['aa:aa:aa:aa:aa:03'] });
    const nodeInfo = f.nodeCache.nodeInfo(uuid);
    await nodeInfo.acquireLock();
    await expect(nodeInfo.finished('timeout', 'x')).rejects.toThrow(NodeStateInvalidEvent);
    expect(nodeInfo.lockHeld).toBe(false);
    const reread = await f.nodeCache.getNode(uuid);
    expect(reread.finishedAt).toBeNull();
    expect(await reread.attributes()).toEqual({ mac: ['aa:aa:aa:aa:aa:03'] });
  });

  it('is all or nothing: a stale finisher leaves attributes and options in place', async () => {
    const uuid = await nodeIn('processing', { mac: ['aa:aa:aa:aa:aa:04'] });
    const stale = f.nodeCache.nodeInfo(uuid);
    await stale.state();
    const fresh = f.nodeCache.nodeInfo(uuid);
    await fresh.setOption('opt', 1);
    await fresh.setState('error');
    await expect(stale.finished('finish')).rejects.toThrow(NodeStateRaceCondition);
    const reread = await f.nodeCache.getNode(uuid);
    expect(await reread.state()).toBe('error');
    expect(reread.finishedAt).toBeNull();
    expect(await reread.attributes()).toEqual({ mac: ['aa:aa:aa:aa:aa:04'] });
    expect(await reread.options()).toEqual({ opt: 1 });
  });

  it('reports failures while waiting and aborting (docs/design.md#failures-while-waiting)', async () => {
    for (const state of ['waiting', 'aborting'] as const) {
      const uuid = await nodeIn(state);
      await f.nodeCache.nodeInfo(uuid).finished('error', 'Ramdisk reported error: oops');
      const reread = await f.nodeCache.getNode(uuid);
      expect(await reread.state()).toBe('error');
      expect(reread.error).toBe('Ramdisk reported error: oops');
    }
  });
});

describe('lookup attributes', () => {
  it('add_attribute stores one row, and attributes reloads', async () => {
    const uuid = await nodeIn('starting');
    const nodeInfo = f.nodeCache.nodeInfo(uuid);
    expect(await nodeInfo.attributes()).toEqual({});
    await nodeInfo.addAttribute('key', 'value');
    expect(await nodeInfo.attributes()).toEqual({ key: ['value'] });
  });

  it('appends on the same name (list + scalar = 3 rows) and keeps duplicates', async () => {
    const uuid = await nodeIn('starting');
    const nodeInfo = f.nodeCache.nodeInfo(uuid);
    await nodeInfo.addAttribute('key', ['v1', 'v2']);
    await nodeInfo.addAttribute('key', 'v3');
    expect(await nodeInfo.attributes()).toEqual({ key: ['v1', 'v2', 'v3'] });
    await nodeInfo.addAttribute('dup', 'same');
    await nodeInfo.addAttribute('dup', 'same');
    expect((await nodeInfo.attributes()).dup).toEqual(['same', 'same']);
    expect(await f.stores.nodes.getLookupAttributes(uuid)).toHaveLength(5);
  });

  it('caches attributes until invalidate_cache', async () => {
    const uuid = await nodeIn('starting', { mac: ['aa:aa:aa:aa:aa:10'] });
    const nodeInfo = f.nodeCache.nodeInfo(uuid);
    expect(await nodeInfo.attributes()).toEqual({ mac: ['aa:aa:aa:aa:aa:10'] });
    await f.nodeCache.nodeInfo(uuid).addAttribute('mac', 'aa:aa:aa:aa:aa:11');
    expect(await nodeInfo.attributes()).toEqual({ mac: ['aa:aa:aa:aa:aa:10'] });
    nodeInfo.invalidateCache();
    expect(await nodeInfo.attributes()).toEqual({ mac: ['aa:aa:aa:aa:aa:10', 'aa:aa:aa:aa:aa:11'] });
  });

  it('refuses values the index cannot hold, writing nothing', async () => {
    const uuid = await nodeIn('starting');
    const nodeInfo = f.nodeCache.nodeInfo(uuid);
    await expect(nodeInfo.addAttribute('mac', ['aa:aa:aa:aa:aa:12', ''])).rejects.toThrow(
      InvalidLookupAttribute,
    );
    await expect(nodeInfo.addAttribute('mac', 'x'.repeat(1025))).rejects.toThrow('longer than 1024 bytes');
    expect(await f.nodeCache.nodeInfo(uuid).attributes()).toEqual({});
  });

  it(`refuses more than ${MAX_CHILD_ITEMS_PER_NODE} lookup attributes and options on a node`, async () => {
    const uuid = await nodeIn('starting');
    const nodeInfo = f.nodeCache.nodeInfo(uuid);
    const values = Array.from({ length: MAX_CHILD_ITEMS_PER_NODE - 1 }, (_, i) => `v${i}`);
    await nodeInfo.addAttribute('many', values);
    await nodeInfo.setOption('last', true);
    await expect(nodeInfo.addAttribute('many', 'one-more')).rejects.toMatchObject({ httpStatus: 400 });
    await expect(nodeInfo.setOption('another', 1)).rejects.toThrow(InvalidLookupAttribute);
    await nodeInfo.setOption('last', false); // overwriting an option adds nothing
    await nodeInfo.finished('error', 'done'); // one transaction with 49 items
    expect(await f.stores.nodes.getLookupAttributes(uuid)).toEqual([]);
  });

  it('refuses to attach attributes to a record re-created since it was read', async () => {
    const uuid = await nodeIn('starting');
    const stale = f.nodeCache.nodeInfo(uuid);
    await stale.versionId();
    await f.nodeCache.addNode(uuid, 'starting', { attributes: { mac: ['aa:aa:aa:aa:aa:13'] } });
    await expect(stale.addAttribute('mac', 'aa:aa:aa:aa:aa:14')).rejects.toThrow(NodeStateRaceCondition);
    expect(await f.nodeCache.nodeInfo(uuid).attributes()).toEqual({ mac: ['aa:aa:aa:aa:aa:13'] });
  });
});

describe('options', () => {
  it('decodes JSON values and caches them; invalidate_cache gives a fresh equal dict', async () => {
    const uuid = await nodeIn('starting');
    const writer = f.nodeCache.nodeInfo(uuid);
    await writer.setOption('name', { answer: 42, list: [1, 'two'] });
    const reader = f.nodeCache.nodeInfo(uuid);
    const first = await reader.options();
    expect(first).toEqual({ name: { answer: 42, list: [1, 'two'] } });
    expect(await reader.options()).toBe(first);
    reader.invalidateCache();
    const second = await reader.options();
    expect(second).not.toBe(first);
    expect(second).toEqual(first);
  });

  it('set_option is visible at once and from a new NodeInfo; a name holds one value', async () => {
    const uuid = await nodeIn('starting');
    const nodeInfo = f.nodeCache.nodeInfo(uuid);
    await nodeInfo.setOption('name', 'value');
    expect(await nodeInfo.options()).toEqual({ name: 'value' });
    await nodeInfo.setOption('name', ['other']);
    expect(await nodeInfo.options()).toEqual({ name: ['other'] });
    expect(await f.nodeCache.nodeInfo(uuid).options()).toEqual({ name: ['other'] });
  });
});

describe('lock (a lease in the lease store)', () => {
  it('is not taken at construction; acquiring twice through one NodeInfo writes once', async () => {
    const uuid = await nodeIn('starting');
    const { store, calls } = countingStore(f.stores.leases);
    const nodeInfo = new NodeInfo({ ...f.options, lease: { ...f.options.lease, leases: store } }, { uuid });
    expect(nodeInfo.lockHeld).toBe(false);
    expect(await nodeInfo.acquireLock()).toBe(true);
    expect(await nodeInfo.acquireLock()).toBe(true);
    expect(calls.tryAcquireLease).toBe(1);
    await nodeInfo.releaseLock();
    await nodeInfo.releaseLock();
    expect(calls.releaseLease).toBe(1);
    expect(nodeInfo.lockHeld).toBe(false);
  });

  it('non-blocking: false while another holds it, true once released, then true without a write', async () => {
    const uuid = await nodeIn('starting');
    const holder = f.nodeCache.nodeInfo(uuid);
    await holder.acquireLock();
    const { store, calls } = countingStore(f.stores.leases);
    const other = new NodeInfo({ ...f.options, lease: { ...f.options.lease, leases: store } }, { uuid });
    expect(await other.acquireLock({ blocking: false })).toBe(false);
    await holder.releaseLock();
    expect(await other.acquireLock({ blocking: false })).toBe(true);
    expect(await other.acquireLock({ blocking: false })).toBe(true);
    expect(calls.tryAcquireLease).toBe(2);
    await other.releaseLock();
  });

  it("cannot release someone else's lease", async () => {
    const uuid = await nodeIn('starting');
    const holder = f.nodeCache.nodeInfo(uuid);
    await holder.acquireLock();
    const other = f.nodeCache.nodeInfo(uuid);
    await other.releaseLock(); // not held by `other`: a no-op
    expect(await f.stores.leases.releaseLease(uuid, randomUUID())).toBe(false);
    expect(await f.nodeCache.nodeInfo(uuid).acquireLock({ blocking: false })).toBe(false);
    await holder.releaseLock();
    expect(await f.nodeCache.nodeInfo(uuid).acquireLock({ blocking: false })).toBe(true);
  });

  it('20 concurrent blocking acquirers never hold the lease at the same time', async () => {
    const uuid = await nodeIn('starting');
    const cache = f.another({ lockWaitMs: 30_000 });
    let holders = 0;
    let maxHolders = 0;
    const intervals: Array<[number, number]> = [];
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        const nodeInfo = cache.nodeInfo(uuid);
        await nodeInfo.acquireLock({ blocking: true });
        const start = performance.now();
        holders++;
        maxHolders = Math.max(maxHolders, holders);
        await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 10));
        holders--;
        const end = performance.now();
        intervals.push([start, end]);
        await nodeInfo.releaseLock();
      }),
    );
    expect(maxHolders).toBe(1);
    expect(intervals).toHaveLength(20);
    intervals.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < intervals.length; i++) {
      expect((intervals[i] as [number, number])[0]).toBeGreaterThanOrEqual(
        (intervals[i - 1] as [number, number])[1],
      );
    }
  });

  it('a lease left by a crashed holder is taken over after it expires and not before', async () => {
    const uuid = await nodeIn('waiting');
    let crashed: NodeInfo | undefined = f.nodeCache.nodeInfo(uuid);
    await crashed.acquireLock();
    const leaseMs = f.options.lease.leaseMs;
    // The holder's Lambda dies: nothing releases the lease.
    const late = crashed;
    crashed = undefined;

    const successor = f.nodeCache.nodeInfo(uuid);
    f.clock.advance(leaseMs - 2000);
    expect(await successor.acquireLock({ blocking: false })).toBe(false);
    f.clock.advance(1000);
    expect(await successor.acquireLock({ blocking: false })).toBe(false);
    f.clock.advance(1001);
    expect(await successor.acquireLock({ blocking: false })).toBe(true);
    // The "crashed" holder's late release must not free the successor's lease.
    await late.releaseLock();
    expect(await f.nodeCache.nodeInfo(uuid).acquireLock({ blocking: false })).toBe(false);
    expect(f.logger.messages('warn')).toContain(
      'Node lease had expired and was taken over before it was released',
    );
    await successor.releaseLock();
  });

  it('a handed-over lease goes to the first taker only: a duplicate delivery of the job waits', async () => {
    const uuid = await nodeIn('processing');
    const api = f.nodeCache.nodeInfo(uuid);
    await api.acquireLock();
    const token = await api.handOffLock();
    expect(api.lockHeld).toBe(false);
    const first = new NodeInfo(f.options, { uuid, leaseOwner: token });
    const duplicate = new NodeInfo(f.options, { uuid, leaseOwner: token });
    expect(await first.acquireLock({ blocking: false })).toBe(true);
    expect(await duplicate.acquireLock({ blocking: false })).toBe(false);
    await first.releaseLock();
    expect(await duplicate.acquireLock({ blocking: false })).toBe(true);
    await duplicate.releaseLock();
  });

  it('gives up a blocking wait after NODE_LOCK_WAIT_SECONDS with 409', async () => {
    const uuid = await nodeIn('waiting');
    const holder = f.nodeCache.nodeInfo(uuid);
    await holder.acquireLock();
    const waiter = f.another({ lockWaitMs: 300 }).nodeInfo(uuid);
    const started = performance.now();
    const error = await waiter.acquireLock({ blocking: true }).catch((e: unknown) => e);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(error).toBeInstanceOf(NodeLockedError);
    expect(error).toMatchObject({ httpStatus: 409, message: 'Node is locked, please, retry later' });
    await holder.releaseLock();
  });

  it('a blocking acquirer gets the lease as soon as the holder releases it', async () => {
    const uuid = await nodeIn('waiting');
    const holder = f.nodeCache.nodeInfo(uuid);
    await holder.acquireLock();
    const waiting = f.nodeCache.nodeInfo(uuid).acquireLock({ blocking: true });
    await new Promise((resolve) => setTimeout(resolve, 150));
    await holder.releaseLock();
    expect(await waiting).toBe(true);
  });

  it('keeps the lease item out of the node data: deleting a node leaves a held lease alone', async () => {
    const uuid = await nodeIn('waiting');
    const holder = f.nodeCache.nodeInfo(uuid);
    await holder.acquireLock();
    await f.stores.nodes.deleteNode(uuid);
    expect(await f.nodeCache.nodeInfo(uuid).acquireLock({ blocking: false })).toBe(false);
    await holder.releaseLock();
    // and a lease item alone does not make a node
    await expect(f.nodeCache.getNode(uuid)).rejects.toThrow(NotFoundInCacheError);
  });
});

describe('fsmEvent over the whole table, strict and not', () => {
  it('every (state, event) pair: valid ones move and persist, invalid ones fail as upstream', async () => {
    const { EVENTS, STATES, nextState } = await import('#lib/domain/state-machine.ts');
    for (const strict of [false, true]) {
      for (const state of STATES) {
        for (const event of EVENTS) {
          const uuid = await nodeIn(state);
          const nodeInfo = f.nodeCache.nodeInfo(uuid);
          let target: string | undefined;
          try {
            target = nextState(state, event);
          } catch {
            target = undefined;
          }
          const outcome = await nodeInfo.fsmEvent(event, { strict }).then(
            () => 'ok',
            (e: unknown) => (e as Error).message,
          );
          const stored = await f.nodeCache.getNode(uuid);
          const where = `${state} + ${event}${strict ? ' (strict)' : ''}`;
          if (target !== undefined) {
            expect([where, outcome, await stored.state()]).toEqual([where, 'ok', target]);
            continue;
          }
          const invalid = `Can not transition from state '${state}' on event '${event}' (no defined transition)`;
          if (!strict) {
            expect([where, outcome, await stored.state(), stored.finishedAt]).toEqual([
              where,
              invalid,
              state,
              null,
            ]);
            continue;
          }
          // Strict: the node is finished with `error` and the text; where `error` itself is invalid
          // (finished), that inner error is what propagates and nothing changes.
          const errorTarget = (() => {
            try {
              return nextState(state, 'error');
            } catch {
              return undefined;
            }
          })();
          if (errorTarget === undefined) {
            expect([where, outcome, await stored.state()]).toEqual([
              where,
              `Can not transition from state '${state}' on event 'error' (no defined transition)`,
              state,
            ]);
          } else {
            expect([where, outcome, await stored.state(), stored.error]).toEqual([
              where,
              invalid,
              'error',
              invalid,
            ]);
            expect(stored.finishedAt).not.toBeNull();
          }
        }
      }
    }
  });
});
