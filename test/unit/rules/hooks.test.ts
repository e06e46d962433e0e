/**
 * The optional processing hooks in memory (an in-memory Ironic): `extra_hardware`, `lldp_basic`,
 * `local_link_connection`, `physnet_cidr_map`, `raid_device`, `accelerators`, switched on by
 * `PROCESSING_HOOKS` with their settings, and the settings' checks at start.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '#lib/config.ts';
import { IronicError } from '#lib/domain/errors.ts';
import type { IntrospectionDocument } from '#lib/ports/introspection-data-store.ts';
import type { ProcessingHook } from '#lib/processing/hook.ts';
import { ProcessingPipeline } from '#lib/processing/pipeline.ts';
import { FakeIronic } from '#test/support/fake-ironic.ts';
import { ironicNodeInfo, RecordingLogger } from '#test/support/fixture.ts';
import { SWITCH_TLVS, switchPortTlvs } from '#test/support/lldp.ts';

function setup(env: Record<string, string>, hooks: string) {
  const ironic = new FakeIronic();
  const logger = new RecordingLogger();
  const config = loadConfig({ PROCESSING_HOOKS: hooks, ...env });
  const nodeInfo = (uuid: string) => ironicNodeInfo(uuid, ironic, logger);
  const list = new ProcessingPipeline({ ...config.processing, logger }).hooks;
  async function process(data: IntrospectionDocument, uuid: string): Promise<void> {
    for (const hook of list) hook.beforeProcessing?.(data);
    const ni = nodeInfo(uuid);
    for (const hook of list) await hook.beforeUpdate?.(data, ni);
  }
  return { ironic, logger, hooks: list as ProcessingHook[], process };
}

const MACS = ['52:54:00:00:00:01', '52:54:00:00:00:02'];

/** Processed-looking data: two interfaces, both valid (validate_interfaces already ran). */
function data(
  fields: Record<string, unknown> = {},
  interfaces: Array<Record<string, unknown>> = [],
): IntrospectionDocument {
  const nics = [
    {
      name: 'eth0',
      mac_address: MACS[0],
      ipv4_address: '10.10.10.5',
      ipv6_address: '2001:db8::5',
      ...interfaces[0],
    },
    { name: 'eth1', mac_address: MACS[1], ipv4_address: null, ipv6_address: 'fd00::7', ...interfaces[1] },
  ];
  return {
    inventory: {
      interfaces: nics,
      disks: [
        { name: '/dev/sda', serial: 'S1' },
        { name: '/dev/sdb', serial: 'S2' },
      ],
    },
    all_interfaces: Object.fromEntries(
      nics.map((n) => [n.name, { mac: n.mac_address, ip: n.ipv4_address, pxe: false }]),
    ),
    local_gb: 10,
    ...fields,
  };
}

describe('PROCESSING_HOOKS', () => {
  it('switches the optional hooks on in the configured order, after or among the defaults', () => {
    const { hooks } = setup(
      {},
      'ramdisk_error,extra_hardware,lldp_basic,local_link_connection,physnet_cidr_map,raid_device,accelerators',
    );
    expect(hooks.map((h) => h.name)).toEqual([
      'ramdisk_error',
      'extra_hardware',
      'lldp_basic',
      'local_link_connection',
      'physnet_cidr_map',
      'raid_device',
      'accelerators',
    ]);
    expect(() => loadConfig({ PROCESSING_HOOKS: 'lldp_basic,nope' })).toThrow(/PROCESSING_HOOKS/);
  });

  it.each([
    [{ PHYSNET_CIDR_MAP: '10.0.0.1/24:physnet_a' }, 'PHYSNET_CIDR_MAP: 10.0.0.1/24 has host bits set'],
    [{ PHYSNET_CIDR_MAP: '10.0.0.0/24' }, 'PHYSNET_CIDR_MAP'],
    [
      { ACCELERATORS_KNOWN_DEVICES: '{}' },
      'ACCELERATORS_KNOWN_DEVICES: Could not find pci_devices in the configuration data',
    ],
    [{ ACCELERATORS_KNOWN_DEVICES: '{"pci_devices": {}}' }, 'pci_devices should contain a list of devices'],
    [
      { ACCELERATORS_KNOWN_DEVICES: '{"pci_devices": [{"vendor_id": "1"}]}' },
      'one of devices is missing vendor_id or device_id',
    ],
    [{ ACCELERATORS_KNOWN_DEVICES: 'pci_devices: []' }, 'ACCELERATORS_KNOWN_DEVICES: not valid JSON'],
    [{ EXTRA_HARDWARE_STRICT: 'yes' }, 'EXTRA_HARDWARE_STRICT'],
  ])('%j is refused at start: %s', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('settings: CIDR map entries split at the last colon (IPv6 works); upstream defaults', () => {
    const config = loadConfig({ PHYSNET_CIDR_MAP: '10.10.10.0/24:physnet_a, 2001:db8::/64:physnet_b' });
    expect(config.processing.physnetCidrMap.map((m) => [m.cidr, m.physnet])).toEqual([
      ['10.10.10.0/24', 'physnet_a'],
      ['2001:db8::/64', 'physnet_b'],
    ]);
    const defaults = loadConfig({});
    expect(defaults.processing.extraHardwareStrict).toBe(false);
    expect(defaults.processing.physnetCidrMap).toEqual([]);
    expect(defaults.processing.knownAccelerators.map((d) => d.device_id)).toEqual(['1eb8', '1df6']);
  });
});

describe('extra_hardware', () => {
  it('turns eDeploy entries into data.extra (int() where it converts) and drops data', async () => {
    const { process, ironic } = setup({}, 'extra_hardware');
    const node = ironic.addNode();
    const d = data({
      data: [
        ['cpu', 'logical', 'number', '16'],
        ['cpu', 'physical', 'number', 8.9],
        ['memory', 'total', 'size', '100.5'],
        ['disk', 'sda', 'rotational', true],
        ['disk', 'sda', 'rotational', '0'],
        ['system', 'product', 'name', 'R640', 'ignored fifth'],
        [],
        ['x', 'y', 'z'],
        ['a'],
        [['unhashable'], 'b', 'c', 'd'],
      ],
    });
    await process(d, node.uuid);
    expect(d.data).toBeUndefined();
    expect(d.extra).toEqual({
      cpu: { logical: { number: 16 }, physical: { number: 8 } },
      memory: { total: { size: '100.5' } },
      disk: { sda: { rotational: 0 } },
      system: { product: { name: 'R640' } },
      x: { y: {} },
      a: {},
    });
    expect(ironic.callsOf('patchNode')).toEqual([]);
  });

  it('data in another shape is kept (dropped in strict mode); no data is only a warning', async () => {
    const relaxed = setup({}, 'extra_hardware');
    const node = relaxed.ironic.addNode();
    const kept = data({ data: { not: 'a list' } });
    await relaxed.process(kept, node.uuid);
    expect(kept.data).toEqual({ not: 'a list' });
    expect(kept.extra).toBeUndefined();
    const strict = setup({ EXTRA_HARDWARE_STRICT: 'true' }, 'extra_hardware');
    const strictNode = strict.ironic.addNode();
    const dropped = data({ data: [['cpu', 'logical', 'number']] });
    await strict.process(dropped, strictNode.uuid);
    expect(dropped.data).toBeUndefined();
    expect(dropped.extra).toBeUndefined();
    const none = data();
    await strict.process(none, strictNode.uuid);
    expect(strict.logger.messages('warn')).toContain(
      'No extra hardware information was received from the ramdisk',
    );
  });
});

describe('lldp_basic', () => {
  it('stores the parsed TLVs as all_interfaces.<name>.lldp_processed (lldp_raw first, then the interface)', async () => {
    const { process, ironic } = setup({}, 'lldp_basic');
    const node = ironic.addNode();
    const port2 = switchPortTlvs({
      chassisMac: '52:54:00:aa:00:02',
      portName: 'xe-0/0/2',
      systemName: 'leaf-2',
      vlans: [{ id: 30, name: 'prov' }],
      mtu: 1500,
    });
    const d = data({ lldp_raw: { eth1: port2 } }, [{ lldp: SWITCH_TLVS }, { lldp: [[5, '00']] }]);
    await process(d, node.uuid);
    const all = d.all_interfaces as Record<string, Record<string, Record<string, unknown>>>;
    expect(all.eth0?.lldp_processed).toMatchObject({
      switch_chassis_id: '52:54:00:ab:cd:ef',
      switch_port_id: 'Ethernet1/1',
      switch_port_mtu: 9000,
    });
    expect(all.eth1?.lldp_processed).toEqual({
      switch_chassis_id: '52:54:00:aa:00:02',
      switch_port_id: 'xe-0/0/2',
      switch_system_name: 'leaf-2',
      switch_port_untagged_vlan_id: 30,
      switch_port_vlans: [{ name: 'prov', id: 30 }],
      switch_port_mtu: 1500,
    });
    expect(ironic.callsOf('patchNode')).toEqual([]);
  });

  it('an interface without LLDP is a warning; one left out by validation is skipped, not a crash', async () => {
    const { process, ironic, logger } = setup({}, 'lldp_basic');
    const node = ironic.addNode();
    const d = data({}, [{ lldp: null }, { lldp: SWITCH_TLVS }]);
    delete (d.all_interfaces as Record<string, unknown>).eth1;
    await process(d, node.uuid);
    expect(logger.messages('warn')).toEqual([
      'No LLDP Data found for interface eth0',
      'Interface eth1 has LLDP data but is not a valid interface; ignoring it',
    ]);
  });
});

describe('local_link_connection', () => {
  const lldp = {
    chassisMac: '52:54:00:ab:cd:ef',
    portName: 'Ethernet1/7',
    systemName: 's',
    vlans: [{ id: 10, name: 'v' }],
    mtu: 9000,
  };

  it('patches switch_id and port_id from lldp_basic, or from the raw TLVs without it', async () => {
    for (const hooks of ['lldp_basic,local_link_connection', 'local_link_connection']) {
      const { process, ironic } = setup({}, hooks);
      const node = ironic.addNode({}, MACS);
      await process(data({}, [{ lldp: switchPortTlvs(lldp) }]), node.uuid);
      const port = [...ironic.ports.values()].find((p) => p.address === MACS[0]) as Record<string, unknown>;
      expect(port.local_link_connection).toEqual({ switch_id: '52:54:00:ab:cd:ef', port_id: 'Ethernet1/7' });
      expect(ironic.callsOf('patchPort')).toHaveLength(1);
    }
  });

  it('a chassis ID that is not a MAC gives no switch_id; OVERWRITE_EXISTING=false keeps what the port has', async () => {
    const named = [
      [1, `07${Buffer.from('chassis-name').toString('hex')}`],
      [2, `05${Buffer.from('Eth9').toString('hex')}`],
    ];
    const first = setup({}, 'lldp_basic,local_link_connection');
    const node = first.ironic.addNode({}, MACS);
    await first.process(data({}, [{ lldp: named }]), node.uuid);
    expect(first.ironic.callsOf('patchPort')[0]?.args[1]).toEqual([
      { op: 'add', path: '/local_link_connection/port_id', value: 'Eth9' },
    ]);
    expect(first.logger.messages('info')).toContain("Skipping switch_id since it's not a MAC: chassis-name");

    const kept = setup({ OVERWRITE_EXISTING: 'false' }, 'lldp_basic,local_link_connection');
    const other = kept.ironic.addNode({}, MACS);
    const port = [...kept.ironic.ports.values()].find(
      (p) => p.node_uuid === other.uuid && p.address === MACS[0],
    ) as Record<string, unknown>;
    port.local_link_connection = { port_id: 'configured' };
    await kept.process(data({}, [{ lldp: switchPortTlvs(lldp) }]), other.uuid);
    expect(port.local_link_connection).toEqual({ port_id: 'configured', switch_id: '52:54:00:ab:cd:ef' });
  });

  it('Ironic refusing the patch (400) is a warning; other Ironic errors fail processing', async () => {
    const { process, ironic, logger } = setup({}, 'local_link_connection');
    const node = ironic.addNode({}, MACS);
    ironic.failures.set('patchPort', [new IronicError(400, 'Invalid local_link_connection')]);
    await process(data({}, [{ lldp: switchPortTlvs(lldp) }]), node.uuid);
    expect(logger.messages('warn').some((m) => m.includes('Invalid local_link_connection'))).toBe(true);
    ironic.failures.set('patchPort', [new IronicError(500, 'boom')]);
    await expect(process(data({}, [{ lldp: switchPortTlvs(lldp) }]), node.uuid)).rejects.toThrow('boom');
  });

  it('interfaces without a port, without LLDP or with unusable TLVs change nothing', async () => {
    const { process, ironic } = setup({}, 'local_link_connection');
    const node = ironic.addNode({}, [MACS[0] as string]);
    await process(
      data({}, [
        {
          lldp: [
            [1, 'zz'],
            [2, '06ab'],
            [1, '07ab'],
          ],
        },
        { lldp: switchPortTlvs(lldp) },
      ]),
      node.uuid,
    );
    expect(ironic.callsOf('patchPort')).toEqual([]);
  });
});

describe('physnet_cidr_map', () => {
  const env = { PHYSNET_CIDR_MAP: '10.10.10.0/24:physnet_a,2001:db8::/64:physnet_b,fd00::/8:physnet_c' };

  it('sets physical_network from the first address of the interface (IPv4 before IPv6)', async () => {
    const { process, ironic } = setup(env, 'physnet_cidr_map');
    const node = ironic.addNode({}, MACS);
    await process(data(), node.uuid);
    const ports = [...ironic.ports.values()].filter((p) => p.node_uuid === node.uuid) as Array<
      Record<string, unknown>
    >;
    expect(ports.map((p) => p.physical_network)).toEqual(['physnet_a', 'physnet_c']);
    // Only the first address counts (upstream): an unmapped IPv4 hides a mapped IPv6.
    const other = setup(env, 'physnet_cidr_map');
    const n2 = other.ironic.addNode({}, MACS);
    await other.process(data({}, [{ ipv4_address: '192.0.2.1' }]), n2.uuid);
    expect(
      other.ironic.callsOf('patchPort').map((c) => (c.args[1] as Array<{ value: unknown }>)[0]?.value),
    ).toEqual(['physnet_c']);
  });

  it('no patch when the port already has it, or with OVERWRITE_EXISTING=false', async () => {
    const same = setup(env, 'physnet_cidr_map');
    const node = same.ironic.addNode({}, MACS);
    for (const p of same.ironic.ports.values())
      (p as Record<string, unknown>).physical_network = p.address === MACS[0] ? 'physnet_a' : 'physnet_c';
    await same.process(data(), node.uuid);
    expect(same.ironic.callsOf('patchPort')).toEqual([]);
    const keep = setup({ ...env, OVERWRITE_EXISTING: 'false' }, 'physnet_cidr_map');
    const n2 = keep.ironic.addNode({}, MACS);
    await keep.process(data(), n2.uuid);
    expect(keep.ironic.callsOf('patchPort')).toEqual([]);
  });
});

describe('raid_device', () => {
  it('fills a missing local_gb before processing', () => {
    const { hooks } = setup({}, 'raid_device');
    const d: IntrospectionDocument = { local_gb: 0 };
    hooks[0]?.beforeProcessing?.(d);
    expect(d.local_gb).toBe(1);
  });

  it('first run stores the serials; the next finds the one new disk and sets the root device hint', async () => {
    const { process, ironic } = setup({}, 'raid_device');
    const node = ironic.addNode();
    await process(data(), node.uuid);
    expect(ironic.nodes.get(node.uuid)?.extra).toEqual({ block_devices: { serials: ['S1', 'S2'] } });
    const second = data();
    (second.inventory as { disks: unknown[] }).disks.push({ name: '/dev/md0', serial: 'RAID1' });
    await process(second, node.uuid);
    const after = ironic.nodes.get(node.uuid);
    expect(after?.extra).toEqual({});
    expect(after?.properties).toEqual({ root_device: { serial: 'RAID1' } });
    // Known root device: nothing more.
    await process(data(), node.uuid);
    expect(ironic.callsOf('patchNode')).toHaveLength(2);
  });

  it('several or no new disks: a warning, nothing changes; legacy block_devices data is read', async () => {
    const { process, ironic, logger } = setup({}, 'raid_device');
    const node = ironic.addNode({ extra: { block_devices: { serials: ['S1'] } } });
    const d = data();
    (d.inventory as { disks: unknown[] }).disks.push({ name: '/dev/sdc', serial: 'S3' });
    await process(d, node.uuid);
    const legacy = setup({}, 'raid_device');
    const n2 = legacy.ironic.addNode({ extra: { block_devices: { serials: ['A', 'B'] } } });
    await legacy.process({ block_devices: { serials: ['A', 'B'] } }, n2.uuid);
    expect(ironic.callsOf('patchNode')).toEqual([]);
    expect(legacy.ironic.callsOf('patchNode')).toEqual([]);
    expect(logger.messages('warn')).toContain(
      'Root device cannot be identified because multiple new devices were found',
    );
    expect(legacy.logger.messages('warn')).toContain('No new devices were found');
  });
});

describe('accelerators', () => {
  it('sets properties.accelerators from known devices, with their PCI address', async () => {
    const { process, ironic } = setup({}, 'accelerators');
    const node = ironic.addNode();
    await process(
      data({
        pci_devices: [
          { vendor_id: '10de', product_id: '1eb8', class: '030200', bus: '0000:82:00.0' },
          { vendor_id: '8086', product_id: '1572', class: '020000', bus: '0000:03:00.0' },
          'junk',
        ],
      }),
      node.uuid,
    );
    expect(ironic.nodes.get(node.uuid)?.properties).toEqual({
      accelerators: [
        {
          vendor_id: '10de',
          device_id: '1eb8',
          type: 'GPU',
          device_info: 'NVIDIA Corporation Tesla T4',
          pci_address: '0000:82:00.0',
        },
      ],
    });
  });

  it('configured devices; nothing known or no PCI data changes nothing', async () => {
    const env = {
      ACCELERATORS_KNOWN_DEVICES: JSON.stringify({
        pci_devices: [{ vendor_id: '1234', device_id: '5678', type: 'FPGA' }],
      }),
    };
    const { process, ironic, logger } = setup(env, 'accelerators');
    const node = ironic.addNode();
    await process(data({ pci_devices: [{ vendor_id: '10de', product_id: '1eb8', bus: 'x' }] }), node.uuid);
    await process(data(), node.uuid);
    expect(ironic.callsOf('patchNode')).toEqual([]);
    expect(logger.messages('info')).toContain('No known accelerator devices found');
    await process(
      data({ pci_devices: [{ vendor_id: '1234', product_id: '5678', bus: '0000:01:00.0' }] }),
      node.uuid,
    );
    expect(ironic.nodes.get(node.uuid)?.properties).toEqual({
      accelerators: [{ vendor_id: '1234', device_id: '5678', type: 'FPGA', pci_address: '0000:01:00.0' }],
    });
  });
});
