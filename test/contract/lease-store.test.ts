/**
 * Node leases, for every implementation: taken when free, expired, already the taker's or handed over;
 * given back only by their owner; one holder at a time under concurrency.
 */
import { describe, expect, it } from 'vitest';
import { freshStores, STORE_IMPLEMENTATIONS } from '#test/support/stores.ts';

const NOW = 1_800_000_000_000;
const LEASE_MS = 120_000;

describe.each(STORE_IMPLEMENTATIONS)('lease store: $name', (implementation) => {
  const stores = freshStores(implementation);

  it('takes a free lease, and tells a second taker who holds it until when', async () => {
    const { leases } = stores();
    expect(await leases.tryAcquireLease('node-1', 'a', NOW, NOW + LEASE_MS)).toEqual({ acquired: true });
    expect(await leases.tryAcquireLease('node-1', 'b', NOW + 1, NOW + 1 + LEASE_MS)).toEqual({
      acquired: false,
      holder: 'a',
      expiresAtMs: NOW + LEASE_MS,
    });
    // Leases are per node.
    expect(await leases.tryAcquireLease('node-2', 'b', NOW, NOW + LEASE_MS)).toEqual({ acquired: true });
  });

  it('lets the holder take its own lease again, with the new expiry', async () => {
    const { leases } = stores();
    await leases.tryAcquireLease('node-1', 'a', NOW, NOW + LEASE_MS);
    expect(await leases.tryAcquireLease('node-1', 'a', NOW + 10, NOW + 10 + LEASE_MS)).toEqual({
      acquired: true,
    });
    expect(await leases.tryAcquireLease('node-1', 'b', NOW + 20, NOW + 20 + LEASE_MS)).toEqual({
      acquired: false,
      holder: 'a',
      expiresAtMs: NOW + 10 + LEASE_MS,
    });
  });

  it('hands an expired lease to the next taker: expired means strictly before now', async () => {
    const { leases } = stores();
    await leases.tryAcquireLease('node-1', 'a', NOW, NOW + LEASE_MS);
    const atExpiry = await leases.tryAcquireLease('node-1', 'b', NOW + LEASE_MS, NOW + 2 * LEASE_MS);
    expect(atExpiry.acquired).toBe(false);
    const after = NOW + LEASE_MS + 1;
    expect(await leases.tryAcquireLease('node-1', 'b', after, after + LEASE_MS)).toEqual({ acquired: true });
    // The crashed holder's late release leaves the new holder's lease alone.
    expect(await leases.releaseLease('node-1', 'a')).toBe(false);
    expect(await leases.tryAcquireLease('node-1', 'c', after, after + LEASE_MS)).toMatchObject({
      acquired: false,
      holder: 'b',
    });
  });

  it('hands a lease over once: the first taker with the hand-over token gets it, a second waits', async () => {
    const { leases } = stores();
    await leases.tryAcquireLease('node-1', 'api', NOW, NOW + LEASE_MS);
    expect(await leases.tryAcquireLease('node-1', 'worker-1', NOW + 1, NOW + LEASE_MS, 'api')).toEqual({
      acquired: true,
    });
    expect(await leases.tryAcquireLease('node-1', 'worker-2', NOW + 2, NOW + LEASE_MS, 'api')).toEqual({
      acquired: false,
      holder: 'worker-1',
      expiresAtMs: NOW + LEASE_MS,
    });
    // A hand-over token that is not the holder's takes nothing.
    expect(
      (await leases.tryAcquireLease('node-1', 'worker-3', NOW + 3, NOW + LEASE_MS, 'someone-else')).acquired,
    ).toBe(false);
  });

  it('is released only by its owner, and then free', async () => {
    const { leases } = stores();
    expect(await leases.releaseLease('node-1', 'a')).toBe(false);
    await leases.tryAcquireLease('node-1', 'a', NOW, NOW + LEASE_MS);
    expect(await leases.releaseLease('node-1', 'b')).toBe(false);
    expect((await leases.tryAcquireLease('node-1', 'b', NOW, NOW + LEASE_MS)).acquired).toBe(false);
    expect(await leases.releaseLease('node-1', 'a')).toBe(true);
    expect(await leases.releaseLease('node-1', 'a')).toBe(false);
    expect(await leases.tryAcquireLease('node-1', 'b', NOW, NOW + LEASE_MS)).toEqual({ acquired: true });
  });

  it('gives an expired lease back to its owner too (release checks the owner only)', async () => {
    const { leases } = stores();
    await leases.tryAcquireLease('node-1', 'a', NOW, NOW + LEASE_MS);
    expect(await leases.releaseLease('node-1', 'a')).toBe(true);
  });

  it('has exactly one holder when many take a free lease at once', async () => {
    const { leases } = stores();
    const takers = Array.from({ length: 12 }, (_, i) => `taker-${i}`);
    const attempts = await Promise.all(
      takers.map((owner) => leases.tryAcquireLease('node-1', owner, NOW, NOW + LEASE_MS)),
    );
    const winners = takers.filter((_, i) => attempts[i]?.acquired);
    expect(winners).toHaveLength(1);
    for (const attempt of attempts) {
      if (!attempt.acquired) expect(attempt.holder).toBe(winners[0]);
    }
  });
});
