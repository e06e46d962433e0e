/**
 * What the api's addition routes do (`lib/http/addition-routes.ts`): the OpenAPI document, the
 * dashboard's files and the query of its Ironic lookups. A chunk of its own in the Lambda bundle
 * (the dashboard's files and the OpenAPI schemas are about 100 KB): loaded by the first request for
 * one of these routes, never by the inspector's own API.
 *
 * @example
 * ```ts
 * const { dashboardFileResponse } = await import('#lib/http/addition-handlers.ts');
 * dashboardFileResponse(request, 'app.js', config); // 200 text/javascript, or 304, or 404
 * ```
 */
import type { InspectorConfig } from '#lib/config.ts';
import { UrlNotFound } from '#lib/domain/errors.ts';
import { queryOf } from '#lib/http/api-description.ts';
import { dashboardFile, etagOf } from '#lib/http/dashboard-assets.ts';
import { openApiDocument } from '#lib/http/openapi.ts';
import { parseOr400 } from '#lib/http/queries.ts';
import type { ApiRequest } from '#lib/http/request.ts';
import { type ApiResponse, json } from '#lib/http/responses.ts';
import {
  MAX_API_VERSION,
  MAX_VERSION_HEADER,
  MIN_API_VERSION,
  MIN_VERSION_HEADER,
} from '#lib/http/version.ts';

/**
 * The page may run its own scripts and styles and call the API on the same origin, nothing else; no
 * inline script, so API data can never run as code.
 */
export const DASHBOARD_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

function escapeAttribute(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A static answer: revalidated on every load (`no-cache`), 304 when the browser's copy is current. */
function fileResponse(
  request: ApiRequest,
  body: string,
  contentType: string,
  etag: string,
  extra: Record<string, string> = {},
): ApiResponse {
  const headers: Record<string, string> = {
    [MIN_VERSION_HEADER]: MIN_API_VERSION,
    [MAX_VERSION_HEADER]: MAX_API_VERSION,
    ETag: etag,
    'Cache-Control': 'no-cache',
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    ...extra,
  };
  const known = request.headers['if-none-match']?.split(',').map((t) => t.trim().replace(/^W\//, ''));
  if (known?.includes(etag)) return { statusCode: 304, headers, body: '' };
  return { statusCode: 200, headers: { 'Content-Type': contentType, ...headers }, body };
}

/** The page, told how the API authenticates and where it is served (stage, prefix). */
export function dashboardPage(request: ApiRequest, config: InspectorConfig): ApiResponse {
  const page = dashboardFile('index.html');
  if (page === undefined) throw new Error('dashboard/index.html is not bundled');
  const prefix = new URL(request.root).pathname.replace(/\/+$/, '');
  const body = page.body
    .replace('data-auth="noauth"', `data-auth="${escapeAttribute(config.apiAuthStrategy)}"`)
    .replace('<base href="/dashboard/" />', `<base href="${escapeAttribute(`${prefix}/dashboard/`)}" />`);
  return fileResponse(request, body, page.contentType, etagOf(body), {
    'Content-Security-Policy': DASHBOARD_CSP,
  });
}

let openApi: Record<string, unknown> | undefined;

/** The OpenAPI document, its server the request's root. */
export function openApiResponse(request: ApiRequest): ApiResponse {
  openApi ??= openApiDocument();
  const { openapi, info, ...rest } = openApi;
  return json(200, { openapi, info, servers: [{ url: request.root }], ...rest });
}

/** One of the dashboard's files by the name in its URL (`index.html` is the page). */
export function dashboardFileResponse(
  request: ApiRequest,
  name: string,
  config: InspectorConfig,
): ApiResponse {
  if (name === 'index.html') return dashboardPage(request, config);
  const file = dashboardFile(name);
  if (file === undefined) throw new UrlNotFound();
  return fileResponse(request, file.body, file.contentType, file.etag);
}

/** The dashboard lookups' query: UUIDs or a MAC (400 otherwise). */
export function dashboardNodesQuery(query: Readonly<Record<string, string>>): {
  uuid?: string[];
  mac?: string;
} {
  return parseOr400(queryOf('listDashboardNodes'), query) as { uuid?: string[]; mac?: string };
}
