/**
 * The OpenAPI 3.1 document of the whole API, generated from the route descriptions and their zod
 * schemas (`lib/http/api-description.ts`) with zod's JSON Schema output (draft 2020-12, OpenAPI
 * 3.1's own dialect). `npm run openapi` writes it to `docs/openapi.json`; `GET /openapi.json` serves
 * it with the request's root as its server; a test fails when the committed file is stale.
 *
 * @example
 * ```ts
 * const document = openApiDocument();                       // what docs/openapi.json holds
 * const served = openApiDocument({ serverUrl: request.root }); // what GET /openapi.json answers
 * ```
 */
import { z } from 'zod';
import {
  ERROR_MEANINGS,
  type OperationDescription,
  operations,
  type ResponseDescription,
} from '#lib/http/api-description.ts';
import { components, errorSchema } from '#lib/http/api-schemas.ts';
import {
  MAX_API_VERSION,
  MAX_VERSION_HEADER,
  MIN_API_VERSION,
  MIN_VERSION_HEADER,
} from '#lib/http/version.ts';

type Json = Record<string, unknown>;

const SCHEMAS = '#/components/schemas/';
const REQUEST_VERSION_HEADER = 'X-OpenStack-Ironic-Inspector-API-Version';

/** A JSON Schema without the keys that only a standalone schema carries. */
function bare(schema: Json): Json {
  const { $schema: _schema, $id: _id, ...rest } = schema;
  return rest;
}

function inline(schema: z.ZodType, io: 'input' | 'output'): Json {
  return bare(
    z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'throw' }) as unknown as Json,
  );
}

/** `{ $ref }` to a registered component, or the schema inline. */
function schemaOf(schema: z.ZodType, io: 'input' | 'output'): Json {
  const id = components.get(schema)?.id;
  return id === undefined ? inline(schema, io) : { $ref: `${SCHEMAS}${id}` };
}

function parameters(operation: OperationDescription): Json[] {
  const result: Json[] = [];
  const add = (where: 'path' | 'query', shape: Record<string, z.ZodType>) => {
    for (const [name, schema] of Object.entries(shape)) {
      const { description, ...rest } = inline(schema, 'input');
      result.push({
        name,
        in: where,
        required: where === 'path' || !schema.safeParse(undefined).success,
        ...(typeof description === 'string' ? { description } : {}),
        schema: rest,
      });
    }
  };
  if (operation.pathParams) add('path', operation.pathParams.shape);
  if (operation.query) add('query', operation.query.shape);
  result.push({ $ref: '#/components/parameters/ApiVersion' });
  return result;
}

const versionHeaders = {
  [MIN_VERSION_HEADER]: { $ref: '#/components/headers/MinimumVersion' },
  [MAX_VERSION_HEADER]: { $ref: '#/components/headers/MaximumVersion' },
};

/** `components/responses` names of the error answers (one shape and meaning per status). */
const ERROR_RESPONSES: Readonly<Record<number, string>> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  406: 'NotAcceptable',
  409: 'Conflict',
  413: 'PayloadTooLarge',
  500: 'InternalServerError',
  503: 'ServiceUnavailable',
};

function response(code: number, description: ResponseDescription): Json {
  const shared = ERROR_RESPONSES[code];
  if (description.schema === errorSchema && shared !== undefined) {
    return { $ref: `#/components/responses/${shared}` };
  }
  return responseObject(code, description);
}

function responseObject(code: number, description: ResponseDescription): Json {
  let content: Json | undefined;
  if (description.schema !== undefined) {
    // 401 and 403 come from the api (policy) or from API Gateway itself (its authorizer).
    const schema =
      code === 401 || code === 403
        ? { anyOf: [schemaOf(description.schema, 'output'), { $ref: `${SCHEMAS}GatewayError` }] }
        : schemaOf(description.schema, 'output');
    content = { 'application/json': { schema } };
  } else if (description.contentTypes !== undefined) {
    content = Object.fromEntries(
      description.contentTypes.map((type) => [type, { schema: { type: 'string' } }]),
    );
  }
  return {
    description: description.description,
    // API Gateway's own 401/403 do not pass through the api, so they lack the version headers.
    headers: code === 401 || code === 403 ? {} : versionHeaders,
    ...(content ? { content } : {}),
  };
}

function operationObject(operation: OperationDescription): Json {
  const responses: Json = {};
  for (const [code, description] of Object.entries(operation.responses)) {
    responses[code] = response(Number(code), description);
  }
  return {
    operationId: operation.operationId,
    summary: operation.summary,
    ...(operation.description ? { description: operation.description } : {}),
    tags: [operation.tag],
    parameters: parameters(operation),
    ...(operation.body
      ? {
          requestBody: {
            description: operation.body.description,
            required: operation.body.required,
            content: { 'application/json': { schema: schemaOf(operation.body.schema, 'input') } },
          },
        }
      : {}),
    responses,
    security: operation.rule === 'public' ? [] : [{ keystone: [] }, { http_basic: [] }, { iam: [] }],
    'x-policy-rule': operation.rule,
    ...(operation.since ? { 'x-microversion': operation.since } : {}),
    ...(operation.addition ? { 'x-addition': true } : {}),
  };
}

const DESCRIPTION = `ironic-inspector's v1 HTTP API, served by Serverless Inspector, plus its additions (tag \`additions\`), which live outside \`/v1\` and change no upstream answer.

- **Microversions** ${MIN_API_VERSION}–${MAX_API_VERSION}: request one with \`${REQUEST_VERSION_HEADER}: X.Y\` or \`latest\` (absent or empty: the latest). Malformed is 400, out of range 406, on any path. Every answer of the api carries the minimum and maximum version headers.
- **Errors** are \`{"error": {"message": …}}\` with upstream's texts. Any path not listed here answers 404, and a listed path with another method 405, both in that format.
- **Trailing slashes** are accepted on every path.
- **Authentication** depends on the deployment (\`auth\`): Keystone tokens (\`X-Auth-Token\`), HTTP basic, AWS SigV4 (\`iam\`), or none. Routes with an empty \`security\` are public. The api applies upstream's policy (\`x-policy-rule\`): readers may read statuses, admin or service do the rest.
- **Limits**: request and response bodies up to MAX_BODY_BYTES (Lambda's payload limit); larger is 413.`;

/** The document. `serverUrl`: where it is served from (omitted in the committed file). */
export function openApiDocument(options: { serverUrl?: string } = {}): Json {
  const generated = z.toJSONSchema(components, {
    target: 'draft-2020-12',
    uri: (id) => `${SCHEMAS}${id}`,
    unrepresentable: 'throw',
  }) as unknown as { schemas: Record<string, Json> };
  const schemas: Record<string, Json> = {};
  for (const [id, schema] of Object.entries(generated.schemas).sort(([a], [b]) => a.localeCompare(b))) {
    schemas[id] = bare(schema);
  }

  const paths: Record<string, Json> = {};
  for (const operation of operations) {
    paths[operation.path] ??= {};
    (paths[operation.path] as Json)[operation.method.toLowerCase()] = operationObject(operation);
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'Serverless Inspector API',
      version: MAX_API_VERSION,
      description: DESCRIPTION,
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    ...(options.serverUrl ? { servers: [{ url: options.serverUrl }] } : {}),
    tags: [
      { name: 'versions', description: 'Version discovery (public)' },
      { name: 'introspection', description: 'Introspection: start, status, list, abort, data, reapply' },
      { name: 'rules', description: 'Introspection rules: create, list, show, delete' },
      { name: 'ramdisk', description: "The ramdisk's callback (public)" },
      { name: 'additions', description: 'Not in ironic-inspector: this document and the dashboard' },
    ],
    paths,
    components: {
      schemas,
      responses: Object.fromEntries(
        Object.entries(ERROR_RESPONSES).map(([code, name]) => [
          name,
          responseObject(Number(code), {
            description: ERROR_MEANINGS[Number(code)] ?? 'Error',
            schema: errorSchema,
          }),
        ]),
      ),
      parameters: {
        ApiVersion: {
          name: REQUEST_VERSION_HEADER,
          in: 'header',
          required: false,
          description: `The microversion to use: X.Y (${MIN_API_VERSION}–${MAX_API_VERSION}) or latest, case-insensitive; absent or empty means the latest`,
          schema: { type: 'string', examples: [MAX_API_VERSION, 'latest'] },
        },
      },
      headers: {
        MinimumVersion: {
          description: 'The oldest supported microversion',
          required: true,
          schema: { type: 'string', const: MIN_API_VERSION },
        },
        MaximumVersion: {
          description: 'The newest supported microversion',
          required: true,
          schema: { type: 'string', const: MAX_API_VERSION },
        },
      },
      securitySchemes: {
        keystone: {
          type: 'apiKey',
          in: 'header',
          name: 'X-Auth-Token',
          description: 'A Keystone token (auth=keystone), validated by the API Gateway authorizer',
        },
        http_basic: {
          type: 'http',
          scheme: 'basic',
          description: 'A user of the htpasswd secret (auth=http_basic), bcrypt entries',
        },
        iam: {
          type: 'apiKey',
          in: 'header',
          name: 'Authorization',
          description: 'An AWS SigV4 signature (auth=iam)',
        },
      },
    },
  };
}

/** Each operation's path template as a pattern, with its parameter names. */
const compiled = operations.map((operation) => {
  const names: string[] = [];
  const source = operation.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return { operation, names, pattern: new RegExp(`^${source}$`) };
});

/**
 * The operation a request goes to (concrete paths before templated ones, as OpenAPI matches);
 * `methodMismatch` when the path is known but not with that method (405).
 */
export function matchOperation(
  method: string,
  path: string,
):
  | { operation: OperationDescription; params: Record<string, string> }
  | { operation: undefined; methodMismatch: boolean } {
  const normalized = path.replace(/\/+$/, '') || '/';
  const candidates = compiled
    .map((c) => ({ ...c, match: c.pattern.exec(normalized) }))
    .filter((c) => c.match !== null)
    .sort((a, b) => a.names.length - b.names.length);
  const found = candidates.find((c) => c.operation.method === method.toUpperCase());
  if (found === undefined) return { operation: undefined, methodMismatch: candidates.length > 0 };
  const params: Record<string, string> = {};
  found.names.forEach((name, i) => {
    params[name] = found.match?.[i + 1] ?? '';
  });
  return { operation: found.operation, params };
}
