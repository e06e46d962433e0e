/**
 * API behaviour that depends on settings (a stack per setting, on the in-memory stores), and how
 * requests are read behind API Gateway stages and proxies.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import bcrypt from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import { requestFromEvent } from '#lib/http/request.ts';
import { FakeIronic } from '#test/support/fake-ironic.ts';
import { ramdiskCallback, startTestStack } from '#test/support/stack.ts';

describe('can_manage_boot = false', () => {
  it('refuses managed boot, accepts manage_boot=0', async () => {
    const ironic = new FakeIronic();
    const stack = await startTestStack({ ironic, env: { CAN_MANAGE_BOOT: 'false' } });
    try {
      const node = ironic.addNode({ driver_info: { ipmi_address: '192.0.2.50' } }, ['52:54:00:20:00:01']);
      const refused = await stack.call('POST', `/v1/introspection/${node.uuid}`);
      expect(refused.status).toBe(400);
      expect(refused.json).toEqual({
        error: {
          message:
            'Managed boot is requested, but this installation cannot manage boot ((can_manage_boot set to False)',
        },
      });
      expect(ironic.callsOf('getNode')).toHaveLength(0);
      expect((await stack.call('POST', `/v1/introspection/${node.uuid}?manage_boot=0`)).status).toBe(202);
    } finally {
      await stack.stop();
    }
  });
});

describe('authentication behind API Gateway (the local stack runs the authorizer as API Gateway does)', () => {
  it('http_basic: public routes need nothing; protected ones 401 without or with wrong credentials', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'htpasswd-'));
    const file = join(dir, 'htpasswd');
    writeFileSync(file, `operator:${bcrypt.hashSync('secret', 4).replace('$2b$', '$2y$')}\n`);
    process.env.HTPASSWD_FILE = file;
    const ironic = new FakeIronic();
    const stack = await startTestStack({ ironic, env: { API_AUTH_STRATEGY: 'http_basic' } });
    try {
      const basic = (user: string, password: string) => ({
        Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
      });
      expect((await stack.call('GET', '/')).status).toBe(200);
      expect((await stack.call('GET', '/v1')).status).toBe(200);
      expect((await stack.call('POST', '/v1/continue', { body: 42 })).status).toBe(400); // reached the api
      expect((await stack.call('GET', '/v1/introspection')).status).toBe(401);
      const wrong = await stack.call('GET', '/v1/introspection', { headers: basic('operator', 'wrong') });
      expect(wrong.status).toBe(401);
      expect(wrong.json).toEqual({ error: { message: 'Authentication required' } });
      expect(wrong.headers.get('x-openstack-ironic-inspector-api-maximum-version')).toBe('1.18');
      const right = await stack.call('GET', '/v1/introspection', { headers: basic('operator', 'secret') });
      expect(right.status).toBe(200);
      const node = ironic.addNode({ driver_info: { ipmi_address: '192.0.2.60' } });
      expect(
        (await stack.call('POST', `/v1/introspection/${node.uuid}`, { headers: basic('operator', 'secret') }))
          .status,
      ).toBe(202);
    } finally {
      await stack.stop();
      delete process.env.HTPASSWD_FILE;
    }
  });

  it('keystone: 401 for a bad token, 403 "Access denied by policy" for a reader acting, 202 for an admin', async () => {
    const keystone = createServer((req, res) => {
      const token = String(req.headers['x-subject-token']);
      const roles = token === 'admin-token' ? ['admin'] : token === 'reader-token' ? ['reader'] : undefined;
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
    const ironic = new FakeIronic();
    const stack = await startTestStack({ ironic, env: { API_AUTH_STRATEGY: 'keystone' } });
    try {
      const node = ironic.addNode({ driver_info: { ipmi_address: '192.0.2.61' } });
      const as = (token: string) => ({ 'X-Auth-Token': token });
      const forged = await stack.call('GET', '/v1/introspection', { headers: as('forged') });
      expect([forged.status, forged.json]).toEqual([401, { error: { message: 'Authentication required' } }]);
      expect((await stack.call('GET', '/v1/introspection', { headers: as('reader-token') })).status).toBe(
        200,
      );
      const denied = await stack.call('POST', `/v1/introspection/${node.uuid}`, {
        headers: as('reader-token'),
      });
      expect([denied.status, denied.json]).toEqual([403, { error: { message: 'Access denied by policy' } }]);
      const data = await stack.call('GET', `/v1/introspection/${node.uuid}/data`, {
        headers: as('reader-token'),
      });
      expect(data.status).toBe(403);
      expect(ironic.callsOf('getNode')).toHaveLength(0); // refused before anything was done
      expect(
        (await stack.call('POST', `/v1/introspection/${node.uuid}`, { headers: as('admin-token') })).status,
      ).toBe(202);
    } finally {
      await stack.stop();
      keystone.close();
      delete process.env.KEYSTONE_AUTH_URL;
    }
  });
});

describe('store_data = none', () => {
  it('data endpoints are 404; reapply needs a body, and runs on it', async () => {
    const ironic = new FakeIronic();
    const stack = await startTestStack({ ironic, env: { STORE_DATA: 'none' } });
    try {
      const macs: [string, string] = ['52:54:00:21:00:01', '52:54:00:21:00:02'];
      const node = ironic.addNode({ driver_info: { ipmi_address: '192.0.2.51' } }, [...macs]);
      await stack.call('POST', `/v1/introspection/${node.uuid}`);
      await stack.idle();
      const body = await ramdiskCallback(macs, '192.0.2.51');
      expect((await stack.call('POST', '/v1/continue', { body })).status).toBe(200);
      await stack.idle();
      const message =
        'Inspector is not configured to store data. Set the [processing]store_data configuration option to change this.';
      for (const path of ['data', 'data/unprocessed']) {
        const response = await stack.call('GET', `/v1/introspection/${node.uuid}/${path}`);
        expect([response.status, response.json]).toEqual([404, { error: { message } }]);
      }
      const noBody = await stack.call('POST', `/v1/introspection/${node.uuid}/data/unprocessed`);
      expect([noBody.status, noBody.json]).toEqual([
        400,
        {
          error: {
            message:
              'Inspector is not configured to store introspection data. Set the [processing]store_data configuration option to change this.',
          },
        },
      ]);
      const withBody = await stack.call('POST', `/v1/introspection/${node.uuid}/data/unprocessed`, { body });
      expect(withBody.status).toBe(202);
      await stack.idle();
      expect(
        ((await stack.call('GET', `/v1/introspection/${node.uuid}`)).json as { state: string }).state,
      ).toBe('finished');
    } finally {
      await stack.stop();
    }
  });
});

describe('unexpected errors', () => {
  it('are 500 "Internal server error", with the class and text when debug is on', async () => {
    for (const debug of ['false', 'true']) {
      const ironic = new FakeIronic();
      const stack = await startTestStack({ ironic, env: { DEBUG: debug } });
      try {
        const node = ironic.addNode({ driver_info: { ipmi_address: '192.0.2.52' } });
        ironic.failures.set('getNode', [new RangeError('boom')]);
        const response = await stack.call('POST', `/v1/introspection/${node.uuid}`);
        expect(response.status).toBe(500);
        expect(response.json).toEqual({
          error: {
            message: debug === 'true' ? 'Internal server error (RangeError): boom' : 'Internal server error',
          },
        });
      } finally {
        await stack.stop();
      }
    }
  });

  it('Ironic unreachable: a start fails naming the URL; status, list and data still answer', async () => {
    const stack = await startTestStack({ env: { IRONIC_URL: 'http://127.0.0.1:1' } });
    try {
      const uuid = randomUUID();
      const start = await stack.call('POST', `/v1/introspection/${uuid}`);
      expect(start.status).toBe(503);
      expect((start.json as { error: { message: string } }).error.message).toMatch(
        /^Ironic is not reachable at http:\/\/127\.0\.0\.1:1: /,
      );
      await stack.runtime.nodeCache.addNode(uuid, 'waiting');
      expect((await stack.call('GET', `/v1/introspection/${uuid}`)).status).toBe(200);
      expect((await stack.call('GET', '/v1/introspection')).status).toBe(200);
      expect((await stack.call('GET', `/v1/introspection/${uuid}/data`)).status).toBe(404);
    } finally {
      await stack.stop();
    }
  });
});

describe('requests behind API Gateway', () => {
  const event = (overrides: Partial<APIGatewayProxyEventV2> & { stage?: string }): APIGatewayProxyEventV2 =>
    ({
      version: '2.0',
      routeKey: '$default',
      rawPath: '/v1/introspection/',
      rawQueryString: 'limit=5&state=error',
      headers: {
        host: 'abc123.execute-api.eu-west-1.amazonaws.com',
        'x-forwarded-proto': 'https',
        'x-forwarded-port': '443',
      },
      requestContext: {
        accountId: '1',
        apiId: 'abc123',
        domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
        domainPrefix: 'abc123',
        http: {
          method: 'get',
          path: '/v1/introspection/',
          protocol: 'HTTP/1.1',
          sourceIp: '10.0.0.1',
          userAgent: 'x',
        },
        requestId: 'req-1',
        routeKey: '$default',
        stage: overrides.stage ?? '$default',
        time: '',
        timeEpoch: 0,
      },
      isBase64Encoded: false,
      ...overrides,
    }) as APIGatewayProxyEventV2;

  it('strips a named stage from the path and keeps it in links', () => {
    const request = requestFromEvent(event({ rawPath: '/prod/v1/introspection/', stage: 'prod' }));
    expect(request.path).toBe('/v1/introspection');
    expect(request.root).toBe('https://abc123.execute-api.eu-west-1.amazonaws.com/prod');
    expect(request.method).toBe('GET');
    expect(request.query).toEqual({ limit: '5', state: 'error' });
  });

  it('uses the last hop of forwarded headers, a non-default port and a prefix; decodes base64 bodies', () => {
    const request = requestFromEvent(
      event({
        headers: {
          host: 'internal:8080',
          'x-forwarded-proto': 'http, https',
          'x-forwarded-host': 'spoofed, inspector.example.com',
          'x-forwarded-port': '8443',
          'x-forwarded-prefix': '/baremetal-introspection/',
        },
        body: Buffer.from('{"a":1}').toString('base64'),
        isBase64Encoded: true,
      }),
    );
    expect(request.root).toBe('https://inspector.example.com:8443/baremetal-introspection');
    expect(request.body).toBe('{"a":1}');
  });
});

describe('introspection_delay', () => {
  it('spaces the reboots of concurrent starts, across workers, by holding their jobs back', async () => {
    const ironic = new FakeIronic();
    const stack = await startTestStack({ ironic, env: { INTROSPECTION_DELAY: '1' } });
    try {
      const nodes = [1, 2, 3].map((i) => ironic.addNode({ driver_info: { ipmi_address: `192.0.2.7${i}` } }));
      const reboots: number[] = [];
      const original = ironic.setPowerState.bind(ironic);
      ironic.setPowerState = async (id, target) => {
        if (target === 'rebooting') reboots.push(Date.now());
        return original(id, target);
      };
      await Promise.all(nodes.map((n) => stack.call('POST', `/v1/introspection/${n.uuid}`)));
      await stack.idle();
      expect(reboots).toHaveLength(3);
      reboots.sort((a, b) => a - b);
      expect((reboots[1] as number) - (reboots[0] as number)).toBeGreaterThanOrEqual(900);
      expect((reboots[2] as number) - (reboots[1] as number)).toBeGreaterThanOrEqual(900);
    } finally {
      await stack.stop();
    }
  });
});

describe('pci_devices', () => {
  it("counts the ramdisk's pci_devices (top-level data) against the aliases, as capabilities", async () => {
    const ironic = new FakeIronic();
    const stack = await startTestStack({
      ironic,
      env: { PCI_DEVICES_ALIASES: '[{"vendor_id":"10de","product_id":"1eb8","name":"gpu_t4"}]' },
    });
    try {
      const macs: [string, string] = ['52:54:00:22:00:01', '52:54:00:22:00:02'];
      const node = ironic.addNode({ driver_info: { ipmi_address: '192.0.2.80' } }, [...macs]);
      await stack.call('POST', `/v1/introspection/${node.uuid}`);
      await stack.idle();
      const body = await ramdiskCallback(macs, '192.0.2.80');
      body.pci_devices = [
        { vendor_id: '10de', product_id: '1eb8' },
        { vendor_id: '10de', product_id: '1eb8' },
        { vendor_id: '8086', product_id: '1572' },
      ];
      expect((await stack.call('POST', '/v1/continue', { body })).status).toBe(200);
      await stack.idle();
      expect(ironic.nodes.get(node.uuid)?.properties?.capabilities).toContain('gpu_t4:2');
    } finally {
      await stack.stop();
    }
  });
});
