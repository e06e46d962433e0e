/**
 * The api's routes that ironic-inspector does not have, kept outside `/v1` so that no upstream
 * answer changes: `GET /openapi.json`, the dashboard's files (`GET /dashboard`,
 * `GET /dashboard/<file>`) and its Ironic lookups (`GET /dashboard/api/nodes`). Same shape as the
 * api's route table (`functions/api.ts`), which lists these first:
 *
 * @example
 * ```ts
 * const routes: Route[] = [...additionRoutes, …upstream's routes];
 * ```
 *
 * The dashboard's files are public, like `GET /`: a browser cannot attach a token or basic
 * credentials to a page load (API Gateway's 401 asks for nothing), so the page asks for them and
 * sends them with every API call. The files hold no data; what the page shows comes from the API
 * under the same policy as any client, and the lookups route is behind the reads' rule.
 */
import type { PolicyRule } from '#lib/auth/policy.ts';
import {
  type ApiRequest,
  type ApiResponse,
  errorResponse,
  json,
  MAX_API_VERSION,
  MAX_VERSION_HEADER,
  MIN_API_VERSION,
  MIN_VERSION_HEADER,
  NOT_FOUND_MESSAGE,
  parseOr400,
} from '#lib/http/api.ts';
import { queryOf } from '#lib/http/api-description.ts';
import { dashboardFile, etagOf } from '#lib/http/dashboard-assets.ts';
import { openApiDocument } from '#lib/http/openapi.ts';
import { nodeSummaries } from '#lib/introspection/node-summaries.ts';
import { requireIronic } from '#lib/ironic/calls.ts';
import type { InspectorRuntime } from '#lib/runtime.ts';

/** One route, as `functions/api.ts` routes. */
export interface AdditionRoute {
  readonly method: string;
  readonly pattern: RegExp;
  readonly rule: PolicyRule;
  readonly handle: (request: ApiRequest, params: string[], rt: InspectorRuntime) => Promise<ApiResponse>;
}

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
function dashboardPage(request: ApiRequest, rt: InspectorRuntime): ApiResponse {
  const page = dashboardFile('index.html');
  if (page === undefined) throw new Error('dashboard/index.html is not bundled');
  const prefix = new URL(request.root).pathname.replace(/\/+$/, '');
  const body = page.body
    .replace('data-auth="noauth"', `data-auth="${escapeAttribute(rt.config.apiAuthStrategy)}"`)
    .replace('<base href="/dashboard/" />', `<base href="${escapeAttribute(`${prefix}/dashboard/`)}" />`);
  return fileResponse(request, body, page.contentType, etagOf(body), {
    'Content-Security-Policy': DASHBOARD_CSP,
  });
}

let openApi: Record<string, unknown> | undefined;

export const additionRoutes: readonly AdditionRoute[] = [
  {
    method: 'GET',
    pattern: /^\/openapi\.json$/,
    rule: 'public',
    handle: async (request) => {
      openApi ??= openApiDocument();
      const { openapi, info, ...rest } = openApi;
      return json(200, { openapi, info, servers: [{ url: request.root }], ...rest });
    },
  },
  {
    method: 'GET',
    pattern: /^\/dashboard$/,
    rule: 'public',
    handle: async (request, _params, rt) => dashboardPage(request, rt),
  },
  {
    method: 'GET',
    pattern: /^\/dashboard\/api\/nodes$/,
    rule: 'introspection:status',
    handle: async (request, _params, rt) => {
      const query = parseOr400(queryOf('listDashboardNodes'), request.query) as {
        uuid?: string[];
        mac?: string;
      };
      const nodes = await nodeSummaries(
        { nodeCache: rt.nodeCache, ironic: requireIronic(rt.deps) },
        { uuids: query.uuid, mac: query.mac },
      );
      return json(200, { nodes });
    },
  },
  {
    method: 'GET',
    pattern: /^\/dashboard\/([^/]+)$/,
    rule: 'public',
    handle: async (request, [name], rt) => {
      if (name === 'index.html') return dashboardPage(request, rt);
      const file = dashboardFile(name ?? '');
      if (file === undefined) return errorResponse(404, NOT_FOUND_MESSAGE);
      return fileResponse(request, file.body, file.contentType, file.etag);
    },
  },
];
