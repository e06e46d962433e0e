/**
 * What keeps wrong credentials cheap: the expensive check (bcrypt, a Keystone round trip) runs only
 * for credentials this container has not judged recently, and only while their source address has
 * budget left.
 *
 * - **Recent results**: a bounded, expiring memory of credentials already checked, keyed by an HMAC
 *   of the credential under a key made at start (the memory never holds a password or token, nor a
 *   hash anyone could test guesses against). A repeated wrong credential costs a hash; a recently
 *   confirmed one passes without bcrypt, even while its source is over budget. Results belong to one
 *   `generation` (the loaded htpasswd entries): new entries forget them.
 * - **Per-source budget**: `failuresPerWindow` failed checks per source (an IPv4 address, an IPv6
 *   /64) per window; past it, a new credential from that source is refused unchecked until the window
 *   ends. Password guessing from one place becomes a handful of checks per minute.
 *
 * Both are per process (one authorizer container, or the local stack): in AWS the stage's
 * throttling bounds the containers a flood can start.
 *
 * @example
 * ```ts
 * const guard = new AttemptGuard<string>({ failuresPerWindow: 10 });
 * const judged = await guard.judge(header, sourceIp, users, () => checkPassword(header));
 * // { kind: 'checked' | 'remembered', outcome: { ok: true, value: 'admin' } } or { kind: 'source-over-budget', … }
 * ```
 */
import { createHmac, randomBytes } from 'node:crypto';
import { sourceKey } from '#lib/domain/cidr.ts';

export interface AttemptGuardOptions {
  /** Failed checks one source may cause per window (0: no limit). */
  readonly failuresPerWindow: number;
  /** @default 60 000 ms */
  readonly windowMs?: number;
  /** How long a confirmed credential is remembered (0: never). @default 60 000 ms */
  readonly rememberSuccessMs?: number;
  /** How long a refused credential is remembered. @default 300 000 ms */
  readonly rememberFailureMs?: number;
  /** Most credentials and most sources remembered (the oldest go first). @default 10 000 */
  readonly maxEntries?: number;
  readonly now?: () => number;
}

/** A check's outcome: accepted with a value (the user), or refused. */
export type CheckOutcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false };

/** How a credential was judged: by a real check, from memory, or refused unchecked. */
export type Judgement<T> =
  | { readonly kind: 'checked' | 'remembered'; readonly outcome: CheckOutcome<T> }
  | { readonly kind: 'source-over-budget'; readonly retryAfterMs: number };

interface Remembered<T> {
  readonly outcome: CheckOutcome<T>;
  readonly generation: unknown;
  readonly untilMs: number;
}

interface SourceWindow {
  readonly startMs: number;
  failures: number;
  /** Checks running now: they count against the budget until they end, so concurrent guesses cannot overspend it. */
  running: number;
}

/** A Map kept to `max` entries by dropping the oldest insertions. */
function setBounded<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > max) {
    const oldest = map.keys().next();
    if (oldest.done === true) break;
    map.delete(oldest.value);
  }
}

export class AttemptGuard<T> {
  readonly #hmacKey = randomBytes(32);
  readonly #results = new Map<string, Remembered<T>>();
  readonly #sources = new Map<string, SourceWindow>();
  readonly #failuresPerWindow: number;
  readonly #windowMs: number;
  readonly #rememberSuccessMs: number;
  readonly #rememberFailureMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(options: AttemptGuardOptions) {
    this.#failuresPerWindow = options.failuresPerWindow;
    this.#windowMs = options.windowMs ?? 60_000;
    this.#rememberSuccessMs = options.rememberSuccessMs ?? 60_000;
    this.#rememberFailureMs = options.rememberFailureMs ?? 300_000;
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  #key(credential: string): string {
    return createHmac('sha256', this.#hmacKey).update(credential).digest('base64url');
  }

  /**
   * Judge `credential` from `source`: from memory when it was checked recently under this
   * `generation`; refused unchecked when the source has spent its budget; else by `check`, whose
   * outcome is remembered. A `check` that throws (the checker is unavailable) counts nothing.
   */
  async judge(
    credential: string,
    source: string | undefined,
    generation: unknown,
    check: () => Promise<CheckOutcome<T>>,
  ): Promise<Judgement<T>> {
    const key = this.#key(credential);
    const remembered = this.#results.get(key);
    if (remembered !== undefined) {
      if (remembered.untilMs > this.#now() && remembered.generation === generation) {
        return { kind: 'remembered', outcome: remembered.outcome };
      }
      this.#results.delete(key);
    }
    const window = this.#window(source);
    if (window !== undefined) {
      if (window.failures + window.running >= this.#failuresPerWindow) {
        return { kind: 'source-over-budget', retryAfterMs: window.startMs + this.#windowMs - this.#now() };
      }
      window.running++;
    }
    let outcome: CheckOutcome<T>;
    try {
      outcome = await check();
    } finally {
      if (window !== undefined) window.running--;
    }
    if (window !== undefined && !outcome.ok) window.failures++;
    const rememberMs = outcome.ok ? this.#rememberSuccessMs : this.#rememberFailureMs;
    if (rememberMs > 0) {
      setBounded(
        this.#results,
        key,
        { outcome, generation, untilMs: this.#now() + rememberMs },
        this.#maxEntries,
      );
    }
    return { kind: 'checked', outcome };
  }

  /** The source's current window (a new one when the last has ended); none without a limit or a source. */
  #window(source: string | undefined): SourceWindow | undefined {
    if (this.#failuresPerWindow <= 0 || source === undefined) return undefined;
    const key = sourceKey(source);
    const now = this.#now();
    const current = this.#sources.get(key);
    if (current !== undefined && now < current.startMs + this.#windowMs) return current;
    // Checks still running in the last window end there; a new window starts clean.
    const fresh: SourceWindow = { startMs: now, failures: 0, running: 0 };
    setBounded(this.#sources, key, fresh, this.#maxEntries);
    return fresh;
  }

  /** How many credentials and sources are remembered (tests; bounded by `maxEntries` each). */
  get size(): { results: number; sources: number } {
    return { results: this.#results.size, sources: this.#sources.size };
  }
}
