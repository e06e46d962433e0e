/**
 * The processing settings' non-default behaviour, through the API: the real api and worker handlers
 * on DynamoDB Local and s3rver, with the in-memory Ironic. `ADD_PORTS`, `KEEP_PORTS`,
 * `OVERWRITE_EXISTING`, `UPDATE_PXE_ENABLED`, `POWER_OFF`, `PROCESSING_HOOKS`,
 * `DISK_PARTITIONING_SPACING`, `CAPABILITIES_BOOT_MODE`, `CAPABILITIES_CPU_FLAGS`, and the root device
 * hints a node carries (`properties.root_device`, `properties.skip_block_devices`).
 *
 * Every test starts its own stack: its own table, clock and log.
 */
import { describe, expect, it } from 'vitest';
import type { IronicNode } from '#lib/ports/ironic.ts';
import type { FakeIronic } from '#test/support/fake-ironic.ts';
import {
  freshBmc,
  freshNics,
  introspect,
  processedData,
  statusOf,
  type ThreeNics,
  threeNicCallback,
} from '#test/support/introspection.ts';
import { withTestStack as withStack } from '#test/support/stack.ts';

/** A manageable node with a BMC address, `portMacs` as its Ironic ports, and three NICs to report. */
function addNode(
  ironic: FakeIronic,
  fields: Partial<IronicNode> & Record<string, unknown> = {},
  portMacs: (nics: ThreeNics) => string[] = () => [],
) {
  const nics = freshNics();
  const bmc = freshBmc();
  const node = ironic.addNode({ driver_info: { ipmi_address: bmc }, ...fields }, portMacs(nics));
  return { node, nics, bmc, callback: threeNicCallback(nics, bmc) };
}

/** The node's ports in Ironic: MAC → pxe_enabled. */
function portsOf(ironic: FakeIronic, uuid: string): Record<string, boolean | undefined> {
  return Object.fromEntries(
    [...ironic.ports.values()].filter((p) => p.node_uuid === uuid).map((p) => [p.address, p.pxe_enabled]),
  );
}

function propertiesOf(ironic: FakeIronic, uuid: string): Record<string, unknown> {
  return (ironic.nodes.get(uuid)?.properties ?? {}) as Record<string, unknown>;
}

/** `a:b,c:d` as a set of pairs, whatever the order. */
function capabilities(ironic: FakeIronic, uuid: string): string[] {
  return String(propertiesOf(ironic, uuid).capabilities ?? '')
    .split(',')
    .filter((c) => c !== '')
    .sort();
}

const finishedOk = { state: 'finished', finished: true, error: null };

describe('ADD_PORTS: which NICs become Ironic ports', () => {
  const cases: Array<{
    setting: string;
    env: Record<string, string>;
    created: (n: ThreeNics) => Record<string, boolean>;
  }> = [
    { setting: 'pxe (default)', env: {}, created: (n: ThreeNics) => ({ [n.pxe]: true }) },
    {
      setting: 'active',
      env: { ADD_PORTS: 'active' },
      created: (n: ThreeNics) => ({ [n.pxe]: true, [n.addressed]: false }),
    },
    {
      setting: 'all',
      env: { ADD_PORTS: 'all' },
      created: (n: ThreeNics) => ({ [n.pxe]: true, [n.addressed]: false, [n.unaddressed]: false }),
    },
    { setting: 'disabled', env: { ADD_PORTS: 'disabled' }, created: () => ({}) },
  ];
  for (const { setting, env, created } of cases) {
    it(`${setting}`, async () => {
      await withStack(env, async (stack, ironic) => {
        const { node, nics, callback } = addNode(ironic);
        const answer = await introspect(stack, node.uuid, callback);
        expect([answer.status, answer.json]).toEqual([200, { uuid: node.uuid }]);
        expect(await statusOf(stack, node.uuid)).toMatchObject(finishedOk);
        expect(portsOf(ironic, node.uuid)).toEqual(created(nics));
        // The interfaces the data names as the node's: the PXE NIC, or every NIC with an address,
        // or every NIC at all; `disabled` still chooses (active NICs) but creates nothing.
        const expectedMacs =
          setting === 'all'
            ? [nics.pxe, nics.addressed, nics.unaddressed]
            : setting.startsWith('pxe')
              ? [nics.pxe]
              : [nics.pxe, nics.addressed];
        expect((await processedData(stack, node.uuid)).macs).toEqual(expectedMacs);
      });
    });
  }
});

describe('KEEP_PORTS: which existing ports stay', () => {
  const cases: Array<{
    setting: string;
    env: Record<string, string>;
    kept: (n: ThreeNics, stale: string) => string[];
  }> = [
    {
      setting: 'all (default)',
      env: {},
      kept: (n: ThreeNics, stale: string) => [n.pxe, n.unaddressed, stale],
    },
    { setting: 'present', env: { KEEP_PORTS: 'present' }, kept: (n: ThreeNics) => [n.pxe, n.unaddressed] },
    { setting: 'added', env: { KEEP_PORTS: 'added' }, kept: (n: ThreeNics) => [n.pxe] },
  ];
  for (const { setting, env, kept } of cases) {
    it(`${setting}`, async () => {
      await withStack(env, async (stack, ironic) => {
        const stale = '52:54:00:ee:ee:01';
        const { node, nics, callback } = addNode(ironic, {}, (n) => [n.pxe, n.unaddressed, stale]);
        const answer = await introspect(stack, node.uuid, callback);
        expect(answer.status).toBe(200);
        expect(Object.keys(portsOf(ironic, node.uuid)).sort()).toEqual(kept(nics, stale).sort());
        expect(ironic.callsOf('deletePort')).toHaveLength(3 - kept(nics, stale).length);
      });
    });
  }

  it('whatever the setting, the ports of an active node are left alone (permit_active_introspection)', async () => {
    await withStack({ KEEP_PORTS: 'added', PERMIT_ACTIVE_INTROSPECTION: 'true' }, async (stack, ironic) => {
      const stale = '52:54:00:ee:ee:02';
      const { node, nics, callback } = addNode(ironic, { provision_state: 'active' }, (n) => [n.pxe, stale]);
      expect((await introspect(stack, node.uuid, callback)).status).toBe(200);
      expect(Object.keys(portsOf(ironic, node.uuid)).sort()).toEqual([nics.pxe, stale].sort());
      expect(ironic.callsOf('deletePort')).toEqual([]);
    });
  });
});

describe('OVERWRITE_EXISTING and UPDATE_PXE_ENABLED', () => {
  /**
   * A node with properties of its own and a port for the addressed NIC, PXE-enabled (as the in-memory
   * Ironic makes ports), while the data says that NIC is not the PXE one.
   */
  function nodeWithOwnValues(ironic: FakeIronic) {
    return addNode(ironic, { properties: { cpus: '1', cpu_arch: 'aarch64', local_gb: '7' } }, (n) => [
      n.addressed,
    ]);
  }

  it('true (default): the data replaces the properties and fixes pxe_enabled', async () => {
    await withStack({ ADD_PORTS: 'active' }, async (stack, ironic) => {
      const { node, nics, callback } = nodeWithOwnValues(ironic);
      expect((await introspect(stack, node.uuid, callback)).status).toBe(200);
      expect(propertiesOf(ironic, node.uuid)).toMatchObject({
        cpus: '4',
        cpu_arch: 'x86_64',
        memory_mb: '8192',
        local_gb: '49',
      });
      expect(portsOf(ironic, node.uuid)).toEqual({ [nics.pxe]: true, [nics.addressed]: false });
    });
  });

  it('OVERWRITE_EXISTING=false: properties the node has stay, missing ones are filled; pxe_enabled stays', async () => {
    await withStack({ ADD_PORTS: 'active', OVERWRITE_EXISTING: 'false' }, async (stack, ironic) => {
      const { node, nics, callback } = nodeWithOwnValues(ironic);
      expect((await introspect(stack, node.uuid, callback)).status).toBe(200);
      expect(propertiesOf(ironic, node.uuid)).toMatchObject({
        cpus: '1',
        cpu_arch: 'aarch64',
        local_gb: '7',
        memory_mb: '8192',
      });
      expect(portsOf(ironic, node.uuid)).toEqual({ [nics.pxe]: true, [nics.addressed]: true });
      expect(ironic.callsOf('patchPort')).toEqual([]);
      // The data still says what the ramdisk found.
      expect(await processedData(stack, node.uuid)).toMatchObject({ cpus: 4, local_gb: 49 });
    });
  });

  it('UPDATE_PXE_ENABLED=false: new ports are PXE-enabled and existing ones are not fixed', async () => {
    await withStack({ ADD_PORTS: 'all', UPDATE_PXE_ENABLED: 'false' }, async (stack, ironic) => {
      const { node, nics, callback } = nodeWithOwnValues(ironic);
      expect((await introspect(stack, node.uuid, callback)).status).toBe(200);
      expect(portsOf(ironic, node.uuid)).toEqual({
        [nics.pxe]: true,
        [nics.addressed]: true,
        [nics.unaddressed]: true,
      });
      expect(ironic.callsOf('patchPort')).toEqual([]);
      expect(
        ironic.callsOf('createPort').map((c) => (c.args[0] as { pxeEnabled: boolean }).pxeEnabled),
      ).toEqual([true, true]);
    });
  });
});

describe('POWER_OFF', () => {
  it('true (default): the worker powers the node off after processing', async () => {
    await withStack({}, async (stack, ironic) => {
      const { node, callback } = addNode(ironic);
      expect((await introspect(stack, node.uuid, callback)).status).toBe(200);
      expect(ironic.callsOf('setPowerState').map((c) => c.args[1])).toEqual(['rebooting', 'power off']);
      expect(ironic.nodes.get(node.uuid)?.power_state).toBe('power off');
    });
  });

  it('false: the node is left powered on, and the introspection still finishes', async () => {
    await withStack({ POWER_OFF: 'false' }, async (stack, ironic) => {
      const { node, callback } = addNode(ironic);
      expect((await introspect(stack, node.uuid, callback)).status).toBe(200);
      expect(await statusOf(stack, node.uuid)).toMatchObject(finishedOk);
      expect(ironic.callsOf('setPowerState').map((c) => c.args[1])).toEqual(['rebooting']);
      expect(ironic.nodes.get(node.uuid)?.power_state).toBe('power on');
    });
  });
});

describe('PROCESSING_HOOKS', () => {
  it('only the hooks named run, in that order: no ports, no disk, no capabilities', async () => {
    await withStack({ PROCESSING_HOOKS: 'ramdisk_error,scheduler' }, async (stack, ironic) => {
      const { node, callback } = addNode(ironic);
      expect((await introspect(stack, node.uuid, callback)).status).toBe(200);
      expect(await statusOf(stack, node.uuid)).toMatchObject(finishedOk);
      expect(propertiesOf(ironic, node.uuid)).toEqual({ cpus: '4', cpu_arch: 'x86_64', memory_mb: '8192' });
      expect(ironic.callsOf('createPort')).toEqual([]);
      const data = await processedData(stack, node.uuid);
      expect(data).toMatchObject({ cpus: 4, cpu_arch: 'x86_64', memory_mb: 8192 });
      for (const key of ['interfaces', 'all_interfaces', 'macs', 'local_gb'])
        expect(data).not.toHaveProperty(key);
    });
  });

  it('without ramdisk_error, an error the ramdisk reports does not fail the node', async () => {
    await withStack({ PROCESSING_HOOKS: 'validate_interfaces,scheduler' }, async (stack, ironic) => {
      const { node, callback } = addNode(ironic);
      const answer = await introspect(stack, node.uuid, { ...callback, error: 'disk controller on fire' });
      expect([answer.status, answer.json]).toEqual([200, { uuid: node.uuid }]);
      expect(await statusOf(stack, node.uuid)).toMatchObject(finishedOk);
    });
  });

  it('with ramdisk_error (default) the same callback fails the node with the ramdisk text', async () => {
    await withStack({}, async (stack, ironic) => {
      const { node, callback } = addNode(ironic);
      const answer = await introspect(stack, node.uuid, { ...callback, error: 'disk controller on fire' });
      const message =
        'The following failures happened during running pre-processing hooks:\nPreprocessing hook ramdisk_error: Ramdisk reported error: disk controller on fire';
      expect([answer.status, answer.json]).toEqual([400, { error: { message } }]);
      expect(await statusOf(stack, node.uuid)).toMatchObject({
        state: 'error',
        error: 'Preprocessing hook ramdisk_error: Ramdisk reported error: disk controller on fire',
      });
    });
  });
});

describe('root disk and local_gb', () => {
  it('DISK_PARTITIONING_SPACING=false: local_gb is the whole root disk (50 GiB, not 49)', async () => {
    await withStack({ DISK_PARTITIONING_SPACING: 'false' }, async (stack, ironic) => {
      const { node, callback } = addNode(ironic);
      expect((await introspect(stack, node.uuid, callback)).status).toBe(200);
      expect(propertiesOf(ironic, node.uuid).local_gb).toBe('50');
      expect((await processedData(stack, node.uuid)).local_gb).toBe(50);
    });
  });

  it('properties.root_device picks the root disk by hints (the 10 GiB SSD, not the reported sda)', async () => {
    await withStack({}, async (stack, ironic) => {
      const { node, callback } = addNode(ironic, { properties: { root_device: { size: '<= 20' } } });
      expect((await introspect(stack, node.uuid, callback)).status).toBe(200);
      expect(propertiesOf(ironic, node.uuid).local_gb).toBe('9');
      const data = await processedData(stack, node.uuid);
      expect((data.root_disk as { name: string }).name).toBe('/dev/sdb');
      expect(data.local_gb).toBe(9);
    });
  });

  it("skip_block_devices takes disks out of the hints' choice", async () => {
    await withStack({}, async (stack, ironic) => {
      const { node, callback } = addNode(ironic, {
        properties: { root_device: { vendor: 'ATA' }, skip_block_devices: [{ name: '/dev/sda' }] },
      });
      expect((await introspect(stack, node.uuid, callback)).status).toBe(200);
      expect(((await processedData(stack, node.uuid)).root_disk as { name: string }).name).toBe('/dev/sdb');
    });
  });

  it('no disk left that satisfies the hints: 400, and the node goes to error', async () => {
    await withStack({}, async (stack, ironic) => {
      const { node, callback } = addNode(ironic, {
        properties: { root_device: { rotational: false }, skip_block_devices: [{ name: '/dev/sdb' }] },
      });
      const answer = await introspect(stack, node.uuid, callback);
      expect([answer.status, answer.json]).toEqual([
        400,
        { error: { message: 'No disks satisfied root device hints' } },
      ]);
      expect(await statusOf(stack, node.uuid)).toMatchObject({
        state: 'error',
        error: 'No disks satisfied root device hints',
      });
      expect(propertiesOf(ironic, node.uuid)).not.toHaveProperty('local_gb');
    });
  });

  it('hints that do not validate: 400 naming them and why, and the node goes to error', async () => {
    await withStack({}, async (stack, ironic) => {
      const { node, callback } = addNode(ironic, { properties: { root_device: { size: 'big' } } });
      const answer = await introspect(stack, node.uuid, callback);
      const message =
        "No disks could be found using the root device hints {'size': 'big'} because they failed to validate. Error: Root device hint \"size\" must be an integer number of GiB, got big";
      expect([answer.status, answer.json]).toEqual([400, { error: { message } }]);
      expect((await statusOf(stack, node.uuid)).error).toBe(message);
    });
  });
});

describe('capabilities', () => {
  it('defaults: CPU flag capabilities only (vmx → cpu_vt, pse → cpu_hugepages), no boot mode', async () => {
    await withStack({}, async (stack, ironic) => {
      const { node, callback } = addNode(ironic);
      expect((await introspect(stack, node.uuid, callback)).status).toBe(200);
      expect(capabilities(ironic, node.uuid)).toEqual(['cpu_hugepages:true', 'cpu_vt:true']);
    });
  });

  it('CAPABILITIES_BOOT_MODE=true adds the boot mode the ramdisk booted in', async () => {
    await withStack({ CAPABILITIES_BOOT_MODE: 'true' }, async (stack, ironic) => {
      const { node, callback } = addNode(ironic);
      expect((await introspect(stack, node.uuid, callback)).status).toBe(200);
      expect(capabilities(ironic, node.uuid)).toEqual([
        'boot_mode:bios',
        'cpu_hugepages:true',
        'cpu_vt:true',
      ]);
    });
  });

  it('CAPABILITIES_CPU_FLAGS replaces the flag map', async () => {
    await withStack(
      { CAPABILITIES_CPU_FLAGS: '{"lm": "cpu_64bit", "sse2": "cpu_sse2", "avx512f": "cpu_avx512"}' },
      async (stack, ironic) => {
        const { node, callback } = addNode(ironic, { properties: { capabilities: 'profile:compute' } });
        expect((await introspect(stack, node.uuid, callback)).status).toBe(200);
        expect(capabilities(ironic, node.uuid)).toEqual([
          'cpu_64bit:true',
          'cpu_sse2:true',
          'profile:compute',
        ]);
      },
    );
  });
});
