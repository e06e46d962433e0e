/**
 * `GET /v1/pxe-filter`: the computation (upstream's dnsmasq driver rules), then the endpoint through
 * the local stack (real handlers, DynamoDB Local, an in-memory Ironic): the allow and deny sets through
 * a whole introspection, the ETag and its 304, discovery, Ironic unreachable, and the policy under
 * each auth mode.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IronicUnavailable } from '#lib/domain/errors.ts';
import { canonicalBody, entityTag, ifNoneMatchHits, pxeFilter } from '#lib/pxe-filter/pxe-filter.ts';
import { FakeIronic } from '#test/support/fake-ironic.ts';
import { ramdiskCallback, startTestStack, type TestStack } from '#test/support/stack.ts';

describe('the filter, as upstream computes the hosts directory', () => {
  it('allows active MACs (ports or not), denies the other ports, normalizes and drops non-MACs', () => {
    expect(
      pxeFilter({
        activeMacs: ['52:54:00:00:00:02', '52:54:00:00:00:09'],
        ironicMacs: [
          '52:54:00:00:00:03',
          '52:54:00:00:00:02',
          '52:54:00:00:00:01',
          'AA:BB:CC:DD:EE:FF',
          'x/../y',
        ],
        introspectionActive: true,
        discovery: false,
      }),
    ).toEqual({
      allowed_macs: ['52:54:00:00:00:02', '52:54:00:00:00:09'],
      denied_macs: ['52:54:00:00:00:01', '52:54:00:00:00:03', 'aa:bb:cc:dd:ee:ff'],
      unknown_macs: 'allow',
    });
  });

  it.each([
    [false, false, 'deny'],
    [true, false, 'allow'],
    [false, true, 'allow'],
    [true, true, 'allow'],
  ] as const)(
    'unknown MACs with introspection active %s and discovery %s: %s',
    (active, discovery, policy) => {
      expect(
        pxeFilter({ activeMacs: [], ironicMacs: [], introspectionActive: active, discovery }).unknown_macs,
      ).toBe(policy);
    },
  );

  it('one body and one strong ETag per answer, whatever the order', () => {
    const a = canonicalBody({ allowed_macs: ['b', 'a'], denied_macs: [], unknown_macs: 'deny' });
    const b = canonicalBody({ allowed_macs: ['a', 'b'], denied_macs: [], unknown_macs: 'deny' });
    expect(a).toBe(b);
    expect(entityTag(a)).toBe(entityTag(b));
    expect(entityTag(a)).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
    expect(entityTag(a)).not.toBe(
      entityTag(canonicalBody({ allowed_macs: ['a', 'b'], denied_macs: [], unknown_macs: 'allow' })),
    );
  });

  it('If-None-Match: *, lists, weak tags compare weakly', () => {
    const tag = '"abc"';
    expect(ifNoneMatchHits(undefined, tag)).toBe(false);
    expect(ifNoneMatchHits('*', tag)).toBe(true);
    expect(ifNoneMatchHits('"x", "abc"', tag)).toBe(true);
    expect(ifNoneMatchHits('W/"abc"', tag)).toBe(true);
    expect(ifNoneMatchHits('"abcd"', tag)).toBe(false);
  });
});

type Filter = { allowed_macs: string[]; denied_macs: string[]; unknown_macs: string };

describe('GET /v1/pxe-filter through a whole introspection', () => {
  const ironic = new FakeIronic();
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ ironic });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const filter = async (headers: Record<string, string> = {}) => {
    const response = await stack.call('GET', '/v1/pxe-filter', { headers });
    return { ...response, filter: response.json as Filter, etag: response.headers.get('etag') };
  };

  it('idle: every port denied; start: the node’s MACs allowed; finished: denied again; ETags follow', async () => {
    const a: [string, string] = ['52:54:00:ae:00:01', '52:54:00:ae:00:02'];
    const b: [string, string] = ['52:54:00:ae:00:03', '52:54:00:ae:00:04'];
    const nodeA = ironic.addNode({ driver_info: { ipmi_address: '192.0.2.221' } }, a);
    ironic.addNode({ driver_info: { ipmi_address: '192.0.2.222' } }, b);

    const idle = await filter();
    expect(idle.status).toBe(200);
    expect(idle.headers.get('content-type')).toBe('application/json');
    expect(idle.headers.get('cache-control')).toBe('no-cache');
    expect(idle.headers.get('x-openstack-ironic-inspector-api-maximum-version')).toBe('1.18');
    expect(idle.filter).toEqual({ allowed_macs: [], denied_macs: [...a, ...b], unknown_macs: 'deny' });
    expect(idle.etag).toBe(entityTag(idle.text));
    // Ironic's ports are listed once per request, addresses only.
    expect(ironic.callsOf('listPorts').at(-1)?.args).toEqual([{ fields: ['address'] }]);

    const unchanged = await filter({ 'If-None-Match': idle.etag as string });
    expect(unchanged.status).toBe(304);
    expect(unchanged.text).toBe('');
    expect(unchanged.etag).toBe(idle.etag);

    expect((await stack.call('POST', `/v1/introspection/${nodeA.uuid}`)).status).toBe(202);
    await stack.idle();
    const waiting = await filter({ 'If-None-Match': idle.etag as string });
    expect(waiting.status).toBe(200);
    expect(waiting.filter).toEqual({ allowed_macs: a, denied_macs: b, unknown_macs: 'allow' });
    expect(waiting.etag).not.toBe(idle.etag);
    expect((await filter({ 'If-None-Match': `"other", ${waiting.etag}` })).status).toBe(304);

    const done = await stack.call('POST', '/v1/continue', { body: await ramdiskCallback(a, '192.0.2.221') });
    expect(done.status).toBe(200);
    await stack.idle();
    expect((await stack.call('GET', `/v1/introspection/${nodeA.uuid}`)).json).toMatchObject({
      state: 'finished',
    });
    const finished = await filter({ 'If-None-Match': waiting.etag as string });
    expect(finished.status).toBe(200);
    expect(finished.filter).toEqual(idle.filter);
    expect(finished.etag).toBe(idle.etag);

    // A port Ironic gains is denied at once.
    ironic.addNode({}, ['52:54:00:ae:00:05']);
    const grown = await filter({ 'If-None-Match': idle.etag as string });
    expect(grown.status).toBe(200);
    expect(grown.filter.denied_macs).toContain('52:54:00:ae:00:05');
  });

  it('an aborted introspection leaves nothing allowed', async () => {
    const macs: [string, string] = ['52:54:00:ae:00:11', '52:54:00:ae:00:12'];
    const node = ironic.addNode({ driver_info: { ipmi_address: '192.0.2.223' } }, macs);
    expect((await stack.call('POST', `/v1/introspection/${node.uuid}`)).status).toBe(202);
    await stack.idle();
    expect((await filter()).filter.allowed_macs).toEqual(macs);
    expect((await stack.call('POST', `/v1/introspection/${node.uuid}/abort`)).status).toBe(202);
    await stack.idle();
    const after = (await filter()).filter;
    expect(after.allowed_macs).toEqual([]);
    expect(after.denied_macs).toEqual(expect.arrayContaining(macs));
    expect(after.unknown_macs).toBe('deny');
  });

  it('Ironic unreachable: 503 in the inspector’s format', async () => {
    ironic.failures.set('listPorts', [new IronicUnavailable(ironic.url, 'connection refused')]);
    const response = await stack.call('GET', '/v1/pxe-filter');
    expect(response.status).toBe(503);
    expect(response.json).toEqual({
      error: { message: `Ironic is not reachable at ${ironic.url}: connection refused` },
    });
  });

  it('is not listed among the resources of /v1 (upstream’s answer stays as it is)', async () => {
    const v1 = (await stack.call('GET', '/v1')).json as { resources: Array<{ name: string }> };
    expect(v1.resources.map((r) => r.name)).toEqual(['continue', 'introspection']);
    expect((await stack.call('POST', '/v1/pxe-filter')).status).toBe(405);
  });
});

describe('discovery on', () => {
  it('unknown MACs are allowed with no introspection active', async () => {
    const ironic = new FakeIronic();
    ironic.addNode({}, ['52:54:00:af:00:01']);
    const stack = await startTestStack({ ironic, env: { NODE_NOT_FOUND_HOOK: 'enroll' } });
    try {
      expect((await stack.call('GET', '/v1/pxe-filter')).json).toEqual({
        allowed_macs: [],
        denied_macs: ['52:54:00:af:00:01'],
        unknown_macs: 'allow',
      });
    } finally {
      await stack.stop();
    }
  });
});

describe('the policy per auth mode (behind the local stack’s authorizer, as API Gateway)', () => {
  it('http_basic: 401 without or with wrong credentials, 200 with the right ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'htpasswd-'));
    const file = join(dir, 'htpasswd');
    writeFileSync(file, `agent:${bcrypt.hashSync('secret', 4)}\n`);
    process.env.HTPASSWD_FILE = file;
    const stack = await startTestStack({
      ironic: new FakeIronic(),
      env: { API_AUTH_STRATEGY: 'http_basic' },
    });
    try {
      const basic = (password: string) => ({
        Authorization: `Basic ${Buffer.from(`agent:${password}`).toString('base64')}`,
      });
      expect((await stack.call('GET', '/v1/pxe-filter')).status).toBe(401);
      const wrong = await stack.call('GET', '/v1/pxe-filter', { headers: basic('wrong') });
      expect([wrong.status, wrong.json]).toEqual([401, { error: { message: 'Authentication required' } }]);
      expect((await stack.call('GET', '/v1/pxe-filter', { headers: basic('secret') })).status).toBe(200);
    } finally {
      await stack.stop();
      delete process.env.HTPASSWD_FILE;
    }
  });

  it('keystone: introspection:pxe_filter is the reader rule (system reader, admin, service; not member)', async () => {
    const tokens: Record<string, { roles: string[]; system: boolean }> = {
      'system-reader': { roles: ['reader'], system: true },
      'project-reader': { roles: ['reader'], system: false },
      admin: { roles: ['admin'], system: false },
      service: { roles: ['service'], system: false },
      member: { roles: ['member'], system: true },
    };
    const keystone = createServer((req, res) => {
      const token = tokens[String(req.headers['x-subject-token'])];
      if (token === undefined) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(
        JSON.stringify({
          token: {
            expires_at: new Date(Date.now() + 3_600_000).toISOString(),
            roles: token.roles.map((name) => ({ name })),
            ...(token.system ? { system: { all: true } } : { project: { id: 'p1' } }),
          },
        }),
      );
    });
    await new Promise<void>((resolve) => keystone.listen(0, '127.0.0.1', resolve));
    process.env.KEYSTONE_AUTH_URL = `http://127.0.0.1:${(keystone.address() as AddressInfo).port}/v3`;
    const stack = await startTestStack({ ironic: new FakeIronic(), env: { API_AUTH_STRATEGY: 'keystone' } });
    try {
      const as = async (token: string) =>
        (await stack.call('GET', '/v1/pxe-filter', { headers: { 'X-Auth-Token': token } })).status;
      expect(await as('forged')).toBe(401);
      expect(await as('system-reader')).toBe(200);
      expect(await as('admin')).toBe(200);
      expect(await as('service')).toBe(200);
      expect(await as('project-reader')).toBe(403);
      expect(await as('member')).toBe(403);
    } finally {
      await stack.stop();
      keystone.close();
      delete process.env.KEYSTONE_AUTH_URL;
    }
  });

  it('noauth: open', async () => {
    const stack = await startTestStack({ ironic: new FakeIronic() });
    try {
      expect((await stack.call('GET', '/v1/pxe-filter')).status).toBe(200);
    } finally {
      await stack.stop();
    }
  });
});
