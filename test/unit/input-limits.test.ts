/**
 * The findings of issue 9 about input, each through HTTP on the local stack (in-memory stores, the
 * in-memory Ironic): checks come before writes (reapply, a callback whose processed data could not be
 * read back), bad input is a 4xx with nothing written (deep JSON, an over-long BMC address, node names
 * Ironic cannot have, counts and sizes no machine has), Ironic's own words never reach the ramdisk,
 * and a callback arriving while Ironic is down is a 503 that the ramdisk's retry gets past.
 * The same on DynamoDB Local: test/integration/api-on-dynamodb.test.ts; against the real Ironic:
 * test/ironic/introspection-ironic.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { IronicError, IronicUnavailable } from '#lib/domain/errors.ts';
import { isIronicName } from '#lib/domain/uuids.ts';
import type { FakeIronic } from '#test/support/fake-ironic.ts';
import { freshBmc, freshNics, statusOf, threeNicCallback } from '#test/support/introspection.ts';
import { type TestStack, withTestStack } from '#test/support/stack.ts';

const answer = (response: { status: number; json: unknown }) => [response.status, response.json];
const error = (message: string) => ({ error: { message } });

/** A node in the in-memory Ironic, started (unmanaged boot, so `waiting` at once), with its callback. */
async function waitingNode(stack: TestStack, ironic: FakeIronic) {
  const nics = freshNics();
  const bmc = freshBmc();
  const node = ironic.addNode(
    { name: `node-${randomUUID().slice(0, 8)}`, driver_info: { ipmi_address: bmc } },
    [nics.pxe],
  );
  expect((await stack.call('POST', `/v1/introspection/${node.uuid}?manage_boot=0`)).status).toBe(202);
  expect((await statusOf(stack, node.uuid)).state).toBe('waiting');
  return { node, callback: threeNicCallback(nics, bmc) };
}

/** What Ironic was asked to change (everything but reads). */
const ironicWrites = (ironic: FakeIronic) =>
  ironic.calls.filter((c) => !['getNode', 'listNodes', 'listPorts', 'validateNode'].includes(c.method));

/** JSON nested `depth` deep: `{"a":{"a":…}}`. */
const nested = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

describe('reapply checks everything before it stores the body', () => {
  it('an unknown UUID (404), a locked node (409), a waiting node (202, nothing done): the stored data stays', async () => {
    await withTestStack({}, async (stack, ironic) => {
      const { node, callback } = await waitingNode(stack, ironic);
      expect((await stack.call('POST', '/v1/continue', { body: callback })).status).toBe(200);
      expect((await statusOf(stack, node.uuid)).state).toBe('finished');
      const url = `/v1/introspection/${node.uuid}/data/unprocessed`;
      const stored = (await stack.call('GET', url)).json;
      const replacement = { inventory: { replaced: true } };

      const unknown = randomUUID();
      expect(
        answer(
          await stack.call('POST', `/v1/introspection/${unknown}/data/unprocessed`, { body: replacement }),
        ),
      ).toEqual([404, error(`Could not find node ${unknown} in cache`)]);
      expect(await stack.runtime.stores.introspectionData.get(unknown, false)).toBeUndefined();

      const holder = stack.runtime.nodeCache.nodeInfo(node.uuid);
      expect(await holder.acquireLock({ blocking: false })).toBe(true);
      expect(answer(await stack.call('POST', url, { body: replacement }))).toEqual([
        409,
        error('Node locked, please, try again later'),
      ]);
      await holder.releaseLock();
      expect((await stack.call('GET', url)).json).toEqual(stored);

      expect((await stack.call('GET', url)).json).toEqual(stored);

      // A node waiting for its ramdisk: reapply is invalid there; accepted as upstream, nothing stored.
      const waiting = await waitingNode(stack, ironic);
      const waitingUrl = `/v1/introspection/${waiting.node.uuid}/data/unprocessed`;
      expect(answer(await stack.call('POST', waitingUrl, { body: replacement }))).toEqual([202, {}]);
      expect(await statusOf(stack, waiting.node.uuid)).toMatchObject({ state: 'waiting', error: null });
      expect(
        stack.logger
          .messages('error')
          .some((m) => m.startsWith(`Failed reapply for node ${waiting.node.uuid}`)),
      ).toBe(true);
      expect((await stack.call('GET', waitingUrl)).status).toBe(404);
      // …and the node's lease is free again: its ramdisk still gets through.
      expect((await stack.call('POST', '/v1/continue', { body: waiting.callback })).status).toBe(200);
    });
  });

  it('given data whose processed form GET …/data could not answer is 413, nothing stored or started', async () => {
    await withTestStack({ MAX_BODY_BYTES: '200000' }, async (stack, ironic) => {
      const { node, callback } = await waitingNode(stack, ironic);
      expect((await stack.call('POST', '/v1/continue', { body: callback })).status).toBe(200);
      const before = await statusOf(stack, node.uuid);
      const url = `/v1/introspection/${node.uuid}/data/unprocessed`;
      const stored = (await stack.call('GET', url)).json;
      const base = JSON.stringify({ ...callback, padding: '' }).length;
      const big = { ...callback, padding: 'x'.repeat(199_990 - base) };
      const refused = await stack.call('POST', url, { body: big });
      expect(refused.status).toBe(413);
      expect((refused.json as { error: { message: string } }).error.message).toMatch(
        /^Processed data of \d+ bytes would be larger than the API can answer \(200000 bytes\)$/,
      );
      expect(await statusOf(stack, node.uuid)).toEqual(before);
      expect((await stack.call('GET', url)).json).toEqual(stored);
    });
  });
});

describe('a callback whose processed data could not be read back', () => {
  it('a 5,999,937-byte callback is 413 before anything is stored; the node still waits', async () => {
    await withTestStack({}, async (stack, ironic) => {
      const { node, callback } = await waitingNode(stack, ironic);
      const base = JSON.stringify({ ...callback, padding: '' }).length;
      const body = JSON.stringify({ ...callback, padding: 'x'.repeat(5_999_937 - base) });
      expect(Buffer.byteLength(body)).toBe(5_999_937);
      const refused = await stack.call('POST', '/v1/continue', { body });
      expect(refused.status).toBe(413);
      expect((refused.json as { error: { message: string } }).error.message).toMatch(
        /^Processed data of \d+ bytes would be larger than the API can answer \(6000000 bytes\)$/,
      );
      expect(await statusOf(stack, node.uuid)).toMatchObject({ state: 'waiting', error: null });
      expect((await stack.call('GET', `/v1/introspection/${node.uuid}/data/unprocessed`)).status).toBe(404);
      expect(ironicWrites(ironic)).toEqual([]);
      // The same ramdisk with its data within bounds gets through, and its data reads back.
      expect(answer(await stack.call('POST', '/v1/continue', { body: callback }))).toEqual([
        200,
        { uuid: node.uuid },
      ]);
      expect((await stack.call('GET', `/v1/introspection/${node.uuid}/data`)).status).toBe(200);
    });
  });
});

describe('bad input is a 4xx and writes nothing', () => {
  it('JSON nested 10,000 deep: 400 on the callback and on reapply, no crash', async () => {
    await withTestStack({}, async (stack, ironic) => {
      const { node } = await waitingNode(stack, ironic);
      const message = error('Invalid data: JSON nested deeper than 64 levels');
      for (const path of ['/v1/continue', `/v1/introspection/${node.uuid}/data/unprocessed`]) {
        expect(answer(await stack.call('POST', path, { body: nested(10_000) }))).toEqual([400, message]);
        expect(answer(await stack.call('POST', path, { body: `[${nested(100)}]` }))).toEqual([400, message]);
      }
      // 64 levels are read (and refused for what they are: not an inventory).
      const deepEnough = await stack.call('POST', '/v1/continue', { body: nested(64) });
      expect(deepEnough.status).toBe(400);
      expect(JSON.stringify(deepEnough.json)).not.toContain('nested deeper');
      // Brackets inside strings do not count.
      const inString = await stack.call('POST', '/v1/continue', {
        body: JSON.stringify({ a: '['.repeat(10_000) }),
      });
      expect(JSON.stringify(inString.json)).not.toContain('nested deeper');
      expect(await statusOf(stack, node.uuid)).toMatchObject({ state: 'waiting', error: null });
    });
  });

  it('an inventory.bmc_address of 5,000 characters: 400 naming the field, the node failed by its MAC', async () => {
    await withTestStack({}, async (stack, ironic) => {
      const { node, callback } = await waitingNode(stack, ironic);
      (callback.inventory as Record<string, unknown>).bmc_address = '1'.repeat(5000);
      const refused = await stack.call('POST', '/v1/continue', { body: callback });
      expect(refused.status).toBe(400);
      const text =
        'Invalid inventory: "inventory.bmc_address": longer than 1024 bytes (a lookup value\'s limit)';
      expect((refused.json as { error: { message: string } }).error.message).toContain(text);
      expect(await statusOf(stack, node.uuid)).toMatchObject({ state: 'error', finished: true });
      expect(ironicWrites(ironic)).toEqual([]);
    });
  });

  it('node names Ironic cannot have (a "/", "..%2f..%2fetc", 256 characters, not ASCII) are 400 without asking Ironic', async () => {
    await withTestStack({}, async (stack, ironic) => {
      // ('.' and '..' cannot be tried through a URL: clients resolve dot segments themselves.)
      expect([isIronicName('.'), isIronicName('..'), isIronicName('..a')]).toEqual([false, false, true]);
      const names = ['a%2Fb', '..%2f..%2fetc', 'x'.repeat(256), 'caf%C3%A9', 'a%20b', '%2e%2e%2f'];
      for (const encoded of names) {
        const name = decodeURIComponent(encoded);
        const message = error(`Cannot get node ${name}: Expected UUID or name for node: ${name}`);
        for (const [method, suffix] of [
          ['POST', ''],
          ['GET', ''],
          ['POST', '/abort'],
          ['GET', '/data'],
          ['GET', '/data/unprocessed'],
          ['POST', '/data/unprocessed'],
        ] as const) {
          const response = await stack.call(method, `/v1/introspection/${encoded}${suffix}`);
          expect([encoded, method, suffix, ...answer(response)]).toEqual([
            encoded,
            method,
            suffix,
            400,
            message,
          ]);
        }
      }
      expect(ironic.calls).toEqual([]);
      // A name Ironic can have is asked for.
      const named = await stack.call('GET', '/v1/introspection/node-a_b.c~d');
      expect(answer(named)).toEqual([404, error('Node node-a_b.c~d was not found in Ironic')]);
      expect(ironic.callsOf('getNode')).toHaveLength(1);
    });
  });

  it.each([
    [
      'inventory.cpu.count',
      -4,
      (i: Record<string, Record<string, unknown>>, v: unknown) => {
        (i.cpu as Record<string, unknown>).count = v;
      },
    ],
    [
      'inventory.cpu.count',
      2.5,
      (i: Record<string, Record<string, unknown>>, v: unknown) => {
        (i.cpu as Record<string, unknown>).count = v;
      },
    ],
    [
      'inventory.cpu.count',
      '-4',
      (i: Record<string, Record<string, unknown>>, v: unknown) => {
        (i.cpu as Record<string, unknown>).count = v;
      },
    ],
    [
      'inventory.memory.physical_mb',
      1e308,
      (i: Record<string, Record<string, unknown>>, v: unknown) => {
        (i.memory as Record<string, unknown>).physical_mb = v;
      },
    ],
    [
      'inventory.memory.physical_mb',
      -1,
      (i: Record<string, Record<string, unknown>>, v: unknown) => {
        (i.memory as Record<string, unknown>).physical_mb = v;
      },
    ],
    [
      'inventory.disks.0.size',
      -1,
      (i: Record<string, Record<string, unknown>>, v: unknown) => {
        ((i.disks as unknown as Array<Record<string, unknown>>)[0] as Record<string, unknown>).size = v;
      },
    ],
  ])('%s = %s: 400 naming the field, the node in error, Ironic unchanged', async (field, value, set) => {
    await withTestStack({}, async (stack, ironic) => {
      const { node, callback } = await waitingNode(stack, ironic);
      set(callback.inventory as Record<string, Record<string, unknown>>, value);
      const refused = await stack.call('POST', '/v1/continue', { body: callback });
      expect(refused.status).toBe(400);
      const message = (refused.json as { error: { message: string } }).error.message;
      expect(message).toContain(`Invalid inventory: "${field}": expected a whole number`);
      expect(await statusOf(stack, node.uuid)).toMatchObject({ state: 'error', finished: true });
      expect(ironicWrites(ironic)).toEqual([]);
      expect(ironic.nodes.get(node.uuid)?.properties).toEqual({});
    });
  });

  it('a root_disk.size below zero: 400 naming it, Ironic unchanged', async () => {
    await withTestStack({}, async (stack, ironic) => {
      const { node, callback } = await waitingNode(stack, ironic);
      callback.root_disk = { name: '/dev/sda', size: -5 * 2 ** 30 };
      const refused = await stack.call('POST', '/v1/continue', { body: callback });
      expect(refused.status).toBe(400);
      expect(JSON.stringify(refused.json)).toContain('root_disk.size');
      expect(await statusOf(stack, node.uuid)).toMatchObject({ state: 'error' });
      expect(ironicWrites(ironic)).toEqual([]);
    });
  });

  it('counts given as decimal text are still read (upstream reads them with int())', async () => {
    await withTestStack({}, async (stack, ironic) => {
      const { node, callback } = await waitingNode(stack, ironic);
      const inventory = callback.inventory as Record<string, Record<string, unknown>>;
      (inventory.cpu as Record<string, unknown>).count = '8';
      (inventory.memory as Record<string, unknown>).physical_mb = '16384';
      expect(answer(await stack.call('POST', '/v1/continue', { body: callback }))).toEqual([
        200,
        { uuid: node.uuid },
      ]);
      expect(ironic.nodes.get(node.uuid)?.properties).toMatchObject({ cpus: '8', memory_mb: '16384' });
    });
  });
});

describe('Ironic and the unauthenticated ramdisk', () => {
  it('Ironic down when a callback arrives: 503, the node still waiting, nothing stored; the retry succeeds', async () => {
    await withTestStack({}, async (stack, ironic) => {
      const { node, callback } = await waitingNode(stack, ironic);
      const url = 'http://ironic.internal.example:6385';
      ironic.failures.set('getNode', [
        new IronicUnavailable(url, 'no answer within 10000 ms'),
        new IronicUnavailable(url, 'connect ECONNREFUSED'),
      ]);
      for (let attempt = 0; attempt < 2; attempt++) {
        const refused = await stack.call('POST', '/v1/continue', { body: callback });
        expect(answer(refused)).toEqual([503, error('Ironic is not available, please retry later')]);
        expect(refused.text).not.toContain('ironic.internal');
        expect(await statusOf(stack, node.uuid)).toMatchObject({
          state: 'waiting',
          error: null,
          finished: false,
        });
        expect((await stack.call('GET', `/v1/introspection/${node.uuid}/data/unprocessed`)).status).toBe(404);
      }
      expect(stack.logger.messages('error')).toContain('Ramdisk callback failed in Ironic');
      expect(answer(await stack.call('POST', '/v1/continue', { body: callback }))).toEqual([
        200,
        { uuid: node.uuid },
      ]);
      expect(await statusOf(stack, node.uuid)).toMatchObject({ state: 'finished', error: null });
    });
  });

  it("Ironic failing under processing: 500 without Ironic's text; the node's error (authenticated) has it", async () => {
    await withTestStack({}, async (stack, ironic) => {
      const { node, callback } = await waitingNode(stack, ironic);
      ironic.failures.set('patchNode', [new IronicError(500, 'DBError: password=hunter2 at db.internal')]);
      const failed = await stack.call('POST', '/v1/continue', { body: callback });
      expect(answer(failed)).toEqual([
        500,
        error(
          'Unexpected exception IronicError during processing; the introspection status holds the details',
        ),
      ]);
      expect(failed.text).not.toContain('hunter2');
      expect(await statusOf(stack, node.uuid)).toMatchObject({
        state: 'error',
        error: 'Unexpected exception IronicError during processing: DBError: password=hunter2 at db.internal',
      });
    });
  });

  it("the enroll hook refused by Ironic: 400 saying so, without Ironic's text", async () => {
    await withTestStack({ NODE_NOT_FOUND_HOOK: 'enroll' }, async (stack, ironic) => {
      ironic.failures.set('listPorts', [new IronicError(400, 'Invalid MAC at conductor host-17.internal')]);
      const failed = await stack.call('POST', '/v1/continue', {
        body: threeNicCallback(freshNics(), freshBmc()),
      });
      expect(failed.status).toBe(400);
      expect((failed.json as { error: { message: string } }).error.message).toContain(
        'Node not found hook failed: Ironic refused a request (HTTP 400)',
      );
      expect(failed.text).not.toContain('host-17');
      expect(ironic.callsOf('createNode')).toEqual([]);
    });
  });

  it('the enroll hook with Ironic down: 503, nothing created', async () => {
    await withTestStack({ NODE_NOT_FOUND_HOOK: 'enroll' }, async (stack, ironic) => {
      ironic.failures.set('listPorts', [
        new IronicUnavailable('http://10.0.0.9:6385', 'connect ECONNREFUSED'),
      ]);
      const failed = await stack.call('POST', '/v1/continue', {
        body: threeNicCallback(freshNics(), freshBmc()),
      });
      expect(answer(failed)).toEqual([503, error('Ironic is not available, please retry later')]);
      expect(ironic.callsOf('createNode')).toEqual([]);
      expect(await stack.runtime.nodeCache.listNodeUuids()).toEqual([]);
    });
  });
});
