/**
 * The rules API through the local stack (the real api and worker handlers, DynamoDB Local, an
 * in-memory Ironic): the requests python-ironic-inspector-client 4.8.0 sends (`introspection rule
 * import/list/show/delete/purge`) at its default API 1.0 and its newest 1.13, and at the server's
 * latest; the answers' shapes; policy under each auth strategy; and rules applied by the ramdisk
 * callback and by reapply.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeIronic } from '#test/support/fake-ironic.ts';
import { ramdiskCallback, startTestStack, type TestStack } from '#test/support/stack.ts';

const ironic = new FakeIronic();
let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({ ironic });
});
afterAll(async () => {
  await stack?.stop();
});

/** A request as python-ironic-inspector-client sends it (keystoneauth session, `json=` body). */
function client(version: string | undefined) {
  return async (method: string, path: string, body?: unknown) => {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (version !== undefined) headers['X-OpenStack-Ironic-Inspector-API-Version'] = version;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    return stack.call(method, `/v1${path}`, { headers, ...(body === undefined ? {} : { body }) });
  };
}

const ruleFile = {
  description: 'GPU nodes',
  conditions: [{ op: 'ge', field: 'memory_mb', value: 4096 }],
  actions: [{ action: 'add-trait', name: 'CUSTOM_BIG' }],
};

describe.each([
  ['1.0', 200],
  ['1.13', 201],
  [undefined, 201],
])('python-ironic-inspector-client at API %s', (version, createStatus) => {
  const request = client(version);

  it('probes the version range, creates, imports, lists, shows, deletes and purges', async () => {
    // BaseClient.server_api_versions: an unauthenticated GET of the base URL.
    const probe = await stack.call('GET', '/');
    expect(probe.headers.get('x-openstack-ironic-inspector-api-minimum-version')).toBe('1.0');
    expect(probe.headers.get('x-openstack-ironic-inspector-api-maximum-version')).toBe('1.18');
    await request('DELETE', '/rules');

    // RulesAPI.create(conditions, actions): uuid and description sent as null.
    const created = await request('POST', '/rules', {
      uuid: null,
      conditions: ruleFile.conditions,
      actions: ruleFile.actions,
      description: null,
    });
    expect(created.status).toBe(createStatus);
    const body = created.json as Record<string, unknown>;
    expect(body).toEqual({
      uuid: expect.stringMatching(/^[0-9a-f-]{36}$/),
      description: null,
      scope: null,
      conditions: [{ op: 'ge', field: 'memory_mb', value: 4096, multiple: 'any', invert: false }],
      actions: [{ action: 'add-trait', name: 'CUSTOM_BIG' }],
      links: [{ href: `/v1/rules/${body.uuid}`, rel: 'self' }],
    });
    expect(Object.keys(body)).toEqual(['actions', 'conditions', 'description', 'links', 'scope', 'uuid']);

    // `rule import <file>`: each rule of the file POSTed as it is (from_json), scope included.
    const uuid = '7459BF7C9FF943A8BA9F48542ECDA66C';
    const imported = await request('POST', '/rules', { ...ruleFile, uuid, scope: 'rack-1' });
    expect(imported.status).toBe(createStatus);
    expect(imported.json).toMatchObject({ uuid, scope: 'rack-1', description: 'GPU nodes' });

    const duplicate = await request('POST', '/rules', { ...ruleFile, uuid });
    expect([duplicate.status, duplicate.json]).toEqual([
      409,
      { error: { message: `Rule with UUID ${uuid} already exists` } },
    ]);

    // RulesAPI.get_all: the short form, in creation order.
    const listed = await request('GET', '/rules');
    expect(listed.status).toBe(200);
    expect(listed.json).toEqual({
      rules: [
        {
          uuid: body.uuid,
          description: null,
          scope: null,
          links: [{ href: `/v1/rules/${body.uuid}`, rel: 'self' }],
        },
        {
          uuid,
          description: 'GPU nodes',
          scope: 'rack-1',
          links: [{ href: `/v1/rules/${uuid}`, rel: 'self' }],
        },
      ],
    });

    // RulesAPI.get: exact UUID only.
    const shown = await request('GET', `/rules/${uuid}`);
    expect(shown.status).toBe(200);
    expect(shown.json).toEqual(imported.json);
    const otherSpelling = await request('GET', '/rules/7459bf7c-9ff9-43a8-ba9f-48542ecda66c');
    expect([otherSpelling.status, otherSpelling.json]).toEqual([
      404,
      { error: { message: 'Rule 7459bf7c-9ff9-43a8-ba9f-48542ecda66c was not found' } },
    ]);

    // RulesAPI.delete and delete_all: 204 with an empty text/plain body.
    const deleted = await request('DELETE', `/rules/${uuid}`);
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    expect(deleted.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(deleted.headers.get('content-length')).toBe('0');
    expect((await request('DELETE', `/rules/${uuid}`)).json).toEqual({
      error: { message: `Rule ${uuid} was not found` },
    });
    const purged = await request('DELETE', '/rules');
    expect([purged.status, purged.text]).toEqual([204, '']);
    expect((await request('GET', '/rules')).json).toEqual({ rules: [] });
    expect((await request('DELETE', '/rules')).status).toBe(204);
  });

  it('errors carry the message the client shows (ClientError reads error.message)', async () => {
    const bad = await request('POST', '/rules', { actions: [{ action: 'nope' }] });
    expect(bad.status).toBe(400);
    expect((bad.json as { error: { message: string } }).error.message).toMatch(
      /^Validation failed for actions: 'nope' is not one of \[/,
    );
  });
});

describe('rules routes', () => {
  it('GET /v1 lists rules among the resources', async () => {
    const response = await stack.call('GET', '/v1');
    expect((response.json as { resources: Array<{ name: string }> }).resources.map((r) => r.name)).toEqual([
      'continue',
      'introspection',
      'rules',
    ]);
  });

  it('trailing slashes, links below a proxy prefix, bodies that are not rules', async () => {
    const created = await stack.call('POST', '/v1/rules/', {
      body: { actions: [{ action: 'example' }] },
      headers: {
        'X-Forwarded-Prefix': '/baremetal-introspection',
        'X-Forwarded-Host': 'inspector.example.com',
      },
    });
    const uuid = (created.json as { uuid: string }).uuid;
    expect((created.json as { links: unknown }).links).toEqual([
      { href: `/baremetal-introspection/v1/rules/${uuid}`, rel: 'self' },
    ]);
    expect((await stack.call('GET', `/v1/rules/${uuid}/`)).status).toBe(200);
    expect((await stack.call('DELETE', `/v1/rules/${uuid}/`)).status).toBe(204);
    for (const [body, got] of [
      ['not json', 'None'],
      ['', 'NoneType'],
      ['[{"actions": [{"action": "example"}]}]', 'list'],
      ['null', 'NoneType'],
    ] as const) {
      const response = await stack.call('POST', '/v1/rules', { body });
      expect([response.status, response.json]).toEqual([
        400,
        { error: { message: `Invalid data: expected a JSON object, got ${got}` } },
      ]);
    }
    expect((await stack.call('PUT', '/v1/rules')).status).toBe(405);
    expect((await stack.call('POST', '/v1/rules/x')).status).toBe(405);
  });
});

describe('rules applied by processing', () => {
  let macSeed = 0x300;
  const mac = () => {
    macSeed++;
    return `52:54:00:30:${(macSeed >> 8).toString(16).padStart(2, '0')}:${(macSeed & 255).toString(16).padStart(2, '0')}`;
  };
  let bmcSeed = 10;

  async function waiting(fields: Record<string, unknown> = {}) {
    const macs: [string, string] = [mac(), mac()];
    const bmc = `198.51.100.${bmcSeed++}`;
    const node = ironic.addNode({ driver_info: { ipmi_address: bmc }, ...fields }, macs);
    expect((await stack.call('POST', `/v1/introspection/${node.uuid}`)).status).toBe(202);
    await stack.idle();
    return { node, callback: await ramdiskCallback(macs, bmc) };
  }
  const status = async (uuid: string) => {
    await stack.idle();
    return (await stack.call('GET', `/v1/introspection/${uuid}`)).json as Record<string, unknown>;
  };

  it('the callback applies matching rules; reapply applies them again to the node as it is then', async () => {
    await stack.call('DELETE', '/v1/rules');
    await stack.call('POST', '/v1/rules', {
      body: {
        conditions: [
          { op: 'ge', field: 'memory_mb', value: 1024 },
          { op: 'eq', field: 'node://extra.role', value: 'compute' },
        ],
        actions: [
          { action: 'set-capability', name: 'memory', value: '{data[memory_mb]}' },
          { action: 'extend-attribute', path: '/extra/seen', value: '{data[cpu_arch]}' },
          { action: 'add-trait', name: 'CUSTOM_COMPUTE' },
        ],
      },
    });
    const { node, callback } = await waiting({ extra: { role: 'compute' } });
    const answer = await stack.call('POST', '/v1/continue', { body: callback });
    expect([answer.status, answer.json]).toEqual([200, { uuid: node.uuid }]);
    expect(await status(node.uuid)).toMatchObject({ state: 'finished', error: null });
    const after = ironic.nodes.get(node.uuid) as Record<string, unknown>;
    expect(after.traits).toEqual(['CUSTOM_COMPUTE']);
    expect((after.properties as Record<string, string>).capabilities).toContain('memory:');
    expect(after.extra).toEqual({ role: 'compute', seen: ['x86_64'] });

    expect((await stack.call('POST', `/v1/introspection/${node.uuid}/data/unprocessed`)).status).toBe(202);
    expect(await status(node.uuid)).toMatchObject({ state: 'finished', error: null });
    expect((ironic.nodes.get(node.uuid) as Record<string, unknown>).extra).toEqual({
      role: 'compute',
      seen: ['x86_64', 'x86_64'],
    });
  });

  it('a fail action ends the node in error; the callback answers 400 with the message; no power off', async () => {
    await stack.call('DELETE', '/v1/rules');
    await stack.call('POST', '/v1/rules', {
      body: {
        conditions: [{ op: 'lt', field: 'memory_mb', value: 1_000_000 }],
        actions: [{ action: 'fail', message: 'Not enough memory for this cloud' }],
      },
    });
    const { node, callback } = await waiting();
    const before = ironic.callsOf('setPowerState').length;
    const answer = await stack.call('POST', '/v1/continue', { body: callback });
    expect([answer.status, answer.json]).toEqual([
      400,
      { error: { message: 'Not enough memory for this cloud' } },
    ]);
    expect(await status(node.uuid)).toMatchObject({
      state: 'error',
      finished: true,
      error: 'Not enough memory for this cloud',
    });
    expect(ironic.callsOf('setPowerState').length).toBe(before);
    // The processed data was stored before the rules ran.
    expect((await stack.call('GET', `/v1/introspection/${node.uuid}/data`)).status).toBe(200);

    // Reapply runs the rules again; the failure is recorded on the node (the API answered 202).
    expect((await stack.call('POST', `/v1/introspection/${node.uuid}/data/unprocessed`)).status).toBe(202);
    expect(await status(node.uuid)).toMatchObject({
      state: 'error',
      error: 'Not enough memory for this cloud',
    });
  });

  it('a rule that cannot be evaluated on this data fails the node with a clear 400 (upstream: 500)', async () => {
    await stack.call('DELETE', '/v1/rules');
    const created = await stack.call('POST', '/v1/rules', {
      body: { conditions: [{ op: 'gt', field: 'cpu_arch', value: 1 }], actions: [{ action: 'example' }] },
    });
    const uuid = (created.json as { uuid: string }).uuid;
    const { node, callback } = await waiting();
    const answer = await stack.call('POST', '/v1/continue', { body: callback });
    expect(answer.status).toBe(400);
    const message = `Introspection rule ${uuid} could not be evaluated: condition gt on cpu_arch with value 1 and field value 'x86_64': invalid literal for int() with base 10: 'x86_64'`;
    expect(answer.json).toEqual({ error: { message } });
    expect(await status(node.uuid)).toMatchObject({ state: 'error', error: message });
    await stack.call('DELETE', '/v1/rules');
  });
});

describe('policy', () => {
  it('keystone: the rules routes need admin (or service); a reader is refused, no token is 401', async () => {
    const keystone = createServer((req, res) => {
      const token = String(req.headers['x-subject-token']);
      const roles = { 'admin-token': ['admin'], 'service-token': ['service'], 'reader-token': ['reader'] }[
        token
      ];
      if (roles === undefined) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(
        JSON.stringify({
          token: {
            expires_at: new Date(Date.now() + 3_600_000).toISOString(),
            roles: roles.map((name) => ({ name })),
            system: { all: true },
          },
        }),
      );
    });
    await new Promise<void>((resolve) => keystone.listen(0, '127.0.0.1', resolve));
    process.env.KEYSTONE_AUTH_URL = `http://127.0.0.1:${(keystone.address() as AddressInfo).port}/v3`;
    const secured = await startTestStack({
      ironic: new FakeIronic(),
      env: { API_AUTH_STRATEGY: 'keystone' },
    });
    try {
      const as = (token: string) => ({ 'X-Auth-Token': token });
      const rule = { actions: [{ action: 'example' }] };
      for (const [method, path] of [
        ['GET', '/v1/rules'],
        ['POST', '/v1/rules'],
        ['DELETE', '/v1/rules'],
        ['GET', '/v1/rules/x'],
        ['DELETE', '/v1/rules/x'],
      ] as const) {
        const body = method === 'POST' ? { body: rule } : {};
        const reader = await secured.call(method, path, { headers: as('reader-token'), ...body });
        expect([reader.status, reader.json]).toEqual([
          403,
          { error: { message: 'Access denied by policy' } },
        ]);
        const forged = await secured.call(method, path, { headers: as('forged'), ...body });
        expect([forged.status, forged.json]).toEqual([
          401,
          { error: { message: 'Authentication required' } },
        ]);
        expect((await secured.call(method, path, body)).status).toBe(401); // API Gateway: no identity source
      }
      expect(
        (await secured.call('POST', '/v1/rules', { headers: as('admin-token'), body: rule })).status,
      ).toBe(201);
      expect((await secured.call('GET', '/v1/rules', { headers: as('service-token') })).status).toBe(200);
      expect((await secured.call('DELETE', '/v1/rules', { headers: as('admin-token') })).status).toBe(204);
    } finally {
      await secured.stop();
      keystone.close();
      delete process.env.KEYSTONE_AUTH_URL;
    }
  });
});
