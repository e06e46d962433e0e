/**
 * The whole HTTP API as data: every route's method, path, parameters, request and response bodies
 * (zod schemas), status codes and policy rule. The OpenAPI document (`lib/http/openapi.ts`,
 * `GET /openapi.json`, `docs/openapi.json`) is generated from it, and handlers parse with the same
 * schemas (`lib/http/api-schemas.ts`): the list and start queries are `listQuery` and `manageBootQuery`,
 * the ramdisk's inventory is the processing hooks' own schema, and the additions' handlers parse
 * with {@link queryOf}.
 *
 * The operations' parts are in `lib/http/api-operation.ts`, the rules' in `lib/http/rules-operations.ts`.
 * Upstream's routes keep upstream's answers; the additions (`/openapi.json`, `/dashboard…`,
 * `/v1/pxe-filter`) are marked `addition` and change no upstream answer.
 *
 * @example
 * ```ts
 * const op = operationById('listIntrospections');
 * op.responses[200]?.schema?.parse(JSON.parse(body));
 * // which operation a request goes to: matchOperation in lib/http/openapi.ts
 * ```
 */
import type { z } from 'zod';
import {
  accepted,
  ERROR_MEANINGS,
  errors,
  type OperationDescription,
  PROTECTED,
  type ResponseDescription,
} from '#lib/http/api-operation.ts';
import {
  continueResultSchema,
  dashboardFileParams,
  dashboardNodesQuery,
  dashboardNodesSchema,
  introspectionListSchema,
  introspectionStatusSchema,
  listQuerySchema,
  nodeIdParams,
  openApiDocumentSchema,
  processedDataSchema,
  pxeFilterSchema,
  ramdiskDataSchema,
  reapplyBodySchema,
  resourcesSchema,
  startQuerySchema,
  unprocessedDataSchema,
  versionParams,
  versionsSchema,
} from '#lib/http/api-schemas.ts';
import { RULE_OPERATIONS } from '#lib/http/rules-operations.ts';

export { ERROR_MEANINGS, type OperationDescription, type ResponseDescription };

/** Every route of the API, upstream's first. */
export const operations: readonly OperationDescription[] = [
  {
    operationId: 'listVersions',
    method: 'GET',
    path: '/',
    summary: 'API versions',
    tag: 'versions',
    rule: 'public',
    responses: { 200: { description: 'The versions', schema: versionsSchema }, ...errors() },
  },
  {
    operationId: 'getVersion',
    method: 'GET',
    path: '/{version}',
    summary: 'The resources of a version',
    description:
      '`v1` lists `continue`, `introspection` and `rules`; any other version is 404 "Version <x> not found."',
    tag: 'versions',
    rule: 'public',
    pathParams: versionParams,
    responses: { 200: { description: 'The resources', schema: resourcesSchema }, ...errors(404) },
  },
  {
    operationId: 'listIntrospections',
    method: 'GET',
    path: '/v1/introspection',
    summary: 'List introspection statuses, newest first',
    tag: 'introspection',
    rule: 'introspection:status',
    since: '1.8',
    query: listQuerySchema,
    responses: {
      200: { description: 'One page of statuses', schema: introspectionListSchema },
      ...errors(...PROTECTED, 404),
    },
  },
  {
    operationId: 'startIntrospection',
    method: 'POST',
    path: '/v1/introspection/{node_id}',
    summary: 'Start introspection',
    description:
      'Checks the node in Ironic (provision state, power interface), records the start, and hands the boot device and reboot to the worker. The body is ignored.',
    tag: 'introspection',
    rule: 'introspection:start',
    pathParams: nodeIdParams,
    query: startQuerySchema,
    responses: { 202: accepted, ...errors(...PROTECTED, 404, 409, 503) },
  },
  {
    operationId: 'getIntrospection',
    method: 'GET',
    path: '/v1/introspection/{node_id}',
    summary: "A node's introspection status",
    tag: 'introspection',
    rule: 'introspection:status',
    pathParams: nodeIdParams,
    responses: {
      200: { description: 'The status', schema: introspectionStatusSchema },
      ...errors(...PROTECTED, 404, 503),
    },
  },
  {
    operationId: 'abortIntrospection',
    method: 'POST',
    path: '/v1/introspection/{node_id}/abort',
    summary: 'Abort introspection',
    description:
      "Records the abort (`waiting` becomes `aborting`); power-off and the end of the abort run in the worker. An abort that is not valid in the node's state is accepted and does nothing, as upstream.",
    tag: 'introspection',
    rule: 'introspection:abort',
    since: '1.3',
    pathParams: nodeIdParams,
    responses: { 202: accepted, ...errors(...PROTECTED, 404, 409, 503) },
  },
  {
    operationId: 'getIntrospectionData',
    method: 'GET',
    path: '/v1/introspection/{node_id}/data',
    summary: 'Processed introspection data',
    tag: 'introspection',
    rule: 'introspection:data',
    since: '1.1',
    pathParams: nodeIdParams,
    responses: {
      200: { description: 'The processed data', schema: processedDataSchema },
      ...errors(...PROTECTED, 404, 503),
    },
  },
  {
    operationId: 'getUnprocessedIntrospectionData',
    method: 'GET',
    path: '/v1/introspection/{node_id}/data/unprocessed',
    summary: 'Unprocessed (raw) introspection data',
    tag: 'introspection',
    rule: 'introspection:data',
    since: '1.17',
    pathParams: nodeIdParams,
    responses: {
      200: { description: 'The raw data', schema: unprocessedDataSchema },
      ...errors(...PROTECTED, 404, 503),
    },
  },
  {
    operationId: 'reapplyIntrospection',
    method: 'POST',
    path: '/v1/introspection/{node_id}/data/unprocessed',
    summary: 'Reprocess stored (or given) introspection data',
    tag: 'introspection',
    rule: 'introspection:reapply',
    since: '1.15',
    pathParams: nodeIdParams,
    body: {
      schema: reapplyBodySchema,
      required: false,
      description: 'Optional data to store and reprocess instead of the stored unprocessed data',
    },
    responses: { 202: accepted, ...errors(...PROTECTED, 404, 409, 503) },
  },
  {
    operationId: 'continueIntrospection',
    method: 'POST',
    path: '/v1/continue',
    summary: "The ramdisk's callback",
    description:
      'Parsed as JSON whatever the Content-Type. Only from CALLBACK_ALLOWED_CIDRS (403 elsewhere). Pre-processing hooks, the lookup by MAC and BMC address (with LOOKUP_REQUIRE_PORT_MAC, a node with Ironic ports needs one of its MACs), processing; power-off and the finish go to the worker. A failed lookup names no node; failed lookups per source address are limited (429).',
    tag: 'ramdisk',
    rule: 'public',
    body: { schema: ramdiskDataSchema, required: true, description: "The inventory and collectors' data" },
    responses: {
      200: { description: 'The node the data belongs to', schema: continueResultSchema },
      ...errors(403, 404, 409, 429, 503),
    },
  },
  ...RULE_OPERATIONS,
  {
    operationId: 'getPxeFilter',
    method: 'GET',
    path: '/v1/pxe-filter',
    summary: "The PXE filter for dnsmasq's hosts directory (the agent polls it)",
    description:
      "Active MACs from the lookup index, the other MACs from Ironic's ports. A strong `ETag`; `If-None-Match` naming it is a 304 without a body. Not listed under `GET /v1`.",
    tag: 'additions',
    rule: 'introspection:pxe_filter',
    addition: true,
    responses: {
      200: { description: 'The filter', schema: pxeFilterSchema },
      304: { description: 'Not modified (If-None-Match)' },
      ...errors(...PROTECTED, 503),
    },
  },
  {
    operationId: 'getOpenApiDocument',
    method: 'GET',
    path: '/openapi.json',
    summary: 'This OpenAPI document',
    description: 'Public, like the versions: it describes the API and holds no data.',
    tag: 'additions',
    rule: 'public',
    addition: true,
    responses: { 200: { description: 'The document', schema: openApiDocumentSchema }, ...errors() },
  },
  {
    operationId: 'getDashboard',
    method: 'GET',
    path: '/dashboard',
    summary: 'The dashboard (HTML)',
    description:
      'Static files, public so that the page can ask for a token or credentials: they hold no data. Everything the dashboard shows comes from the API with the credentials the operator gives, under the same policy as any client.',
    tag: 'additions',
    rule: 'public',
    addition: true,
    responses: {
      200: { description: 'The page', contentTypes: ['text/html'] },
      304: { description: 'Not modified (If-None-Match)' },
      ...errors(),
    },
  },
  {
    operationId: 'getDashboardFile',
    method: 'GET',
    path: '/dashboard/{file}',
    summary: "One of the dashboard's files (script, style sheet)",
    tag: 'additions',
    rule: 'public',
    addition: true,
    pathParams: dashboardFileParams,
    responses: {
      200: { description: 'The file', contentTypes: ['text/javascript', 'text/css', 'text/html'] },
      304: { description: 'Not modified (If-None-Match)' },
      ...errors(404),
    },
  },
  {
    operationId: 'listDashboardNodes',
    method: 'GET',
    path: '/dashboard/api/nodes',
    summary: "Names and capabilities of nodes, from Ironic (the dashboard's lookups)",
    description:
      "The inspector API never returns node names; the dashboard resolves them here, lazily, for the UUIDs it shows, and finds nodes by MAC through Ironic's ports. Only nodes in the node cache are answered. Same policy as the status reads.",
    tag: 'additions',
    rule: 'introspection:status',
    addition: true,
    query: dashboardNodesQuery,
    responses: {
      200: { description: 'The nodes found', schema: dashboardNodesSchema },
      ...errors(...PROTECTED, 503),
    },
  },
];

/** One operation by id. @throws Error for an unknown id (a programming error). */
export function operationById(operationId: string): OperationDescription {
  const found = operations.find((o) => o.operationId === operationId);
  if (found === undefined) throw new Error(`No operation ${operationId}`);
  return found;
}

/** The query schema of an operation (for handlers: `parseOr400(queryOf('…'), request.query)`). */
export function queryOf(operationId: string): z.ZodObject {
  const query = operationById(operationId).query;
  if (query === undefined) throw new Error(`Operation ${operationId} has no query`);
  return query;
}
