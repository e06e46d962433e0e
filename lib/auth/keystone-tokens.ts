/**
 * Keystone token validation for the API (upstream's `keystone` strategy with its default policy):
 * a token is checked against Keystone (`GET /v3/auth/tokens`, the token validating itself) and
 * cached until it expires or for at most five minutes; reads need one of the reader roles, every
 * other call `admin` or `service`.
 *
 * @example
 * ```ts
 * const validator = new KeystoneTokenValidator('https://keystone.example.com/v3');
 * const decision = await validator.authorize(token, 'POST'); // { allowed: false, reason: 'Access denied by policy' }
 * ```
 */
import { z } from 'zod';

const tokenBody = z.object({
  token: z.looseObject({
    expires_at: z.string(),
    roles: z.array(z.looseObject({ name: z.string() })).default([]),
    user: z.looseObject({ id: z.string(), name: z.string().optional() }).optional(),
    project: z.looseObject({ id: z.string() }).optional(),
  }),
});

/** Roles allowed to read (status, list) and to act (start, abort, data, reapply). */
export const READ_ROLES = ['reader', 'member', 'admin', 'service'];
export const ADMIN_ROLES = ['admin', 'service'];

const MAX_CACHE_MS = 5 * 60_000;

export type AuthorizationDecision =
  | { allowed: true; user: string; roles: string[] }
  | { allowed: false; reason: 'Authentication required' | 'Access denied by policy' };

interface ValidToken {
  user: string;
  roles: string[];
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

  /** Whether `token` may call `method` (GET/HEAD read; anything else acts). */
  async authorize(token: string | undefined, method: string): Promise<AuthorizationDecision> {
    if (token === undefined || token.trim() === '')
      return { allowed: false, reason: 'Authentication required' };
    const valid = await this.#validate(token.trim());
    if (valid === null) return { allowed: false, reason: 'Authentication required' };
    const needed = ['GET', 'HEAD'].includes(method.toUpperCase()) ? READ_ROLES : ADMIN_ROLES;
    if (!valid.roles.some((role) => needed.includes(role)))
      return { allowed: false, reason: 'Access denied by policy' };
    return { allowed: true, user: valid.user, roles: valid.roles };
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
      roles: parsed.data.token.roles.map((r) => r.name.toLowerCase()),
      cacheUntilMs: Math.min(expiresAtMs, this.#now() + MAX_CACHE_MS),
    };
    this.#cache.set(token, valid);
    return valid;
  }
}
