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
import { json } from '#lib/http/responses.ts';
import type { Route } from '#lib/http/routes.ts';

/** The routes' work, a chunk loaded by the first request for one of them. */
const handlers = () => import('#lib/http/addition-handlers.ts');

export const ADDITION_ROUTES: readonly Route[] = [
  {
    method: 'GET',
    path: '/openapi.json',
    rule: 'public',
    configOnly: true,
    handle: async (request) => (await handlers()).openApiResponse(request),
  },
  {
    method: 'GET',
    path: '/dashboard',
    rule: 'public',
    configOnly: true,
    handle: async (request, _params, app) => (await handlers()).dashboardPage(request, app.config),
  },
  {
    method: 'GET',
    path: '/dashboard/api/nodes',
    rule: 'introspection:status',
    handle: async (request, _params, app) => {
      const query = (await handlers()).dashboardNodesQuery(request.query);
      const nodes = await app.useCases.nodeSummaries({ uuids: query.uuid, mac: query.mac });
      return json(200, { nodes });
    },
  },
  {
    method: 'GET',
    path: '/dashboard/{file}',
    rule: 'public',
    configOnly: true,
    handle: async (request, { file: name }, app) =>
      (await handlers()).dashboardFileResponse(request, name ?? '', app.config),
  },
];
