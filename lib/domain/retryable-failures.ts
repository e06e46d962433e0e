/**
 * Which failures a later try may get past, in one place. Two rules, for two callers:
 *
 * - {@link isTransientFailure}, for the worker's jobs and the recovery: Ironic unreachable or
 *   answering 502–504, an AWS service's answer (throttling, conflict, 5xx), a network error. The node
 *   keeps its step due and the queue or the clean-up tries again.
 * - {@link isIronicOutage}, for the ramdisk callback: Ironic unreachable, failing in itself (any 5xx)
 *   or refusing our credentials. The ramdisk is answered 503 and the node keeps waiting, since its
 *   ramdisk retries. A refused login is an outage here (an operator fixes the credentials while the
 *   ramdisk waits), but not for a job, which would only spin on it; the stores' failures are not the
 *   ramdisk's to retry (the callback hands those to a job instead).
 *
 * @example
 * ```ts
 * isTransientFailure(new IronicUnavailable(url, 'ECONNREFUSED')); // true
 * isIronicOutage(new IronicError(500, 'boom'));                    // true
 * ```
 */
import { InspectorError, IronicAuthError, IronicError, IronicUnavailable } from '#lib/domain/errors.ts';

/**
 * Whether a job's failure is one a later try can get past: Ironic unreachable or overloaded, or a
 * failure that is no inspector error at all (storage throttled, a network error). Such a failure
 * leaves the node as it is, with its step due, for the queue's next delivery or the clean-up's
 * recovery, instead of failing the introspection.
 *
 * @example
 * ```ts
 * isTransientFailure(new IronicUnavailable(url, 'ECONNREFUSED')); // true
 * isTransientFailure(new TypeError('boom'));                        // false
 * ```
 */
export function isTransientFailure(err: unknown): boolean {
  if (err instanceof IronicUnavailable) return true;
  if (err instanceof IronicError) return TRANSIENT_HTTP_STATUSES.includes(err.ironicStatus);
  if (err instanceof InspectorError || typeof err !== 'object' || err === null) return false;
  // An AWS service's answer (throttling, conflict, 5xx) carries the SDK's `$metadata`; a network
  // failure carries its system error code. A TypeError is a bug, not worth a retry.
  const { $metadata, code } = err as { $metadata?: unknown; code?: unknown };
  return $metadata !== undefined || (typeof code === 'string' && NETWORK_ERROR_CODES.includes(code));
}

const TRANSIENT_HTTP_STATUSES = [502, 503, 504];
const NETWORK_ERROR_CODES = ['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN'];

/** Ironic down, stalling, failing in itself or refusing our credentials: a retry may succeed. */
export function isIronicOutage(err: unknown): boolean {
  return (
    err instanceof IronicUnavailable ||
    err instanceof IronicAuthError ||
    (err instanceof IronicError && err.ironicStatus >= 500)
  );
}
