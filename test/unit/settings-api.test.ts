/**
 * API and Ironic-client settings' non-default behaviour, through the API (real handlers, in-memory
 * stores): `API_MAX_LIMIT`, `MAX_BODY_BYTES`, `IPMI_ADDRESS_FIELDS` (with the in-memory
 * Ironic), and `IRONIC_TIMEOUT_SECONDS` (the real Ironic client against a server that never answers).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { FakeIronic } from '#test/support/fake-ironic.ts';
import { freshBmc, freshNics, introspect, statusOf, threeNicCallback } from '#test/support/introspection.ts';
import { startTestStack, type TestStack } from '#test/support/stack.ts';

async function withStack(
  env: Record<string, string>,
  run: (stack: TestStack, ironic: FakeIronic) => Promise<void>,
  options: { realIronicClient?: boolean } = {},
): Promise<void> {
  const ironic = new FakeIronic();
  const stack = await startTestStack(options.realIronicClient ? { env } : { ironic, env });
  try {
    await run(stack, ironic);
  } finally {
    await stack.stop();
  }
}

const errorOf = (json: unknown) => (json as { error: { message: string } }).error.message;

describe('API_MAX_LIMIT', () => {
  it('caps the list: the default page, limit=0, and a larger limit refused with upstream text', async () => {
    await withStack({ API_MAX_LIMIT: '2' }, async (stack, ironic) => {
      for (let i = 0; i < 3; i++) {
        const node = ironic.addNode({ driver_info: { ipmi_address: freshBmc() } });
        expect((await stack.call('POST', `/v1/introspection/${node.uuid}?manage_boot=0`)).status).toBe(202);
      }
      const listed = async (query: string) => {
        const r = await stack.call('GET', `/v1/introspection${query}`);
        expect(r.status).toBe(200);
        return (r.json as { introspection: unknown[] }).introspection.length;
      };
      expect(await listed('')).toBe(2);
      expect(await listed('?limit=0')).toBe(2);
      expect(await listed('?limit=1')).toBe(1);
      expect(await listed('?limit=2')).toBe(2);
      const over = await stack.call('GET', '/v1/introspection?limit=3');
      expect([over.status, over.json]).toEqual([400, { error: { message: 'Bad request: Limit over 2' } }]);
    });
  });

  it('the default is 1000', async () => {
    await withStack({}, async (stack) => {
      expect((await stack.call('GET', '/v1/introspection?limit=1000')).status).toBe(200);
      const over = await stack.call('GET', '/v1/introspection?limit=1001');
      expect([over.status, errorOf(over.json)]).toEqual([400, 'Bad request: Limit over 1000']);
    });
  });
});

describe('MAX_BODY_BYTES', () => {
  it('a request body over the limit is 413 before anything is done; one under it is read', async () => {
    await withStack({ MAX_BODY_BYTES: '1024' }, async (stack, ironic) => {
      const big = { padding: 'x'.repeat(1100) };
      const refused = await stack.call('POST', '/v1/continue', { body: big });
      const size = Buffer.byteLength(JSON.stringify(big));
      expect([refused.status, refused.json]).toEqual([
        413,
        {
          error: {
            message: `Request body of ${size} bytes is larger than the API can carry (1024 bytes)`,
          },
        },
      ]);
      expect(ironic.calls).toEqual([]);
      // Under the limit the body reaches the callback's own checks (an inventory is missing).
      const read = await stack.call('POST', '/v1/continue', { body: { padding: 'x'.repeat(100) } });
      expect(read.status).toBe(400);
      expect(errorOf(read.json)).toContain('Hardware inventory is empty or missing');
    });
  });

  it('a response body over the limit is 413 too (introspection data too large to carry)', async () => {
    await withStack({ MAX_BODY_BYTES: '1024' }, async (stack, ironic) => {
      const node = ironic.addNode({ driver_info: { ipmi_address: freshBmc() } });
      expect((await stack.call('POST', `/v1/introspection/${node.uuid}?manage_boot=0`)).status).toBe(202);
      const data = { inventory: { padding: 'y'.repeat(2000) } };
      await stack.runtime.nodeCache.storeIntrospectionData(node.uuid, data, { processed: true });
      const response = await stack.call('GET', `/v1/introspection/${node.uuid}/data`);
      const size = Buffer.byteLength(JSON.stringify(data));
      expect([response.status, response.json]).toEqual([
        413,
        {
          error: {
            message: `Response body of ${size} bytes is larger than the API can carry (1024 bytes)`,
          },
        },
      ]);
      // The status of the same node is small and answers.
      expect((await stack.call('GET', `/v1/introspection/${node.uuid}`)).status).toBe(200);
    });
  });

  it('the default (6 MB) carries a full ramdisk callback', async () => {
    await withStack({}, async (stack, ironic) => {
      const nics = freshNics();
      const bmc = freshBmc();
      const node = ironic.addNode({ driver_info: { ipmi_address: bmc } });
      const callback = { ...threeNicCallback(nics, bmc), logs: 'z'.repeat(2_000_000) };
      expect((await introspect(stack, node.uuid, callback)).status).toBe(200);
    });
  });
});

describe('IPMI_ADDRESS_FIELDS', () => {
  it('the BMC address is read from the fields named (after ipmi_address), not the default ones', async () => {
    await withStack({ IPMI_ADDRESS_FIELDS: 'custom_bmc, other_bmc' }, async (stack, ironic) => {
      const nics = freshNics();
      const bmc = freshBmc();
      const node = ironic.addNode({
        driver_info: { redfish_address: `https://${freshBmc()}:8000`, custom_bmc: '', other_bmc: bmc },
      });
      const answer = await introspect(stack, node.uuid, threeNicCallback(nics, bmc));
      expect([answer.status, answer.json]).toEqual([200, { uuid: node.uuid }]);
      expect(await statusOf(stack, node.uuid)).toMatchObject({ state: 'finished', error: null });
    });
  });

  it('with the default fields the same node has no BMC address, and no lookup attribute at all', async () => {
    await withStack({}, async (stack, ironic) => {
      const node = ironic.addNode({ driver_info: { other_bmc: freshBmc() } });
      expect((await stack.call('POST', `/v1/introspection/${node.uuid}`)).status).toBe(202);
      expect(await statusOf(stack, node.uuid)).toMatchObject({
        state: 'error',
        error:
          "No lookup attributes were found, inspector won't be able to find it after introspection, consider creating ironic ports or providing an IPMI address",
      });
    });
  });

  it('the default fields include redfish_address, read as a URL', async () => {
    await withStack({}, async (stack, ironic) => {
      const nics = freshNics();
      const bmc = freshBmc();
      const node = ironic.addNode({ driver_info: { redfish_address: `https://${bmc}:8000/redfish/v1` } });
      const answer = await introspect(stack, node.uuid, threeNicCallback(nics, bmc));
      expect([answer.status, answer.json]).toEqual([200, { uuid: node.uuid }]);
    });
  });
});

describe('IRONIC_TIMEOUT_SECONDS', () => {
  /** A TCP server that accepts connections and never answers. */
  async function silentServer(): Promise<{ url: string; connections: () => number; close: () => void }> {
    const sockets: Socket[] = [];
    const server: Server = createServer((socket) => {
      sockets.push(socket);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address() as { port: number };
    return {
      url: `http://127.0.0.1:${address.port}`,
      connections: () => sockets.length,
      close: () => {
        for (const s of sockets) s.destroy();
        server.close();
      },
    };
  }

  it('an Ironic that never answers fails the start after the configured time, naming it', async () => {
    const silent = await silentServer();
    try {
      await withStack(
        { IRONIC_URL: silent.url, IRONIC_TIMEOUT_SECONDS: '1' },
        async (stack) => {
          const answer = await stack.call('POST', '/v1/introspection/node-1');
          expect([answer.status, answer.json]).toEqual([
            503,
            { error: { message: `Ironic is not reachable at ${silent.url}: no answer within 1000 ms` } },
          ]);
          expect(silent.connections()).toBe(1);
        },
        { realIronicClient: true },
      );
    } finally {
      silent.close();
    }
  });
});

describe('NODE_LOCK_WAIT_SECONDS and NODE_LEASE_SECONDS (the node lease)', () => {
  /** A node waiting for its callback, whose lease `holder` takes (as another request would). */
  async function waitingNodeHeldByAnother(stack: TestStack, ironic: FakeIronic) {
    const nics = freshNics();
    const bmc = freshBmc();
    const node = ironic.addNode({ driver_info: { ipmi_address: bmc } });
    expect((await stack.call('POST', `/v1/introspection/${node.uuid}?manage_boot=0`)).status).toBe(202);
    const holder = stack.runtime.nodeCache.nodeInfo(node.uuid);
    expect(await holder.acquireLock({ blocking: false })).toBe(true);
    return { node, holder, callback: threeNicCallback(nics, bmc) };
  }

  it('the callback waits for a lease released within NODE_LOCK_WAIT_SECONDS (default 10)', async () => {
    await withStack({}, async (stack, ironic) => {
      const { node, holder, callback } = await waitingNodeHeldByAnother(stack, ironic);
      const release = setTimeout(() => void holder.releaseLock(), 1500);
      try {
        const answer = await stack.call('POST', '/v1/continue', { body: callback });
        expect([answer.status, answer.json]).toEqual([200, { uuid: node.uuid }]);
      } finally {
        clearTimeout(release);
      }
    });
  });

  it('NODE_LOCK_WAIT_SECONDS=0: it does not wait, and answers 409', async () => {
    await withStack({ NODE_LOCK_WAIT_SECONDS: '0' }, async (stack, ironic) => {
      const { node, holder, callback } = await waitingNodeHeldByAnother(stack, ironic);
      const release = setTimeout(() => void holder.releaseLock(), 1500);
      try {
        const answer = await stack.call('POST', '/v1/continue', { body: callback });
        expect([answer.status, answer.json]).toEqual([
          409,
          { error: { message: 'Node is locked, please, retry later' } },
        ]);
        expect(await statusOf(stack, node.uuid)).toMatchObject({ state: 'waiting', error: null });
      } finally {
        clearTimeout(release);
      }
    });
  });

  it('NODE_LEASE_SECONDS: a lease its holder never released is taken over once it has run out', async () => {
    for (const [leaseSeconds, expected] of [
      ['30', 200],
      ['120', 409],
    ] as const) {
      const ironic = new FakeIronic();
      const stack = await startTestStack({
        ironic,
        env: { NODE_LEASE_SECONDS: leaseSeconds, NODE_LOCK_WAIT_SECONDS: '0' },
      });
      try {
        const { callback } = await waitingNodeHeldByAnother(stack, ironic); // and never released
        stack.clock.advance(31_000);
        const answer = await stack.call('POST', '/v1/continue', { body: callback });
        expect([leaseSeconds, answer.status]).toEqual([leaseSeconds, expected]);
      } finally {
        await stack.stop();
      }
    }
  });
});
