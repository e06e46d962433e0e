/**
 * Keystone token validation for the API (upstream's `keystone` strategy): a token is checked
 * against Keystone (`GET /v3/auth/tokens`, the token validating itself) and the caller's roles and
 * scope kept, cached until the token expires or for at most `maxCacheMs` (five minutes unless told).
 * The policy is applied per route by the api (`lib/auth/policy.ts`).
 *
 * Keystone down, slow (past `timeoutMs`) or failing (5xx, a body that is not a token) makes the
 * identity `Unavailable` (the api answers 503), never an exception; for `failFastMs` afterwards,
 * tokens not in the cache are `Unavailable` at once rather than each waiting out the timeout.
 * Concurrent validations of one token share one request.
 *
 * @example
 * ```ts
 * const validator = new KeystoneTokenValidator('https://keystone.example.com/v3');
 * const identity = await validator.identify(token); // { status: 'Confirmed', roles: ['admin'], systemScopeAll: false }
 * ```
 */
import * as z from 'zod';
import type { CallerIdentity } from '#lib/auth/policy.ts';

const tokenBody = z.object({
  token: z.looseObject({
    expires_at: z.string(),
    roles: z.array(z.looseObject({ name: z.string() })).default([]),
    user: z.looseObject({ id: z.string(), name: z.string().optional() }).optional(),
    project: z.looseObject({ id: z.string() }).optional(),
    system: z.looseObject({ all: z.boolean().optional() }).optional(),
  }),
});

const MAX_CACHE_MS = 5 * 60_000;
/** Past this many cached tokens, expired ones are dropped (a long-lived container sees many). */
const PRUNE_AT = 1000;

const INVALID: CallerIdentity = { status: 'Invalid', roles: [], systemScopeAll: false };

/** Keystone could not answer the question (down, slow, failing): not the caller's fault. */
class KeystoneUnavailable extends Error {}

export interface KeystoneTokenValidatorOptions {
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
  /** Bound on one validation, connection to last byte. @default 5000 */
  readonly timeoutMs?: number;
  /** Longest a confirmed token is remembered (its expiry bounds it too). @default 300 000 */
  readonly maxCacheMs?: number;
  /** After Keystone failed, how long uncached tokens are answered `Unavailable` without asking. @default 2000 */
  readonly failFastMs?: number;
}

interface ValidToken {
  user: string;
  identity: CallerIdentity;
  cacheUntilMs: number;
}

export class KeystoneTokenValidator {
  readonly #authUrl: string;
  readonly #fetch: typeof fetch;
  readonly #now: () => number;
  readonly #cache = new Map<string, ValidToken | null>();
  readonly #inFlight = new Map<string, Promise<ValidToken | null>>();
  readonly #timeoutMs: number;
  readonly #maxCacheMs: number;
  readonly #failFastMs: number;
  #failedAt: { atMs: number; reason: string } | undefined;

  constructor(authUrl: string, options: KeystoneTokenValidatorOptions = {}) {
    this.#authUrl = authUrl.replace(/\/+$/, '');
    this.#fetch = options.fetch ?? fetch;
    this.#now = options.now ?? Date.now;
    this.#timeoutMs = options.timeoutMs ?? 5000;
    this.#maxCacheMs = options.maxCacheMs ?? MAX_CACHE_MS;
    this.#failFastMs = options.failFastMs ?? 2000;
  }

  /**
   * Who `token` belongs to: roles and system scope; `Invalid` (missing, unknown, expired); or
   * `Unavailable` with the reason when Keystone cannot say.
   */
  async identify(token: string | undefined): Promise<CallerIdentity & { user?: string }> {
    if (token === undefined || token.trim() === '') return INVALID;
    try {
      const valid = await this.#validateOnce(token.trim());
      return valid === null ? INVALID : { ...valid.identity, user: valid.user };
    } catch (err) {
      if (!(err instanceof KeystoneUnavailable)) throw err;
      return { status: 'Unavailable', roles: [], systemScopeAll: false, reason: err.message };
    }
  }

  #validateOnce(token: string): Promise<ValidToken | null> {
    const cached = this.#cache.get(token);
    if (cached !== undefined && (cached === null || cached.cacheUntilMs > this.#now())) {
      return Promise.resolve(cached);
    }
    const failed = this.#failedAt;
    if (failed !== undefined && this.#now() - failed.atMs < this.#failFastMs) {
      return Promise.reject(new KeystoneUnavailable(failed.reason));
    }
    let pending = this.#inFlight.get(token);
    if (pending === undefined) {
      pending = this.#validate(token)
        .catch((err: unknown) => {
          if (err instanceof KeystoneUnavailable) this.#failedAt = { atMs: this.#now(), reason: err.message };
          throw err;
        })
        .finally(() => this.#inFlight.delete(token));
      this.#inFlight.set(token, pending);
    }
    return pending;
  }

  async #validate(token: string): Promise<ValidToken | null> {
    let response: Response;
    let body: unknown;
    try {
      response = await this.#fetch(`${this.#authUrl}/auth/tokens`, {
        headers: { 'X-Auth-Token': token, 'X-Subject-Token': token, Accept: 'application/json' },
        // Bounds the whole exchange, the body included: a Keystone that accepts and never answers
        // costs at most this long.
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      if (response.status === 401 || response.status === 403 || response.status === 404) {
        await response.body?.cancel();
        this.#failedAt = undefined;
        return null; // invalid or expired: not cached, a refreshed token is a different string anyway
      }
      if (!response.ok) {
        await response.body?.cancel();
        throw new KeystoneUnavailable(`Keystone answered ${response.status} validating a token`);
      }
      body = await response.json();
    } catch (err) {
      if (err instanceof KeystoneUnavailable) throw err;
      const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
      throw new KeystoneUnavailable(
        timedOut
          ? `Keystone did not answer within ${this.#timeoutMs / 1000} s`
          : err instanceof SyntaxError
            ? 'Keystone answered a token validation with a body that is not JSON'
            : 'Keystone could not be reached',
      );
    }
    const parsed = tokenBody.safeParse(body);
    if (!parsed.success) {
      throw new KeystoneUnavailable('Keystone answered a token validation with an unexpected body');
    }
    this.#failedAt = undefined;
    const expiresAtMs = Date.parse(parsed.data.token.expires_at);
    if (!(expiresAtMs > this.#now())) return null;
    const valid: ValidToken = {
      user: parsed.data.token.user?.name ?? parsed.data.token.user?.id ?? 'unknown',
      identity: {
        status: 'Confirmed',
        roles: parsed.data.token.roles.map((r) => r.name.toLowerCase()),
        systemScopeAll: parsed.data.token.system?.all === true,
      },
      cacheUntilMs: Math.min(expiresAtMs, this.#now() + this.#maxCacheMs),
    };
    if (this.#cache.size >= PRUNE_AT) {
      for (const [key, entry] of this.#cache)
        if (entry === null || entry.cacheUntilMs <= this.#now()) this.#cache.delete(key);
    }
    this.#cache.set(token, valid);
    return valid;
  }
}
