/**
 * Introspection through the API against the real Ironic (Debian's, fake-hardware), read back from
 * Ironic itself: the boot device and the reboot a start asks for and the power-off after processing,
 * discovery (`NODE_NOT_FOUND_HOOK=enroll`, `ENROLL_NODE_DRIVER`), active introspection
 * (`PERMIT_ACTIVE_INTROSPECTION`), and how the inspector authenticates to Ironic (`IRONIC_AUTH_TYPE`
 * with `IRONIC_CREDENTIALS` or `IRONIC_CREDENTIALS_SECRET_ID`).
 *
 * Every test starts its own stack (its own table, clock and log) and its own nodes and MACs.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, inject, it } from 'vitest';
import { basicAuth } from '#lib/adapters/ironic/auth.ts';
import { IronicClient } from '#lib/adapters/ironic/client.ts';
import type { IronicNode } from '#lib/ports/ironic.ts';
import { freshBmc, processedData, statusOf, threeNicCallback } from '#test/support/introspection.ts';
import { createTestNode, eventually, provision, testIronic, uniqueMac } from '#test/support/ironic.ts';
import { startTestStack, type TestStack } from '#test/support/stack.ts';

interface Exchange {
  readonly method: string;
  readonly path: string;
  readonly body: unknown;
  readonly status: number;
}

/** An Ironic client on the real Ironic that records each request and the status Ironic answered. */
function recordedIronic(url: string): { client: IronicClient; exchanges: Exchange[] } {
  const exchanges: Exchange[] = [];
  const recording: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    exchanges.push({
      method: init?.method ?? 'GET',
      path: new URL(String(input)).pathname,
      body: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined,
      status: response.status,
    });
    return response;
  };
  return { client: new IronicClient({ url, fetch: recording, lockedBackoffMs: 200 }), exchanges };
}

async function withStack(
  env: Record<string, string>,
  run: (stack: TestStack) => Promise<void>,
  options: { ironic?: IronicClient } = {},
): Promise<void> {
  const stack = await startTestStack({
    env: { IRONIC_URL: inject('ironicUrl'), ...env },
    ...(options.ironic ? { ironic: options.ironic } : {}),
  });
  try {
    await run(stack);
  } finally {
    await stack.stop();
  }
}

/** Ironic's own answer for the node's boot device (GET …/management/boot_device). */
async function bootDeviceInIronic(uuid: string): Promise<unknown> {
  const response = await fetch(`${inject('ironicUrl')}/v1/nodes/${uuid}/management/boot_device`, {
    headers: { 'X-OpenStack-Ironic-API-Version': '1.45', Accept: 'application/json' },
  });
  expect(response.status).toBe(200);
  return response.json();
}

async function powerStateBecomes(uuid: string, state: string): Promise<IronicNode> {
  return eventually(
    () => testIronic().getNode(uuid, { fields: ['power_state', 'provision_state'] }),
    (n) => n.power_state === state,
  );
}

/** A fake-hardware node in manageable, powered off, with two ports and a unique BMC address. */
async function manageableNode(driverInfo: Record<string, unknown> = {}) {
  const ironic = testIronic();
  const nics = { pxe: uniqueMac(), addressed: uniqueMac(), unaddressed: uniqueMac() };
  const bmc = freshBmc();
  const node = await createTestNode(ironic, { driver_info: { ipmi_address: bmc, ...driverInfo } });
  for (const mac of [nics.pxe, nics.addressed])
    await ironic.createPort({ nodeUuid: node.uuid, address: mac });
  await provision(ironic, node.uuid, [['manage', 'manageable']]);
  await ironic.setPowerState(node.uuid, 'power off');
  await powerStateBecomes(node.uuid, 'power off');
  return { node, nics, bmc, callback: threeNicCallback(nics, bmc) };
}

describe('a start with managed boot, read back from Ironic', () => {
  it('the worker sets PXE boot, then reboots; after the callback the node is powered off', async () => {
    const { client, exchanges } = recordedIronic(inject('ironicUrl'));
    await withStack(
      {},
      async (stack) => {
        const { node, callback } = await manageableNode();
        const started = await stack.call('POST', `/v1/introspection/${node.uuid}`);
        expect([started.status, started.json]).toEqual([202, {}]);
        expect((await statusOf(stack, node.uuid)).state).toBe('waiting');

        // (Without the answers "node is locked", which the client waits out and sends again.)
        const actions = () => exchanges.filter((e) => e.method === 'PUT' && e.status !== 409);
        expect(actions()).toEqual([
          {
            method: 'PUT',
            path: `/v1/nodes/${node.uuid}/management/boot_device`,
            body: { boot_device: 'pxe', persistent: false },
            status: 204,
          },
          {
            method: 'PUT',
            path: `/v1/nodes/${node.uuid}/states/power`,
            body: { target: 'rebooting' },
            status: 202,
          },
        ]);
        // What Ironic now says: powered on by the reboot (it was off), booting from PXE.
        expect((await powerStateBecomes(node.uuid, 'power on')).power_state).toBe('power on');
        expect(await bootDeviceInIronic(node.uuid)).toEqual({ boot_device: 'pxe', persistent: false });

        const answer = await stack.call('POST', '/v1/continue', { body: callback });
        expect([answer.status, answer.json]).toEqual([200, { uuid: node.uuid }]);
        expect(await statusOf(stack, node.uuid)).toMatchObject({ state: 'finished', error: null });
        expect(actions().at(-1)).toEqual({
          method: 'PUT',
          path: `/v1/nodes/${node.uuid}/states/power`,
          body: { target: 'power off' },
          status: 202,
        });
        expect((await powerStateBecomes(node.uuid, 'power off')).provision_state).toBe('manageable');
      },
      { ironic: client },
    );
  });

  it('driver_info.force_persistent_boot_device asks Ironic for a persistent PXE boot', async () => {
    const { client, exchanges } = recordedIronic(inject('ironicUrl'));
    await withStack(
      {},
      async (stack) => {
        const { node } = await manageableNode({ force_persistent_boot_device: 'Always' });
        expect((await stack.call('POST', `/v1/introspection/${node.uuid}`)).status).toBe(202);
        expect((await statusOf(stack, node.uuid)).state).toBe('waiting');
        expect(
          exchanges.find((e) => e.path.endsWith('/management/boot_device') && e.status !== 409),
        ).toMatchObject({
          body: { boot_device: 'pxe', persistent: true },
          status: 204,
        });
        await powerStateBecomes(node.uuid, 'power on');
      },
      { ironic: client },
    );
  });

  it('POWER_OFF=false: after processing the node stays powered on', async () => {
    await withStack({ POWER_OFF: 'false' }, async (stack) => {
      const { node, callback } = await manageableNode();
      expect((await stack.call('POST', `/v1/introspection/${node.uuid}`)).status).toBe(202);
      expect((await statusOf(stack, node.uuid)).state).toBe('waiting');
      await powerStateBecomes(node.uuid, 'power on');
      expect((await stack.call('POST', '/v1/continue', { body: callback })).status).toBe(200);
      expect(await statusOf(stack, node.uuid)).toMatchObject({ state: 'finished', error: null });
      expect((await testIronic().getNode(node.uuid)).power_state).toBe('power on');
    });
  });
});

describe('node names', () => {
  it('a name Ironic refuses as malformed is a 400 with its reason, before anything is recorded', async () => {
    await withStack({}, async (stack) => {
      const answer = await stack.call('POST', '/v1/introspection/bad%20name');
      expect([answer.status, answer.json]).toEqual([
        400,
        { error: { message: 'Cannot get node bad name: Expected UUID or name for node: bad name' } },
      ]);
      expect((await stack.call('GET', '/v1/introspection')).json).toEqual({ introspection: [] });
    });
  });
});

describe('discovery (NODE_NOT_FOUND_HOOK=enroll)', () => {
  it('a callback from a machine Ironic does not know enrolls it, with its ports and properties', async () => {
    await withStack({ NODE_NOT_FOUND_HOOK: 'enroll' }, async (stack) => {
      const nics = { pxe: uniqueMac(), addressed: uniqueMac(), unaddressed: uniqueMac() };
      const bmc = freshBmc();
      const answer = await stack.call('POST', '/v1/continue', { body: threeNicCallback(nics, bmc) });
      expect(answer.status).toBe(200);
      const { uuid } = answer.json as { uuid: string };
      const node = await testIronic().getNode(uuid);
      expect(node).toMatchObject({
        driver: 'fake-hardware',
        driver_info: { ipmi_address: bmc },
        provision_state: 'enroll',
        properties: { cpus: '4', cpu_arch: 'x86_64', memory_mb: '8192', local_gb: '49' },
      });
      const ports = await testIronic().listPorts({ node: uuid });
      expect(ports.map((p) => [p.address, p.pxe_enabled])).toEqual([[nics.pxe, true]]);
      expect(await statusOf(stack, uuid)).toMatchObject({ state: 'finished', finished: true, error: null });
      expect((await processedData(stack, uuid)).auto_discovered).toBe(true);
    });
  });

  it('ENROLL_NODE_DRIVER: a driver this Ironic does not enable enrolls nothing', async () => {
    await withStack({ NODE_NOT_FOUND_HOOK: 'enroll', ENROLL_NODE_DRIVER: 'ipmi' }, async (stack) => {
      const nics = { pxe: uniqueMac(), addressed: uniqueMac(), unaddressed: uniqueMac() };
      const answer = await stack.call('POST', '/v1/continue', { body: threeNicCallback(nics, freshBmc()) });
      expect([answer.status, answer.json]).toEqual([
        400,
        {
          error: {
            message:
              'The following failures happened during running pre-processing hooks:\nNode not found hook returned nothing',
          },
        },
      ]);
      const failed = stack.logger
        .messages('error')
        .filter((m) => m.startsWith('Failed to create new node: '));
      expect(failed).toHaveLength(1);
      expect(failed[0]).toContain('ipmi');
      expect(await testIronic().listPorts({ address: nics.pxe })).toEqual([]);
    });
  });
});

describe('active introspection (PERMIT_ACTIVE_INTROSPECTION=true)', () => {
  /** A node deployed by Ironic (fake-hardware: manage, provide, deploy), powered on. */
  async function deployedNode() {
    const ironic = testIronic();
    const { node, nics, bmc, callback } = await manageableNode();
    await provision(ironic, node.uuid, [
      ['provide', 'available'],
      ['active', 'active'],
    ]);
    await ironic.setPowerState(node.uuid, 'power on');
    await powerStateBecomes(node.uuid, 'power on');
    return { node, nics, bmc, callback };
  }

  it('refused without the setting: a deployed node cannot be started', async () => {
    await withStack({}, async (stack) => {
      const { node } = await deployedNode();
      const refused = await stack.call('POST', `/v1/introspection/${node.uuid}`);
      expect(refused.status).toBe(400);
      expect((refused.json as { error: { message: string } }).error.message).toMatch(
        /^Invalid provision state for introspection: "active"/,
      );
    });
  });

  it('a callback from a deployed node nobody started is recorded and processed; it stays active and on', async () => {
    await withStack({ PERMIT_ACTIVE_INTROSPECTION: 'true', KEEP_PORTS: 'added' }, async (stack) => {
      const { node, nics, callback } = await deployedNode();
      const answer = await stack.call('POST', '/v1/continue', { body: callback });
      expect([answer.status, answer.json]).toEqual([200, { uuid: node.uuid }]);
      expect(await statusOf(stack, node.uuid)).toMatchObject({ state: 'finished', error: null });
      const after = await testIronic().getNode(node.uuid);
      expect(after).toMatchObject({
        provision_state: 'active',
        power_state: 'power on',
        properties: { cpus: '4', memory_mb: '8192', local_gb: '49' },
      });
      // keep_ports does not touch a deployed node's ports.
      const ports = (await testIronic().listPorts({ node: node.uuid })).map((p) => p.address).sort();
      expect(ports).toEqual([nics.pxe, nics.addressed].sort());
    });
  });

  it('a deployed node started through the API without managed boot is processed and left on', async () => {
    await withStack({ PERMIT_ACTIVE_INTROSPECTION: 'true' }, async (stack) => {
      const { node, callback } = await deployedNode();
      expect((await stack.call('POST', `/v1/introspection/${node.uuid}?manage_boot=0`)).status).toBe(202);
      expect((await statusOf(stack, node.uuid)).state).toBe('waiting');
      expect((await stack.call('POST', '/v1/continue', { body: callback })).status).toBe(200);
      expect(await statusOf(stack, node.uuid)).toMatchObject({ state: 'finished', error: null });
      expect(await testIronic().getNode(node.uuid)).toMatchObject({
        provision_state: 'active',
        power_state: 'power on',
      });
    });
  });
});

describe('authenticating to Ironic (IRONIC_AUTH_TYPE)', () => {
  const basicUrl = () => inject('ironicBasicUrl');
  const credentials = () => inject('ironicBasicCredentials');

  /** A node on the basic-auth Ironic, manageable, with a port. */
  async function basicNode() {
    const ironic = new IronicClient({ url: basicUrl(), auth: basicAuth(credentials()) });
    const node = await ironic.createNode({
      driver: 'fake-hardware',
      name: `auth-${randomUUID().slice(0, 8)}`,
    });
    await ironic.createPort({ nodeUuid: node.uuid, address: uniqueMac() });
    await provision(ironic, node.uuid, [['manage', 'manageable']]);
    return node;
  }

  it('http_basic with IRONIC_CREDENTIALS: a start reaches Ironic; wrong credentials get its refusal', async () => {
    const node = await basicNode();
    await withStack(
      {
        IRONIC_URL: basicUrl(),
        IRONIC_AUTH_TYPE: 'http_basic',
        IRONIC_CREDENTIALS: JSON.stringify(credentials()),
      },
      async (stack) => {
        expect((await stack.call('POST', `/v1/introspection/${node.uuid}?manage_boot=0`)).status).toBe(202);
        expect((await statusOf(stack, node.uuid)).state).toBe('waiting');
      },
    );
    await withStack(
      {
        IRONIC_URL: basicUrl(),
        IRONIC_AUTH_TYPE: 'http_basic',
        IRONIC_CREDENTIALS: JSON.stringify({ ...credentials(), password: 'wrong' }),
      },
      async (stack) => {
        const refused = await stack.call('POST', `/v1/introspection/${node.uuid}?manage_boot=0`);
        expect(refused.status).toBe(400);
        // Ironic's own words (its http_basic refusal body, passed on as it came).
        expect((refused.json as { error: { message: string } }).error.message).toContain(
          'Incorrect username or password',
        );
      },
    );
  });

  it('http_basic with IRONIC_CREDENTIALS_SECRET_ID: the document comes from Secrets Manager, once', async () => {
    // A stand-in speaking GetSecretValue (AWS JSON 1.1); the real SDK reaches it through the
    // standard AWS_ENDPOINT_URL_SECRETS_MANAGER setting.
    const asked: string[] = [];
    const secrets: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => {
        body += d;
      });
      req.on('end', () => {
        const { SecretId } = JSON.parse(body) as { SecretId: string };
        asked.push(`${String(req.headers['x-amz-target'])} ${SecretId}`);
        const document =
          SecretId === 'ironic-binary'
            ? { SecretBinary: Buffer.from('not text').toString('base64') }
            : {
                SecretString: JSON.stringify(
                  SecretId === 'ironic-wrong' ? { ...credentials(), password: 'wrong' } : credentials(),
                ),
              };
        res.writeHead(200, { 'Content-Type': 'application/x-amz-json-1.1' }).end(
          JSON.stringify({
            ARN: `arn:aws:secretsmanager:us-east-1:000000000000:secret:${SecretId}`,
            Name: SecretId,
            ...document,
          }),
        );
      });
    });
    await new Promise<void>((resolve) => secrets.listen(0, '127.0.0.1', resolve));
    const saved = process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
    process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = `http://127.0.0.1:${(secrets.address() as AddressInfo).port}`;
    try {
      const nodes = [await basicNode(), await basicNode()];
      await withStack(
        {
          IRONIC_URL: basicUrl(),
          IRONIC_AUTH_TYPE: 'http_basic',
          IRONIC_CREDENTIALS_SECRET_ID: 'ironic-creds',
        },
        async (stack) => {
          for (const node of nodes) {
            expect((await stack.call('POST', `/v1/introspection/${node.uuid}?manage_boot=0`)).status).toBe(
              202,
            );
            expect((await statusOf(stack, node.uuid)).state).toBe('waiting');
          }
        },
      );
      expect(asked).toEqual(['secretsmanager.GetSecretValue ironic-creds']);

      // Credentials Ironic refuses: its refusal, and the secret is not read again for it (basic
      // credentials cannot get better by asking twice).
      asked.length = 0;
      await withStack(
        {
          IRONIC_URL: basicUrl(),
          IRONIC_AUTH_TYPE: 'http_basic',
          IRONIC_CREDENTIALS_SECRET_ID: 'ironic-wrong',
        },
        async (stack) => {
          const refused = await stack.call('POST', `/v1/introspection/${nodes[0]?.uuid}?manage_boot=0`);
          expect(refused.status).toBe(400);
          expect((refused.json as { error: { message: string } }).error.message).toContain(
            'Incorrect username or password',
          );
        },
      );
      expect(asked).toEqual(['secretsmanager.GetSecretValue ironic-wrong']);

      // A secret without a text value cannot hold the document.
      await withStack(
        {
          IRONIC_URL: basicUrl(),
          IRONIC_AUTH_TYPE: 'http_basic',
          IRONIC_CREDENTIALS_SECRET_ID: 'ironic-binary',
        },
        async (stack) => {
          const failed = await stack.call('POST', `/v1/introspection/${nodes[0]?.uuid}?manage_boot=0`);
          // A configuration fault, not the caller's: 500, and the log says what is wrong.
          expect([failed.status, failed.json]).toEqual([
            500,
            { error: { message: 'Internal server error' } },
          ]);
          const logged = stack.logger.lines.find((l) => l.message === 'Request failed');
          expect(String(logged?.extra?.error)).toBe(
            'ConfigurationError: Invalid configuration: IRONIC_CREDENTIALS_SECRET_ID: ironic-binary has no text value',
          );
        },
      );
    } finally {
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
      else process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = saved;
      secrets.close();
    }
  });

  it('keystone with IRONIC_CREDENTIALS: the inspector gets its Ironic token from Keystone', async () => {
    // A stand-in for Keystone's one call (POST /v3/auth/tokens); Ironic is the real noauth one,
    // which takes the token without checking it.
    const tokens: unknown[] = [];
    const keystone: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => {
        body += d;
      });
      req.on('end', () => {
        tokens.push(JSON.parse(body));
        res
          .writeHead(201, { 'Content-Type': 'application/json', 'X-Subject-Token': `token-${tokens.length}` })
          .end(JSON.stringify({ token: { expires_at: new Date(Date.now() + 3_600_000).toISOString() } }));
      });
    });
    await new Promise<void>((resolve) => keystone.listen(0, '127.0.0.1', resolve));
    try {
      const { node } = await manageableNode();
      const authUrl = `http://127.0.0.1:${(keystone.address() as AddressInfo).port}/v3`;
      await withStack(
        {
          IRONIC_AUTH_TYPE: 'keystone',
          IRONIC_CREDENTIALS: JSON.stringify({
            auth_url: authUrl,
            username: 'ironic-inspector',
            password: 'secret',
            project_name: 'service',
          }),
        },
        async (stack) => {
          expect((await stack.call('POST', `/v1/introspection/${node.uuid}?manage_boot=0`)).status).toBe(202);
          expect((await statusOf(stack, node.uuid)).state).toBe('waiting');
        },
      );
      expect(tokens).toEqual([
        {
          auth: {
            identity: {
              methods: ['password'],
              password: {
                user: { name: 'ironic-inspector', domain: { name: 'Default' }, password: 'secret' },
              },
            },
            scope: { project: { name: 'service', domain: { name: 'Default' } } },
          },
        },
      ]);
    } finally {
      keystone.close();
    }
  });

  it('an auth type without credentials is refused at start, naming both settings', async () => {
    await expect(
      startTestStack({ env: { IRONIC_URL: basicUrl(), IRONIC_AUTH_TYPE: 'http_basic' } }),
    ).rejects.toThrow(
      'Invalid configuration: IRONIC_AUTH_TYPE is http_basic, but neither IRONIC_CREDENTIALS nor IRONIC_CREDENTIALS_SECRET_ID is set',
    );
  });
});
