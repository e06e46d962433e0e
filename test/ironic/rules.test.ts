/**
 * Introspection rules and the LLDP hooks against the real Ironic: rules created as a plain HTTP
 * client (curl) sends them change a real introspection's outcome in Ironic (attributes,
 * capabilities, traits), a reapply applies them again, a `fail` rule fails the node, and LLDP data
 * from the ramdisk (chassis, port, VLANs, MTU, system name) ends up in the node's Ironic ports as
 * `local_link_connection`, with `physical_network` and `pxe_enabled`.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestNode, eventually, provision, testIronic, uniqueMac } from '#test/support/ironic.ts';
import { switchPortTlvs } from '#test/support/lldp.ts';
import { ramdiskCallback, startTestStack, type TestStack } from '#test/support/stack.ts';

let stack: TestStack;
const ironic = testIronic();

beforeAll(async () => {
  stack = await startTestStack({
    env: {
      IRONIC_URL: inject('ironicUrl'),
      PROCESSING_HOOKS:
        'ramdisk_error,root_disk_selection,scheduler,validate_interfaces,capabilities,pci_devices,lldp_basic,local_link_connection,physnet_cidr_map',
      PHYSNET_CIDR_MAP: '192.0.2.0/24:physnet_a',
      // The Ironic here is shared by every suite on the machine: give it time when it is busy (25 s is
      // the most a call may take inside the API's 30 s).
      IRONIC_TIMEOUT_SECONDS: '25',
    },
  });
});
afterAll(async () => {
  await stack?.stop();
});

/** A plain JSON request, as `curl -H 'Content-Type: application/json' -d @rule.json` makes it. */
const curl = (method: string, path: string, body?: unknown) =>
  stack.call(
    method,
    path,
    body === undefined ? {} : { body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } },
  );

async function status(uuid: string, state: string) {
  return eventually(
    async () => {
      await stack.idle();
      return (await stack.call('GET', `/v1/introspection/${uuid}`)).json as Record<string, unknown>;
    },
    (s) => s.state === state,
    60_000,
  );
}

/** A manageable fake-hardware node with two ports, under introspection, and its ramdisk callback. */
async function waitingNode(fields: Record<string, unknown> = {}) {
  const macs: [string, string] = [uniqueMac(), uniqueMac()];
  const bmc = `203.0.113.${Math.floor(Math.random() * 200) + 20}`;
  const node = await createTestNode(ironic, { driver_info: { ipmi_address: bmc }, ...fields });
  // The PXE NIC's port starts with pxe_enabled off: processing turns it on (validate_interfaces).
  for (const [i, mac] of macs.entries())
    await ironic.createPort({ nodeUuid: node.uuid, address: mac, pxeEnabled: i > 0 });
  await provision(ironic, node.uuid, [['manage', 'manageable']]);
  expect((await stack.call('POST', `/v1/introspection/${node.uuid}`)).status).toBe(202);
  await status(node.uuid, 'waiting');
  return { node, macs, callback: await ramdiskCallback(macs, bmc) };
}

const ports = async (uuid: string) =>
  Object.fromEntries(
    (await ironic.listPorts({ node: uuid })).map((p) => [p.address, p as Record<string, unknown>]),
  );

describe('rules in a real introspection', () => {
  it('set attributes, capabilities and traits; a reapply applies them again', {
    timeout: 300_000,
  }, async () => {
    const scope = `rules-${randomUUID().slice(0, 8)}`;
    const rule = {
      description: 'tag big x86 machines',
      scope,
      conditions: [
        { op: 'ge', field: 'memory_mb', value: 4096 },
        { op: 'eq', field: 'cpu_arch', value: 'x86_64' },
        { op: 'is-empty', field: 'node://driver_info.deploy_kernel' },
        { op: 'eq', field: 'inventory.interfaces[*].has_carrier', value: true, multiple: 'any' },
      ],
      actions: [
        {
          action: 'set-attribute',
          path: '/extra/vendor',
          value: '{data[inventory][system_vendor][manufacturer]}',
        },
        {
          action: 'set-attribute',
          path: '/extra/summary',
          value: { cpus: '{data[cpus]}', nics: ['{data[macs][0]}'] },
        },
        { action: 'set-capability', name: 'memory_class', value: 'big-{data[memory_mb]}' },
        { action: 'extend-attribute', path: '/extra/seen_by', value: 'rules' },
        { action: 'add-trait', name: 'CUSTOM_BIG_X86' },
        { action: 'remove-trait', name: 'CUSTOM_UNSORTED' },
      ],
    };
    const created = await curl('POST', '/v1/rules', rule);
    expect(created.status).toBe(201);
    // A rule for other nodes changes nothing here.
    await curl('POST', '/v1/rules', {
      scope: 'elsewhere',
      actions: [{ action: 'add-trait', name: 'CUSTOM_ELSEWHERE' }],
    });

    const { node, macs, callback } = await waitingNode({ properties: { inspection_scope: scope } });
    await ironic.addTrait(node.uuid, 'CUSTOM_UNSORTED');
    const answer = await curl('POST', '/v1/continue', callback);
    expect([answer.status, answer.json]).toEqual([200, { uuid: node.uuid }]);
    await status(node.uuid, 'finished');

    const after = await ironic.getNode(node.uuid);
    expect(after.extra).toEqual({
      vendor: 'QEMU',
      summary: { cpus: '4', nics: [macs[0]] },
      seen_by: ['rules'],
    });
    expect(String(after.properties?.capabilities)).toContain('memory_class:big-8192');
    expect(after.traits).toEqual(['CUSTOM_BIG_X86']);

    // Reapply: the node is changed in between; the rules apply again to the node as it is now.
    await ironic.addTrait(node.uuid, 'CUSTOM_UNSORTED');
    await ironic.patchNode(node.uuid, [{ op: 'add', path: '/extra/vendor', value: 'changed' }]);
    expect((await stack.call('POST', `/v1/introspection/${node.uuid}/data/unprocessed`)).status).toBe(202);
    await status(node.uuid, 'finished');
    const reapplied = await ironic.getNode(node.uuid);
    expect(reapplied.extra).toMatchObject({ vendor: 'QEMU', seen_by: ['rules', 'rules'] });
    expect(reapplied.traits).toEqual(['CUSTOM_BIG_X86']);
    await curl('DELETE', '/v1/rules');
  });

  it('a rule with a fail action fails the node: the callback answers 400 with its message', {
    timeout: 300_000,
  }, async () => {
    const scope = `fail-${randomUUID().slice(0, 8)}`;
    await curl('POST', '/v1/rules', {
      scope,
      conditions: [{ op: 'lt', field: 'memory_mb', value: 16384 }],
      actions: [
        { action: 'set-attribute', path: '/extra/checked', value: true },
        { action: 'fail', message: 'Needs 16 GiB of memory' },
      ],
    });
    const { node, callback } = await waitingNode({ properties: { inspection_scope: scope } });
    const answer = await curl('POST', '/v1/continue', callback);
    expect([answer.status, answer.json]).toEqual([400, { error: { message: 'Needs 16 GiB of memory' } }]);
    expect(await status(node.uuid, 'error')).toMatchObject({
      finished: true,
      error: 'Needs 16 GiB of memory',
    });
    // Actions before the failure stay applied (no rollback).
    expect((await ironic.getNode(node.uuid)).extra).toEqual({ checked: true });
    await curl('DELETE', '/v1/rules');
  });
});

describe("the README's example", () => {
  it('a rule posted as plain curl sends it changes a real introspection of a large x86 machine', {
    timeout: 300_000,
  }, async () => {
    // The JSON block of the README's "Introspection rules" section, exactly as written there.
    const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Introspection rules'));
    const example = /```json\n([\s\S]*?)```/.exec(section)?.[1];
    expect(example).toBeDefined();
    // curl -H 'Content-Type: application/json' -d @rule.json $INSPECTOR/v1/rules
    const created = await fetch(`${stack.url}/v1/rules`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: example,
    });
    expect(created.status).toBe(201);
    const rule = (await created.json()) as { uuid: string };
    try {
      const { node, callback } = await waitingNode();
      // A large machine: 128 GiB of memory (the sample inventory has 8 GiB, which the rule skips).
      (callback.inventory as { memory: { physical_mb: number } }).memory.physical_mb = 131072;
      const answer = await curl('POST', '/v1/continue', callback);
      expect(answer.status).toBe(200);
      await status(node.uuid, 'finished');
      const after = await ironic.getNode(node.uuid);
      expect(after.properties).toMatchObject({ memory_mb: '131072', cpu_arch: 'x86_64' });
      expect(after.extra).toMatchObject({ vendor: 'QEMU' });
      expect(after.traits).toContain('CUSTOM_LARGE_X86');
    } finally {
      expect((await curl('DELETE', `/v1/rules/${rule.uuid}`)).status).toBe(204);
    }
  });
});

describe('LLDP in a real introspection', () => {
  it('chassis, port, VLANs, MTU and system name become local_link_connection; physnet and pxe_enabled', {
    timeout: 300_000,
  }, async () => {
    const { node, macs, callback } = await waitingNode();
    const interfaces = (callback.inventory as { interfaces: Array<Record<string, unknown>> }).interfaces;
    (interfaces[0] as Record<string, unknown>).lldp = switchPortTlvs({
      chassisMac: '52:54:00:ab:cd:ef',
      portName: 'Ethernet1/7',
      systemName: 'leaf-1',
      vlans: [
        { id: 100, name: 'provisioning' },
        { id: 200, name: 'tenant' },
      ],
      mtu: 9000,
    });
    // A newer ramdisk sends LLDP at the top level, by interface name.
    callback.lldp_raw = {
      eth1: switchPortTlvs({
        chassisMac: '52:54:00:ab:cd:ee',
        portName: 'Ethernet1/8',
        systemName: 'leaf-2',
        vlans: [{ id: 300, name: 'storage' }],
        mtu: 1500,
      }),
    };
    const answer = await curl('POST', '/v1/continue', callback);
    expect(answer.status).toBe(200);
    await status(node.uuid, 'finished');

    const byMac = await ports(node.uuid);
    expect(byMac[macs[0]]).toMatchObject({
      local_link_connection: { switch_id: '52:54:00:ab:cd:ef', port_id: 'Ethernet1/7' },
      physical_network: 'physnet_a',
      pxe_enabled: true,
    });
    // eth1 has no IPv4 address (no physnet) and is not among the interfaces processing manages.
    expect(byMac[macs[1]]).toMatchObject({
      local_link_connection: { switch_id: '52:54:00:ab:cd:ee', port_id: 'Ethernet1/8' },
      physical_network: null,
      pxe_enabled: true,
    });

    // What lldp_basic parsed is in the processed data, for rules and operators.
    const data = (await stack.call('GET', `/v1/introspection/${node.uuid}/data`)).json as {
      all_interfaces: Record<string, { lldp_processed?: Record<string, unknown> }>;
    };
    expect(data.all_interfaces.eth0?.lldp_processed).toEqual({
      switch_chassis_id: '52:54:00:ab:cd:ef',
      switch_port_id: 'Ethernet1/7',
      switch_system_name: 'leaf-1',
      switch_port_untagged_vlan_id: 100,
      switch_port_vlans: [
        { name: 'provisioning', id: 100 },
        { name: 'tenant', id: 200 },
      ],
      switch_port_mtu: 9000,
    });
  });
});
