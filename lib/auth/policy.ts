/**
 * Upstream's authentication and policy, decided in the api function (keystonemiddleware's "delayed
 * auth decision"): the API Gateway authorizer only establishes who is calling and passes that along;
 * the api answers 401 "Authentication required" or 403 "Access denied by policy" in the inspector's
 * format, with the version headers, as upstream does.
 *
 * | rule | default (upstream HEAD) | routes |
 * |---|---|---|
 * | public | anyone | `GET /`, `GET /<version>`, `POST /v1/continue` |
 * | `introspection:status` | reader: `(role:reader and system_scope:all) or role:admin or role:service` | `GET /v1/introspection[/<id>]` |
 * | `introspection:pxe_filter` | reader, as above (an addition: upstream has no such route) | `GET /v1/pxe-filter` |
 * | `introspection:start`, `:abort`, `:data`, `:reapply` | admin: `role:admin or role:service` | the rest |
 * | `introspection:rule:get`, `:create`, `:delete` | admin | `/v1/rules[/<uuid>]` by method |
 *
 * @example
 * ```ts
 * checkPolicy('keystone', 'introspection:start', { status: 'Confirmed', roles: ['reader'], systemScopeAll: true });
 * // throws AccessDenied (403 'Access denied by policy')
 * ```
 */
import { AccessDenied, AuthenticationRequired, AuthenticationUnavailable } from '#lib/domain/errors.ts';

/** How the API authenticates (`[DEFAULT]auth_strategy`, plus AWS IAM). */
export type AuthStrategy = 'noauth' | 'http_basic' | 'keystone' | 'iam';

export type PolicyRule =
  | 'public'
  | 'introspection:status'
  | 'introspection:pxe_filter'
  | 'introspection:start'
  | 'introspection:abort'
  | 'introspection:data'
  | 'introspection:reapply'
  | 'introspection:rule:get'
  | 'introspection:rule:create'
  | 'introspection:rule:delete';

/** The routes API Gateway leaves public (no authorizer), as upstream: (method, HTTP API route path). */
export const PUBLIC_ROUTES: ReadonlyArray<readonly [string, string]> = [
  ['GET', '/'],
  ['GET', '/{version}'],
  ['POST', '/v1/continue'],
  ['GET', '/dashboard/{file}'], // the dashboard's static files (`/dashboard` itself is `/{version}`'s)
];

/** Whether a request goes to a public route (trailing slashes aside, as API Gateway matches). */
export function isPublicRoute(method: string, path: string): boolean {
  const m = method.toUpperCase();
  return (
    (m === 'GET' && (path === '/' || /^\/[^/]+$/.test(path) || /^\/dashboard\/[^/]+$/.test(path))) ||
    (m === 'POST' && path === '/v1/continue')
  );
}

/**
 * Who is calling, as the authorizer established it (`X-Identity-Status` upstream). `Unavailable`:
 * the authorizer could not check (Keystone down, slow or failing; the htpasswd secret unreadable),
 * answered 503 on protected routes, as keystonemiddleware does.
 */
export interface CallerIdentity {
  readonly status: 'Confirmed' | 'Invalid' | 'Unavailable';
  readonly roles: readonly string[];
  readonly systemScopeAll: boolean;
  /** Why the check could not be made (`Unavailable` only). */
  readonly reason?: string;
}

/** The identity the authorizer passes in its context (strings only, as API Gateway carries them). */
export function identityFromAuthorizerContext(
  context: Readonly<Record<string, unknown>> | undefined,
): CallerIdentity {
  if (context?.identityStatus === 'Unavailable') {
    const reason = typeof context.reason === 'string' ? context.reason : 'the authorizer could not check';
    return { status: 'Unavailable', roles: [], systemScopeAll: false, reason };
  }
  if (context === undefined || context.identityStatus !== 'Confirmed') {
    return { status: 'Invalid', roles: [], systemScopeAll: false };
  }
  const roles = typeof context.roles === 'string' && context.roles !== '' ? context.roles.split(',') : [];
  return { status: 'Confirmed', roles, systemScopeAll: context.systemScope === 'all' };
}

/** The authorizer context for an identity. */
export function authorizerContext(identity: CallerIdentity): Record<string, string> {
  return {
    identityStatus: identity.status,
    roles: identity.roles.join(','),
    systemScope: identity.systemScopeAll ? 'all' : '',
    ...(identity.status === 'Unavailable' ? { reason: identity.reason ?? '' } : {}),
  };
}

/**
 * Enforce the rule for the caller.
 *
 * @throws AuthenticationUnavailable (503) when the authorizer could not check, AuthenticationRequired
 *   (401) or AccessDenied (403)
 */
export function checkPolicy(
  strategy: AuthStrategy,
  rule: PolicyRule,
  identity: CallerIdentity | undefined,
): void {
  // noauth has no checks; with iam, API Gateway has already verified the SigV4 signature.
  if (rule === 'public' || strategy === 'noauth' || strategy === 'iam') return;
  if (identity?.status === 'Unavailable') {
    throw new AuthenticationUnavailable(identity.reason ?? 'the authorizer could not check');
  }
  if (identity === undefined || identity.status !== 'Confirmed') {
    throw new AuthenticationRequired();
  }
  if (strategy === 'http_basic') return; // upstream: no policy enforcement with HTTP basic
  const has = (role: string) => identity.roles.includes(role);
  const allowed =
    rule === 'introspection:status' || rule === 'introspection:pxe_filter'
      ? (has('reader') && identity.systemScopeAll) || has('admin') || has('service')
      : has('admin') || has('service');
  if (!allowed) throw new AccessDenied();
}
