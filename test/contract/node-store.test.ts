/**
 * The node store's contract, for every implementation: writes conditioned on the record version the
 * caller saw, atomic replace and finish, the child-item limit, and delete.
 */
import { describe, expect, it } from 'vitest';
import { NodeStateRaceCondition } from '#lib/domain/errors.ts';
import { MAX_CHILD_ITEMS_PER_NODE } from '#lib/ports/node-store.ts';
import { freshStores, STORE_IMPLEMENTATIONS, testRecord, testRows } from '#test/support/stores.ts';

describe.each(STORE_IMPLEMENTATIONS)('node store: $name', (implementation) => {
  const stores = freshStores(implementation);

  describe('records', () => {
    it('keeps every field of a record as written (timestamps to the millisecond)', async () => {
      const { nodes } = stores();
      const record = testRecord({
        state: 'error',
        startedAt: new Date('2026-03-01T10:00:00.123Z'),
        finishedAt: new Date('2026-03-01T10:05:00.456Z'),
        error: 'Timeout',
        manageBoot: false,
      });
      await nodes.replaceNode(record, [], null);
      expect(await nodes.getNode(record.uuid)).toEqual(record);
      const bare = testRecord({ startedAt: null });
      await nodes.replaceNode(bare, [], null);
      expect(await nodes.getNode(bare.uuid)).toEqual(bare);
    });

    it('has no record, attributes or options for an unknown node', async () => {
      const { nodes } = stores();
      expect(await nodes.getNode('no-such-node')).toBeUndefined();
      expect(await nodes.getLookupAttributes('no-such-node')).toEqual([]);
      expect(await nodes.getOptions('no-such-node')).toEqual(new Map());
    });

    it('hands out copies: changing a returned record changes nothing stored', async () => {
      const { nodes } = stores();
      const record = testRecord();
      await nodes.replaceNode(record, [], null);
      const read = await nodes.getNode(record.uuid);
      read?.startedAt?.setTime(0);
      expect((await nodes.getNode(record.uuid))?.startedAt).toEqual(record.startedAt);
    });
  });

  describe('version conditions', () => {
    it('creates a record only where there is none when the caller saw none', async () => {
      const { nodes } = stores();
      const record = testRecord();
      await nodes.replaceNode(record, testRows('mac', ['aa']), null);
      await expect(nodes.replaceNode({ ...record, versionId: 'v2' }, [], null)).rejects.toThrow(
        NodeStateRaceCondition,
      );
      expect(await nodes.getNode(record.uuid)).toEqual(record);
      expect(await nodes.getLookupAttributes(record.uuid)).toHaveLength(1);
    });

    it('replaces record, attributes and options only on the version the caller saw', async () => {
      const { nodes } = stores();
      const record = testRecord();
      await nodes.replaceNode(record, testRows('mac', ['aa', 'bb']), null);
      await nodes.putOption(record.uuid, 'v1', 'new_ipmi_password', '"secret"');

      await expect(nodes.replaceNode({ ...record, versionId: 'v3' }, [], 'v0')).rejects.toThrow(
        NodeStateRaceCondition,
      );
      expect((await nodes.getNode(record.uuid))?.versionId).toBe('v1');

      const replacement = testRecord({ uuid: record.uuid, versionId: 'v2', state: 'waiting' });
      await nodes.replaceNode(replacement, testRows('bmc_address', ['10.0.0.1'], 's'), 'v1');
      expect(await nodes.getNode(record.uuid)).toEqual(replacement);
      expect(await nodes.getLookupAttributes(record.uuid)).toEqual(
        testRows('bmc_address', ['10.0.0.1'], 's'),
      );
      expect(await nodes.getOptions(record.uuid)).toEqual(new Map());
    });

    it('refuses a replacement expecting a version when the record is gone', async () => {
      const { nodes } = stores();
      await expect(nodes.replaceNode(testRecord({ versionId: 'v2' }), [], 'v1')).rejects.toThrow(
        NodeStateRaceCondition,
      );
    });

    it('updates fields on the expected version only, and sets the new version', async () => {
      const { nodes } = stores();
      const record = testRecord({ error: 'old' });
      await nodes.replaceNode(record, [], null);
      const finishedAt = new Date('2026-03-01T11:00:00.000Z');
      await nodes.updateNode(record.uuid, 'v1', { state: 'finished', finishedAt, error: null }, 'v2');
      expect(await nodes.getNode(record.uuid)).toEqual({
        ...record,
        versionId: 'v2',
        state: 'finished',
        finishedAt,
        error: null,
      });
      await expect(nodes.updateNode(record.uuid, 'v1', { state: 'error' }, 'v3')).rejects.toThrow(
        NodeStateRaceCondition,
      );
      await expect(nodes.updateNode('no-such-node', 'v1', { state: 'error' }, 'v2')).rejects.toThrow(
        NodeStateRaceCondition,
      );
      expect((await nodes.getNode(record.uuid))?.state).toBe('finished');
    });

    it('takes an update found already at its new version as a retry that landed', async () => {
      const { nodes } = stores();
      const record = testRecord();
      await nodes.replaceNode(record, [], null);
      await nodes.updateNode(record.uuid, 'v1', { state: 'waiting' }, 'v2');
      await nodes.updateNode(record.uuid, 'v1', { state: 'waiting' }, 'v2');
      expect((await nodes.getNode(record.uuid))?.versionId).toBe('v2');
    });

    it('lets exactly one of two concurrent writers from the same version win', async () => {
      const { nodes } = stores();
      const record = testRecord();
      await nodes.replaceNode(record, [], null);
      const results = await Promise.allSettled([
        nodes.updateNode(record.uuid, 'v1', { state: 'waiting' }, 'v2a'),
        nodes.updateNode(record.uuid, 'v1', { state: 'error' }, 'v2b'),
        nodes.replaceNode({ ...record, versionId: 'v2c' }, [], 'v1'),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) {
        if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(NodeStateRaceCondition);
      }
    });

    it('adds lookup attributes and options only on the expected version', async () => {
      const { nodes } = stores();
      const record = testRecord();
      await nodes.replaceNode(record, [], null);
      await expect(nodes.addLookupAttributes(record.uuid, 'v0', testRows('mac', ['aa']))).rejects.toThrow(
        NodeStateRaceCondition,
      );
      await expect(nodes.putOption(record.uuid, 'v0', 'x', '1')).rejects.toThrow(NodeStateRaceCondition);
      await expect(nodes.putOption('no-such-node', 'v1', 'x', '1')).rejects.toThrow(NodeStateRaceCondition);
      expect(await nodes.getLookupAttributes(record.uuid)).toEqual([]);
      expect(await nodes.getOptions(record.uuid)).toEqual(new Map());
    });
  });

  describe('children', () => {
    it('keeps lookup attribute rows in row-id order, duplicates included', async () => {
      const { nodes } = stores();
      const record = testRecord();
      await nodes.replaceNode(record, testRows('mac', ['bb', 'aa'], 'r1'), null);
      await nodes.addLookupAttributes(record.uuid, 'v1', testRows('mac', ['aa'], 'r2'));
      await nodes.addLookupAttributes(record.uuid, 'v1', testRows('bmc_address', ['10.0.0.1'], 'r0'));
      expect(await nodes.getLookupAttributes(record.uuid)).toEqual([
        { rowId: 'r000', name: 'bmc_address', value: '10.0.0.1' },
        { rowId: 'r100', name: 'mac', value: 'bb' },
        { rowId: 'r101', name: 'mac', value: 'aa' },
        { rowId: 'r200', name: 'mac', value: 'aa' },
      ]);
    });

    it('sets and overwrites options (JSON text), ordered by name', async () => {
      const { nodes } = stores();
      const record = testRecord();
      await nodes.replaceNode(record, [], null);
      await nodes.putOption(record.uuid, 'v1', 'new_ipmi_username', '"admin"');
      await nodes.putOption(record.uuid, 'v1', 'new_ipmi_password', '"one"');
      await nodes.putOption(record.uuid, 'v1', 'new_ipmi_password', '"two"');
      expect([...(await nodes.getOptions(record.uuid))]).toEqual([
        ['new_ipmi_password', '"two"'],
        ['new_ipmi_username', '"admin"'],
      ]);
    });

    it('reads lookup attributes and options in one call, as the two reads give them', async () => {
      const { nodes } = stores();
      const record = testRecord();
      await nodes.replaceNode(record, testRows('mac', ['52:54:00:00:00:02', '52:54:00:00:00:01']), null);
      await nodes.putOption(record.uuid, 'v1', 'new_ipmi_username', '"admin"');
      // A lease item sorts between the two kinds of children in the DynamoDB table: it is not one.
      const { leases } = stores();
      expect(
        (await leases.tryAcquireLease(record.uuid, 'owner', Date.now(), Date.now() + 60_000)).acquired,
      ).toBe(true);
      const children = await nodes.getChildren(record.uuid);
      expect(children.attributes).toEqual(await nodes.getLookupAttributes(record.uuid));
      expect(children.attributes.map((row) => row.value)).toEqual(['52:54:00:00:00:02', '52:54:00:00:00:01']);
      expect(children.options).toEqual(new Map([['new_ipmi_username', '"admin"']]));
      expect(await nodes.getChildren('no-such-node')).toEqual({ attributes: [], options: new Map() });
    });

    it(`holds at most ${MAX_CHILD_ITEMS_PER_NODE} lookup attributes and options together`, async () => {
      const { nodes } = stores();
      const record = testRecord();
      const values = Array.from({ length: MAX_CHILD_ITEMS_PER_NODE - 1 }, (_, i) => `v${i}`);
      await nodes.replaceNode(record, testRows('mac', values), null);
      await nodes.putOption(record.uuid, 'v1', 'full', 'true');

      await expect(
        nodes.addLookupAttributes(record.uuid, 'v1', testRows('mac', ['one-more'], 'z')),
      ).rejects.toThrow(NodeStateRaceCondition);
      await expect(nodes.putOption(record.uuid, 'v1', 'another', 'true')).rejects.toThrow(
        NodeStateRaceCondition,
      );
      // Overwriting an option adds no child, so it still fits.
      await nodes.putOption(record.uuid, 'v1', 'full', 'false');
      expect(await nodes.getLookupAttributes(record.uuid)).toHaveLength(MAX_CHILD_ITEMS_PER_NODE - 1);
      expect(await nodes.getOptions(record.uuid)).toEqual(new Map([['full', 'false']]));
    });
  });

  describe('finish', () => {
    it('changes the record and drops every lookup attribute and option at once', async () => {
      const { nodes } = stores();
      const record = testRecord({ state: 'processing' });
      await nodes.replaceNode(record, testRows('mac', ['aa', 'bb']), null);
      await nodes.putOption(record.uuid, 'v1', 'x', '1');
      const finishedAt = new Date('2026-03-01T12:00:00.000Z');
      await nodes.finishNode(record.uuid, 'v1', { state: 'finished', finishedAt }, 'v2');
      expect(await nodes.getNode(record.uuid)).toEqual({
        ...record,
        versionId: 'v2',
        state: 'finished',
        finishedAt,
      });
      expect(await nodes.getLookupAttributes(record.uuid)).toEqual([]);
      expect(await nodes.getOptions(record.uuid)).toEqual(new Map());
      expect(await nodes.findNodesByLookupAttribute('mac', 'aa')).toEqual([]);
    });

    it('is all or nothing: a stale finisher leaves record, attributes and options as they were', async () => {
      const { nodes } = stores();
      const record = testRecord({ state: 'processing' });
      await nodes.replaceNode(record, testRows('mac', ['aa']), null);
      await nodes.putOption(record.uuid, 'v1', 'x', '1');
      await nodes.updateNode(record.uuid, 'v1', { state: 'error', error: 'boom' }, 'v2');
      await expect(nodes.finishNode(record.uuid, 'v1', { state: 'finished' }, 'v3')).rejects.toThrow(
        NodeStateRaceCondition,
      );
      await expect(nodes.finishNode('no-such-node', 'v1', { state: 'finished' }, 'v3')).rejects.toThrow(
        NodeStateRaceCondition,
      );
      expect((await nodes.getNode(record.uuid))?.state).toBe('error');
      expect(await nodes.getLookupAttributes(record.uuid)).toHaveLength(1);
      expect(await nodes.getOptions(record.uuid)).toEqual(new Map([['x', '1']]));
    });

    it('leaves no child behind when children are added while it finishes', async () => {
      const { nodes } = stores();
      const record = testRecord({ state: 'processing' });
      await nodes.replaceNode(record, testRows('mac', ['aa']), null);
      const [added, finished] = await Promise.allSettled([
        nodes.addLookupAttributes(record.uuid, 'v1', testRows('mac', ['bb', 'cc'], 's')),
        nodes.finishNode(record.uuid, 'v1', { state: 'finished', finishedAt: new Date() }, 'v2'),
      ]);
      expect(finished.status).toBe('fulfilled');
      if (added.status === 'rejected') expect(added.reason).toBeInstanceOf(NodeStateRaceCondition);
      expect(await nodes.getLookupAttributes(record.uuid)).toEqual([]);
      expect(await nodes.findNodesByLookupAttribute('mac', 'bb')).toEqual([]);
    });
  });

  describe('delete', () => {
    it('deletes record, attributes and options, and is fine with an unknown node', async () => {
      const { nodes } = stores();
      const record = testRecord();
      await nodes.replaceNode(record, testRows('mac', ['aa']), null);
      await nodes.putOption(record.uuid, 'v1', 'x', '1');
      await nodes.deleteNode(record.uuid);
      expect(await nodes.getNode(record.uuid)).toBeUndefined();
      expect(await nodes.getLookupAttributes(record.uuid)).toEqual([]);
      expect(await nodes.getOptions(record.uuid)).toEqual(new Map());
      expect(await nodes.findNodesByLookupAttribute('mac', 'aa')).toEqual([]);
      expect(await nodes.listNodeUuids()).toEqual([]);
      await nodes.deleteNode(record.uuid);
      // The node can be created afresh.
      await nodes.replaceNode(record, [], null);
      expect(await nodes.getNode(record.uuid)).toEqual(record);
    });

    it("leaves the node's lease alone", async () => {
      const { nodes, leases } = stores();
      const record = testRecord();
      await nodes.replaceNode(record, [], null);
      const now = Date.now();
      expect(await leases.tryAcquireLease(record.uuid, 'holder', now, now + 60_000)).toEqual({
        acquired: true,
      });
      await nodes.deleteNode(record.uuid);
      expect(await leases.tryAcquireLease(record.uuid, 'other', now, now + 60_000)).toEqual({
        acquired: false,
        holder: 'holder',
        expiresAtMs: now + 60_000,
      });
    });
  });
});
