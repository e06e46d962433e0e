/**
 * The failed-lookup limiter in memory: the DynamoDB adapter's semantics for one process (unit tests
 * of code above the port, and a single-process stack). At most `maxSources` windows are kept; ended
 * windows go first.
 *
 * @example
 * ```ts
 * const limiter = new InMemoryLookupFailureLimiter({ failuresPerWindow: 20, windowSeconds: 300 });
 * ```
 */
import {
  attemptAt,
  type LookupAdmission,
  type LookupAttempt,
  type LookupFailureLimiter,
  type LookupFailureLimits,
} from '#lib/ports/lookup-failure-limiter.ts';

const key = (attempt: LookupAttempt) => `${attempt.source}#${attempt.windowStart}`;

export class InMemoryLookupFailureLimiter implements LookupFailureLimiter {
  readonly #limits: LookupFailureLimits;
  readonly #now: () => number;
  readonly #maxSources: number;
  readonly #windows = new Map<string, { attempts: number; endS: number }>();

  constructor(limits: LookupFailureLimits, now: () => number = Date.now, maxSources = 100_000) {
    this.#limits = limits;
    this.#now = now;
    this.#maxSources = maxSources;
  }

  async admit(source: string): Promise<LookupAdmission> {
    if (this.#limits.failuresPerWindow <= 0) return { allowed: true, attempt: undefined };
    const nowMs = this.#now();
    const { attempt, windowEnd, retryAfterSeconds } = attemptAt(source, nowMs, this.#limits.windowSeconds);
    const entry = this.#windows.get(key(attempt));
    // One synchronous check-and-increment: no other admit runs in between.
    if (entry !== undefined && entry.attempts >= this.#limits.failuresPerWindow) {
      return { allowed: false, retryAfterSeconds };
    }
    if (entry !== undefined) entry.attempts++;
    else {
      this.#prune(nowMs);
      this.#windows.set(key(attempt), { attempts: 1, endS: windowEnd });
    }
    return { allowed: true, attempt };
  }

  async succeeded(attempt: LookupAttempt | undefined): Promise<void> {
    if (attempt === undefined) return;
    const entry = this.#windows.get(key(attempt));
    if (entry !== undefined && entry.attempts > 0) entry.attempts--;
  }

  #prune(nowMs: number): void {
    if (this.#windows.size < this.#maxSources) return;
    for (const [k, entry] of this.#windows) if (entry.endS * 1000 <= nowMs) this.#windows.delete(k);
    while (this.#windows.size >= this.#maxSources) {
      const oldest = this.#windows.keys().next();
      if (oldest.done === true) break;
      this.#windows.delete(oldest.value);
    }
  }
}
