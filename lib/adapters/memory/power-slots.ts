/**
 * The power-action throttle in memory, with the DynamoDB store's arithmetic: when idle the slot is now,
 * when busy it is the previous reservation's end; each reservation pushes the next one `delayMs` later.
 *
 * @example
 * ```ts
 * const slots = new MemoryPowerSlots();
 * await slots.reservePowerSlot(1000, 50); // 1000
 * await slots.reservePowerSlot(1000, 50); // 1050
 * ```
 */
import type { PowerSlots } from '#lib/ports/power-slots.ts';

/** In-memory implementation of {@link PowerSlots}. */
export class MemoryPowerSlots implements PowerSlots {
  /** When the next reservation may start (ms); undefined before the first one. */
  #nextSlotMs: number | undefined;

  async reservePowerSlot(nowMs: number, delayMs: number): Promise<number> {
    if (this.#nextSlotMs === undefined || this.#nextSlotMs <= nowMs) {
      this.#nextSlotMs = nowMs + delayMs;
      return nowMs;
    }
    this.#nextSlotMs += delayMs;
    return Math.max(nowMs, this.#nextSlotMs - delayMs);
  }
}
