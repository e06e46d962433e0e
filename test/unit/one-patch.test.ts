/**
 * The hooks' writes to Ironic cannot half-happen (docs/design.md#one-patch): the node's properties go
 * in one PATCH after every hook ran, values are checked before anything is written (a 400 naming the
 * field), and running the same data again sends nothing.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IronicError } from '#lib/domain/errors.ts';
import type { FakeIronic } from '#test/support/fake-ironic.ts';
import { FakeIronic as Ironic } from '#test/support/fake-ironic.ts';
import { freshBmc, freshMac, statusOf } from '#test/support/introspection.ts';
import { startTestStack, type TestStack } from '#test/support/stack.ts';
import { sampleCallback } from '../../scripts/sample-callback.ts';

let stack: TestStack;
let ironic: FakeIronic;

beforeEach(async () => {
  ironic = new Ironic();
  stack = await startTestStack({
    ironic,
    env: { PROCESSING_HOOKS: 'ramdisk_error,root_disk_selection,scheduler,validate_interfaces,capabilities' },
  });
});
afterEach(() => stack.stop());

async function waiting(): Promise<{ uuid: string; callback: Record<string, unknown> }> {
  const macs: [string, string] = [freshMac(), freshMac()];
  const bmc = freshBmc();
  const node = ironic.addNode({ driver_info: { ipmi_address: bmc } }, [...macs]);
  expect((await stack.call('POST', `/v1/introspection/${node.uuid}`)).status).toBe(202);
  expect((await statusOf(stack, node.uuid)).state).toBe('waiting');
  ironic.calls.length = 0;
  return { uuid: node.uuid, callback: sampleCallback(macs, bmc) };
}

const inventoryOf = (callback: Record<string, unknown>) =>
  callback.inventory as {
    cpu: Record<string, unknown>;
    memory: Record<string, unknown>;
    disks: Array<Record<string, unknown>>;
  };

describe('one PATCH', () => {
  it('sends every property the hooks compute in one PATCH', async () => {
    const { uuid, callback } = await waiting();
    expect((await stack.call('POST', '/v1/continue', { body: callback })).status).toBe(200);
    expect((await statusOf(stack, uuid)).state).toBe('finished');
    const patches = ironic.callsOf('patchNode');
    expect(patches).toHaveLength(1);
    const paths = ((patches[0]?.args[1] ?? []) as Array<{ path: string }>).map((p) => p.path).sort();
    expect(paths).toEqual([
      '/properties/capabilities',
      '/properties/cpu_arch',
      '/properties/cpus',
      '/properties/local_gb',
      '/properties/memory_mb',
    ]);
  });

  it('running the same data again (reapply) sends no PATCH', async () => {
    const { uuid, callback } = await waiting();
    await stack.call('POST', '/v1/continue', { body: callback });
    await stack.idle();
    ironic.calls.length = 0;
    expect((await stack.call('POST', `/v1/introspection/${uuid}/data/unprocessed`)).status).toBe(202);
    expect((await statusOf(stack, uuid)).state).toBe('finished');
    expect(ironic.callsOf('patchNode')).toEqual([]);
  });

  it('a PATCH Ironic refuses leaves every property as it was', async () => {
    const { uuid, callback } = await waiting();
    const before = structuredClone(ironic.nodes.get(uuid)?.properties);
    ironic.failures.set('patchNode', [new IronicError(400, 'Invalid property')]);
    expect((await stack.call('POST', '/v1/continue', { body: callback })).status).toBe(500);
    expect(ironic.nodes.get(uuid)?.properties).toEqual(before);
    expect((await statusOf(stack, uuid)).state).toBe('error');
  });
});

const cpuCount = (value: unknown) => (c: Record<string, unknown>) => {
  inventoryOf(c).cpu.count = value;
};
const memoryMb = (value: unknown) => (c: Record<string, unknown>) => {
  inventoryOf(c).memory.physical_mb = value;
};

describe('values checked before anything is written', () => {
  const cases: Array<[string, (c: Record<string, unknown>) => void, string]> = [
    ['a negative CPU count', cpuCount(-4), 'inventory.cpu.count'],
    ['a zero CPU count', cpuCount(0), 'inventory.cpu.count'],
    ['a fractional CPU count', cpuCount(2.5), 'inventory.cpu.count'],
    ['a CPU count as words', cpuCount('four'), 'inventory.cpu.count'],
    [
      'memory of 1e308 MiB',
      (c) => {
        inventoryOf(c).memory.physical_mb = 1e308;
      },
      'inventory.memory.physical_mb',
    ],
    ['negative memory', memoryMb(-1), 'inventory.memory.physical_mb'],
    [
      'a negative disk size',
      (c) => {
        (inventoryOf(c).disks[0] as Record<string, unknown>).size = -1;
      },
      'inventory.disks.0.size',
    ],
  ];
  it.each(cases)(
    '%s is a 400 naming the field; the node goes to error; Ironic is untouched',
    async (_name, spoil, field) => {
      const { uuid, callback } = await waiting();
      spoil(callback);
      const before = structuredClone(ironic.nodes.get(uuid));
      const answer = await stack.call('POST', '/v1/continue', { body: callback });
      expect(answer.status).toBe(400);
      expect(answer.text).toContain(`\\"${field}\\"`);
      expect((await statusOf(stack, uuid)).state).toBe('error');
      expect(ironic.callsOf('patchNode')).toEqual([]);
      expect(ironic.callsOf('createPort')).toEqual([]);
      expect(ironic.nodes.get(uuid)).toEqual(before);
    },
  );

  it('an infinite disk size (1e400 in the JSON) is a 400 naming the field', async () => {
    const { callback } = await waiting();
    const text = JSON.stringify(callback).replace(/"size":\s*\d+/, '"size": 1e400');
    const answer = await stack.call('POST', '/v1/continue', { body: text });
    expect(answer.status).toBe(400);
    expect(answer.text).toContain('inventory.disks.0.size');
  });

  it('a count given as a string of digits is fine', async () => {
    const { uuid, callback } = await waiting();
    inventoryOf(callback).cpu.count = '8';
    inventoryOf(callback).memory.physical_mb = '16384';
    expect((await stack.call('POST', '/v1/continue', { body: callback })).status).toBe(200);
    expect(ironic.nodes.get(uuid)?.properties).toMatchObject({ cpus: '8', memory_mb: '16384' });
  });
});
