/**
 * Lookup by attribute, for every implementation: which nodes hold a (name, value) row, and every value
 * of a name (what `active_macs` reads).
 */
import { describe, expect, it } from 'vitest';
import { freshStores, STORE_IMPLEMENTATIONS, testRecord, testRows } from '#test/support/stores.ts';

describe.each(STORE_IMPLEMENTATIONS)('lookup: $name', (implementation) => {
  const stores = freshStores(implementation);

  it('finds the nodes holding a (name, value) row, one entry per row', async () => {
    const { nodes } = stores();
    const one = testRecord();
    const two = testRecord();
    await nodes.replaceNode(
      one,
      [...testRows('mac', ['aa', 'bb']), ...testRows('bmc_address', ['10.0.0.1'], 's')],
      null,
    );
    await nodes.replaceNode(two, testRows('mac', ['bb', 'bb']), null);
    expect(await nodes.findNodesByLookupAttribute('mac', 'aa')).toEqual([one.uuid]);
    expect((await nodes.findNodesByLookupAttribute('mac', 'bb')).sort()).toEqual(
      [one.uuid, two.uuid, two.uuid].sort(),
    );
    expect(await nodes.findNodesByLookupAttribute('bmc_address', '10.0.0.1')).toEqual([one.uuid]);
    // Name and value both count: no match across names, none for a prefix.
    expect(await nodes.findNodesByLookupAttribute('bmc_address', 'aa')).toEqual([]);
    expect(await nodes.findNodesByLookupAttribute('mac', 'a')).toEqual([]);
  });

  it('finds rows added later, and none of a replaced or finished node', async () => {
    const { nodes } = stores();
    const record = testRecord();
    await nodes.replaceNode(record, testRows('mac', ['aa']), null);
    await nodes.addLookupAttributes(record.uuid, 'v1', testRows('mac', ['cc'], 's'));
    expect(await nodes.findNodesByLookupAttribute('mac', 'cc')).toEqual([record.uuid]);
    await nodes.replaceNode({ ...record, versionId: 'v2' }, testRows('mac', ['dd'], 't'), 'v1');
    expect(await nodes.findNodesByLookupAttribute('mac', 'aa')).toEqual([]);
    expect(await nodes.findNodesByLookupAttribute('mac', 'cc')).toEqual([]);
    expect(await nodes.findNodesByLookupAttribute('mac', 'dd')).toEqual([record.uuid]);
    await nodes.finishNode(record.uuid, 'v2', { state: 'finished' }, 'v3');
    expect(await nodes.findNodesByLookupAttribute('mac', 'dd')).toEqual([]);
  });

  it('lists every value of a name over all nodes, in value order, repeats kept', async () => {
    const { nodes } = stores();
    expect(await nodes.listLookupAttributeValues('mac')).toEqual([]);
    await nodes.replaceNode(
      testRecord(),
      [...testRows('mac', ['cc', 'aa']), ...testRows('bmc_address', ['10.0.0.1'], 's')],
      null,
    );
    await nodes.replaceNode(testRecord(), testRows('mac', ['bb', 'aa']), null);
    expect(await nodes.listLookupAttributeValues('mac')).toEqual(['aa', 'aa', 'bb', 'cc']);
    expect(await nodes.listLookupAttributeValues('bmc_address')).toEqual(['10.0.0.1']);
    expect(await nodes.listLookupAttributeValues('nothing')).toEqual([]);
  });
});
