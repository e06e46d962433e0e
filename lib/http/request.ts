/**
 * The parts of an API Gateway HTTP API (payload 2.0) request the API reads: method, path below the
 * stage, query, headers (lower case), body (base64 decoded), the caller's identity from the
 * authorizer, and the root URL clients reach the API at, right behind proxies and stages (for links).
 *
 * @example
 * ```ts
 * const request = requestFromEvent(event);
 * request.root; // 'https://inspector.example.com/prod'
 * ```
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { type CallerIdentity, identityFromAuthorizerContext } from '#lib/auth/policy.ts';

/** The parts of a request the API reads. */
export interface ApiRequest {
  readonly method: string;
  /** Path below the stage, without trailing slashes (`/` for the root). */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | undefined;
  /** Scheme, host and prefix clients reach the API at, for links. */
  readonly root: string;
  readonly requestId: string;
  /** Who is calling, from the API Gateway authorizer's context (absent without an authorizer). */
  readonly identity: CallerIdentity | undefined;
  /**
   * The peer of API Gateway's connection (`requestContext.http.sourceIp`; the local stack fills it
   * from the socket): no header a caller writes can change it.
   */
  readonly sourceIp: string | undefined;
}

function authorizerIdentity(event: APIGatewayProxyEventV2): CallerIdentity | undefined {
  const authorizer = (event.requestContext as { authorizer?: { lambda?: Record<string, unknown> } })
    .authorizer;
  return authorizer?.lambda === undefined ? undefined : identityFromAuthorizerContext(authorizer.lambda);
}

/** The last value of a proxy header: the one the nearest (trusted) proxy set. */
function lastHop(value: string | undefined): string | undefined {
  const parts = value
    ?.split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  return parts?.at(-1);
}

/** An {@link ApiRequest} from an API Gateway HTTP API (payload 2.0) event. */
export function requestFromEvent(event: APIGatewayProxyEventV2): ApiRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (value !== undefined) headers[name.toLowerCase()] = value;
  }
  const stage = event.requestContext.stage;
  const stagePrefix = stage && stage !== '$default' ? `/${stage}` : '';
  let path = event.rawPath || '/';
  if (stagePrefix && (path === stagePrefix || path.startsWith(`${stagePrefix}/`)))
    path = path.slice(stagePrefix.length);
  path = path.replace(/\/+$/, '') || '/';

  const query: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(event.rawQueryString ?? ''))
    if (!(name in query)) query[name] = value;

  let body = event.body;
  if (body !== undefined && event.isBase64Encoded) body = Buffer.from(body, 'base64').toString('utf8');

  const proto = lastHop(headers['x-forwarded-proto']) ?? 'http';
  let host = lastHop(headers['x-forwarded-host']) ?? headers.host ?? event.requestContext.domainName;
  const port = lastHop(headers['x-forwarded-port']);
  if (port !== undefined && !(proto === 'https' && port === '443') && !(proto === 'http' && port === '80')) {
    host = `${host.replace(/:\d+$/, '')}:${port}`;
  } else if (port !== undefined) {
    host = host.replace(/:\d+$/, '');
  }
  const prefix = (lastHop(headers['x-forwarded-prefix']) ?? '').replace(/\/+$/, '');
  return {
    method: event.requestContext.http.method.toUpperCase(),
    path,
    query,
    headers,
    body,
    root: `${proto}://${host}${prefix}${stagePrefix}`,
    requestId: event.requestContext.requestId,
    identity: authorizerIdentity(event),
    sourceIp: event.requestContext.http.sourceIp || undefined,
  };
}
