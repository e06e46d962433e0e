/**
 * Power slots, for every implementation: upstream's `introspection_delay` between power actions,
 * shared by every caller, so concurrent reservations each get their own slot.
 */
import { describe, expect, it } from 'vitest';
import { freshStores, STORE_IMPLEMENTATIONS } from '#test/support/stores.ts';

const NOW = 1_800_000_000_000;
const DELAY_MS = 5000;

describe.each(STORE_IMPLEMENTATIONS)('power slots: $name', (implementation) => {
  const stores = freshStores(implementation);

  it('starts an idle throttle now, and the next reservation a delay later', async () => {
    const { powerSlots } = stores();
    expect(await powerSlots.reservePowerSlot(NOW, DELAY_MS)).toBe(NOW);
    expect(await powerSlots.reservePowerSlot(NOW + 1000, DELAY_MS)).toBe(NOW + DELAY_MS);
    expect(await powerSlots.reservePowerSlot(NOW + 1000, DELAY_MS)).toBe(NOW + 2 * DELAY_MS);
    // Once the reserved slots have passed, the throttle is idle again.
    expect(await powerSlots.reservePowerSlot(NOW + 3 * DELAY_MS, DELAY_MS)).toBe(NOW + 3 * DELAY_MS);
    expect(await powerSlots.reservePowerSlot(NOW + 10 * DELAY_MS, DELAY_MS)).toBe(NOW + 10 * DELAY_MS);
  });

  it('gives concurrent reservations distinct slots, a delay apart', async () => {
    const { powerSlots } = stores();
    const slots = await Promise.all(
      Array.from({ length: 10 }, () => powerSlots.reservePowerSlot(NOW, DELAY_MS)),
    );
    expect([...slots].sort((a, b) => a - b)).toEqual(
      Array.from({ length: 10 }, (_, i) => NOW + i * DELAY_MS),
    );
  });

  it('with no delay, every reservation starts now', async () => {
    const { powerSlots } = stores();
    expect(await powerSlots.reservePowerSlot(NOW, 0)).toBe(NOW);
    expect(await powerSlots.reservePowerSlot(NOW, 0)).toBe(NOW);
  });
});
