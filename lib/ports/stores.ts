/**
 * Every storage port the core needs, as one value: what the composition root builds from DynamoDB and
 * S3 (`lib/adapters/dynamodb/`, `lib/adapters/s3/`) or in memory (`lib/adapters/memory/`), and what
 * each class picks its own stores from.
 *
 * @example
 * ```ts
 * const { nodes, leases } = stores;
 * ```
 */
import type { IntrospectionDataStore } from '#lib/ports/introspection-data-store.ts';
import type { LeaseStore } from '#lib/ports/lease-store.ts';
import type { NodeStore } from '#lib/ports/node-store.ts';
import type { PowerSlots } from '#lib/ports/power-slots.ts';
import type { RuleStore } from '#lib/ports/rule-store.ts';

export interface Stores {
  readonly nodes: NodeStore;
  readonly leases: LeaseStore;
  readonly powerSlots: PowerSlots;
  readonly introspectionData: IntrospectionDataStore;
  /** Introspection rules (`/v1/rules`), applied at the end of processing. */
  readonly rules: RuleStore;
}
