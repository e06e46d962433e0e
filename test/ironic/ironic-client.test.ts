/**
 * The Ironic client against the real Ironic (Debian 21.4.4): every call, paging, error decoding,
 * retries, timeouts and the three kinds of authentication.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer as createTcpServer } from 'node:net';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { basicAuth, ironicAuth, keystoneAuth } from '#lib/adapters/ironic/auth.ts';
import { IronicClient } from '#lib/adapters/ironic/client.ts';
import { secretBackedIronicAuth } from '#lib/adapters/secrets-manager.ts';
import { ConfigurationError, IronicAuthError, IronicError, IronicUnavailable } from '#lib/domain/errors.ts';
import {
  createTestNode,
  eventually,
  provision,
  recordingFetch,
  testIronic,
  uniqueMac,
} from '#test/support/ironic.ts';

const ironic = testIronic();

describe('API version', () => {
  it('negotiates the highest version both sides know and sends it on every request', async () => {
    const { fetch, requests } = recordingFetch();
    const client = testIronic({ fetch });
    expect(await client.apiVersion()).toBe('1.82');
    const node = await createTestNode(client);
    await client.getNode(node.uuid);
    await client.listPorts({ node: node.uuid });
    const apiCalls = requests.filter((r) => new URL(r.url).pathname !== '/');
    expect(apiCalls).toHaveLength(3);
    for (const r of apiCalls) expect(r.headers['x-openstack-ironic-api-version']).toBe('1.82');
    expect(requests.filter((r) => new URL(r.url).pathname === '/')).toHaveLength(1); // negotiated once
  });

  it('refuses an Ironic too old for the inspector', async () => {
    const { fetch } = recordingFetch((request) =>
      new URL(request.url).pathname === '/'
        ? Response.json({ versions: [{ id: 'v1', version: '1.31', min_version: '1.1' }] })
        : undefined,
    );
    await expect(testIronic({ fetch }).getNode('x')).rejects.toThrow('the inspector needs 1.45');
  });
});

describe('nodes', () => {
  it('gets a node by UUID and by name, with field selection', async () => {
    const created = await createTestNode(ironic, { driver_info: { ipmi_address: '192.0.2.10' } });
    const byUuid = await ironic.getNode(created.uuid);
    expect(byUuid.uuid).toBe(created.uuid);
    expect(byUuid.driver_info?.ipmi_address).toBe('192.0.2.10');
    expect(byUuid.provision_state).toBe('enroll');
    const byName = await ironic.getNode(created.name as string, { fields: ['uuid'] });
    expect(byName.uuid).toBe(created.uuid);
    expect(byName.driver_info).toBeUndefined();
  });

  it('lists nodes over several pages, following next links', async () => {
    const made = await Promise.all([1, 2, 3, 4, 5].map(() => createTestNode(ironic)));
    const { fetch, requests } = recordingFetch();
    const client = testIronic({ fetch });
    const all = await client.listNodes({ fields: ['uuid', 'name'], pageSize: 2 });
    const pages = requests.filter((r) => new URL(r.url).pathname === '/v1/nodes');
    expect(pages.length).toBeGreaterThanOrEqual(3);
    expect(new Set(all.map((n) => n.uuid)).size).toBe(all.length);
    for (const node of made) expect(all.map((n) => n.uuid)).toContain(node.uuid);
    expect((await client.listNodes()).length).toBe(all.length);
  });

  it('patches a node, with reset_interfaces', async () => {
    const node = await createTestNode(ironic);
    const patched = await ironic.patchNode(node.uuid, [
      { op: 'add', path: '/properties/cpus', value: '8' },
      { op: 'add', path: '/extra/foo', value: 'bar' },
    ]);
    expect(patched.properties?.cpus).toBe('8');
    expect(patched.extra?.foo).toBe('bar');
    const reset = await ironic.patchNode(
      node.uuid,
      [{ op: 'replace', path: '/driver', value: 'fake-hardware' }],
      {
        resetInterfaces: true,
      },
    );
    expect(reset.driver).toBe('fake-hardware');
  });

  it('adds and removes traits', async () => {
    const node = await createTestNode(ironic);
    await ironic.addTrait(node.uuid, 'CUSTOM_INSPECTED');
    expect((await ironic.getNode(node.uuid)).traits).toEqual(['CUSTOM_INSPECTED']);
    await ironic.removeTrait(node.uuid, 'CUSTOM_INSPECTED');
    expect((await ironic.getNode(node.uuid)).traits).toEqual([]);
    await expect(ironic.removeTrait(node.uuid, 'CUSTOM_INSPECTED')).rejects.toMatchObject({
      ironicStatus: 404,
    });
  });

  it('sets the boot device and the power state, validates the power interface', async () => {
    const node = await createTestNode(ironic);
    await provision(ironic, node.uuid, [['manage', 'manageable']]);
    await ironic.setBootDevice(node.uuid, 'pxe', true);
    await ironic.setPowerState(node.uuid, 'power on');
    await eventually(
      () => ironic.getNode(node.uuid),
      (n) => n.power_state === 'power on',
    );
    await ironic.setPowerState(node.uuid, 'rebooting');
    await ironic.setPowerState(node.uuid, 'power off');
    await eventually(
      () => ironic.getNode(node.uuid),
      (n) => n.power_state === 'power off',
    );
    const validation = await ironic.validateNode(node.uuid);
    expect(validation.power).toEqual({ result: true, reason: null });
  });

  it('moves provision states', async () => {
    const node = await createTestNode(ironic);
    await provision(ironic, node.uuid, [
      ['manage', 'manageable'],
      ['provide', 'available'],
    ]);
    expect((await ironic.getNode(node.uuid)).provision_state).toBe('available');
  });
});

describe('ports', () => {
  it('creates, lists by node and by address, patches and deletes ports', async () => {
    const node = await createTestNode(ironic);
    const [mac1, mac2] = [uniqueMac(), uniqueMac()];
    const port1 = await ironic.createPort({
      nodeUuid: node.uuid,
      address: mac1,
      extra: { 'client-id': 'abc' },
    });
    const port2 = await ironic.createPort({ nodeUuid: node.uuid, address: mac2, pxeEnabled: false });
    expect(port1.extra).toEqual({ 'client-id': 'abc' });
    expect(port2.pxe_enabled).toBe(false);
    expect((await ironic.listPorts({ node: node.uuid, pageSize: 1 })).map((p) => p.address).sort()).toEqual(
      [mac1, mac2].sort(),
    );
    expect((await ironic.listPorts({ node: node.name as string })).length).toBe(2);
    const byAddress = await ironic.listPorts({ address: mac1 });
    expect(byAddress.map((p) => p.uuid)).toEqual([port1.uuid]);
    expect(byAddress[0]?.node_uuid).toBe(node.uuid);
    const patched = await ironic.patchPort(port2.uuid, [
      { op: 'replace', path: '/pxe_enabled', value: true },
    ]);
    expect(patched.pxe_enabled).toBe(true);
    await ironic.deletePort(port1.uuid);
    expect(await ironic.listPorts({ address: mac1 })).toEqual([]);
  });
});

describe('errors', () => {
  it('decodes a 404 (error_message is JSON inside JSON)', async () => {
    const missing = '2c8f0b53-5a2f-4d8f-9e8e-000000000000';
    const error = await ironic.getNode(missing).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IronicError);
    expect(error).toMatchObject({ ironicStatus: 404, faultString: `Node ${missing} could not be found.` });
  });

  it('decodes a 400: a port for an unknown node', async () => {
    const error = await ironic
      .createPort({ nodeUuid: '2c8f0b53-5a2f-4d8f-9e8e-000000000001', address: uniqueMac() })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ ironicStatus: 400, httpStatus: 400 });
    expect((error as IronicError).faultString).toMatch(/node/i);
  });

  it('decodes a 409: a duplicate MAC', async () => {
    const node = await createTestNode(ironic);
    const mac = uniqueMac();
    await ironic.createPort({ nodeUuid: node.uuid, address: mac });
    const error = await ironic.createPort({ nodeUuid: node.uuid, address: mac }).catch((e: unknown) => e);
    expect(error).toMatchObject({ ironicStatus: 409 });
    expect((error as IronicError).faultString).toContain('already exists');
    expect((error as IronicError).nodeLocked).toBe(false);
  });

  it('retries a request Ironic refuses with "node is locked", with backoff', async () => {
    const node = await createTestNode(ironic);
    const locked = () =>
      Response.json(
        {
          error_message: JSON.stringify({
            faultcode: 'Client',
            faultstring: `Node ${node.uuid} is locked by host conductor-1, please retry after the current operation is completed.`,
            debuginfo: null,
          }),
        },
        { status: 409 },
      );
    let refusals = 2;
    const { fetch, requests } = recordingFetch((request) =>
      request.method === 'PATCH' && refusals-- > 0 ? locked() : undefined,
    );
    const client = testIronic({ fetch, lockedBackoffMs: 20 });
    const patched = await client.patchNode(node.uuid, [{ op: 'add', path: '/extra/x', value: 1 }]);
    expect(patched.extra?.x).toBe(1);
    expect(requests.filter((r) => r.method === 'PATCH')).toHaveLength(3);

    const always = recordingFetch((request) => (request.method === 'PATCH' ? locked() : undefined));
    const giveUp = testIronic({ fetch: always.fetch, lockedAttempts: 3, lockedBackoffMs: 1 });
    const error = await giveUp.patchNode(node.uuid, []).catch((e: unknown) => e);
    expect(error).toMatchObject({ ironicStatus: 409, nodeLocked: true });
    expect(always.requests.filter((r) => r.method === 'PATCH')).toHaveLength(3);
  });

  it('does not retry any other error', async () => {
    const { fetch, requests } = recordingFetch();
    const client = testIronic({ fetch });
    await expect(client.getNode('2c8f0b53-5a2f-4d8f-9e8e-000000000002')).rejects.toThrow(IronicError);
    expect(requests.filter((r) => new URL(r.url).pathname.startsWith('/v1/'))).toHaveLength(1);
  });

  it('names the URL when Ironic is unreachable, and times out a silent one', async () => {
    const refused = new IronicClient({ url: 'http://127.0.0.1:1' });
    const error = await refused.getNode('x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IronicUnavailable);
    expect((error as Error).message).toContain('Ironic is not reachable at http://127.0.0.1:1');
    expect((error as IronicUnavailable).httpStatus).toBe(503);

    const silent = createTcpServer(() => {}); // accepts, never answers
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as AddressInfo).port;
    try {
      const slow = new IronicClient({ url: `http://127.0.0.1:${port}`, timeoutMs: 300 });
      await expect(slow.getNode('x')).rejects.toThrow('no answer within 300 ms');
    } finally {
      silent.close();
    }
  });
});

describe('authentication', () => {
  const basicUrl = () => inject('ironicBasicUrl');
  const credentials = () => inject('ironicBasicCredentials');

  it('HTTP basic: the right credentials pass, wrong ones get 401', async () => {
    const good = new IronicClient({ url: basicUrl(), auth: basicAuth(credentials()) });
    const node = await good.createNode({ driver: 'fake-hardware' });
    expect((await good.getNode(node.uuid)).uuid).toBe(node.uuid);

    const bad = new IronicClient({
      url: basicUrl(),
      auth: basicAuth({ username: credentials().username, password: 'wrong' }),
    });
    await expect(bad.getNode(node.uuid)).rejects.toMatchObject({ ironicStatus: 401 });
    const none = new IronicClient({ url: basicUrl() });
    await expect(none.getNode(node.uuid)).rejects.toMatchObject({ ironicStatus: 401 });
  });

  it('validates a credentials document and names what is wrong', () => {
    expect(() => ironicAuth('http_basic', '{"username": "x"}')).toThrow(ConfigurationError);
    expect(() => ironicAuth('http_basic', '{"username": "x"}')).toThrow(
      'IRONIC_CREDENTIALS for http_basic: password',
    );
    expect(() => ironicAuth('keystone', 'not json')).toThrow('not a JSON document');
    expect(ironicAuth('none', undefined).type).toBe('none');
  });

  describe('Keystone v3', () => {
    // No Keystone in Debian's reach here without Apache: a small stand-in speaks the one call the
    // client makes (POST /v3/auth/tokens); Ironic itself is the real one.
    let keystone: Server;
    let keystoneUrl: string;
    const issued: Array<{ token: string; body: unknown }> = [];
    let ttlMs = 3_600_000;
    let refuse = false;

    beforeAll(async () => {
      keystone = createServer((req, res) => {
        let body = '';
        req.on('data', (d) => {
          body += d;
        });
        req.on('end', () => {
          if (req.method !== 'POST' || req.url !== '/v3/auth/tokens') {
            res.writeHead(404).end();
            return;
          }
          if (refuse) {
            res.writeHead(401, { 'Content-Type': 'application/json' }).end('{"error": {"code": 401}}');
            return;
          }
          const token = `token-${issued.length + 1}`;
          issued.push({ token, body: JSON.parse(body) });
          res
            .writeHead(201, { 'Content-Type': 'application/json', 'X-Subject-Token': token })
            .end(JSON.stringify({ token: { expires_at: new Date(Date.now() + ttlMs).toISOString() } }));
        });
      });
      await new Promise<void>((resolve) => keystone.listen(0, '127.0.0.1', resolve));
      keystoneUrl = `http://127.0.0.1:${(keystone.address() as AddressInfo).port}/v3`;
    });
    afterAll(() => keystone.close());

    const keystoneCredentials = () => ({
      auth_url: keystoneUrl,
      username: 'ironic-inspector',
      password: 'secret',
      user_domain_name: 'Default',
      project_name: 'service',
      project_domain_name: 'Default',
    });

    it('gets a token with the password, sends it, and caches it until it expires', async () => {
      issued.length = 0;
      ttlMs = 3_600_000;
      let now = Date.now();
      const { fetch, requests } = recordingFetch();
      const client = testIronic({ fetch, auth: keystoneAuth(keystoneCredentials(), { now: () => now }) });
      const node = await createTestNode(client);
      await client.getNode(node.uuid);
      expect(issued).toHaveLength(1);
      expect(issued[0]?.body).toMatchObject({
        auth: {
          identity: {
            methods: ['password'],
            password: { user: { name: 'ironic-inspector', password: 'secret' } },
          },
          scope: { project: { name: 'service', domain: { name: 'Default' } } },
        },
      });
      const apiCalls = requests.filter((r) => new URL(r.url).pathname.startsWith('/v1/'));
      for (const r of apiCalls) expect(r.headers['x-auth-token']).toBe('token-1');

      now += 3_600_000; // past expiry: a new token before the next call
      await client.getNode(node.uuid);
      expect(issued).toHaveLength(2);
      expect(requests.at(-1)?.headers['x-auth-token']).toBe('token-2');
    });

    it('refreshes the token once when Ironic answers 401, and gives up after the second', async () => {
      issued.length = 0;
      const unauthorized = () =>
        Response.json(
          { error_message: JSON.stringify({ faultcode: 'Client', faultstring: 'Authentication required' }) },
          { status: 401 },
        );
      let refusals = 1;
      const once = recordingFetch((request) =>
        new URL(request.url).pathname.startsWith('/v1/nodes') && refusals-- > 0 ? unauthorized() : undefined,
      );
      const client = testIronic({ fetch: once.fetch, auth: keystoneAuth(keystoneCredentials()) });
      const node = await createTestNode(client);
      expect(node.uuid).toBeDefined();
      expect(issued.map((i) => i.token)).toEqual(['token-1', 'token-2']);
      const posts = once.requests.filter((r) => r.method === 'POST');
      expect(posts.map((r) => r.headers['x-auth-token'])).toEqual(['token-1', 'token-2']);

      const always = recordingFetch((request) =>
        new URL(request.url).pathname.startsWith('/v1/') ? unauthorized() : undefined,
      );
      const stubborn = testIronic({ fetch: always.fetch, auth: keystoneAuth(keystoneCredentials()) });
      await expect(stubborn.getNode(node.uuid)).rejects.toMatchObject({ ironicStatus: 401 });
      expect(always.requests.filter((r) => new URL(r.url).pathname.startsWith('/v1/'))).toHaveLength(2);
    });

    it('reports refused credentials clearly', async () => {
      refuse = true;
      try {
        const client = testIronic({ auth: keystoneAuth(keystoneCredentials()) });
        const error = await client.getNode('x').catch((e: unknown) => e);
        expect(error).toBeInstanceOf(IronicAuthError);
        expect((error as Error).message).toContain('Keystone refused the Ironic credentials (401');
      } finally {
        refuse = false;
      }
    });
  });

  describe('credentials from Secrets Manager', () => {
    // No Secrets Manager here: a stand-in answers GetSecretValue (the AWS JSON protocol) so the real
    // SDK client is exercised over HTTP; the credentials then open the real Ironic (http_basic).
    let secrets: Server;
    let endpoint: string;
    let calls = 0;

    beforeAll(async () => {
      secrets = createServer((req, res) => {
        let body = '';
        req.on('data', (d) => {
          body += d;
        });
        req.on('end', () => {
          calls++;
          const target = req.headers['x-amz-target'];
          const { SecretId } = JSON.parse(body) as { SecretId: string };
          if (target !== 'secretsmanager.GetSecretValue' || SecretId !== 'ironic-credentials') {
            res
              .writeHead(400, { 'Content-Type': 'application/x-amz-json-1.1' })
              .end(JSON.stringify({ __type: 'ResourceNotFoundException', message: 'not found' }));
            return;
          }
          res.writeHead(200, { 'Content-Type': 'application/x-amz-json-1.1' }).end(
            JSON.stringify({
              ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ironic-credentials',
              Name: 'ironic-credentials',
              SecretString: JSON.stringify(credentials()),
            }),
          );
        });
      });
      await new Promise<void>((resolve) => secrets.listen(0, '127.0.0.1', resolve));
      endpoint = `http://127.0.0.1:${(secrets.address() as AddressInfo).port}`;
    });
    afterAll(() => secrets.close());

    it('fetches the secret once per container and authenticates with it', async () => {
      calls = 0;
      const client = new IronicClient({
        url: basicUrl(),
        auth: secretBackedIronicAuth(
          new SecretsManagerClient({ endpoint, region: 'us-east-1' }),
          'ironic-credentials',
          'http_basic',
        ),
      });
      const node = await client.createNode({ driver: 'fake-hardware' });
      await client.getNode(node.uuid);
      await client.listPorts({ node: node.uuid });
      expect(calls).toBe(1);
    });

    it('fails clearly for a missing secret, and tries again on the next call', async () => {
      calls = 0;
      const client = new IronicClient({
        url: basicUrl(),
        auth: secretBackedIronicAuth(
          new SecretsManagerClient({ endpoint, region: 'us-east-1' }),
          'nope',
          'http_basic',
        ),
      });
      await expect(client.listNodes()).rejects.toThrow('not found');
      await expect(client.listNodes()).rejects.toThrow('not found');
      expect(calls).toBe(2);
    });
  });
});
