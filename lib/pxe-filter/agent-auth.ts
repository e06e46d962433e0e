/**
 * How the PXE filter agent authenticates to the inspector API, for each of the API's auth modes:
 *
 * | `--auth` | credentials document (`--credentials FILE` or `PXE_FILTER_CREDENTIALS`) |
 * |---|---|
 * | `none` | – |
 * | `http_basic` | `{"username": …, "password": …}` (an htpasswd user of the API) |
 * | `keystone` | `{"token": …}` (a token made elsewhere), or a password login renewed before expiry: `{"auth_url", "username", "password", "user_domain_name"?, "project_name"? \| "system_scope": "all"}` |
 *
 * The API's `introspection:pxe_filter` rule is the reader rule: under keystone the user needs
 * `reader` with system scope, or `admin`, or `service`.
 *
 * @example
 * ```ts
 * const auth = agentAuth('keystone', { token: process.env.OS_TOKEN });
 * const headers = await auth.headers(); // { 'X-Auth-Token': '…' }
 * ```
 */
import { z } from 'zod';
import {
  basicAuth,
  basicCredentialsSchema,
  keystoneAuth,
  keystoneCredentialsSchema,
} from '#lib/adapters/ironic/auth.ts';

export type AgentAuthMode = 'none' | 'http_basic' | 'keystone';

/** Adds credentials to the agent's requests. */
export interface AgentAuth {
  readonly mode: AgentAuthMode;
  headers(): Promise<Record<string, string>>;
  /** The API answered 401: forget cached credentials. True when asking again may help. */
  invalidate(): boolean;
}

const tokenSchema = z.object({ token: z.string().min(1) });

/** A credentials problem the agent cannot run with (named setting, no secret in it). */
export class AgentConfigurationError extends Error {
  override readonly name = 'AgentConfigurationError';
}

/** The auth for `mode` from a credentials document (JSON text or object; unused for `none`). */
export function agentAuth(
  mode: AgentAuthMode,
  credentials: unknown,
  options: { fetch?: typeof fetch } = {},
): AgentAuth {
  if (mode === 'none') return { mode, headers: async () => ({}), invalidate: () => false };
  let document = credentials;
  if (typeof credentials === 'string') {
    try {
      document = JSON.parse(credentials);
    } catch {
      throw new AgentConfigurationError('The credentials are not a JSON document');
    }
  }
  if (document === undefined) {
    throw new AgentConfigurationError(
      `--auth ${mode} needs credentials: --credentials FILE or PXE_FILTER_CREDENTIALS`,
    );
  }
  const explain = (error: z.ZodError) =>
    error.issues.map((i) => `${i.path.join('.') || '(document)'}: ${i.message}`).join('; ');
  if (mode === 'http_basic') {
    const parsed = basicCredentialsSchema.safeParse(document);
    if (!parsed.success)
      throw new AgentConfigurationError(`Credentials for http_basic: ${explain(parsed.error)}`);
    const basic = basicAuth(parsed.data);
    return { mode, headers: () => basic.headers(), invalidate: () => false };
  }
  const token = tokenSchema.safeParse(document);
  if (token.success) {
    return { mode, headers: async () => ({ 'X-Auth-Token': token.data.token }), invalidate: () => false };
  }
  const parsed = keystoneCredentialsSchema.safeParse(document);
  if (!parsed.success) {
    throw new AgentConfigurationError(
      `Credentials for keystone: a {"token": …} or a password login (${explain(parsed.error)})`,
    );
  }
  const keystone = keystoneAuth(parsed.data, { ...options, owner: 'PXE filter agent' });
  return { mode, headers: () => keystone.headers(), invalidate: () => keystone.invalidate() };
}
