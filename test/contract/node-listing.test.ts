/**
 * The node store's listings, for every implementation: the API's order (`started_at` DESC, `uuid`
 * DESC) with a keyset position, the clean-up's "started before", "any unfinished", and every UUID.
 */
import { describe, expect, it } from 'vitest';
import { type IntrospectionState, STATES } from '#lib/domain/state-machine.ts';
import type { NodeRecord, NodeStore } from '#lib/ports/node-store.ts';
import { freshStores, STORE_IMPLEMENTATIONS, testRecord } from '#test/support/stores.ts';

const T0 = Date.parse('2026-03-01T10:00:00.000Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000);

/** Stores `records` and returns them. */
async function seed(nodes: NodeStore, records: readonly NodeRecord[]): Promise<readonly NodeRecord[]> {
  await Promise.all(records.map((record) => nodes.replaceNode(record, [], null)));
  return records;
}

const uuidsOf = (records: readonly NodeRecord[]) => records.map((r) => r.uuid);

describe.each(STORE_IMPLEMENTATIONS)('node listing: $name', (implementation) => {
  const stores = freshStores(implementation);

  /**
   * Seven records over three states: two share a `started_at` (the UUID breaks the tie), one has none
   * (it lists last).
   */
  const sample = (): NodeRecord[] => [
    testRecord({ uuid: 'node-a', state: 'waiting', startedAt: at(10) }),
    testRecord({ uuid: 'node-b', state: 'finished', startedAt: at(30), finishedAt: at(40) }),
    testRecord({ uuid: 'node-c', state: 'error', startedAt: at(20), finishedAt: at(25), error: 'x' }),
    testRecord({ uuid: 'node-d', state: 'waiting', startedAt: at(20) }),
    testRecord({ uuid: 'node-e', state: 'finished', startedAt: null, finishedAt: at(5) }),
    testRecord({ uuid: 'node-f', state: 'processing', startedAt: at(40) }),
    testRecord({ uuid: 'node-g', state: 'waiting', startedAt: at(40) }),
  ];
  /** The states of the sample's records. */
  const SOME: IntrospectionState[] = ['waiting', 'finished', 'error', 'processing'];
  const FULL_ORDER = ['node-g', 'node-f', 'node-b', 'node-d', 'node-c', 'node-a', 'node-e'];

  // Every state is one index on DynamoDB, some states a merge of per-state partitions: both, alike.
  describe.each([
    { listing: 'some states', ALL: SOME },
    { listing: 'every state', ALL: [...STATES] },
  ])('listNodes of $listing', ({ ALL }) => {
    it('orders by started_at DESC then uuid DESC, undated records last, whole records', async () => {
      const { nodes } = stores();
      const records = await seed(nodes, sample());
      const listed = await nodes.listNodes({ states: ALL, limit: 100 });
      expect(uuidsOf(listed)).toEqual(FULL_ORDER);
      expect(listed.find((r) => r.uuid === 'node-c')).toEqual(records.find((r) => r.uuid === 'node-c'));
    });

    it('lists only the given states (repeats do not matter)', async () => {
      const { nodes } = stores();
      await seed(nodes, sample());
      expect(uuidsOf(await nodes.listNodes({ states: ['waiting', 'waiting'], limit: 100 }))).toEqual([
        'node-g',
        'node-d',
        'node-a',
      ]);
      expect(await nodes.listNodes({ states: ['starting'], limit: 100 })).toEqual([]);
      expect(await nodes.listNodes({ states: [], limit: 100 })).toEqual([]);
    });

    it('pages with a keyset position: strictly after it, at most `limit`', async () => {
      const { nodes } = stores();
      const records = await seed(nodes, sample());
      const pages: string[][] = [];
      let after: NodeRecord | undefined;
      for (;;) {
        const page = await nodes.listNodes({ states: ALL, limit: 3, ...(after ? { after } : {}) });
        if (page.length === 0) break;
        pages.push(uuidsOf(page));
        after = page.at(-1);
      }
      expect(pages).toEqual([FULL_ORDER.slice(0, 3), FULL_ORDER.slice(3, 6), FULL_ORDER.slice(6)]);
      // A position need not be a stored record: (started_at 20 s, "node-cz") sits between d and c.
      const between = await nodes.listNodes({
        states: ALL,
        after: { startedAt: at(20), uuid: 'node-cz' },
        limit: 100,
      });
      expect(uuidsOf(between)).toEqual(['node-c', 'node-a', 'node-e']);
      const fromUndated = records.find((r) => r.uuid === 'node-e');
      expect(
        await nodes.listNodes({ states: ALL, ...(fromUndated ? { after: fromUndated } : {}), limit: 5 }),
      ).toEqual([]);
      expect(await nodes.listNodes({ states: ALL, limit: 0 })).toEqual([]);
    });

    it('follows a changed started_at and state', async () => {
      const { nodes } = stores();
      await seed(nodes, sample());
      await nodes.updateNode('node-a', 'v1', { state: 'processing', startedAt: at(50) }, 'v2');
      await nodes.updateNode('node-g', 'v1', { startedAt: null }, 'v2');
      expect(uuidsOf(await nodes.listNodes({ states: ALL, limit: 100 }))).toEqual([
        'node-a',
        'node-f',
        'node-b',
        'node-d',
        'node-c',
        'node-g',
        'node-e',
      ]);
      expect(uuidsOf(await nodes.listNodes({ states: ['waiting'], limit: 100 }))).toEqual([
        'node-d',
        'node-g',
      ]);
    });

    it('merges states over many pages of each', async () => {
      const { nodes } = stores();
      const states: IntrospectionState[] = ALL === SOME ? ['waiting', 'error', 'finished'] : ALL;
      const many = Array.from({ length: 30 }, (_, i) =>
        testRecord({
          uuid: `node-${String(i).padStart(2, '0')}`,
          state: states[i % 3] ?? 'waiting',
          startedAt: at(i % 7),
        }),
      );
      await seed(nodes, many);
      const expected = [...many]
        .sort(
          (a, b) =>
            (a.startedAt?.getTime() ?? 0) - (b.startedAt?.getTime() ?? 0) || a.uuid.localeCompare(b.uuid),
        )
        .reverse()
        .map((r) => r.uuid);
      const listed: string[] = [];
      let after: NodeRecord | undefined;
      do {
        const page = await nodes.listNodes({ states, limit: 4, ...(after ? { after } : {}) });
        listed.push(...uuidsOf(page));
        after = page.length === 4 ? page.at(-1) : undefined;
      } while (after !== undefined);
      expect(listed).toEqual(expected);
    });
  });

  describe('listNodesStartedBefore', () => {
    it('finds records in the states started strictly before the threshold, never undated ones', async () => {
      const { nodes } = stores();
      await seed(nodes, sample());
      const found = await nodes.listNodesStartedBefore(['waiting', 'finished'], at(30));
      expect(uuidsOf(found).sort()).toEqual(['node-a', 'node-d']);
      expect(uuidsOf(await nodes.listNodesStartedBefore(['waiting', 'finished'], at(30.001))).sort()).toEqual(
        ['node-a', 'node-b', 'node-d'],
      );
      expect(await nodes.listNodesStartedBefore(['processing'], at(40))).toEqual([]);
      expect(uuidsOf(await nodes.listNodesStartedBefore(['error'], at(1000)))).toEqual(['node-c']);
      expect(await nodes.listNodesStartedBefore([], at(1000))).toEqual([]);
    });
  });

  describe('anyUnfinished', () => {
    it('tells whether a record in the states has no finished_at', async () => {
      const { nodes } = stores();
      expect(await nodes.anyUnfinished(['waiting'])).toBe(false);
      await seed(nodes, sample());
      expect(await nodes.anyUnfinished(['waiting'])).toBe(true);
      expect(await nodes.anyUnfinished(['finished', 'error'])).toBe(false);
      expect(await nodes.anyUnfinished(['starting', 'processing'])).toBe(true);
      await nodes.updateNode('node-f', 'v1', { finishedAt: at(41) }, 'v2');
      expect(await nodes.anyUnfinished(['processing'])).toBe(false);
    });
  });

  describe('listNodeUuids', () => {
    it('lists every cached node once', async () => {
      const { nodes } = stores();
      expect(await nodes.listNodeUuids()).toEqual([]);
      await seed(nodes, sample());
      expect((await nodes.listNodeUuids()).sort()).toEqual([...FULL_ORDER].sort());
    });
  });
});
