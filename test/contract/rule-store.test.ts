/**
 * The rule store contract, run against every store implementation (`test/support/stores.ts`: in
 * memory, and DynamoDB Local from the global setup on a fresh table): creation order, exact UUID strings, 409 on a duplicate
 * (also when two creations race), 404-style misses, delete one and delete all, and that rules
 * live beside node records without disturbing them.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RuleAlreadyExists } from '#lib/domain/errors.ts';
import type { Rule } from '#lib/rules/rule.ts';
import { freshStores, localServiceStores, STORE_IMPLEMENTATIONS, testRecord } from '#test/support/stores.ts';

let clock = Date.parse('2026-01-01T00:00:00Z');

function rule(fields: Partial<Rule> = {}): Rule {
  clock += 1000;
  return {
    uuid: randomUUID(),
    description: null,
    scope: null,
    createdAt: new Date(clock).toISOString().replace('Z', '000'),
    conditions: [{ op: 'eq', field: 'memory_mb', multiple: 'any', invert: false, params: { value: 1024 } }],
    actions: [{ action: 'set-attribute', params: { path: '/extra/x', value: '{data[memory_mb]}' } }],
    ...fields,
  };
}

describe.each(STORE_IMPLEMENTATIONS)('rule store contract: $name', (implementation) => {
  const stores = freshStores(implementation);

  it('keeps a rule exactly as given and lists rules in creation order', async () => {
    const store = stores().rules;
    expect(await store.list()).toEqual([]);
    const second = rule({ description: 'second' });
    const first = { ...rule({ description: '' }), createdAt: '2025-12-31T00:00:00.000000' };
    const third = rule({
      uuid: '{7459BF7C-9FF9-43A8-BA9F-48542ECDA66C}',
      scope: 'rack-1',
      conditions: [
        {
          op: 'is-empty',
          field: 'node://driver_info.x',
          multiple: 'all',
          invert: true,
          params: { value: null },
        },
      ],
      actions: [{ action: 'set-capability', params: { name: 'x', value: { '': [1.5, null, 'ü'] } } }],
    });
    await store.create(second);
    await store.create(first);
    await store.create(third);
    expect((await store.list()).map((r) => r.uuid)).toEqual([first.uuid, second.uuid, third.uuid]);
    expect(await store.get(third.uuid)).toEqual(third);
    expect(await store.list()).toEqual([first, second, third]);
  });

  it('ties in creation time come back in one fixed order', async () => {
    const store = stores().rules;
    const at = '2026-06-01T00:00:00.000000';
    const rules = ['c', 'a', 'b'].map((c) =>
      rule({ uuid: `${c.repeat(8)}-0000-0000-0000-000000000000`, createdAt: at }),
    );
    for (const r of rules) await store.create(r);
    const listed = (await store.list()).map((r) => r.uuid[0]);
    expect(listed).toEqual(['a', 'b', 'c']);
    expect((await store.list()).map((r) => r.uuid[0])).toEqual(listed);
  });

  it('finds a rule only by its exact UUID string', async () => {
    const store = stores().rules;
    const r = rule({ uuid: '7459BF7C9FF943A8BA9F48542ECDA66C' });
    await store.create(r);
    expect(await store.get('7459BF7C9FF943A8BA9F48542ECDA66C')).toEqual(r);
    expect(await store.get('7459bf7c-9ff9-43a8-ba9f-48542ecda66c')).toBeUndefined();
    expect(await store.delete('7459bf7c-9ff9-43a8-ba9f-48542ecda66c')).toBe(false);
  });

  it('refuses a second rule with the same UUID, also when two creations race', async () => {
    const store = stores().rules;
    const r = rule();
    await store.create(r);
    await expect(store.create({ ...rule(), uuid: r.uuid })).rejects.toThrow(RuleAlreadyExists);
    await expect(store.create({ ...rule(), uuid: r.uuid })).rejects.toThrow(
      `Rule with UUID ${r.uuid} already exists`,
    );
    const uuid = randomUUID();
    const results = await Promise.allSettled([1, 2, 3, 4].map(() => store.create({ ...rule(), uuid })));
    expect(results.filter((x) => x.status === 'fulfilled')).toHaveLength(1);
    for (const x of results.filter((x) => x.status === 'rejected')) {
      expect((x as PromiseRejectedResult).reason).toBeInstanceOf(RuleAlreadyExists);
    }
    expect((await store.list()).filter((x) => x.uuid === uuid)).toHaveLength(1);
    expect(await store.list()).toHaveLength(2);
  });

  it('deletes one rule (false when absent, once only) and then all', async () => {
    const store = stores().rules;
    const [a, b, c] = [rule(), rule(), rule()] as [Rule, Rule, Rule];
    for (const r of [a, b, c]) await store.create(r);
    expect(await store.delete(b.uuid)).toBe(true);
    expect(await store.delete(b.uuid)).toBe(false);
    expect(await store.get(b.uuid)).toBeUndefined();
    expect((await store.list()).map((r) => r.uuid)).toEqual([a.uuid, c.uuid]);
    const racing = await Promise.all([store.delete(a.uuid), store.delete(a.uuid)]);
    expect(racing.sort()).toEqual([false, true]);
    // The UUID is free again after a delete.
    await store.create({ ...rule(), uuid: b.uuid });
    await store.deleteAll();
    expect(await store.list()).toEqual([]);
    expect(await store.get(c.uuid)).toBeUndefined();
    await store.deleteAll();
    expect(await store.list()).toEqual([]);
  });

  it('deletes more rules than one transaction holds', async () => {
    const store = stores().rules;
    const many = Array.from({ length: 60 }, () => rule());
    await Promise.all(many.map((r) => store.create(r)));
    expect(await store.list()).toHaveLength(60);
    await store.deleteAll();
    expect(await store.list()).toEqual([]);
  });
});

describe('rule store on the node cache table', () => {
  it('shares the table with node records without either seeing the other', async () => {
    const { rules: store, nodes } = await localServiceStores();
    await store.create(rule());
    expect(await nodes.listNodeUuids()).toEqual([]);
    await nodes.replaceNode(testRecord(), [], null);
    expect(await store.list()).toHaveLength(1);
    expect(await nodes.listNodeUuids()).toHaveLength(1);
    await store.deleteAll();
    expect(await nodes.listNodeUuids()).toHaveLength(1);
  });
});
