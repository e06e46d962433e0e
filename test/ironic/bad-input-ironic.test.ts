/**
 * The findings of issue 9 that need the real Ironic (Debian's, fake-hardware): a node name with `/`
 * is refused with Ironic's own text without reaching Ironic (which answered it with a 500 naming its
 * controller); counts no machine has are refused before Ironic's node is touched (Ironic refused
 * `cpus: -4` after `local_gb` was already written); and a callback arriving while Ironic stalls is a
 * 503 that the ramdisk's retry gets past once Ironic answers again, through the real client's timeout.
 */
import { describe, expect, inject, it } from 'vitest';
import { IronicClient } from '#lib/adapters/ironic/client.ts';
import { freshBmc, statusOf, threeNicCallback } from '#test/support/introspection.ts';
import { createTestNode, provision, testIronic, uniqueMac } from '#test/support/ironic.ts';
import { startTestStack, type TestStack } from '#test/support/stack.ts';

async function withStack(ironic: IronicClient, run: (stack: TestStack) => Promise<void>): Promise<void> {
  const stack = await startTestStack({ env: { IRONIC_URL: inject('ironicUrl') }, ironic });
  try {
    await run(stack);
  } finally {
    await stack.stop();
  }
}

/** A client on the real Ironic that records the paths it asks for, and can be made to stall. */
function stallableIronic(timeoutMs: number) {
  const paths: string[] = [];
  let stalled = false;
  const stallable: typeof fetch = async (input, init) => {
    paths.push(`${init?.method ?? 'GET'} ${new URL(String(input)).pathname}`);
    if (!stalled) return fetch(input, init);
    // No answer until the client's own timeout gives up.
    return new Promise<Response>((_resolve, reject) => {
      init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
    });
  };
  const client = new IronicClient({
    url: inject('ironicUrl'),
    fetch: stallable,
    timeoutMs,
    lockedBackoffMs: 200,
  });
  return { client, paths, stall: (on: boolean) => (stalled = on) };
}

/** A manageable fake-hardware node with two ports and a BMC address, and its ramdisk's callback. */
async function manageableNode() {
  const ironic = testIronic();
  const nics = { pxe: uniqueMac(), addressed: uniqueMac(), unaddressed: uniqueMac() };
  const bmc = freshBmc();
  const node = await createTestNode(ironic, { driver_info: { ipmi_address: bmc } });
  for (const mac of [nics.pxe, nics.addressed])
    await ironic.createPort({ nodeUuid: node.uuid, address: mac });
  await provision(ironic, node.uuid, [['manage', 'manageable']]);
  return { node, callback: threeNicCallback(nics, bmc) };
}

describe('against the real Ironic', () => {
  it('a node name with "/" is 400 in Ironic\'s own words, and Ironic is not asked', async () => {
    // What Ironic itself says of a name it cannot have (the text the inspector gives without asking).
    const direct = await fetch(`${inject('ironicUrl')}/v1/nodes/a%20b`, {
      headers: { 'X-OpenStack-Ironic-API-Version': '1.82' },
    });
    expect(direct.status).toBe(400);
    expect(await direct.text()).toContain('Expected UUID or name for node: a b');
    const { client, paths } = stallableIronic(10_000);
    await withStack(client, async (stack) => {
      for (const encoded of ['..%2f..%2fetc', 'a%2Fb', 'a%20b']) {
        const name = decodeURIComponent(encoded);
        const answer = await stack.call('POST', `/v1/introspection/${encoded}`);
        expect([answer.status, answer.json]).toEqual([
          400,
          { error: { message: `Cannot get node ${name}: Expected UUID or name for node: ${name}` } },
        ]);
      }
      expect(paths).toEqual([]);
    });
  });

  it.each([
    ['cpu', 'count', -4],
    ['memory', 'physical_mb', 1e308],
  ])(
    "inventory.%s.%s = %s: 400 naming it, the node in error, Ironic's node unchanged",
    async (part, field, value) => {
      const { client } = stallableIronic(10_000);
      await withStack(client, async (stack) => {
        const { node, callback } = await manageableNode();
        expect((await stack.call('POST', `/v1/introspection/${node.uuid}?manage_boot=0`)).status).toBe(202);
        expect((await statusOf(stack, node.uuid)).state).toBe('waiting');
        const before = (await testIronic().getNode(node.uuid)).properties;
        ((callback.inventory as Record<string, Record<string, unknown>>)[part] as Record<string, unknown>)[
          field
        ] = value;
        const answer = await stack.call('POST', '/v1/continue', { body: callback });
        expect(answer.status).toBe(400);
        expect(JSON.stringify(answer.json)).toContain(`inventory.${part}.${field}`);
        expect(await statusOf(stack, node.uuid)).toMatchObject({ state: 'error', finished: true });
        expect((await testIronic().getNode(node.uuid)).properties).toEqual(before);
      });
    },
  );

  it('Ironic stalling when the callback arrives: 503 after the timeout, the node waits; the retry succeeds', async () => {
    const ironic = stallableIronic(1000);
    await withStack(ironic.client, async (stack) => {
      const { node, callback } = await manageableNode();
      expect((await stack.call('POST', `/v1/introspection/${node.uuid}?manage_boot=0`)).status).toBe(202);
      expect((await statusOf(stack, node.uuid)).state).toBe('waiting');
      ironic.stall(true);
      const refused = await stack.call('POST', '/v1/continue', { body: callback });
      expect([refused.status, refused.json]).toEqual([
        503,
        { error: { message: 'Ironic is not available, please retry later' } },
      ]);
      ironic.stall(false);
      expect(await statusOf(stack, node.uuid)).toMatchObject({ state: 'waiting', error: null });
      expect((await stack.call('GET', `/v1/introspection/${node.uuid}/data/unprocessed`)).status).toBe(404);
      const retried = await stack.call('POST', '/v1/continue', { body: callback });
      expect([retried.status, retried.json]).toEqual([200, { uuid: node.uuid }]);
      expect(await statusOf(stack, node.uuid)).toMatchObject({ state: 'finished', error: null });
      expect((await testIronic().getNode(node.uuid)).properties).toMatchObject({
        cpus: '4',
        memory_mb: '8192',
      });
    });
  });
});
