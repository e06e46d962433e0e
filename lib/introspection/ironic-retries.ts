/**
 * Upstream's `call_with_retries` for the power and boot calls the worker makes (5 attempts), bounded
 * in time too: a function must record a failure before its own timeout (the worker runs for at most
 * 90 s), so retries stop after {@link IRONIC_RETRY_BUDGET_MS}.
 *
 * @example
 * ```ts
 * await callWithRetries(() => ironic.setPowerState(uuid, 'power off'), { retryDelayMs: 1000 });
 * ```
 */
import { withIronicRetries } from '#lib/domain/ironic-calls.ts';

/** Retries of one Ironic call stop after this long. */
export const IRONIC_RETRY_BUDGET_MS = 25_000;

/** Run `call`, retrying Ironic failures `retryDelayMs` apart (upstream: 1 s). */
export function callWithRetries(
  call: () => Promise<void>,
  options: { readonly retryDelayMs: number },
): Promise<void> {
  return withIronicRetries(call, { delayMs: options.retryDelayMs, budgetMs: IRONIC_RETRY_BUDGET_MS });
}
