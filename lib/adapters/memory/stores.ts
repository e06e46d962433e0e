/**
 * Every storage port in memory, fresh and empty: what the fast tests and any code above the stores run
 * on. Two NodeCaches built on the same value share their state, as two Lambdas share one table.
 *
 * @example
 * ```ts
 * const stores = memoryStores();
 * await stores.nodes.getNode(uuid); // undefined
 * ```
 */
import { MemoryIntrospectionDataStore } from '#lib/adapters/memory/introspection-data-store.ts';
import { MemoryLeaseStore } from '#lib/adapters/memory/lease-store.ts';
import { MemoryNodeStore } from '#lib/adapters/memory/node-store.ts';
import { MemoryPowerSlots } from '#lib/adapters/memory/power-slots.ts';
import { MemoryRuleStore } from '#lib/adapters/memory/rule-store.ts';
import type { Stores } from '#lib/ports/stores.ts';

/** A new, empty set of in-memory stores. */
export function memoryStores(): Stores {
  return {
    nodes: new MemoryNodeStore(),
    leases: new MemoryLeaseStore(),
    powerSlots: new MemoryPowerSlots(),
    introspectionData: new MemoryIntrospectionDataStore(),
    rules: new MemoryRuleStore(),
  };
}
