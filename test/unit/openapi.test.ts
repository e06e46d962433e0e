/**
 * The OpenAPI document matches the API: the committed `docs/openapi.json` is what the route
 * descriptions generate, it is valid OpenAPI 3.1, every operation answers as documented (through the
 * real handlers, DynamoDB Local, s3rver and an in-memory Ironic), and the checker itself catches
 * answers that differ.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operations } from '#lib/http/api-description.ts';
import { matchOperation, openApiDocument } from '#lib/http/openapi.ts';
import { FakeIronic } from '#test/support/fake-ironic.ts';
import {
  type AnswerToCheck,
  documentedOperations,
  openApiProblems,
  withOpenApiCheck,
} from '#test/support/openapi.ts';
import { ramdiskCallback, startTestStack, type TestStack } from '#test/support/stack.ts';

const committed = JSON.parse(
  readFileSync(resolve(import.meta.dirname, '../../docs/openapi.json'), 'utf8'),
) as Record<string, unknown>;

describe('the document', () => {
  it('docs/openapi.json is what `npm run openapi` generates (run it after changing the API)', () => {
    expect(committed).toEqual(openApiDocument());
  });

  it('is valid OpenAPI 3.1', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(committed));
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('describes every operation, each with the version header, and errors in the inspector format', () => {
    expect(
      documentedOperations()
        .map((o) => o.operationId)
        .sort(),
    ).toEqual(operations.map((o) => o.operationId).sort());
    for (const operation of documentedOperations()) {
      const described = (committed.paths as Record<string, Record<string, Record<string, unknown>>>)[
        operation.path
      ]?.[operation.method.toLowerCase()];
      expect(described?.parameters).toContainEqual({ $ref: '#/components/parameters/ApiVersion' });
      const responses = described?.responses as Record<string, unknown>;
      for (const code of ['400', '406', '413', '500']) expect(responses[code]).toBeDefined();
    }
  });

  it('matches requests to operations as the router does: concrete paths first, 405 on a known path', () => {
    const id = (method: string, path: string) => matchOperation(method, path).operation?.operationId;
    expect(id('GET', '/openapi.json')).toBe('getOpenApiDocument');
    expect(id('GET', '/v1')).toBe('getVersion');
    expect(id('GET', '/dashboard/')).toBe('getDashboard');
    expect(id('GET', '/dashboard/api/nodes')).toBe('listDashboardNodes');
    expect(id('GET', '/v1/introspection/node-0/data/unprocessed')).toBe('getUnprocessedIntrospectionData');
    expect(matchOperation('POST', '/dashboard')).toEqual({ operation: undefined, methodMismatch: true });
    expect(matchOperation('GET', '/v1/nope/x')).toEqual({ operation: undefined, methodMismatch: false });
  });
});

describe('the checker catches answers that differ from the document', () => {
  const headers = (extra: Record<string, string> = {}) =>
    new Headers({
      'Content-Type': 'application/json',
      'X-OpenStack-Ironic-Inspector-API-Minimum-Version': '1.0',
      'X-OpenStack-Ironic-Inspector-API-Maximum-Version': '1.18',
      ...extra,
    });
  const status = {
    error: null,
    finished: false,
    finished_at: null,
    links: [{ href: 'http://x/v1/introspection/0b5c4c7e-4d2a-4c8f-9f7d-2b6e6c4f1a11', rel: 'self' }],
    started_at: '2026-11-25T17:38:03',
    state: 'waiting',
    uuid: '0b5c4c7e-4d2a-4c8f-9f7d-2b6e6c4f1a11',
  };
  const answer = (body: unknown, code = 200, h = headers()): AnswerToCheck => ({
    status: code,
    headers: h,
    text: JSON.stringify(body),
  });
  const path = `/v1/introspection/${status.uuid}`;

  it('accepts a right answer', () => {
    expect(openApiProblems('GET', path, answer(status))).toEqual([]);
  });

  it('an extra field, a missing one, a wrong type or state, a bad timestamp', () => {
    expect(openApiProblems('GET', path, answer({ ...status, name: 'node-0' })).join()).toContain(
      'must NOT have additional properties',
    );
    const { error: _e, ...missing } = status;
    expect(openApiProblems('GET', path, answer(missing)).join()).toContain(
      "must have required property 'error'",
    );
    expect(openApiProblems('GET', path, answer({ ...status, finished: 'no' })).join()).toContain(
      'must be boolean',
    );
    expect(openApiProblems('GET', path, answer({ ...status, state: 'done' })).join()).toContain(
      'must be equal to one of the allowed values',
    );
    expect(
      openApiProblems('GET', path, answer({ ...status, started_at: '2026-11-25T17:38:03Z' })).join(),
    ).toContain('must match pattern');
  });

  it('a missing version header, an undocumented status, a wrong content type, a body where none is', () => {
    const noVersion = new Headers({ 'Content-Type': 'application/json' });
    expect(openApiProblems('GET', path, answer(status, 200, noVersion)).join()).toContain(
      'header X-OpenStack-Ironic-Inspector-API-Minimum-Version missing',
    );
    expect(openApiProblems('GET', path, answer({ error: { message: 'x' } }, 418)).join()).toContain(
      'status 418 is not documented',
    );
    expect(
      openApiProblems('GET', path, answer(status, 200, headers({ 'Content-Type': 'text/plain' }))).join(),
    ).toContain('content type "text/plain"');
    expect(
      openApiProblems('GET', '/dashboard', { status: 304, headers: headers(), text: 'x' }).join(),
    ).toContain('a body where the document has none');
  });

  it('an unknown path may only answer the router errors, in the inspector format', () => {
    expect(openApiProblems('GET', '/v2/x', answer({ error: { message: 'not found' } }, 404))).toEqual([]);
    expect(openApiProblems('GET', '/v2/x', answer({}, 200)).join()).toContain('is not in the document');
    expect(openApiProblems('POST', '/openapi.json', answer({ error: { message: 'no' } }, 405))).toEqual([]);
    expect(openApiProblems('GET', '/v2/x', answer({ detail: 'no' }, 404)).join()).toContain(
      'required property',
    );
  });

  it('API Gateway own 401 (no credentials) is documented beside the inspector error', () => {
    const gateway = answer(
      { message: 'Unauthorized' },
      401,
      new Headers({ 'Content-Type': 'application/json' }),
    );
    expect(openApiProblems('GET', '/v1/introspection', gateway)).toEqual([]);
  });
});

describe('every operation answers as documented', () => {
  const ironic = new FakeIronic();
  let stack: TestStack;
  const covered = new Map<string, Set<number>>();

  beforeAll(async () => {
    const started = await startTestStack({ ironic });
    // Checked here whatever the shared helper does; and each operation reached is counted.
    const checked = withOpenApiCheck(started);
    stack = {
      ...checked,
      async call(method, path, options) {
        const response = await checked.call(method, path, options);
        const operationId = matchOperation(method, new URL(path, 'http://x').pathname).operation?.operationId;
        if (operationId !== undefined) {
          const codes = covered.get(operationId) ?? new Set<number>();
          codes.add(response.status);
          covered.set(operationId, codes);
        }
        return response;
      },
    };
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('reaches each with a success and the errors it documents', async () => {
    const macs: [string, string] = ['52:54:00:aa:01:01', '52:54:00:aa:01:02'];
    const node = ironic.addNode({ name: 'openapi-node', driver_info: { ipmi_address: '192.0.2.201' } }, [
      ...macs,
    ]);
    const other = ironic.addNode({ name: 'openapi-other', driver_info: { ipmi_address: '192.0.2.202' } }, [
      '52:54:00:aa:02:01',
    ]);

    expect((await stack.call('GET', '/')).status).toBe(200);
    expect((await stack.call('GET', '/v1')).status).toBe(200);
    expect((await stack.call('GET', '/v2')).status).toBe(404);
    expect(
      (await stack.call('GET', '/', { headers: { 'X-OpenStack-Ironic-Inspector-API-Version': '2.0' } }))
        .status,
    ).toBe(406);
    expect(
      (await stack.call('GET', '/', { headers: { 'X-OpenStack-Ironic-Inspector-API-Version': 'x' } })).status,
    ).toBe(400);

    expect((await stack.call('POST', `/v1/introspection/${node.uuid}`)).status).toBe(202);
    expect((await stack.call('POST', `/v1/introspection/${other.uuid}?manage_boot=maybe`)).status).toBe(400);
    expect((await stack.call('POST', '/v1/introspection/no-such-node')).status).toBe(404);
    await stack.idle();
    expect((await stack.call('POST', `/v1/introspection/${other.uuid}`)).status).toBe(202);
    await stack.idle();

    expect((await stack.call('GET', `/v1/introspection/${node.uuid}`)).status).toBe(200);
    expect((await stack.call('GET', `/v1/introspection/${ironic.nodes.get(node.uuid)?.name}`)).status).toBe(
      200,
    );
    expect((await stack.call('GET', '/v1/introspection/0b5c4c7e-4d2a-4c8f-9f7d-2b6e6c4f1a11')).status).toBe(
      404,
    );
    expect((await stack.call('GET', '/v1/introspection?limit=1&state=waiting')).status).toBe(200);
    expect((await stack.call('GET', '/v1/introspection?limit=x')).status).toBe(400);
    expect(
      (await stack.call('GET', '/v1/introspection?marker=0b5c4c7e-4d2a-4c8f-9f7d-2b6e6c4f1a11')).status,
    ).toBe(404);

    const body = await ramdiskCallback(macs, '192.0.2.201');
    expect((await stack.call('POST', '/v1/continue', { body })).status).toBe(200);
    expect((await stack.call('POST', '/v1/continue', { body: '[1]' })).status).toBe(400);
    await stack.idle();

    expect((await stack.call('GET', `/v1/introspection/${node.uuid}/data`)).status).toBe(200);
    expect((await stack.call('GET', `/v1/introspection/${node.uuid}/data/unprocessed`)).status).toBe(200);
    expect((await stack.call('GET', `/v1/introspection/${other.uuid}/data`)).status).toBe(404);
    expect((await stack.call('GET', `/v1/introspection/${other.uuid}/data/unprocessed`)).status).toBe(404);
    expect((await stack.call('POST', `/v1/introspection/${node.uuid}/data/unprocessed`)).status).toBe(202);
    await stack.idle();
    expect(
      (await stack.call('POST', `/v1/introspection/${node.uuid}/data/unprocessed`, { body: 'x' })).status,
    ).toBe(400);
    expect((await stack.call('POST', `/v1/introspection/${other.uuid}/abort`)).status).toBe(202);
    expect(
      (await stack.call('POST', '/v1/introspection/0b5c4c7e-4d2a-4c8f-9f7d-2b6e6c4f1a11/abort')).status,
    ).toBe(404);
    await stack.idle();

    const rule = {
      uuid: '7459bf7c-9ff9-43a8-ba9f-48542ecda66c',
      description: 'openapi rule',
      conditions: [{ op: 'ge', field: 'memory_mb', value: 1024 }],
      actions: [{ action: 'set-capability', name: 'big', value: 'true' }],
    };
    expect((await stack.call('POST', '/v1/rules', { body: rule })).status).toBe(201);
    expect(
      (
        await stack.call('POST', '/v1/rules', {
          body: { ...rule, uuid: undefined },
          headers: { 'X-OpenStack-Ironic-Inspector-API-Version': '1.0' },
        })
      ).status,
    ).toBe(200);
    expect((await stack.call('POST', '/v1/rules', { body: rule })).status).toBe(409);
    expect((await stack.call('POST', '/v1/rules', { body: { actions: [] } })).status).toBe(400);
    expect((await stack.call('GET', '/v1/rules')).status).toBe(200);
    expect((await stack.call('GET', `/v1/rules/${rule.uuid}`)).status).toBe(200);
    expect((await stack.call('DELETE', `/v1/rules/${rule.uuid}`)).status).toBe(204);
    expect((await stack.call('GET', `/v1/rules/${rule.uuid}`)).status).toBe(404);
    expect((await stack.call('DELETE', `/v1/rules/${rule.uuid}`)).status).toBe(404);
    expect((await stack.call('DELETE', '/v1/rules')).status).toBe(204);

    expect((await stack.call('GET', '/openapi.json')).status).toBe(200);
    expect((await stack.call('GET', '/dashboard')).status).toBe(200);
    expect((await stack.call('GET', '/dashboard/app.js')).status).toBe(200);
    expect((await stack.call('GET', '/dashboard/none.js')).status).toBe(404);
    expect((await stack.call('GET', `/dashboard/api/nodes?uuid=${node.uuid},${other.uuid}`)).status).toBe(
      200,
    );
    expect((await stack.call('GET', '/dashboard/api/nodes')).status).toBe(400);
    const filter = await stack.call('GET', '/v1/pxe-filter');
    expect(filter.status).toBe(200);
    const etag = filter.headers.get('etag') ?? '';
    expect((await stack.call('GET', '/v1/pxe-filter', { headers: { 'If-None-Match': etag } })).status).toBe(
      304,
    );

    // Wrong methods and unknown paths: the router's errors, in the inspector's format.
    expect((await stack.call('DELETE', '/v1/introspection')).status).toBe(405);
    expect((await stack.call('GET', '/v1/nothing/here')).status).toBe(404);

    for (const operation of operations) {
      const codes = [...(covered.get(operation.operationId) ?? [])];
      expect(
        codes.some((c) => c < 400),
        `${operation.operationId} answered ${codes}`,
      ).toBe(true);
    }
  });

  it('GET /openapi.json is the committed document, with the request root as its server', async () => {
    const served = await stack.call('GET', '/openapi.json/', {
      headers: { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'inspector.example.com' },
    });
    const { servers, ...rest } = served.json as Record<string, unknown>;
    expect(servers).toEqual([{ url: 'https://inspector.example.com' }]);
    expect(rest).toEqual(committed);
  });
});
