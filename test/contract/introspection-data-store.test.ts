/**
 * Introspection data, for every implementation: one processed and one unprocessed document per node,
 * read back as written, deleted together (the S3 store also as the runtime builds it, loaded on first use).
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { freshStores, LAZY_S3_STORES, STORE_IMPLEMENTATIONS } from '#test/support/stores.ts';

describe.each([...STORE_IMPLEMENTATIONS, LAZY_S3_STORES])('introspection data: $name', (implementation) => {
  const stores = freshStores(implementation);

  it('keeps processed and unprocessed data apart, and reads back what was written', async () => {
    const { introspectionData } = stores();
    const uuid = randomUUID();
    expect(await introspectionData.get(uuid, true)).toBeUndefined();
    expect(await introspectionData.get(uuid, false)).toBeUndefined();
    const raw = { inventory: { cpu: { count: 4 } }, name: 'ünïcode ✓', list: [1, null, 'x'] };
    await introspectionData.put(uuid, false, raw);
    expect(await introspectionData.get(uuid, false)).toEqual(raw);
    expect(await introspectionData.get(uuid, true)).toBeUndefined();
    await introspectionData.put(uuid, true, { processed: true });
    expect(await introspectionData.get(uuid, true)).toEqual({ processed: true });
    expect(await introspectionData.get(uuid, false)).toEqual(raw);
  });

  it('overwrites a document, and keeps it as JSON carries it', async () => {
    const { introspectionData } = stores();
    const uuid = randomUUID();
    await introspectionData.put(uuid, true, { first: 1 });
    await introspectionData.put(uuid, true, { second: 2, gone: undefined });
    expect(await introspectionData.get(uuid, true)).toStrictEqual({ second: 2 });
  });

  it('deletes both documents of a node, and only that node', async () => {
    const { introspectionData } = stores();
    const uuid = randomUUID();
    const other = randomUUID();
    await introspectionData.put(uuid, true, { a: 1 });
    await introspectionData.put(uuid, false, { b: 2 });
    await introspectionData.put(other, true, { c: 3 });
    await introspectionData.deleteAll(uuid);
    expect(await introspectionData.get(uuid, true)).toBeUndefined();
    expect(await introspectionData.get(uuid, false)).toBeUndefined();
    expect(await introspectionData.get(other, true)).toEqual({ c: 3 });
    // Deleting what is not there is fine.
    await introspectionData.deleteAll(uuid);
    await introspectionData.deleteAll(randomUUID());
  });
});
