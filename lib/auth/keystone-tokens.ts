/**
 * Keystone token validation for the API (upstream's `keystone` strategy): a token is checked
 * against Keystone (`GET /v3/auth/tokens`, the token validating itself) and the caller's roles and
 * scope kept, cached until the token expires or for at most five minutes. The policy is applied per
 * route by the api (`lib/auth/policy.ts`).
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

  constructor(authUrl: string, options: { fetch?: typeof fetch; now?: () => number } = {}) {
    this.#authUrl = authUrl.replace(/\/+$/, '');
    this.#fetch = options.fetch ?? fetch;
    this.#now = options.now ?? Date.now;
  }

  /** Who `token` belongs to: roles and system scope, or `Invalid` (missing, unknown, expired). */
  async identify(token: string | undefined): Promise<CallerIdentity & { user?: string }> {
    if (token === undefined || token.trim() === '') return INVALID;
    const valid = await this.#validate(token.trim());
    return valid === null ? INVALID : { ...valid.identity, user: valid.user };
  }

  async #validate(token: string): Promise<ValidToken | null> {
    const cached = this.#cache.get(token);
    if (cached !== undefined && (cached === null || cached.cacheUntilMs > this.#now())) return cached;
    const response = await this.#fetch(`${this.#authUrl}/auth/tokens`, {
      headers: { 'X-Auth-Token': token, 'X-Subject-Token': token, Accept: 'application/json' },
      signal: AbortSignal.timeout(5000),
    });
    if (response.status === 401 || response.status === 403 || response.status === 404) {
      await response.body?.cancel();
      return null; // invalid or expired: not cached, a refreshed token is a different string anyway
    }
    if (!response.ok) throw new Error(`Keystone answered ${response.status} validating a token`);
    const parsed = tokenBody.safeParse(await response.json());
    if (!parsed.success) throw new Error('Keystone answered a token validation with an unexpected body');
    const expiresAtMs = Date.parse(parsed.data.token.expires_at);
    if (!(expiresAtMs > this.#now())) return null;
    const valid: ValidToken = {
      user: parsed.data.token.user?.name ?? parsed.data.token.user?.id ?? 'unknown',
      identity: {
        status: 'Confirmed',
        roles: parsed.data.token.roles.map((r) => r.name.toLowerCase()),
        systemScopeAll: parsed.data.token.system?.all === true,
      },
      cacheUntilMs: Math.min(expiresAtMs, this.#now() + MAX_CACHE_MS),
    };
    if (this.#cache.size >= PRUNE_AT) {
      for (const [key, entry] of this.#cache)
        if (entry === null || entry.cacheUntilMs <= this.#now()) this.#cache.delete(key);
    }
    this.#cache.set(token, valid);
    return valid;
  }
}
