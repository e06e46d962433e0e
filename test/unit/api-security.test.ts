/**
 * The public callback and authentication as an outsider meets them, through HTTP against the local
 * stack: callbacks from outside `CALLBACK_ALLOWED_CIDRS` are refused and change nothing; Keystone
 * down, slow or failing is 503 in the inspector's format within the configured timeout; unreadable
 * htpasswd entries are 503; password guessing from one address is refused unchecked past its
 * budget; `API_AUTH_STRATEGY=iam` does not start.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { afterAll, describe, expect, it } from 'vitest';
import { FakeIronic } from '#test/support/fake-ironic.ts';
import { ramdiskCallback, startTestStack, type TestStack } from '#test/support/stack.ts';
import { freePort } from '../../scripts/local-services.ts';

const MAX_VERSION = 'x-openstack-ironic-inspector-api-maximum-version';
/** The stack's authorizer functions time out after 10 s. */
const AUTHORIZER_TIMEOUT_MS = 10_000;

async function withStack<T>(
  options: Parameters<typeof startTestStack>[0],
  run: (stack: TestStack) => Promise<T>,
) {
  const stack = await startTestStack(options);
  try {
    return await run(stack);
  } finally {
    await stack.stop();
  }
}

async function waitForState(stack: TestStack, uuid: string, state: string): Promise<void> {
  await stack.idle();
  const status = await stack.call('GET', `/v1/introspection/${uuid}`);
  expect((status.json as { state: string }).state).toBe(state);
}

describe('who may call back: CALLBACK_ALLOWED_CIDRS', () => {
  const macs: [string, string] = ['52:54:00:aa:10:01', '52:54:00:aa:10:02'];

  it('a callback from outside the ranges is 403 before any lookup, and changes nothing', async () => {
    const ironic = new FakeIronic();
    const counted: Record<string, number> = {};
    await withStack(
      {
        ironic,
        env: { CALLBACK_ALLOWED_CIDRS: '192.0.2.0/24, 2001:db8:7::/48' },
        runtime: {
          metrics: {
            count(name, value = 1) {
              counted[name] = (counted[name] ?? 0) + value;
            },
          },
        },
      },
      async (stack) => {
        const node = ironic.addNode({ driver_info: { ipmi_address: '192.0.2.90' } }, [...macs]);
        expect((await stack.call('POST', `/v1/introspection/${node.uuid}`)).status).toBe(202);
        await waitForState(stack, node.uuid, 'waiting');
        const callsBefore = ironic.calls.length;
        const nodeBefore = structuredClone(ironic.nodes.get(node.uuid));
        const portsBefore = ironic.ports.size;

        // The test client is 127.0.0.1: outside the ranges.
        const body = await ramdiskCallback(macs, '192.0.2.90');
        for (const [path, payload] of [
          ['/v1/continue', body],
          ['/v1/continue/', body],
          ['/v1/continue', { error: 'spoofed failure', inventory: { bmc_address: '192.0.2.90' } }],
          ['/v1/continue', 'not even JSON'], // refused before the body is read: 403, not 400
        ] as const) {
          const refused = await stack.call('POST', path, { body: payload });
          expect([refused.status, refused.json]).toEqual([
            403,
            { error: { message: 'Ramdisk callbacks are not accepted from 127.0.0.1' } },
          ]);
          expect(refused.headers.get(MAX_VERSION)).toBe('1.18');
        }
        await stack.idle();
        expect(ironic.calls.length).toBe(callsBefore);
        expect(ironic.nodes.get(node.uuid)).toEqual(nodeBefore);
        expect(ironic.ports.size).toBe(portsBefore);
        const status = await stack.call('GET', `/v1/introspection/${node.uuid}`);
        expect(status.json).toMatchObject({ state: 'waiting', finished: false, error: null });
        expect((await stack.call('GET', `/v1/introspection/${node.uuid}/data/unprocessed`)).status).toBe(404);
        expect(counted.LookupFailures).toBeUndefined();
        expect(stack.logger.lines.some((l) => l.message.startsWith('Ramdisk callback refused'))).toBe(true);
        // The other routes answer the same caller as before.
        expect((await stack.call('GET', '/v1')).status).toBe(200);
      },
    );
  });

  it('from inside the ranges the same callback is processed', async () => {
    const ironic = new FakeIronic();
    await withStack({ ironic, env: { CALLBACK_ALLOWED_CIDRS: '127.0.0.0/8,::1' } }, async (stack) => {
      const node = ironic.addNode({ driver_info: { ipmi_address: '192.0.2.91' } }, [...macs]);
      await stack.call('POST', `/v1/introspection/${node.uuid}`);
      await waitForState(stack, node.uuid, 'waiting');
      const accepted = await stack.call('POST', '/v1/continue', {
        body: await ramdiskCallback(macs, '192.0.2.91'),
      });
      expect([accepted.status, accepted.json]).toEqual([200, { uuid: node.uuid }]);
      await waitForState(stack, node.uuid, 'finished');
    });
  });

  it('a setting that is not a list of ranges stops the start, naming it', async () => {
    await expect(startTestStack({ env: { CALLBACK_ALLOWED_CIDRS: '10.0.0.5/8' } })).rejects.toThrow(
      /^Invalid configuration: CALLBACK_ALLOWED_CIDRS: "10.0.0.5\/8" is not an IP address or CIDR range: host bits are set \(the range is 10.0.0.0\/8\)/,
    );
  });
});

describe('authentication that fails safe', () => {
  it('API_AUTH_STRATEGY=iam: the local stack refuses to start rather than check nothing', async () => {
    await expect(startTestStack({ env: { API_AUTH_STRATEGY: 'iam' } })).rejects.toThrow(
      'API_AUTH_STRATEGY=iam cannot be honoured by the local stack',
    );
  });

  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  afterAll(() => {
    for (const socket of sockets) socket.destroy();
    for (const server of servers) server.close();
  });
  async function keystone(handler: Parameters<typeof createServer>[1]): Promise<string> {
    const server = createServer(handler);
    server.on('connection', (socket) => sockets.add(socket));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v3`;
  }

  const keystoneCases: Array<[string, () => Promise<string>, string]> = [
    [
      'down (connection refused)',
      async () => `http://127.0.0.1:${await freePort()}/v3`,
      'Keystone could not be reached',
    ],
    ['slow (accepts, never answers)', () => keystone(() => {}), 'Keystone did not answer within 1 s'],
    [
      'failing (500)',
      () => keystone((_req, res) => res.writeHead(500).end()),
      'Keystone answered 500 validating a token',
    ],
  ];
  for (const [name, url, reason] of keystoneCases) {
    it(`Keystone ${name}: protected routes are 503 in the inspector's format; public ones answer`, async () => {
      await withStack(
        {
          env: {
            API_AUTH_STRATEGY: 'keystone',
            KEYSTONE_AUTH_URL: await url(),
            KEYSTONE_TIMEOUT_SECONDS: '1',
          },
        },
        async (stack) => {
          // Bounded by KEYSTONE_TIMEOUT_SECONDS (1 s here): the answer is the api's 503, well before the
          // authorizer function's own 10 s timeout would turn it into API Gateway's 500.
          const started = performance.now();
          const response = await stack.call('GET', '/v1/introspection', {
            headers: { 'X-Auth-Token': 'a-token' },
          });
          expect(performance.now() - started).toBeLessThan(AUTHORIZER_TIMEOUT_MS);
          expect([response.status, response.json]).toEqual([
            503,
            { error: { message: `Authentication is unavailable (${reason}), please retry later` } },
          ]);
          expect(response.headers.get(MAX_VERSION)).toBe('1.18');
          expect((await stack.call('GET', '/v1')).status).toBe(200);
          expect((await stack.call('POST', '/v1/continue', { body: 42 })).status).toBe(400);
        },
      );
    });
  }

  const htpasswd = (lines: string) => {
    const file = join(mkdtempSync(join(tmpdir(), 'htpasswd-')), 'htpasswd');
    writeFileSync(file, lines);
    return file;
  };
  const basic = (user: string, password: string) => ({
    Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
  });

  it('http_basic: entries that cannot be read are 503, not 500', async () => {
    await withStack(
      { env: { API_AUTH_STRATEGY: 'http_basic', HTPASSWD_FILE: join(tmpdir(), 'no-such-dir', 'htpasswd') } },
      async (stack) => {
        const response = await stack.call('GET', '/v1/introspection', {
          headers: basic('operator', 'secret'),
        });
        expect([response.status, response.json]).toEqual([
          503,
          {
            error: {
              message:
                'Authentication is unavailable (the user entries could not be read), please retry later',
            },
          },
        ]);
      },
    );
  });

  it('http_basic: past AUTH_FAILURES_PER_MINUTE wrong passwords, an address is refused unchecked, except for what it proved', async () => {
    const hash = (password: string) => bcrypt.hashSync(password, 4).replace('$2b$', '$2y$');
    const file = htpasswd(`operator:${hash('secret')}\nauditor:${hash('audit')}\n`);
    await withStack(
      { env: { API_AUTH_STRATEGY: 'http_basic', HTPASSWD_FILE: file, AUTH_FAILURES_PER_MINUTE: '3' } },
      async (stack) => {
        const list = (headers: Record<string, string>) => stack.call('GET', '/v1/introspection', { headers });
        expect((await list(basic('operator', 'secret'))).status).toBe(200);
        for (const guess of ['123456', 'password', 'qwerty']) {
          const wrong = await list(basic('operator', guess));
          expect([wrong.status, wrong.json]).toEqual([
            401,
            { error: { message: 'Authentication required' } },
          ]);
        }
        // The budget is spent: a right password never seen from here is not even checked...
        expect((await list(basic('auditor', 'audit'))).status).toBe(401);
        // ...while the credential this address proved a moment ago still works, and public routes answer.
        expect((await list(basic('operator', 'secret'))).status).toBe(200);
        expect((await stack.call('GET', '/v1')).status).toBe(200);
      },
    );
  });
});
