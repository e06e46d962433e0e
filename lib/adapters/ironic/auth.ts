/**
 * Authentication to Ironic, as upstream's `[ironic]` section offers it: none (standalone Ironic),
 * HTTP basic, and Keystone v3 password (token cached until it expires, refreshed once on a 401).
 *
 * Credentials are one JSON document, validated with zod: from the `IRONIC_CREDENTIALS` environment
 * variable locally, from a Secrets Manager secret in AWS (fetched once per container).
 *
 * @example
 * ```ts
 * const auth = ironicAuth('keystone', { auth_url: 'https://keystone:5000/v3', username: 'ironic',
 *   password: '…', project_name: 'service' });
 * const headers = await auth.headers(); // { 'X-Auth-Token': '…' }
 * ```
 */
import { z } from 'zod';
import { ConfigurationError, IronicAuthError } from '#lib/domain/errors.ts';

/** Adds credentials to Ironic requests. */
export interface IronicAuth {
  readonly type: 'none' | 'http_basic' | 'keystone';
  /** Headers for the next request (may fetch a token). */
  headers(): Promise<Record<string, string>>;
  /** Ironic answered 401: forget cached credentials. True when asking again may help. */
  invalidate(): boolean;
}

/** No credentials (Ironic with `auth_strategy = noauth`). */
export const noAuth: IronicAuth = {
  type: 'none',
  headers: async () => ({}),
  invalidate: () => false,
};

export const basicCredentialsSchema = z.object({
  username: z.string().min(1),
  password: z.string(),
});

export const keystoneCredentialsSchema = z.object({
  auth_url: z.url(),
  username: z.string().min(1),
  password: z.string(),
  user_domain_name: z.string().default('Default'),
  /** Project scope (upstream's usual `service` project) unless `system_scope` is given. */
  project_name: z.string().optional(),
  project_domain_name: z.string().default('Default'),
  system_scope: z.literal('all').optional(),
});
export type KeystoneCredentials = z.infer<typeof keystoneCredentialsSchema>;

/** HTTP basic (Ironic with `auth_strategy = http_basic`). */
export function basicAuth(credentials: z.infer<typeof basicCredentialsSchema>): IronicAuth {
  const value = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
  return { type: 'http_basic', headers: async () => ({ Authorization: value }), invalidate: () => false };
}

const tokenResponse = z.object({ token: z.object({ expires_at: z.string() }) });

/** A token this close to its expiry is renewed before use. */
const TOKEN_MARGIN_MS = 60_000;

/** Keystone v3 password authentication with a cached token. */
export function keystoneAuth(
  credentials: KeystoneCredentials,
  options: {
    fetch?: typeof fetch;
    now?: () => number;
    timeoutMs?: number;
    /** Whose credentials these are, for messages (default: Ironic's). */
    owner?: string;
  } = {},
): IronicAuth {
  const doFetch = options.fetch ?? fetch;
  const now = options.now ?? Date.now;
  let cached: { token: string; expiresAtMs: number } | undefined;
  let pending: Promise<string> | undefined;

  const scope =
    credentials.system_scope !== undefined
      ? { system: { all: true } }
      : credentials.project_name !== undefined
        ? { project: { name: credentials.project_name, domain: { name: credentials.project_domain_name } } }
        : undefined;

  async function issue(): Promise<string> {
    const url = `${credentials.auth_url.replace(/\/+$/, '')}/auth/tokens`;
    let response: Response;
    try {
      response = await doFetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({
          auth: {
            identity: {
              methods: ['password'],
              password: {
                user: {
                  name: credentials.username,
                  domain: { name: credentials.user_domain_name },
                  password: credentials.password,
                },
              },
            },
            ...(scope === undefined ? {} : { scope }),
          },
        }),
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
    } catch (err) {
      throw new IronicAuthError(`Keystone is not reachable at ${url}: ${(err as Error).message}`);
    }
    const token = response.headers.get('x-subject-token');
    if (response.status !== 201 || token === null) {
      throw new IronicAuthError(
        `Keystone refused the ${options.owner ?? 'Ironic'} credentials (${response.status} from ${url})`,
      );
    }
    const body = tokenResponse.safeParse(await response.json().catch(() => undefined));
    const expiresAtMs = body.success ? Date.parse(body.data.token.expires_at) : Number.NaN;
    cached = { token, expiresAtMs: Number.isNaN(expiresAtMs) ? now() + 3_600_000 : expiresAtMs };
    return token;
  }

  return {
    type: 'keystone',
    async headers() {
      if (cached === undefined || cached.expiresAtMs - TOKEN_MARGIN_MS <= now()) {
        // One token request at a time, however many Ironic calls wait for it.
        pending ??= issue().finally(() => {
          pending = undefined;
        });
        return { 'X-Auth-Token': await pending };
      }
      return { 'X-Auth-Token': cached.token };
    },
    invalidate() {
      const had = cached !== undefined;
      cached = undefined;
      return had;
    },
  };
}

/** The auth of type `type` from a credentials document (JSON text or object). */
export function ironicAuth(
  type: 'none' | 'http_basic' | 'keystone',
  credentials: unknown,
  options: { fetch?: typeof fetch; now?: () => number } = {},
): IronicAuth {
  if (type === 'none') return noAuth;
  let document = credentials;
  if (typeof credentials === 'string') {
    try {
      document = JSON.parse(credentials);
    } catch {
      throw new ConfigurationError('Invalid configuration: IRONIC_CREDENTIALS: not a JSON document');
    }
  }
  const schema = type === 'http_basic' ? basicCredentialsSchema : keystoneCredentialsSchema;
  const parsed = schema.safeParse(document);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(document)'}: ${i.message}`);
    throw new ConfigurationError(
      `Invalid configuration: IRONIC_CREDENTIALS for ${type}: ${problems.join('; ')}`,
    );
  }
  return type === 'http_basic'
    ? basicAuth(parsed.data as z.infer<typeof basicCredentialsSchema>)
    : keystoneAuth(parsed.data as KeystoneCredentials, options);
}
