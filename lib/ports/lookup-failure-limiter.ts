/**
 * The failed-lookup limiter port: how many ramdisk callbacks from one source address may fail their
 * lookup per window, so that a sweep over made-up MACs or BMC addresses is slow. Each callback takes
 * an attempt before its lookup; a lookup that finds its node gives the attempt back, so only
 * failures stay counted. Sources are counted by `sourceKey` (`lib/domain/cidr.ts`): an IPv4 address, an IPv6 /64.
 *
 * Implemented over DynamoDB (one counter item per source and window, with a TTL) and in memory.
 *
 * @example
 * ```ts
 * const admission = await limiter.admit(sourceIp);
 * if (!admission.allowed) throw new TooManyFailedLookups(admission.retryAfterSeconds);
 * const node = await findNode(attributes);           // throws when nothing matches: the attempt stays spent
 * await limiter.succeeded(admission.attempt);
 * ```
 */
import { sourceKey } from '#lib/domain/cidr.ts';

/** An attempt taken from a source's budget (opaque to callers; hand it back on success). */
export interface LookupAttempt {
  readonly source: string;
  /** Start of the window the attempt was taken from, in seconds since the epoch. */
  readonly windowStart: number;
}

/** The answer to {@link LookupFailureLimiter.admit}. */
export type LookupAdmission =
  | { readonly allowed: true; readonly attempt: LookupAttempt | undefined }
  | { readonly allowed: false; readonly retryAfterSeconds: number };

/** The budget: at most `failuresPerWindow` failed lookups per source per `windowSeconds` (0: no limit). */
export interface LookupFailureLimits {
  readonly failuresPerWindow: number;
  readonly windowSeconds: number;
}

/** Failed lookups per source address. */
export interface LookupFailureLimiter {
  /**
   * Take one attempt from `source`'s budget for the current window, or be refused when it is spent.
   * Taking is atomic: any number of concurrent callbacks from one source get at most the budget.
   * With no limit configured every callback is allowed and nothing is written (`attempt` undefined).
   */
  admit(source: string): Promise<LookupAdmission>;

  /** The lookup found its node: give the attempt back. Never counts below zero. */
  succeeded(attempt: LookupAttempt | undefined): Promise<void>;
}

/** The window `nowMs` falls in: its start and end, in seconds since the epoch. */
export function lookupWindow(nowMs: number, windowSeconds: number): { start: number; end: number } {
  const start = Math.floor(nowMs / 1000 / windowSeconds) * windowSeconds;
  return { start, end: start + windowSeconds };
}

/**
 * What every limiter works out first for a callback from `source` at `nowMs`: the attempt it takes
 * (the source's key and the window's start), the window's end (seconds), and, should the budget be
 * spent, how long until the next window (at least 1 s).
 */
export function attemptAt(
  source: string,
  nowMs: number,
  windowSeconds: number,
): { attempt: LookupAttempt; windowEnd: number; retryAfterSeconds: number } {
  const window = lookupWindow(nowMs, windowSeconds);
  return {
    attempt: { source: sourceKey(source), windowStart: window.start },
    windowEnd: window.end,
    retryAfterSeconds: Math.max(1, Math.ceil(window.end - nowMs / 1000)),
  };
}
