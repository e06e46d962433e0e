/**
 * A lookup that a stranger cannot steer, through HTTP against the local stack (in-memory stores, the
 * in-memory Ironic): with `LOOKUP_REQUIRE_PORT_MAC`, spoofed callbacks (a victim's BMC address only,
 * another node's MACs, an error reported for a victim) change nothing in Ironic or in the node cache;
 * without it, upstream's behaviour, they do. Failed and ambiguous lookups name no node; failed lookups
 * are limited per source address and counted.
 */
import { describe, expect, it } from 'vitest';
import type { InspectorMetricName } from '#lib/ports/metrics.ts';
import { FakeIronic } from '#test/support/fake-ironic.ts';
import { ramdiskCallback, startTestStack, type TestStack } from '#test/support/stack.ts';

const SECURE = { LOOKUP_REQUIRE_PORT_MAC: 'true' };
/** Ironic calls that change something. */
const WRITES = [
  'patchNode',
  'createPort',
  'patchPort',
  'deletePort',
  'addTrait',
  'removeTrait',
  'setPowerState',
];
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

let counter = 0;
/** A MAC no other test of this file uses. */
const mac = () => {
  counter++;
  return `52:54:02:00:${(counter >> 8).toString(16).padStart(2, '0')}:${(counter & 255).toString(16).padStart(2, '0')}`;
};
const macPair = (): [string, string] => [mac(), mac()];

interface Harness {
  readonly stack: TestStack;
  readonly ironic: FakeIronic;
  readonly counted: Partial<Record<InspectorMetricName, number>>;
}

async function withHarness(env: Record<string, string>, run: (h: Harness) => Promise<void>) {
  const ironic = new FakeIronic();
  const counted: Partial<Record<InspectorMetricName, number>> = {};
  const stack = await startTestStack({
    ironic,
    env,
    runtime: {
      metrics: {
        count(name, value = 1) {
          counted[name] = (counted[name] ?? 0) + value;
        },
      },
    },
  });
  try {
    await run({ stack, ironic, counted });
  } finally {
    await stack.stop();
  }
}

/** A node in Ironic with `macs` as ports (none: no ports), under introspection (`waiting`). */
async function victim(h: Harness, bmc: string, macs: string[]) {
  const node = h.ironic.addNode({ driver_info: { ipmi_address: bmc } }, macs);
  expect((await h.stack.call('POST', `/v1/introspection/${node.uuid}?manage_boot=0`)).status).toBe(202);
  await h.stack.idle();
  return node;
}

/** What Ironic and the node cache hold of a node, to compare before and after. */
async function snapshot(h: Harness, uuid: string) {
  await h.stack.idle();
  const status = await h.stack.call('GET', `/v1/introspection/${uuid}`);
  const data = await h.stack.call('GET', `/v1/introspection/${uuid}/data/unprocessed`);
  return {
    node: structuredClone(h.ironic.nodes.get(uuid)),
    ports: [...h.ironic.ports.values()].filter((p) => p.node_uuid === uuid),
    status: status.json as Record<string, unknown>,
    data: data.status,
  };
}

const writes = (h: Harness) => h.ironic.calls.filter((c) => WRITES.includes(c.method)).length;

/** A callback with a rich inventory, as an attacker would send it. */
async function spoofed(macs: [string, string], bmc: string) {
  const body = await ramdiskCallback(macs, bmc);
  const inventory = body.inventory as { cpu: Record<string, unknown>; memory: Record<string, unknown> };
  inventory.cpu.count = 128;
  inventory.memory.physical_mb = 1048576;
  return body;
}

/** The answer upstream gives when nothing matches, for these attributes. */
const notFound = (bmc: string, macs: readonly string[]) =>
  `The following failures happened during running pre-processing hooks:\nLook up error: Could not find a node for attributes {'bmc_address': ['${bmc}'], 'mac': [${macs.map((m) => `'${m}'`).join(', ')}]}`;

describe('LOOKUP_REQUIRE_PORT_MAC: spoofed callbacks change nothing', () => {
  it("a victim's BMC address with made-up MACs: refused exactly as a miss; Ironic and the cache unchanged", async () => {
    await withHarness(SECURE, async (h) => {
      const node = await victim(h, '192.0.2.31', macPair());
      const before = await snapshot(h, node.uuid);
      const writesBefore = writes(h);
      const madeUp = macPair();
      const answer = await h.stack.call('POST', '/v1/continue', {
        body: await spoofed(madeUp, '192.0.2.31'),
      });
      expect([answer.status, answer.json]).toEqual([
        400,
        { error: { message: notFound('192.0.2.31', madeUp) } },
      ]);
      expect(answer.text).not.toMatch(UUID);
      expect(await snapshot(h, node.uuid)).toEqual(before);
      expect(before.status).toMatchObject({ state: 'waiting', finished: false, error: null });
      expect(before.data).toBe(404);
      expect(writes(h)).toBe(writesBefore);
      expect(h.counted.LookupFailures).toBe(1);
      // The log keeps what the caller is not told.
      expect(
        h.stack.logger.lines.some(
          (l) => l.message === 'Lookup failed' && String(l.extra?.reason).includes(node.uuid),
        ),
      ).toBe(true);
    });
  });

  it("a victim's BMC address with another node's MACs: refused; neither node changes", async () => {
    await withHarness(SECURE, async (h) => {
      const node = await victim(h, '192.0.2.32', macPair());
      const otherMacs = macPair();
      const other = h.ironic.addNode({ driver_info: { ipmi_address: '192.0.2.33' } }, [...otherMacs]);
      const before = [await snapshot(h, node.uuid), structuredClone(h.ironic.nodes.get(other.uuid))];
      const writesBefore = writes(h);
      const answer = await h.stack.call('POST', '/v1/continue', {
        body: await spoofed(otherMacs, '192.0.2.32'),
      });
      expect([answer.status, answer.json]).toEqual([
        400,
        { error: { message: notFound('192.0.2.32', otherMacs) } },
      ]);
      expect([await snapshot(h, node.uuid), h.ironic.nodes.get(other.uuid)]).toEqual(before);
      expect(writes(h)).toBe(writesBefore);
    });
  });

  it('an error reported with a victim’s BMC address: the node waits on, unfailed', async () => {
    await withHarness(SECURE, async (h) => {
      const node = await victim(h, '192.0.2.34', macPair());
      const before = await snapshot(h, node.uuid);
      const answer = await h.stack.call('POST', '/v1/continue', {
        body: { error: 'spoofed failure', inventory: { bmc_address: '192.0.2.34' } },
      });
      expect(answer.status).toBe(400);
      expect(answer.text).not.toMatch(UUID);
      expect(await snapshot(h, node.uuid)).toEqual(before);
      expect(before.status).toMatchObject({ state: 'waiting', error: null });
    });
  });

  it('a node without ports matched by its BMC address: an error reported for it does not fail it', async () => {
    await withHarness(SECURE, async (h) => {
      const node = await victim(h, '192.0.2.35', []);
      const answer = await h.stack.call('POST', '/v1/continue', {
        body: { error: 'spoofed failure', inventory: { bmc_address: '192.0.2.35' } },
      });
      expect(answer.status).toBe(400);
      expect((await snapshot(h, node.uuid)).status).toMatchObject({ state: 'waiting', error: null });
      expect(h.stack.logger.messages('warn')).toContain(
        'Failures from a callback not proven by a port MAC; the node is left as it is',
      );
    });
  });

  it("the node's own ramdisk (one of its port MACs) is processed, and can report its error", async () => {
    await withHarness(SECURE, async (h) => {
      const macs = macPair();
      const node = await victim(h, '192.0.2.36', [...macs]);
      // One known MAC is enough (the other NIC may be new to Ironic).
      const answer = await h.stack.call('POST', '/v1/continue', {
        body: await ramdiskCallback([macs[0], mac()], '192.0.2.36'),
      });
      expect([answer.status, answer.json]).toEqual([200, { uuid: node.uuid }]);
      expect((await snapshot(h, node.uuid)).status).toMatchObject({ state: 'finished', error: null });

      const failing = await victim(h, '192.0.2.37', macPair());
      const ports = (await snapshot(h, failing.uuid)).ports.map((p) => p.address) as [string, string];
      const body = { ...(await ramdiskCallback(ports, '192.0.2.37')), error: 'Disk /dev/sda failed' };
      expect((await h.stack.call('POST', '/v1/continue', { body })).status).toBe(400);
      expect((await snapshot(h, failing.uuid)).status).toMatchObject({
        state: 'error',
        error: expect.stringContaining('Ramdisk reported error: Disk /dev/sda failed'),
      });
    });
  });

  it("upstream's behaviour (LOOKUP_REQUIRE_PORT_MAC=false): the same spoofs take the node", async () => {
    await withHarness({ LOOKUP_REQUIRE_PORT_MAC: 'false' }, async (h) => {
      const node = await victim(h, '192.0.2.38', macPair());
      const answer = await h.stack.call('POST', '/v1/continue', {
        body: await spoofed(macPair(), '192.0.2.38'),
      });
      expect([answer.status, answer.json]).toEqual([200, { uuid: node.uuid }]);
      expect(h.ironic.nodes.get(node.uuid)?.properties).toMatchObject({ cpus: '128', memory_mb: '1048576' });

      const failed = await victim(h, '192.0.2.39', macPair());
      await h.stack.call('POST', '/v1/continue', {
        body: { error: 'spoofed failure', inventory: { bmc_address: '192.0.2.39' } },
      });
      expect((await snapshot(h, failed.uuid)).status).toMatchObject({ state: 'error' });
    });
  });
});

describe('a failed or ambiguous lookup names no node', () => {
  for (const env of [SECURE, { LOOKUP_REQUIRE_PORT_MAC: 'false' }]) {
    it(`two nodes share a BMC address (LOOKUP_REQUIRE_PORT_MAC=${env.LOOKUP_REQUIRE_PORT_MAC}): upstream's text without the UUIDs`, async () => {
      await withHarness(env, async (h) => {
        const a = await victim(h, '192.0.2.40', macPair());
        const b = await victim(h, '192.0.2.40', macPair());
        const before = [await snapshot(h, a.uuid), await snapshot(h, b.uuid)];
        const answer = await h.stack.call('POST', '/v1/continue', {
          body: { error: 'spoofed failure', inventory: { bmc_address: '192.0.2.40' } },
        });
        expect(answer.status).toBe(400);
        expect((answer.json as { error: { message: string } }).error.message).toContain(
          "Look up error: Multiple nodes match the same number of attributes {'bmc_address': ['192.0.2.40'], 'mac': []}",
        );
        expect(answer.text).not.toMatch(UUID);
        expect([await snapshot(h, a.uuid), await snapshot(h, b.uuid)]).toEqual(before);
        const logged = h.stack.logger.lines.find((l) => l.message === 'Lookup failed');
        expect(String(logged?.extra?.reason)).toContain([a.uuid, b.uuid].sort()[0]);
      });
    });
  }
});

describe('failed lookups per source address (LOOKUP_FAILURES_PER_MINUTE)', () => {
  it('past the budget a source is refused (429) without a lookup until the minute ends; matches cost nothing', async () => {
    await withHarness({ ...SECURE, LOOKUP_FAILURES_PER_MINUTE: '3' }, async (h) => {
      const macs = macPair();
      const node = await victim(h, '192.0.2.50', [...macs]);
      // A lookup that finds its node gives its attempt back.
      const ok = await h.stack.call('POST', '/v1/continue', {
        body: await ramdiskCallback(macs, '192.0.2.50'),
      });
      expect(ok.status).toBe(200);
      for (let i = 0; i < 3; i++) {
        const miss = await h.stack.call('POST', '/v1/continue', {
          body: await spoofed(macPair(), `192.0.2.${60 + i}`),
        });
        expect(miss.status).toBe(400);
      }
      const findsBefore = h.ironic.calls.length;
      const refused = await h.stack.call('POST', '/v1/continue', {
        body: await spoofed(macPair(), '192.0.2.70'),
      });
      expect(refused.status).toBe(429);
      expect(refused.json).toEqual({
        error: {
          message: expect.stringMatching(/^Too many failed lookups from this address, retry in \d+ seconds$/),
        },
      });
      const seconds = /retry in (\d+) seconds/.exec(
        String((refused.json as { error: { message: string } }).error.message),
      );
      expect(refused.headers.get('retry-after')).toBe(seconds?.[1]);
      expect(h.ironic.calls.length).toBe(findsBefore);
      expect(h.counted).toMatchObject({ LookupFailures: 4, LookupsThrottled: 1 });
      expect((await snapshot(h, node.uuid)).status).toMatchObject({ state: 'finished', error: null });
      // The next minute, lookups are made again.
      h.stack.clock.advance(60_000);
      const again = await h.stack.call('POST', '/v1/continue', {
        body: await spoofed(macPair(), '192.0.2.71'),
      });
      expect(again.status).toBe(400);
    });
  });
});
