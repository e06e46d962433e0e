/**
 * The node cache functions on the in-memory stores: upstream's TestNodeCache, Find, CleanUp, GetNode,
 * ListNode, StartIntrospection and IntrospectionData, and its functional test_edge_state_transitions.
 * What needs DynamoDB Local and s3rver (request costs, raw items, encryption headers, races on the
 * real conditions) is in test/integration/node-cache-on-dynamodb.test.ts.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import {
  IntrospectionAlreadyFinishedError,
  IntrospectionDataNotFound,
  InvalidIntrospectionData,
  InvalidLookupAttribute,
  MultipleNodesMatchError,
  NodeLockedError,
  NodeNameNotResolvable,
  NodeNotFoundInDBError,
  NodeNotOnIntrospectionError,
  NodeStateInvalidEvent,
  NodeStateRaceCondition,
  NotFoundInCacheError,
} from '#lib/domain/errors.ts';
import { ACTIVE_STATES, type IntrospectionState } from '#lib/domain/state-machine.ts';
import { canonicalUuid } from '#lib/domain/uuids.ts';
import { NodeCache } from '#lib/node/node-cache.ts';
import { type Fixture, newUuid, nodeCacheFixture, overrideStore } from '#test/support/fixture.ts';

let f: Fixture;
beforeEach(async () => {
  f = await nodeCacheFixture();
});

const mac = (n: number) =>
  `52:54:00:00:${Math.floor(n / 256)
    .toString(16)
    .padStart(2, '0')}:${(n % 256).toString(16).padStart(2, '0')}`;
let macCounter = 1;
const uniqueMacs = (count: number) => Array.from({ length: count }, () => mac(macCounter++));
let ipCounter = 1;
const uniqueIp = () => `10.${Math.floor(ipCounter / 250)}.${ipCounter++ % 250}.1`;

describe('add_node', () => {
  it('replaces any previous record, lookup attributes, options and data of the node, and only of it', async () => {
    const uuid = newUuid();
    const other = newUuid();
    const [m1, m2, m3] = uniqueMacs(3) as [string, string, string];
    const bmc = uniqueIp();
    await f.nodeCache.addNode(other, 'waiting', { attributes: { mac: [m3] } });
    const first = await f.nodeCache.addNode(uuid, 'waiting', { attributes: { mac: [m1], bmc_address: bmc } });
    await first.setOption('opt', 'x');
    await f.nodeCache.storeIntrospectionData(uuid, { old: true });
    await f.nodeCache.storeIntrospectionData(uuid, { old: 'raw' }, { processed: false });
    await f.nodeCache.nodeInfo(uuid).finished('error', 'old failure');

    const before = f.clock.now().getTime();
    const nodeInfo = await f.nodeCache.addNode(uuid, 'starting', {
      attributes: { mac: [m2, m1], bmc_address: null, empty: '', none: undefined, list: [] },
    });
    expect(nodeInfo.lockHeld).toBe(false);
    expect(nodeInfo.startedAt?.getTime()).toBeGreaterThanOrEqual(before - 1);
    const reread = await f.nodeCache.getNode(uuid);
    expect(await reread.state()).toBe('starting');
    expect(reread.finishedAt).toBeNull();
    expect(reread.error).toBeNull();
    expect(reread.manageBoot).toBe(true);
    expect((await reread.attributes()).mac?.sort()).toEqual([m1, m2].sort());
    expect(Object.keys(await reread.attributes())).toEqual(['mac']);
    expect(await reread.options()).toEqual({});
    await expect(f.nodeCache.getIntrospectionData(uuid)).rejects.toThrow(IntrospectionDataNotFound);
    await expect(f.nodeCache.getIntrospectionData(uuid, { processed: false })).rejects.toThrow(
      IntrospectionDataNotFound,
    );
    expect(await f.nodeCache.nodeInfo(other).attributes()).toEqual({ mac: [m3] });
  });

  it('stores manage_boot and each MAC and BMC address as a row', async () => {
    const uuid = newUuid();
    const macs = uniqueMacs(2);
    const bmc = uniqueIp();
    await f.nodeCache.addNode(uuid, 'waiting', {
      manageBoot: false,
      attributes: { bmc_address: bmc, mac: macs },
    });
    const reread = await f.nodeCache.getNode(uuid);
    expect(reread.manageBoot).toBe(false);
    const rows = await f.stores.nodes.getLookupAttributes(uuid);
    expect(rows.map((r) => [r.name, r.value]).sort()).toEqual(
      [['bmc_address', bmc], ...macs.map((m) => ['mac', m])].sort(),
    );
  });

  it('is one transaction: a replacement that loses a race changes nothing', async () => {
    const uuid = newUuid();
    const [m1, m2] = uniqueMacs(2) as [string, string];
    await f.nodeCache.addNode(uuid, 'waiting', { attributes: { mac: [m1] } });
    await expect(
      f.nodeCache.addNode(uuid, 'starting', {
        attributes: { mac: [m2] },
        expectedVersionId: 'not-the-version',
      }),
    ).rejects.toThrow(NodeStateRaceCondition);
    await expect(
      f.nodeCache.addNode(uuid, 'starting', { attributes: { mac: [m2] }, expectedVersionId: null }),
    ).rejects.toThrow(NodeStateRaceCondition);
    const reread = await f.nodeCache.getNode(uuid);
    expect(await reread.state()).toBe('waiting');
    expect(await reread.attributes()).toEqual({ mac: [m1] });
    await expect(f.nodeCache.findNode({ mac: [m2] })).rejects.toThrow(NotFoundInCacheError);
  });
});

describe('start_introspection', () => {
  it('creates a new node in starting', async () => {
    const uuid = newUuid();
    const nodeInfo = await f.nodeCache.startIntrospection(uuid, { attributes: { mac: uniqueMacs(1) } });
    expect(await nodeInfo.state()).toBe('starting');
    expect(await (await f.nodeCache.getNode(uuid)).state()).toBe('starting');
  });

  for (const state of ['finished', 'error', 'waiting'] as const) {
    it(`restarts a node in ${state}, replacing its record`, async () => {
      const uuid = newUuid();
      const [oldMac, newMac] = uniqueMacs(2) as [string, string];
      await f.nodeCache.addNode(uuid, state, { attributes: { mac: [oldMac] } });
      const nodeInfo = await f.nodeCache.startIntrospection(uuid, { attributes: { mac: [newMac] } });
      expect(await nodeInfo.state()).toBe('starting');
      expect(await (await f.nodeCache.getNode(uuid)).attributes()).toEqual({ mac: [newMac] });
    });
  }

  for (const state of ['starting', 'processing', 'reapplying', 'enrolling', 'aborting'] as const) {
    it(`refuses to start a node in ${state} and leaves it alone`, async () => {
      const uuid = newUuid();
      const [m] = uniqueMacs(1) as [string];
      await f.nodeCache.addNode(uuid, state, { attributes: { mac: [m] } });
      const version = await f.nodeCache.nodeInfo(uuid).versionId();
      const error = await f.nodeCache.startIntrospection(uuid).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NodeStateInvalidEvent);
      expect((error as Error).message).toBe(
        `Can not transition from state '${state}' on event 'start' (no defined transition)`,
      );
      const reread = await f.nodeCache.getNode(uuid);
      expect(await reread.state()).toBe(state);
      expect(await reread.versionId()).toBe(version);
      expect(await reread.attributes()).toEqual({ mac: [m] });
    });
  }

  it('lets one of two concurrent starts win, for a new node and for a cached one', async () => {
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
      // The loser either wrote on a version the winner had moved on (race), or read the winner's
      // `starting` and a second start is invalid there (as upstream: 400).
      const reason = lost[0]?.reason;
      expect(reason instanceof NodeStateRaceCondition || reason instanceof NodeStateInvalidEvent).toBe(true);
      expect(Object.values(await (await f.nodeCache.getNode(uuid)).attributes()).flat()).toHaveLength(1);
    }
  });

  it('restarts a node that really finished (finished_at set), and clears finished_at and error', async () => {
    const uuid = newUuid();
    const started = await f.nodeCache.startIntrospection(uuid);
    await started.fsmEvent('wait');
    await started.finished('error', 'first run failed');
    f.clock.advance(1000); // in memory, all of this can happen within one millisecond
    const restarted = await f.nodeCache.startIntrospection(uuid, { attributes: { mac: uniqueMacs(1) } });
    const reread = await f.nodeCache.getNode(uuid);
    expect(await reread.state()).toBe('starting');
    expect(reread.finishedAt).toBeNull();
    expect(reread.error).toBeNull();
    expect(restarted.startedAt?.getTime()).toBeGreaterThan(started.startedAt?.getTime() ?? 0);
  });

  it('leaves a finished node untouched when the start fails half way (bad attribute)', async () => {
    const uuid = newUuid();
    const started = await f.nodeCache.startIntrospection(uuid);
    await started.finished('error', 'x');
    const version = await f.nodeCache.nodeInfo(uuid).versionId();
    await expect(
      f.nodeCache.startIntrospection(uuid, { attributes: { mac: ['aa:bb:cc:dd:ee:01', ''] } }),
    ).rejects.toThrow(InvalidLookupAttribute);
    const reread = await f.nodeCache.getNode(uuid);
    expect(await reread.state()).toBe('error');
    expect(await reread.versionId()).toBe(version);
    // and it can still be started
    await f.nodeCache.startIntrospection(uuid);
    expect(await (await f.nodeCache.getNode(uuid)).state()).toBe('starting');
  });

  it('a start racing a writer on the same record loses with NodeStateRaceCondition', async () => {
    const uuid = newUuid();
    await f.nodeCache.addNode(uuid, 'waiting');
    const racing = f.another({
      nodes: overrideStore(f.stores.nodes, {
        getNode: async (id) => {
          const seen = await f.stores.nodes.getNode(id);
          await f.nodeCache.nodeInfo(uuid).setState('processing'); // lands after the read
          return seen;
        },
      }),
    });
    await expect(racing.startIntrospection(uuid)).rejects.toThrow(NodeStateRaceCondition);
    expect(await (await f.nodeCache.getNode(uuid)).state()).toBe('processing');
  });

  it('re-raises an unexpected storage error and replaces nothing', async () => {
    const uuid = newUuid();
    await f.nodeCache.addNode(uuid, 'finished');
    const broken = f.another({
      nodes: overrideStore(f.stores.nodes, {
        getNode: async () => Promise.reject(new Error('DynamoDB is down')),
      }),
    });
    await expect(broken.startIntrospection(uuid)).rejects.toThrow('DynamoDB is down');
    expect(await (await f.nodeCache.getNode(uuid)).state()).toBe('finished');
  });
});

describe('find_node', () => {
  it('refuses no attributes or only empty ones', async () => {
    await expect(f.nodeCache.findNode({})).rejects.toThrow('Could not find a node for attributes {}');
    await expect(f.nodeCache.findNode({ mac: [], bmc_address: '' })).rejects.toThrow(NotFoundInCacheError);
  });

  it('finds by BMC address, with started_at populated and the lock held', async () => {
    const uuid = newUuid();
    const bmc = uniqueIp();
    const added = await f.nodeCache.addNode(uuid, 'waiting', {
      attributes: { bmc_address: bmc, mac: uniqueMacs(2) },
    });
    const nodeInfo = await f.nodeCache.findNode({ bmc_address: [bmc] });
    expect(nodeInfo.uuid).toBe(uuid);
    expect(nodeInfo.startedAt).toEqual(added.startedAt);
    expect(nodeInfo.lockHeld).toBe(true);
    expect(await f.nodeCache.nodeInfo(uuid).acquireLock({ blocking: false })).toBe(false);
    await nodeInfo.releaseLock();
  });

  it('tells apart two nodes sharing a BMC address by their MACs, both ways', async () => {
    const a = newUuid();
    const b = newUuid();
    const bmc = uniqueIp();
    const aMacs = uniqueMacs(3);
    const bMacs = uniqueMacs(1);
    await f.nodeCache.addNode(a, 'waiting', { attributes: { bmc_address: bmc, mac: aMacs } });
    await f.nodeCache.addNode(b, 'waiting', { attributes: { bmc_address: bmc, mac: bMacs } });
    const foundA = await f.nodeCache.findNode({ bmc_address: bmc, mac: aMacs });
    expect(foundA.uuid).toBe(a);
    await foundA.releaseLock();
    const foundB = await f.nodeCache.findNode({ bmc_address: bmc, mac: bMacs });
    expect(foundB.uuid).toBe(b);
    await foundB.releaseLock();

    const error = await f.nodeCache.findNode({ bmc_address: bmc }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MultipleNodesMatchError);
    expect(error).toMatchObject({
      httpStatus: 404,
      message: `Multiple nodes match the same number of attributes {'bmc_address': '${bmc}'}: ${`['${[a, b].sort().join("', '")}']`}`,
    });
  });

  it('finds by a MAC list where only one MAC matches', async () => {
    const uuid = newUuid();
    const [m1, m2] = uniqueMacs(2) as [string, string];
    await f.nodeCache.addNode(uuid, 'waiting', { attributes: { mac: [m1] } });
    const nodeInfo = await f.nodeCache.findNode({ mac: [m2, m1] });
    expect(nodeInfo.uuid).toBe(uuid);
    expect(nodeInfo.lockHeld).toBe(true);
    await nodeInfo.releaseLock();
  });

  it('fails for MACs matching nothing, with the attributes in the message', async () => {
    const [m] = uniqueMacs(1) as [string];
    await expect(f.nodeCache.findNode({ mac: [m] })).rejects.toThrow(
      `Could not find a node for attributes {'mac': ['${m}']}`,
    );
  });

  it('fails on a tie: one MAC of each of two nodes', async () => {
    const [m1, m2] = uniqueMacs(2) as [string, string];
    await f.nodeCache.addNode(newUuid(), 'waiting', { attributes: { mac: [m1] } });
    await f.nodeCache.addNode(newUuid(), 'waiting', { attributes: { mac: [m2] } });
    await expect(f.nodeCache.findNode({ mac: [m1, m2] })).rejects.toThrow(MultipleNodesMatchError);
  });

  it('finds by BMC address and MACs together; the best score wins', async () => {
    const a = newUuid();
    const b = newUuid();
    const bmc = uniqueIp();
    const [m1, m2, m3] = uniqueMacs(3) as [string, string, string];
    await f.nodeCache.addNode(a, 'waiting', { attributes: { bmc_address: bmc, mac: [m1, m2] } });
    await f.nodeCache.addNode(b, 'waiting', { attributes: { mac: [m3] } });
    const nodeInfo = await f.nodeCache.findNode({ bmc_address: [bmc], mac: [m1, m3] });
    expect(nodeInfo.uuid).toBe(a);
    await nodeInfo.releaseLock();
  });

  it('scores one point per distinct supplied pair, whatever the duplicates', async () => {
    const a = newUuid();
    const b = newUuid();
    const [m1, m2, m3] = uniqueMacs(3) as [string, string, string];
    // a holds m1 twice; b holds m2 and m3. Supplying m1 three times must not outscore b's two matches.
    await f.nodeCache.addNode(a, 'waiting', { attributes: { mac: [m1, m1] } });
    await f.nodeCache.addNode(b, 'waiting', { attributes: { mac: [m2, m3] } });
    const nodeInfo = await f.nodeCache.findNode({ mac: [m1, m1, m1, m2, m3] });
    expect(nodeInfo.uuid).toBe(b);
    await nodeInfo.releaseLock();
  });

  it('compares MACs case-insensitively and IPv6 BMC addresses canonically', async () => {
    const uuid = newUuid();
    await f.nodeCache.addNode(uuid, 'waiting', {
      attributes: { mac: ['AA:BB:CC:00:11:22'], bmc_address: ['fd00:0:0:0::0042'] },
    });
    const byMac = await f.nodeCache.findNode({ mac: ['aa:bb:cc:00:11:22'] });
    expect(byMac.uuid).toBe(uuid);
    await byMac.releaseLock();
    const byBmc = await f.nodeCache.findNode({ bmc_address: ['FD00::42'] });
    expect(byBmc.uuid).toBe(uuid);
    await byBmc.releaseLock();
  });

  it('fails when the matched node record is gone', async () => {
    const uuid = newUuid();
    const [m] = uniqueMacs(1) as [string];
    await f.nodeCache.addNode(uuid, 'waiting', { attributes: { mac: [m] } });
    // The record vanishes between the lookup index read and the read under the lock.
    const vanished = f.another({ nodes: overrideStore(f.stores.nodes, { getNode: async () => undefined }) });
    const error = await vanished.findNode({ mac: [m] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NodeNotOnIntrospectionError);
    expect((error as Error).message).toBe(
      `Could not find node ${uuid} in introspection cache, probably it's not on introspection now`,
    );
    expect(await f.nodeCache.nodeInfo(uuid).acquireLock({ blocking: false })).toBe(true); // released on the error
  });

  it('fails for a node whose introspection already finished', async () => {
    const uuid = newUuid();
    const [m] = uniqueMacs(1) as [string];
    await f.nodeCache.addNode(uuid, 'waiting', { attributes: { mac: [m] } });
    const nodeInfo = f.nodeCache.nodeInfo(uuid);
    await nodeInfo.setState('finished');
    nodeInfo.finishedAt = new Date('2026-11-25T10:00:00.000Z');
    await nodeInfo.commit();
    const error = await f.nodeCache.findNode({ mac: [m] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IntrospectionAlreadyFinishedError);
    expect(error).toMatchObject({
      httpStatus: 400,
      message: `Introspection for node ${uuid} already finished on 2026-11-25 10:00:00`,
    });
    expect(await f.nodeCache.nodeInfo(uuid).acquireLock({ blocking: false })).toBe(true);
  });

  it('treats an injection-looking value as data', async () => {
    await expect(f.nodeCache.findNode({ mac: ["' OR ''='"], bmc_address: ['" OR 1=1 --'] })).rejects.toThrow(
      NotFoundInCacheError,
    );
  });

  it('waits for the lock of the matched node, bounded', async () => {
    const uuid = newUuid();
    const [m] = uniqueMacs(1) as [string];
    await f.nodeCache.addNode(uuid, 'waiting', { attributes: { mac: [m] } });
    const holder = f.nodeCache.nodeInfo(uuid);
    await holder.acquireLock();
    await expect(f.another({ lockWaitMs: 200 }).findNode({ mac: [m] })).rejects.toThrow(NodeLockedError);
    const waiting = f.nodeCache.findNode({ mac: [m] });
    setTimeout(() => void holder.releaseLock(), 100);
    const found = await waiting;
    expect(found.uuid).toBe(uuid);
    await found.releaseLock();
  });
});

describe('get_node', () => {
  it('returns the record by UUID, unlocked; any case and hyphens optional', async () => {
    const uuid = newUuid();
    await f.nodeCache.addNode(uuid, 'waiting', { manageBoot: false });
    for (const id of [uuid, uuid.toUpperCase(), uuid.replaceAll('-', '')]) {
      const nodeInfo = await f.nodeCache.getNode(id);
      expect(nodeInfo.uuid).toBe(uuid);
      expect(await nodeInfo.state()).toBe('waiting');
      expect(nodeInfo.manageBoot).toBe(false);
      expect(nodeInfo.startedAt).toBeInstanceOf(Date);
      expect(nodeInfo.lockHeld).toBe(false);
    }
  });

  it('fails for an unknown UUID with upstream text (404)', async () => {
    const uuid = newUuid();
    await expect(f.nodeCache.getNode(uuid)).rejects.toMatchObject({
      httpStatus: 404,
      message: `Could not find node ${uuid} in cache`,
    });
  });

  it('refuses a node name when no Ironic client is configured', async () => {
    await expect(f.nodeCache.getNode('node-0')).rejects.toThrow(NodeNameNotResolvable);
  });

  it('canonicalUuid lower-cases and hyphenates', () => {
    expect(canonicalUuid('0123456789ABCDEF0123456789ABCDEF')).toBe('01234567-89ab-cdef-0123-456789abcdef');
  });
});

describe('get_node_list', () => {
  let g: Fixture;
  const day = 24 * 3600 * 1000;
  const uuids = { day1: '', day2: '', day3: '' };
  beforeEach(async () => {
    g = await nodeCacheFixture();
    const base = new Date('2026-11-20T00:00:00.000Z').getTime() - Date.now();
    for (const [key, offset, state] of [
      ['day2', 2, 'waiting'],
      ['day1', 1, 'error'],
      ['day3', 3, 'finished'],
    ] as const) {
      g.clock.offsetMs = base + offset * day;
      uuids[key] = (await g.nodeCache.addNode(newUuid(), state)).uuid;
    }
    g.clock.offsetMs = 0;
  });

  it('lists newest first', async () => {
    expect((await g.nodeCache.getNodeList()).map((n) => n.uuid)).toEqual([
      uuids.day3,
      uuids.day2,
      uuids.day1,
    ]);
  });

  it('limit 1 gives the newest only', async () => {
    expect((await g.nodeCache.getNodeList({ limit: 1 })).map((n) => n.uuid)).toEqual([uuids.day3]);
  });

  it('a marker gives only the older nodes after it', async () => {
    expect((await g.nodeCache.getNodeList({ marker: uuids.day3 })).map((n) => n.uuid)).toEqual([
      uuids.day2,
      uuids.day1,
    ]);
    expect(await g.nodeCache.getNodeList({ marker: uuids.day1 })).toEqual([]);
  });

  it('an unknown marker is 404 "The requested node was not found."', async () => {
    const error = await g.nodeCache.getNodeList({ marker: newUuid() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NodeNotFoundInDBError);
    expect(error).toMatchObject({ httpStatus: 404, message: 'The requested node was not found.' });
  });

  it('filters by one state or several; the marker need not match the filter', async () => {
    expect((await g.nodeCache.getNodeList({ state: ['error'] })).map((n) => n.uuid)).toEqual([uuids.day1]);
    expect((await g.nodeCache.getNodeList({ state: ['error', 'finished'] })).map((n) => n.uuid)).toEqual([
      uuids.day3,
      uuids.day1,
    ]);
    expect(
      (await g.nodeCache.getNodeList({ state: ['error'], marker: uuids.day2 })).map((n) => n.uuid),
    ).toEqual([uuids.day1]);
    expect(await g.nodeCache.getNodeList({ state: ['processing'] })).toEqual([]);
  });

  it('pages through many nodes sharing one started_at, ordered by UUID descending', async () => {
    const h = await nodeCacheFixture();
    h.clock.offsetMs = new Date('2026-11-21T12:00:00.000Z').getTime() - Date.now();
    const frozen = h.clock.now();
    const same = h.another({ now: () => frozen });
    const states: IntrospectionState[] = ['waiting', 'finished', 'error'];
    const created: Array<{ uuid: string; startedAt: number; state: IntrospectionState }> = [];
    for (let i = 0; i < 30; i++) {
      const state = states[i % 3] as IntrospectionState;
      const nodeInfo = await same.addNode(newUuid(), state);
      created.push({ uuid: nodeInfo.uuid, startedAt: frozen.getTime(), state });
    }
    for (let i = 0; i < 6; i++) {
      h.clock.advance(i % 2 === 0 ? -60_000 : 120_000);
      const state = states[i % 3] as IntrospectionState;
      const nodeInfo = await h.nodeCache.addNode(newUuid(), state);
      created.push({ uuid: nodeInfo.uuid, startedAt: nodeInfo.startedAt?.getTime() ?? 0, state });
    }
    const order = (list: typeof created) =>
      [...list]
        .sort((x, y) => y.startedAt - x.startedAt || (y.uuid > x.uuid ? 1 : y.uuid < x.uuid ? -1 : 0))
        .map((n) => n.uuid);

    const pageThrough = async (state?: IntrospectionState[]) => {
      const seen: string[] = [];
      let marker: string | undefined;
      for (;;) {
        const page = await h.nodeCache.getNodeList({
          limit: 4,
          ...(marker ? { marker } : {}),
          ...(state ? { state } : {}),
        });
        seen.push(...page.map((n) => n.uuid));
        if (page.length < 4) return seen;
        marker = page.at(-1)?.uuid;
      }
    };
    expect(await pageThrough()).toEqual(order(created));
    expect(await pageThrough(['waiting', 'error'])).toEqual(
      order(created.filter((n) => n.state === 'waiting' || n.state === 'error')),
    );
  });
});

describe('clean_up', () => {
  const hour = 3600 * 1000;

  async function staleNode(g: Fixture, state: IntrospectionState, ageMs: number) {
    const uuid = newUuid();
    const then = new Date(g.clock.now().getTime() - ageMs);
    const nodeInfo = await g.another({ now: () => then }).addNode(uuid, state, {
      attributes: { mac: uniqueMacs(1), bmc_address: uniqueIp() },
    });
    await nodeInfo.setOption('opt', 1);
    await g.nodeCache.storeIntrospectionData(uuid, { kept: true });
    return uuid;
  }

  it('does nothing with timeout 0', async () => {
    const g = await nodeCacheFixture({ env: { INSPECTOR_TIMEOUT: '0' } });
    const uuid = await staleNode(g, 'waiting', 10 * hour);
    expect(await g.nodeCache.cleanUp()).toEqual([]);
    const reread = await g.nodeCache.getNode(uuid);
    expect(await reread.state()).toBe('waiting');
    expect(Object.keys(await reread.attributes())).toHaveLength(2);
    expect(await reread.options()).toEqual({ opt: 1 });
  });

  it('does nothing and takes no lock when nothing expired', async () => {
    const g = await nodeCacheFixture();
    const uuid = await staleNode(g, 'waiting', hour - 60_000);
    let leaseCalls = 0;
    const leases = overrideStore(g.stores.leases, {
      tryAcquireLease: async (...args) => {
        leaseCalls++;
        return g.stores.leases.tryAcquireLease(...args);
      },
    });
    const watched = new NodeCache({ ...g.options, lease: { ...g.options.lease, leases } });
    expect(await watched.cleanUp()).toEqual([]);
    expect(leaseCalls).toBe(0);
    const reread = await g.nodeCache.getNode(uuid);
    expect(await reread.state()).toBe('waiting');
    expect(await g.nodeCache.getIntrospectionData(uuid)).toEqual({ kept: true });
  });

  it('times out an expired waiting node, keeps its data, ignores finished nodes', async () => {
    const g = await nodeCacheFixture();
    const uuid = await staleNode(g, 'waiting', hour + 1000);
    const finished = await staleNode(g, 'finished', 5 * hour);
    const finishedNode = g.nodeCache.nodeInfo(finished);
    finishedNode.finishedAt = new Date(Date.now() - 4 * hour);
    await finishedNode.commit();
    const before = g.clock.now().getTime();
    expect(await g.nodeCache.cleanUp()).toEqual([uuid]);
    const reread = await g.nodeCache.getNode(uuid);
    expect(await reread.state()).toBe('error');
    expect(reread.error).toBe('Introspection timeout');
    expect(reread.finishedAt?.getTime()).toBeGreaterThanOrEqual(before - 1);
    expect(await reread.attributes()).toEqual({});
    expect(await reread.options()).toEqual({});
    expect(await g.nodeCache.getIntrospectionData(uuid)).toEqual({ kept: true });
    expect(await (await g.nodeCache.getNode(finished)).state()).toBe('finished');
    expect(await g.nodeCache.nodeInfo(uuid).acquireLock({ blocking: false })).toBe(true);
  });

  it('times out every active state, reapplying included (docs/design.md#reapply-timeout)', async () => {
    const g = await nodeCacheFixture();
    const byState = new Map<string, IntrospectionState>();
    for (const state of ACTIVE_STATES) byState.set(await staleNode(g, state, 2 * hour), state);
    // A reapply keeps the old finished_at, as upstream.
    const reapplying = [...byState].find(([, s]) => s === 'reapplying')?.[0] as string;
    const reapply = g.nodeCache.nodeInfo(reapplying);
    reapply.finishedAt = new Date(Date.now() - 3 * hour);
    reapply.startedAt = new Date(Date.now() - 2 * hour);
    await reapply.commit();

    const timedOut = await g.nodeCache.cleanUp();
    expect(timedOut.sort()).toEqual([...byState.keys()].sort());
    for (const uuid of byState.keys()) {
      const reread = await g.nodeCache.getNode(uuid);
      expect(await reread.state()).toBe('error');
      expect(reread.error).toBe('Introspection timeout');
    }
    expect(g.logger.messages('error')).toContain(
      'Introspection timeout occurred while introspection in "processing" state',
    );
  });

  it('skips a node whose lock is held, and leaves it unchanged', async () => {
    const g = await nodeCacheFixture();
    const uuid = await staleNode(g, 'waiting', 2 * hour);
    const holder = g.nodeCache.nodeInfo(uuid);
    await holder.acquireLock();
    expect(await g.nodeCache.cleanUp()).toEqual([]);
    const reread = await g.nodeCache.getNode(uuid);
    expect(await reread.state()).toBe('waiting');
    expect(reread.finishedAt).toBeNull();
    expect(reread.error).toBeNull();
    await holder.releaseLock();
    expect(await g.nodeCache.cleanUp()).toEqual([uuid]);
  });

  it('goes on with the other candidates when one of them fails', async () => {
    const g = await nodeCacheFixture();
    const first = await staleNode(g, 'waiting', 2 * hour);
    const second = await staleNode(g, 'waiting', 3 * hour);
    let failed = '';
    const flaky = g.another({
      nodes: overrideStore(g.stores.nodes, {
        finishNode: async (...args) => {
          if (failed === '') {
            failed = args[0];
            throw new NodeStateRaceCondition();
          }
          return g.stores.nodes.finishNode(...args);
        },
      }),
    });
    const timedOut = await flaky.cleanUp();
    expect(timedOut).toHaveLength(1);
    expect([first, second]).toContain(failed);
    expect(timedOut[0]).toBe(failed === first ? second : first);
    expect(await g.nodeCache.cleanUp()).toEqual([failed]); // picked up on the next pass
  });

  it('two overlapping passes time each stale node out once', async () => {
    const g = await nodeCacheFixture();
    const stale = await Promise.all([1, 2, 3, 4].map(() => staleNode(g, 'waiting', 2 * hour)));
    const [a, b] = await Promise.all([g.nodeCache.cleanUp(), g.another().cleanUp()]);
    expect([...a, ...b].sort()).toEqual([...stale].sort());
    for (const uuid of stale) expect(await (await g.nodeCache.getNode(uuid)).state()).toBe('error');
  });

  it('re-checks under the lock: a node restarted since the index was read is not timed out', async () => {
    const g = await nodeCacheFixture();
    const uuid = await staleNode(g, 'waiting', 2 * hour);
    const raced = g.another({
      nodes: overrideStore(g.stores.nodes, {
        listNodesStartedBefore: async (states, threshold) => {
          const found = await g.stores.nodes.listNodesStartedBefore(states, threshold);
          await g.nodeCache.startIntrospection(uuid); // lands between the index read and the lock
          return found;
        },
      }),
    });
    expect(await raced.cleanUp()).toEqual([]);
    expect(await (await g.nodeCache.getNode(uuid)).state()).toBe('starting');
  });
});

describe('delete_nodes_not_in_list, active_macs, introspection_active', () => {
  it('deletes exactly the cached nodes missing from the list, each under its lock', async () => {
    const g = await nodeCacheFixture();
    const keep = (await g.nodeCache.addNode(newUuid(), 'waiting', { attributes: { mac: uniqueMacs(1) } }))
      .uuid;
    const gone = (await g.nodeCache.addNode(newUuid(), 'finished', { attributes: { mac: uniqueMacs(1) } }))
      .uuid;
    const busy = (await g.nodeCache.addNode(newUuid(), 'waiting', { attributes: { mac: uniqueMacs(1) } }))
      .uuid;
    await g.nodeCache.storeIntrospectionData(gone, { x: 1 });
    expect((await g.nodeCache.listNodeUuids()).sort()).toEqual([keep, gone, busy].sort());

    const holder = g.nodeCache.nodeInfo(busy);
    await holder.acquireLock();
    let released = false;
    setTimeout(() => {
      released = true;
      void holder.releaseLock();
    }, 300);
    const dropped = await g.nodeCache.deleteNodesNotInList([keep, newUuid()]);
    expect(released).toBe(true); // the busy node was deleted only after its holder let go
    expect(dropped.sort()).toEqual([gone, busy].sort());
    expect(await g.nodeCache.listNodeUuids()).toEqual([keep]);
    await expect(g.nodeCache.getNode(gone)).rejects.toThrow(NotFoundInCacheError);
    expect(await g.stores.nodes.getLookupAttributes(gone)).toEqual([]);
    await expect(g.nodeCache.getIntrospectionData(gone)).rejects.toThrow(IntrospectionDataNotFound);
    expect(g.logger.messages('warn')).toContain(
      `Node ${gone} was deleted from Ironic, dropping from Ironic Inspector database`,
    );
  });

  it('skips a node whose lock stays busy past the wait, and drops it on a later pass', async () => {
    const g = await nodeCacheFixture();
    const busy = (await g.nodeCache.addNode(newUuid(), 'waiting')).uuid;
    const gone = (await g.nodeCache.addNode(newUuid(), 'finished')).uuid;
    const holder = g.nodeCache.nodeInfo(busy);
    await holder.acquireLock();
    const impatient = g.another({ lockWaitMs: 100 });
    expect(await impatient.deleteNodesNotInList([])).toEqual([gone]);
    expect(g.logger.messages('warn')).toContain('Node is busy, dropping it on the next sync');
    await holder.releaseLock();
    expect(await impatient.deleteNodesNotInList([])).toEqual([busy]);
  });

  it('deleting nodes while attributes are added leaves no orphan rows', async () => {
    const g = await nodeCacheFixture();
    for (let round = 0; round < 15; round++) {
      const uuid = (await g.nodeCache.addNode(newUuid(), 'waiting', { attributes: { mac: uniqueMacs(1) } }))
        .uuid;
      const writer = g.nodeCache.nodeInfo(uuid);
      await writer.versionId();
      const [added] = await Promise.allSettled([
        writer.addAttribute('mac', uniqueMacs(1)),
        g.nodeCache.deleteNodesNotInList([]),
      ]);
      // Whatever the order, no lookup attribute may outlive its record.
      expect(await g.stores.nodes.getNode(uuid)).toBeUndefined();
      expect(await g.stores.nodes.getLookupAttributes(uuid)).toEqual([]);
      if (added.status === 'rejected') expect(added.reason).toBeInstanceOf(NodeStateRaceCondition);
    }
    expect(await g.nodeCache.activeMacs()).toEqual(new Set());
  });

  it('active_macs gives every MAC of every node, unmanaged ones included', async () => {
    const g = await nodeCacheFixture();
    const m1 = uniqueMacs(2);
    const m2 = uniqueMacs(1);
    await g.nodeCache.addNode(newUuid(), 'waiting', { attributes: { mac: m1, bmc_address: uniqueIp() } });
    await g.nodeCache.addNode(newUuid(), 'waiting', { manageBoot: false, attributes: { mac: m2 } });
    expect(await g.nodeCache.activeMacs()).toEqual(new Set([...m1, ...m2]));
  });

  it('introspection_active is true only while some node has not finished', async () => {
    const g = await nodeCacheFixture();
    expect(await g.nodeCache.introspectionActive()).toBe(false);
    const nodeInfo = await g.nodeCache.addNode(newUuid(), 'starting');
    expect(await g.nodeCache.introspectionActive()).toBe(true);
    await nodeInfo.finished('error', 'x');
    expect(await g.nodeCache.introspectionActive()).toBe(false);
  });
});

describe('introspection data', () => {
  it('round-trips processed and unprocessed data independently, without logs', async () => {
    const uuid = newUuid();
    await f.nodeCache.storeIntrospectionData(uuid, { inventory: { cpu: 1 }, logs: 'base64…' });
    await expect(f.nodeCache.getIntrospectionData(uuid, { processed: false })).rejects.toThrow(
      `Introspection data not found for node ${uuid}, processed=False`,
    );
    await f.nodeCache.storeIntrospectionData(uuid, { raw: true }, { processed: false });
    expect(await f.nodeCache.getIntrospectionData(uuid)).toEqual({ inventory: { cpu: 1 } });
    expect(await f.nodeCache.getIntrospectionData(uuid, { processed: false })).toEqual({ raw: true });
    await f.nodeCache.storeIntrospectionData(uuid, { inventory: { cpu: 2 } });
    expect(await f.nodeCache.getIntrospectionData(uuid)).toEqual({ inventory: { cpu: 2 } });
  });

  it('a missing object is 404 with upstream text', async () => {
    const uuid = newUuid();
    await expect(f.nodeCache.getIntrospectionData(uuid)).rejects.toMatchObject({
      httpStatus: 404,
      message: `Introspection data not found for node ${uuid}, processed=True`,
    });
  });

  it('refuses data that is not a JSON object', async () => {
    for (const [data, got] of [
      [42, 'number'],
      [[1], 'list'],
      [null, 'None'],
    ] as const) {
      await expect(f.nodeCache.storeIntrospectionData(newUuid(), data)).rejects.toThrow(
        `Invalid data: expected a JSON object, got ${got}`,
      );
    }
    await expect(f.nodeCache.storeIntrospectionData(newUuid(), 'x')).rejects.toThrow(
      InvalidIntrospectionData,
    );
  });
});

describe("edge transitions (upstream's functional test_edge_state_transitions)", () => {
  it('two starts in a row end in waiting', async () => {
    const uuid = newUuid();
    await (await f.nodeCache.startIntrospection(uuid)).fsmEvent('wait');
    const second = await f.nodeCache.startIntrospection(uuid);
    await second.fsmEvent('wait');
    expect(await (await f.nodeCache.getNode(uuid)).state()).toBe('waiting');
  });

  it('abort then start goes back to waiting; a second abort changes nothing', async () => {
    const uuid = newUuid();
    await (await f.nodeCache.startIntrospection(uuid)).fsmEvent('wait');
    const aborting = await f.nodeCache.getNode(uuid);
    await aborting.acquireLock({ blocking: false });
    await aborting.fsmEvent('abort');
    await aborting.finished('abort_end', 'Canceled by operator');
    const aborted = await f.nodeCache.getNode(uuid);
    expect(await aborted.state()).toBe('error');
    expect(aborted.error).toBe('Canceled by operator');

    const again = await f.nodeCache.getNode(uuid);
    await again.fsmEvent('abort'); // error + abort: a self-loop
    await expect(again.finished('abort_end', 'Canceled by operator')).rejects.toThrow(NodeStateInvalidEvent);
    const after = await f.nodeCache.getNode(uuid);
    expect(after.finishedAt).toEqual(aborted.finishedAt);
    expect(after.error).toBe('Canceled by operator');

    await (await f.nodeCache.startIntrospection(uuid)).fsmEvent('wait');
    expect(await (await f.nodeCache.getNode(uuid)).state()).toBe('waiting');
  });

  it('a ramdisk callback for a node forced to processing fails it', async () => {
    const uuid = newUuid();
    const [m] = uniqueMacs(1) as [string];
    const started = await f.nodeCache.startIntrospection(uuid, { attributes: { mac: [m] } });
    await started.fsmEvent('wait');
    await f.nodeCache.nodeInfo(uuid).setState('processing');
    const found = await f.nodeCache.findNode({ mac: [m] });
    await expect(found.fsmEvent('process', { strict: true })).rejects.toMatchObject({ httpStatus: 400 });
    const reread = await f.nodeCache.getNode(uuid);
    expect(await reread.state()).toBe('error');
    expect(reread.error).toContain('no defined transition');
  });

  it('reapply twice on a finished node ends finished with no error', async () => {
    const uuid = newUuid();
    const started = await f.nodeCache.startIntrospection(uuid);
    await started.fsmEvent('wait');
    await started.fsmEvent('process');
    await started.finished('finish');
    for (let i = 0; i < 2; i++) {
      const nodeInfo = await f.nodeCache.getNode(uuid);
      await nodeInfo.acquireLock({ blocking: false });
      await nodeInfo.fsmEvent('reapply');
      await nodeInfo.fsmEvent('reapply'); // reapplying + reapply: a self-loop
    }
    const last = await f.nodeCache.getNode(uuid);
    await last.finished('finish');
    const reread = await f.nodeCache.getNode(uuid);
    expect(await reread.state()).toBe('finished');
    expect(reread.error).toBeNull();
  });
});

describe('the power-action throttle (introspection_delay)', () => {
  it('gives concurrent reservations distinct slots, delay apart; an idle throttle starts now', async () => {
    const g = await nodeCacheFixture();
    const now = Date.now();
    const slots = await Promise.all(
      Array.from({ length: 6 }, () => g.stores.powerSlots.reservePowerSlot(now, 5000)),
    );
    expect(slots.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5].map((i) => now + i * 5000));
    // Long after the last slot, the next reservation is immediate.
    expect(await g.stores.powerSlots.reservePowerSlot(now + 60_000, 5000)).toBe(now + 60_000);
  });
});
