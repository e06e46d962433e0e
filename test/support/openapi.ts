/**
 * Checks an HTTP answer against the committed OpenAPI document (`docs/openapi.json`): the operation
 * its method and path go to, a documented status, the required headers (the microversion ones), the
 * content type, and the JSON body against the schema (Ajv, JSON Schema draft 2020-12, OpenAPI
 * 3.1's dialect). A path the document does not list may only answer the router's errors.
 *
 * Plug it into any helper that makes calls:
 *
 * @example
 * ```ts
 * const response = await stack.call('GET', '/v1/introspection');
 * expectMatchesOpenApi('GET', '/v1/introspection', response); // throws, listing what differs
 * const checked = withOpenApiCheck(stack);                      // every call of `checked` is checked
 * ```
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';

type Json = Record<string, unknown>;

/** What a check needs of an answer (the shape `TestStack.call` returns). */
export interface AnswerToCheck {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

const DOCUMENT_PATH = resolve(import.meta.dirname, '../../docs/openapi.json');
const DOCUMENT_ID = 'openapi.json';
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

let loaded: { document: Json; ajv: Ajv2020; paths: PathTemplate[] } | undefined;

interface PathTemplate {
  readonly template: string;
  readonly pattern: RegExp;
  readonly params: number;
}

function load() {
  if (loaded !== undefined) return loaded;
  const document = JSON.parse(readFileSync(DOCUMENT_PATH, 'utf8')) as Json;
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
  // The document's own keywords (`openapi`, `paths`, …) are not JSON Schema: register them as
  // annotations so strict mode accepts the document as the base every `$ref` resolves against.
  for (const keyword of ['openapi', 'info', 'paths', 'components', 'tags', 'servers'])
    ajv.addKeyword(keyword);
  ajv.addSchema(document, DOCUMENT_ID);
  const paths = Object.keys(document.paths as Json).map((template) => {
    let params = 0;
    const source = template.replace(/\{[^}]+\}/g, () => {
      params++;
      return '[^/]+';
    });
    return { template, pattern: new RegExp(`^${source}$`), params };
  });
  // Concrete paths before templated ones, as OpenAPI matches.
  paths.sort((a, b) => a.params - b.params);
  loaded = { document, ajv, paths };
  return loaded;
}

/** Follow a local `$ref` (`#/components/…`) to the object it names. */
function deref(document: Json, value: Json): { value: Json; pointer: string | undefined } {
  const ref = value.$ref;
  if (typeof ref !== 'string') return { value, pointer: undefined };
  let target: unknown = document;
  for (const part of ref.replace(/^#\//, '').split('/')) {
    target = (target as Json)[part.replaceAll('~1', '/').replaceAll('~0', '~')];
  }
  return { value: target as Json, pointer: ref };
}

const pointerPart = (part: string) => part.replaceAll('~', '~0').replaceAll('/', '~1');

function validateAt(pointer: string, value: unknown): string[] {
  const { ajv } = load();
  const validate = ajv.getSchema(`${DOCUMENT_ID}${pointer}`);
  if (validate === undefined) return [`no schema at ${pointer}`];
  if (validate(value)) return [];
  return (validate.errors ?? []).map(
    (e) => `body${e.instancePath} ${e.message ?? 'is invalid'} (${e.schemaPath})`,
  );
}

function checkContent(response: Json, responsePointer: string, answer: AnswerToCheck): string[] {
  const content = response.content as Record<string, Json> | undefined;
  if (content === undefined) {
    return answer.text === '' ? [] : [`a body where the document has none: ${answer.text.slice(0, 200)}`];
  }
  const type = (answer.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
  const media = content[type];
  if (media === undefined) {
    return [`content type "${type}", the document has ${Object.keys(content).join(', ')}`];
  }
  if (type !== 'application/json') return typeof answer.text === 'string' ? [] : ['no body'];
  let body: unknown;
  try {
    body = JSON.parse(answer.text);
  } catch {
    return [`not JSON: ${answer.text.slice(0, 200)}`];
  }
  return validateAt(`${responsePointer}/content/${pointerPart(type)}/schema`, body);
}

function checkHeaders(document: Json, response: Json, answer: AnswerToCheck): string[] {
  const problems: string[] = [];
  for (const [name, raw] of Object.entries((response.headers as Record<string, Json> | undefined) ?? {})) {
    const { value: header, pointer } = deref(document, raw);
    const value = answer.headers.get(name);
    if (value === null) {
      if (header.required === true) problems.push(`header ${name} missing`);
      continue;
    }
    if (pointer !== undefined) {
      for (const p of validateAt(`${pointer}/schema`, value)) problems.push(`header ${name}: ${p}`);
    }
  }
  return problems;
}

/** What differs between an answer and the document (empty when it matches). */
export function openApiProblems(method: string, url: string, answer: AnswerToCheck): string[] {
  const { document, paths } = load();
  const path = new URL(url, 'http://x').pathname.replace(/\/+$/, '') || '/';
  const lower = method.toLowerCase();
  const matching = paths.filter((p) => p.pattern.test(path));
  const item = matching
    .map((p) => ({ p, item: (document.paths as Record<string, Json>)[p.template] as Json }))
    .find(({ item }) => item[lower] !== undefined);
  // A more concrete path with other methods wins (405) over a templated one with this method.
  const firstWithAny = matching[0];
  const shadowed = item !== undefined && firstWithAny !== undefined && item.p.params > firstWithAny.params;

  if (item === undefined || shadowed) {
    // Not an operation of the document: only the router's and the gateway's errors may answer.
    const known = matching.length > 0;
    const allowed = [400, 401, 403, 406, 413, known ? 405 : 404];
    if (!allowed.includes(answer.status)) {
      return [
        `${method} ${path} is not in the document (${known ? 'other methods are' : 'no such path'}), yet answered ${answer.status}`,
      ];
    }
    const name = { 400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 406: 'NotAcceptable' }[
      answer.status as 400
    ];
    const pointer = name === undefined ? undefined : `#/components/responses/${name}`;
    if (pointer === undefined) {
      return validateAt('#/components/schemas/Error', JSON.parse(answer.text || 'null'));
    }
    const { value } = deref(document, { $ref: pointer });
    return [...checkHeaders(document, value, answer), ...checkContent(value, pointer, answer)];
  }

  const operationPointer = `#/paths/${pointerPart(item.p.template)}/${lower}`;
  const responses = (item.item[lower] as Json).responses as Record<string, Json>;
  const raw = responses[String(answer.status)] ?? responses.default;
  if (raw === undefined) {
    return [
      `${method} ${item.p.template}: status ${answer.status} is not documented (${Object.keys(responses).join(', ')}): ${answer.text.slice(0, 300)}`,
    ];
  }
  const { value: response, pointer } = deref(document, raw);
  const responsePointer =
    pointer ??
    `${operationPointer}/responses/${responses[String(answer.status)] ? answer.status : 'default'}`;
  return [
    ...checkHeaders(document, response, answer),
    ...checkContent(response, responsePointer, answer),
  ].map((p) => `${method} ${item.p.template} ${answer.status}: ${p}`);
}

/** Throws, listing the differences, when an answer does not match the document. */
export function expectMatchesOpenApi(method: string, url: string, answer: AnswerToCheck): void {
  const problems = openApiProblems(method, url, answer);
  if (problems.length > 0) {
    throw new Error(
      `The answer to ${method} ${url} does not match docs/openapi.json:\n- ${problems.join('\n- ')}`,
    );
  }
}

/** The operations (method and path template) of the document, for coverage checks. */
export function documentedOperations(): Array<{ method: string; path: string; operationId: string }> {
  const { document } = load();
  const result: Array<{ method: string; path: string; operationId: string }> = [];
  for (const [path, item] of Object.entries(document.paths as Record<string, Json>)) {
    for (const method of METHODS) {
      const operation = item[method] as Json | undefined;
      if (operation)
        result.push({ method: method.toUpperCase(), path, operationId: String(operation.operationId) });
    }
  }
  return result;
}

/** A helper with a `call(method, path, …)` whose every answer is checked against the document. */
export function withOpenApiCheck<
  T extends { call(method: string, path: string, ...rest: never[]): Promise<AnswerToCheck> },
>(target: T): T {
  const call = target.call.bind(target) as (
    method: string,
    path: string,
    ...rest: never[]
  ) => Promise<AnswerToCheck>;
  return {
    ...target,
    async call(method: string, path: string, ...rest: never[]) {
      const answer = await call(method, path, ...rest);
      expectMatchesOpenApi(method, path, answer);
      return answer;
    },
  } as T;
}
