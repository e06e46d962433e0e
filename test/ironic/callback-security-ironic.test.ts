/**
 * Spoofed ramdisk callbacks against the real Ironic, read back from Ironic itself: with
 * `LOOKUP_REQUIRE_PORT_MAC` (the stack's default), a callback carrying a victim's BMC address with
 * made-up MACs, or another node's MACs, or an error, changes nothing in Ironic (properties, ports)
 * or in the node cache; a deployed node cannot be taken over by its BMC address under active
 * introspection; callbacks from outside `CALLBACK_ALLOWED_CIDRS` are refused before any lookup. And
 * the contrast: upstream's behaviour (`LOOKUP_REQUIRE_PORT_MAC=false`) lets the BMC-only spoof
 * through, which is what the setting stops.
 *
 * Every test starts its own stack (in-memory stores) and its own nodes, MACs and BMC addresses.
 */
import { describe, expect, inject, it } from 'vitest';
import { freshBmc, statusOf, threeNicCallback } from '#test/support/introspection.ts';
import { createTestNode, eventually, provision, testIronic, uniqueMac } from '#test/support/ironic.ts';
import { startTestStack, type TestStack } from '#test/support/stack.ts';

const SECURE = { LOOKUP_REQUIRE_PORT_MAC: 'true' };
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

async function withStack(env: Record<string, string>, run: (stack: TestStack) => Promise<void>) {
  const stack = await startTestStack({ env: { IRONIC_URL: inject('ironicUrl'), ...env } });
  try {
    await run(stack);
  } finally {
    await stack.stop();
  }
}

const nics = () => ({ pxe: uniqueMac(), addressed: uniqueMac(), unaddressed: uniqueMac() });

/** A manageable fake-hardware node with two ports and its own BMC address. */
async function nodeWithPorts() {
  const ironic = testIronic();
  const own = nics();
  const bmc = freshBmc();
  const node = await createTestNode(ironic, { driver_info: { ipmi_address: bmc } });
  for (const mac of [own.pxe, own.addressed]) await ironic.createPort({ nodeUuid: node.uuid, address: mac });
  await provision(ironic, node.uuid, [['manage', 'manageable']]);
  return { node, nics: own, bmc };
}

/** A node under introspection (no managed boot: no power actions), `waiting` for its ramdisk. */
async function victim(stack: TestStack) {
  const v = await nodeWithPorts();
  expect((await stack.call('POST', `/v1/introspection/${v.node.uuid}?manage_boot=0`)).status).toBe(202);
  expect((await statusOf(stack, v.node.uuid)).state).toBe('waiting');
  return v;
}

/** What Ironic holds of a node that a callback could change. */
async function inIronic(uuid: string) {
  const node = await testIronic().getNode(uuid);
  const ports = await testIronic().listPorts({ node: uuid });
  return {
    properties: node.properties,
    extra: node.extra,
    provision_state: node.provision_state,
    ports: ports.map((p) => [p.address, p.pxe_enabled]).sort(),
  };
}

/** What the node cache holds of it. */
async function inCache(stack: TestStack, uuid: string) {
  const status = await statusOf(stack, uuid);
  const data = await stack.call('GET', `/v1/introspection/${uuid}/data/unprocessed`);
  return { state: status.state, finished: status.finished, error: status.error, data: data.status };
}

/** A callback as an attacker writes it: a big machine, whatever MACs, the victim's BMC address. */
function spoofed(macs: ReturnType<typeof nics>, bmc: string) {
  const body = threeNicCallback(macs, bmc);
  const inventory = body.inventory as { cpu: Record<string, unknown>; memory: Record<string, unknown> };
  inventory.cpu.count = 128;
  inventory.memory.physical_mb = 1048576;
  return body;
}

describe('LOOKUP_REQUIRE_PORT_MAC: spoofed callbacks change nothing in Ironic or the cache', () => {
  it("a victim's BMC address with made-up MACs, with another node's MACs, with an error: all refused", async () => {
    await withStack(SECURE, async (stack) => {
      const v = await victim(stack);
      const other = await nodeWithPorts(); // in Ironic, not under introspection
      const before = {
        ironic: await inIronic(v.node.uuid),
        other: await inIronic(other.node.uuid),
        cache: await inCache(stack, v.node.uuid),
      };
      expect(before.cache).toEqual({ state: 'waiting', finished: false, error: null, data: 404 });
      const bodies = [
        spoofed(nics(), v.bmc),
        spoofed(other.nics, v.bmc),
        { error: 'spoofed failure', inventory: { bmc_address: v.bmc } },
        { ...spoofed(nics(), v.bmc), error: 'spoofed failure' },
      ];
      for (const body of bodies) {
        const answer = await stack.call('POST', '/v1/continue', { body });
        expect(answer.status).toBe(400);
        expect(answer.text).not.toMatch(UUID);
      }
      await stack.idle();
      expect({
        ironic: await inIronic(v.node.uuid),
        other: await inIronic(other.node.uuid),
        cache: await inCache(stack, v.node.uuid),
      }).toEqual(before);

      // The node's own ramdisk still gets through, and Ironic gets its real inventory.
      const own = await stack.call('POST', '/v1/continue', { body: threeNicCallback(v.nics, v.bmc) });
      expect([own.status, own.json]).toEqual([200, { uuid: v.node.uuid }]);
      expect(await statusOf(stack, v.node.uuid)).toMatchObject({ state: 'finished', error: null });
      expect((await inIronic(v.node.uuid)).properties).toMatchObject({ cpus: '4', memory_mb: '8192' });
    });
  });

  it('active introspection: a deployed node is not recorded and overwritten by its BMC address alone', async () => {
    await withStack({ ...SECURE, PERMIT_ACTIVE_INTROSPECTION: 'true' }, async (stack) => {
      const ironic = testIronic();
      const deployed = await nodeWithPorts();
      await provision(ironic, deployed.node.uuid, [
        ['provide', 'available'],
        ['active', 'active'],
      ]);
      const before = await inIronic(deployed.node.uuid);
      const answer = await stack.call('POST', '/v1/continue', { body: spoofed(nics(), deployed.bmc) });
      expect(answer.status).toBe(400);
      expect(answer.text).not.toMatch(UUID);
      await stack.idle();
      expect(await inIronic(deployed.node.uuid)).toEqual(before);
      expect((await stack.call('GET', `/v1/introspection/${deployed.node.uuid}`)).status).toBe(404);
      // Its own ramdisk (its ports' MACs) is recorded and processed; it stays deployed.
      const own = await stack.call('POST', '/v1/continue', {
        body: threeNicCallback(deployed.nics, deployed.bmc),
      });
      expect([own.status, own.json]).toEqual([200, { uuid: deployed.node.uuid }]);
      expect(await statusOf(stack, deployed.node.uuid)).toMatchObject({ state: 'finished', error: null });
      expect((await inIronic(deployed.node.uuid)).provision_state).toBe('active');
    });
  });

  it("upstream's behaviour (LOOKUP_REQUIRE_PORT_MAC=false): the BMC-only spoof writes to Ironic", async () => {
    await withStack({ LOOKUP_REQUIRE_PORT_MAC: 'false' }, async (stack) => {
      const v = await victim(stack);
      const madeUp = nics();
      const answer = await stack.call('POST', '/v1/continue', { body: spoofed(madeUp, v.bmc) });
      expect([answer.status, answer.json]).toEqual([200, { uuid: v.node.uuid }]);
      const after = await eventually(
        () => inIronic(v.node.uuid),
        (n) => (n.properties as Record<string, unknown>).cpus === '128',
      );
      expect(after.properties).toMatchObject({ cpus: '128', memory_mb: '1048576' });
      expect(after.ports).toContainEqual([madeUp.pxe, true]);
    });
  });
});

describe('CALLBACK_ALLOWED_CIDRS', () => {
  it("the node's own callback from outside the ranges is 403 before any lookup; Ironic unchanged", async () => {
    await withStack(
      { ...SECURE, CALLBACK_ALLOWED_CIDRS: '198.51.100.0/28,2001:db8:7::/48' },
      async (stack) => {
        const v = await victim(stack);
        const before = { ironic: await inIronic(v.node.uuid), cache: await inCache(stack, v.node.uuid) };
        // The test client is 127.0.0.1.
        const answer = await stack.call('POST', '/v1/continue', { body: threeNicCallback(v.nics, v.bmc) });
        expect([answer.status, answer.json]).toEqual([
          403,
          { error: { message: 'Ramdisk callbacks are not accepted from 127.0.0.1' } },
        ]);
        await stack.idle();
        expect({ ironic: await inIronic(v.node.uuid), cache: await inCache(stack, v.node.uuid) }).toEqual(
          before,
        );
      },
    );
  });
});
