/**
 * End to end against the real Ironic, on DynamoDB Local and s3rver: openstacksdk (Debian's
 * python3-openstacksdk) drives the local stack, and Ironic itself, with
 * `inspect_interface = inspector`, inspects a node through it.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { IronicClient } from '#lib/adapters/ironic/client.ts';
import { createTestNode, eventually, provision, testIronic, uniqueMac } from '#test/support/ironic.ts';
import { ramdiskCallback, startTestStack, type TestStack } from '#test/support/stack.ts';

const run = promisify(execFile);
const script = resolve(import.meta.dirname, 'openstacksdk_client.py');

async function openstacksdk(scenario: string, env: Record<string, string>): Promise<Record<string, unknown>> {
  const { stdout } = await run('/usr/bin/python3', [script, scenario], {
    env: { ...process.env, ...env },
    timeout: 120_000,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
}

describe('openstacksdk against the local stack', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ stores: 'local-services', env: { IRONIC_URL: inject('ironicUrl') } });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  async function manageableNode() {
    const ironic = testIronic();
    const macs: [string, string] = [uniqueMac(), uniqueMac()];
    const bmc = `192.0.2.${Math.floor(Math.random() * 200) + 20}`;
    const node = await createTestNode(ironic, { driver_info: { ipmi_address: bmc } });
    for (const mac of macs) await ironic.createPort({ nodeUuid: node.uuid, address: mac });
    await provision(ironic, node.uuid, [['manage', 'manageable']]);
    const callback = join(tmpdir(), `callback-${node.uuid}.json`);
    writeFileSync(callback, JSON.stringify(await ramdiskCallback(macs, bmc)));
    return {
      node,
      macs,
      bmc,
      env: { INSPECTOR_URL: stack.url, IRONIC_URL: inject('ironicUrl'), NODE: node.uuid, CALLBACK: callback },
    };
  }

  it('start, status, wait, data, unprocessed data and list', async () => {
    const { node, macs, env } = await manageableNode();
    const seen = await openstacksdk('happy_path', env);
    expect(seen.started_id).toBe(node.uuid);
    expect(['starting', 'waiting']).toContain(seen.after_start);
    expect(seen.callback).toEqual([200, { uuid: node.uuid }]);
    expect(seen.finished).toEqual({ state: 'finished', is_finished: true, error: null });
    expect(seen.data).toEqual({
      cpus: 4,
      memory_mb: 8192,
      local_gb: 49,
      cpu_arch: 'x86_64',
      macs: [macs[0]],
    });
    expect(seen.data_keys).toEqual(
      expect.arrayContaining(['all_interfaces', 'interfaces', 'inventory', 'root_disk']),
    );
    expect(seen.unprocessed_keys).not.toContain('all_interfaces');
    expect(seen.listed).toContain(node.uuid);
    const inIronic = await testIronic().getNode(node.uuid);
    expect(inIronic.properties).toMatchObject({
      cpus: '4',
      memory_mb: '8192',
      local_gb: '49',
      cpu_arch: 'x86_64',
    });
    expect(inIronic.power_state).toBe('power off');
  });

  it('abort', async () => {
    const { env } = await manageableNode();
    const seen = await openstacksdk('abort', env);
    expect(seen).toMatchObject({ state: 'error', error: 'Canceled by operator', is_finished: true });
    expect(String(seen.wait)).toContain('Canceled by operator');
  });
});

describe('Ironic with inspect_interface = inspector', () => {
  let stack: TestStack;
  const ironicUrl = () => inject('ironicWithInspectorUrl');
  beforeAll(async () => {
    stack = await startTestStack({
      stores: 'local-services',
      port: inject('inspectorTestPort'),
      env: { IRONIC_URL: ironicUrl() },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('inspects a node: provision target inspect, the callback, back in manageable with properties', async () => {
    const ironic = new IronicClient({ url: ironicUrl(), lockedBackoffMs: 200 });
    const macs: [string, string] = [uniqueMac(), uniqueMac()];
    const bmc = `198.51.100.${Math.floor(Math.random() * 200) + 20}`;
    const node = await createTestNode(ironic, {
      driver_info: { ipmi_address: bmc },
      inspect_interface: 'inspector',
    });
    for (const mac of macs) await ironic.createPort({ nodeUuid: node.uuid, address: mac });
    await provision(ironic, node.uuid, [['manage', 'manageable']]);

    await ironic.setProvisionState(node.uuid, 'inspect');
    // Ironic calls our API to start; we set the boot device and reboot through Ironic.
    await eventually(
      () => stack.call('GET', `/v1/introspection/${node.uuid}`),
      (r) => (r.json as { state?: string } | undefined)?.state === 'waiting',
      30_000,
    );
    expect((await ironic.getNode(node.uuid)).provision_state).toBe('inspect wait');

    const callback = await stack.call('POST', '/v1/continue', { body: await ramdiskCallback(macs, bmc) });
    expect(callback.status).toBe(200);
    // Ironic polls the status every 5 s (status_check_period) and finishes its side.
    const done = await eventually(
      () => ironic.getNode(node.uuid),
      (n) => n.provision_state === 'manageable',
      60_000,
    );
    expect(done.properties).toMatchObject({
      cpus: '4',
      cpu_arch: 'x86_64',
      memory_mb: '8192',
      local_gb: '49',
      capabilities: 'cpu_vt:true,cpu_hugepages:true',
    });
    expect((await stack.call('GET', `/v1/introspection/${node.uuid}`)).json).toMatchObject({
      state: 'finished',
      finished: true,
      error: null,
    });
  });
});
