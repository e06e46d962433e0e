/**
 * ironic-inspector's v1 HTTP conventions, independent of Lambda: microversions, the error body,
 * links that are right behind proxies and API Gateway stages, the status object, query parsing.
 *
 * @example
 * ```ts
 * const request = requestFromEvent(event);          // API Gateway HTTP API (payload 2.0)
 * checkApiVersion(request.headers);                 // 400 / 406 before routing
 * return json(200, statusBody(nodeInfo, request.root));
 * ```
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { z } from 'zod';
import { type CallerIdentity, identityFromAuthorizerContext } from '#lib/auth/policy.ts';
import { InspectorError } from '#lib/domain/errors.ts';
import { type IntrospectionState, isState } from '#lib/domain/state-machine.ts';
import { toApiTimestamp } from '#lib/domain/timestamps.ts';
import { isUuidLike } from '#lib/node-cache.ts';
import type { NodeInfo } from '#lib/node-info.ts';

export const MIN_API_VERSION = '1.0';
export const MAX_API_VERSION = '1.18';
export const VERSION_HEADER = 'x-openstack-ironic-inspector-api-version';
export const MIN_VERSION_HEADER = 'X-OpenStack-Ironic-Inspector-API-Minimum-Version';
export const MAX_VERSION_HEADER = 'X-OpenStack-Ironic-Inspector-API-Maximum-Version';

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
}

export type ApiResponse = APIGatewayProxyStructuredResultV2 & {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
};

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
  };
}

/**
 * Check the requested microversion (`X-OpenStack-Ironic-Inspector-API-Version: X.Y` or `latest`).
 * Absent or empty means the latest.
 *
 * @throws InspectorError 400 "Malformed API version…" or 406 "Unsupported API version…"
 */
export function checkApiVersion(headers: Readonly<Record<string, string>>): [number, number] {
  const raw = headers[VERSION_HEADER]?.trim() ?? '';
  if (raw === '' || raw.toLowerCase() === 'latest') return versionTuple(MAX_API_VERSION);
  const match = /^(\d+)\.(\d+)$/.exec(raw);
  if (match === null)
    throw new InspectorError('Malformed API version: expected string in form of X.Y or latest');
  const requested: [number, number] = [Number(match[1]), Number(match[2])];
  if (
    compare(requested, versionTuple(MIN_API_VERSION)) < 0 ||
    compare(requested, versionTuple(MAX_API_VERSION)) > 0
  ) {
    throw new InspectorError(
      `Unsupported API version ${requested.join('.')}, supported range is ${MIN_API_VERSION} to ${MAX_API_VERSION}`,
      406,
    );
  }
  return requested;
}

function versionTuple(version: string): [number, number] {
  const [major, minor] = version.split('.').map(Number);
  return [major ?? 0, minor ?? 0];
}
function compare(a: [number, number], b: [number, number]): number {
  return a[0] - b[0] || a[1] - b[1];
}

/** A JSON response with the microversion headers every answer carries. */
export function json(statusCode: number, body: unknown): ApiResponse {
  return {
    statusCode,
    headers: {
      'Content-Type': 'application/json',
      [MIN_VERSION_HEADER]: MIN_API_VERSION,
      [MAX_VERSION_HEADER]: MAX_API_VERSION,
    },
    body: JSON.stringify(body),
  };
}

/** The inspector's error body: `{"error": {"message": …}}`. */
export function errorResponse(statusCode: number, message: string): ApiResponse {
  return json(statusCode, { error: { message } });
}

/**
 * Map a thrown error: inspector errors keep their status and message; anything else is a 500
 * "Internal server error" (with the class and text when `debug`).
 */
export function responseForError(err: unknown, debug: boolean): ApiResponse {
  if (err instanceof InspectorError) return errorResponse(err.httpStatus, err.message);
  const error = err instanceof Error ? err : new Error(String(err));
  return errorResponse(
    500,
    debug ? `Internal server error (${error.name}): ${error.message}` : 'Internal server error',
  );
}

/** Werkzeug's text for an unknown URL, as upstream answers it. */
export const NOT_FOUND_MESSAGE =
  '404 Not Found: The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.';
export const METHOD_NOT_ALLOWED_MESSAGE =
  '405 Method Not Allowed: The method is not allowed for the requested URL.';

/** The status object of one node. */
export function statusBody(
  nodeInfo: NodeInfo,
  state: IntrospectionState,
  root: string,
): Record<string, unknown> {
  return {
    error: nodeInfo.error,
    finished: nodeInfo.finishedAt !== null,
    finished_at: nodeInfo.finishedAt === null ? null : toApiTimestamp(nodeInfo.finishedAt),
    links: [{ href: `${root}/v1/introspection/${nodeInfo.uuid}`, rel: 'self' }],
    started_at: nodeInfo.startedAt === null ? null : toApiTimestamp(nodeInfo.startedAt),
    state,
    uuid: nodeInfo.uuid,
  };
}

const TRUE = ['1', 't', 'true', 'on', 'y', 'yes'];
const FALSE = ['0', 'f', 'false', 'off', 'n', 'no'];

/** `manage_boot`: a strict boolean, default true. */
export const manageBootQuery = z
  .string()
  .optional()
  .transform((value, ctx) => {
    if (value === undefined) return true;
    const v = value.trim().toLowerCase();
    if (TRUE.includes(v)) return true;
    if (FALSE.includes(v)) return false;
    ctx.addIssue({ code: 'custom', message: `Invalid boolean value for manage_boot: ${value}` });
    return z.NEVER;
  });

/** The list query (`marker`, `limit`, `state`) with upstream's messages; present-but-empty is validated. */
export function listQuery(maxLimit: number) {
  return z.object({
    marker: z
      .string()
      .optional()
      .refine((v) => v === undefined || isUuidLike(v), 'Bad request: Marker not UUID-like'),
    limit: z
      .string()
      .optional()
      .transform((value, ctx) => {
        if (value === undefined) return maxLimit;
        if (!/^\s*[-+]?\d+\s*$/.test(value)) {
          ctx.addIssue({
            code: 'custom',
            message: `Bad request: invalid literal for int() with base 10: '${value}'`,
          });
          return z.NEVER;
        }
        const n = Number.parseInt(value, 10);
        if (n < 0) ctx.addIssue({ code: 'custom', message: 'Bad request: Limit cannot be negative' });
        else if (n > maxLimit)
          ctx.addIssue({ code: 'custom', message: `Bad request: Limit over ${maxLimit}` });
        return n === 0 ? maxLimit : n;
      }),
    state: z
      .string()
      .optional()
      .transform((value, ctx) => {
        if (value === undefined) return undefined;
        const states = value.split(',').map((s) => s.trim());
        const bad = states.filter((s) => !isState(s));
        if (bad.length > 0) {
          ctx.addIssue({
            code: 'custom',
            message: `Bad request: State(s) "${bad.join(', ')}" are not valid`,
          });
          return z.NEVER;
        }
        return states as IntrospectionState[];
      }),
  });
}

/** Parse with a zod schema; the first issue's message becomes a 400. */
export function parseOr400<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new InspectorError(parsed.error.issues[0]?.message ?? 'Bad request');
}

/**
 * A request body as JSON: undefined when empty; unparsable is 400 with upstream's reapply wording.
 */
export function jsonBody(request: ApiRequest): unknown {
  if (request.body === undefined || request.body.trim() === '') return undefined;
  try {
    return JSON.parse(request.body) as unknown;
  } catch {
    throw new InspectorError('Invalid data: expected a JSON object, got None');
  }
}
