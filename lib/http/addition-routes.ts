/**
 * The api's routes that ironic-inspector does not have, kept outside `/v1` so that no upstream
 * answer changes: `GET /openapi.json`, the dashboard's files (`GET /dashboard`,
 * `GET /dashboard/<file>`) and its Ironic lookups (`GET /dashboard/api/nodes`). Same shape as the
 * api's route table (`lib/http/routes.ts`), which lists these first:
 *
 * @example
 * ```ts
 * export const ROUTES: readonly Route[] = [...ADDITION_ROUTES, …upstream's routes];
 * ```
 *
 * The dashboard's files are public, like `GET /`: a browser cannot attach a token or basic
 * credentials to a page load (API Gateway's 401 asks for nothing), so the page asks for them and
 * sends them with every API call. The files hold no data; what the page shows comes from the API
 * under the same policy as any client, and the lookups route is behind the reads' rule.
 */
import type { InspectorConfig } from '#lib/config.ts';
import { UrlNotFound } from '#lib/domain/errors.ts';
import { queryOf } from '#lib/http/api-description.ts';
import { dashboardFile, etagOf } from '#lib/http/dashboard-assets.ts';
import { openApiDocument } from '#lib/http/openapi.ts';
import { parseOr400 } from '#lib/http/queries.ts';
import type { ApiRequest } from '#lib/http/request.ts';
import { type ApiResponse, json } from '#lib/http/responses.ts';
import type { Route } from '#lib/http/routes.ts';
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
function dashboardPage(request: ApiRequest, config: InspectorConfig): ApiResponse {
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

export const ADDITION_ROUTES: readonly Route[] = [
  {
    method: 'GET',
    path: '/openapi.json',
    rule: 'public',
    handle: async (request) => {
      openApi ??= openApiDocument();
      const { openapi, info, ...rest } = openApi;
      return json(200, { openapi, info, servers: [{ url: request.root }], ...rest });
    },
  },
  {
    method: 'GET',
    path: '/dashboard',
    rule: 'public',
    handle: async (request, _params, app) => dashboardPage(request, app.config),
  },
  {
    method: 'GET',
    path: '/dashboard/api/nodes',
    rule: 'introspection:status',
    handle: async (request, _params, app) => {
      const query = parseOr400(queryOf('listDashboardNodes'), request.query) as {
        uuid?: string[];
        mac?: string;
      };
      const nodes = await app.useCases.nodeSummaries({ uuids: query.uuid, mac: query.mac });
      return json(200, { nodes });
    },
  },
  {
    method: 'GET',
    path: '/dashboard/{file}',
    rule: 'public',
    handle: async (request, { file: name }, app) => {
      if (name === 'index.html') return dashboardPage(request, app.config);
      const file = dashboardFile(name ?? '');
      if (file === undefined) throw new UrlNotFound();
      return fileResponse(request, file.body, file.contentType, file.etag);
    },
  },
];
