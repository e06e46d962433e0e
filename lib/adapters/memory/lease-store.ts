/**
 * Node leases in memory, with the DynamoDB store's rules: a lease is taken when it is free, expired at
 * `nowMs` (strictly: `expiresAtMs < nowMs`), already the taker's, or handed over by its holder; it is
 * released only by its owner (expired or not). Leases outlive their node record, as in DynamoDB.
 *
 * @example
 * ```ts
 * const leases = new MemoryLeaseStore();
 * await leases.tryAcquireLease(uuid, 'worker-1', Date.now(), Date.now() + 120_000); // { acquired: true }
 * ```
 */
import type { LeaseAttempt, LeaseStore } from '#lib/ports/lease-store.ts';

interface Lease {
  readonly owner: string;
  readonly expiresAtMs: number;
}

/** In-memory implementation of {@link LeaseStore}. */
export class MemoryLeaseStore implements LeaseStore {
  readonly #leases = new Map<string, Lease>();

  async tryAcquireLease(
    uuid: string,
    owner: string,
    nowMs: number,
    expiresAtMs: number,
    handedOverBy?: string,
  ): Promise<LeaseAttempt> {
    const current = this.#leases.get(uuid);
    // The same race the DynamoDB condition prevents: two holders at once. A hand-over changes the owner
    // in this step, so a second taker carrying the same hand-over token finds another owner.
    const free =
      current === undefined ||
      current.expiresAtMs < nowMs ||
      current.owner === owner ||
      (handedOverBy !== undefined && current.owner === handedOverBy);
    if (!free) return { acquired: false, holder: current.owner, expiresAtMs: current.expiresAtMs };
    this.#leases.set(uuid, { owner, expiresAtMs });
    return { acquired: true };
  }

  async releaseLease(uuid: string, owner: string): Promise<boolean> {
    // Only the owner releases: a late release after a take-over leaves the new holder's lease alone.
    if (this.#leases.get(uuid)?.owner !== owner) return false;
    this.#leases.delete(uuid);
    return true;
  }
}
