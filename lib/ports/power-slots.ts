/**
 * The power slots port: upstream's `introspection_delay` between power actions, shared by every worker.
 *
 * @example
 * ```ts
 * const slotStartMs = await powerSlots.reservePowerSlot(Date.now(), 5000);
 * ```
 */
export interface PowerSlots {
  /**
   * Reserve the next slot for a power action, at least `delayMs` after the previous reservation
   * (upstream's `introspection_delay`, shared by every worker). Returns when the slot starts (ms).
   */
  reservePowerSlot(nowMs: number, delayMs: number): Promise<number>;
}
