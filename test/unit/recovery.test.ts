/**
 * Recovery of stranded nodes (docs/design.md#recovery): a node whose holder died with its step half
 * done, or whose queued job was lost, is driven to its end by the clean-up within one lease plus one
 * pass, and can be aborted; a node whose holder is alive is left alone.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '#lib/config.ts';
import { IronicUnavailable } from '#lib/domain/errors.ts';
import { createRuntime, type InspectorRuntime } from '#lib/runtime.ts';
import { FakeIronic } from '#test/support/fake-ironic.ts';
import { RecordingLogger, TestClock } from '#test/support/fixture.ts';
import { freshBmc, freshMac } from '#test/support/introspection.ts';
import { ManualQueue } from '#test/support/manual-queue.ts';
import { sampleCallback } from '../../scripts/sample-callback.ts';

const LEASE_MS = 120_000;

let ironic: FakeIronic;
let clock: TestClock;
let queue: ManualQueue;
let rt: InspectorRuntime;

beforeEach(() => {
  ironic = new FakeIronic();
  clock = new TestClock();
  queue = new ManualQueue();
  rt = createRuntime({
    config: loadConfig({ INTROSPECTION_DELAY: '0', NODE_LEASE_SECONDS: String(LEASE_MS / 1000) }),
    stores: 'memory',
    ironic,
    queue,
    now: clock.now,
    logger: new RecordingLogger(),
    ironicRetryDelayMs: 1,
  });
});
afterEach(() => rt.close());

const deliver = (times = 1) => queue.deliverAll((job) => rt.useCases.jobs.run(job), times);
const record = (uuid: string) => rt.stores.nodes.getNode(uuid);

/** A node in Ironic started and waiting for its ramdisk; returns it with its callback. */
async function waitingNode(): Promise<{ uuid: string; callback: Record<string, unknown> }> {
  const macs: [string, string] = [freshMac(), freshMac()];
  const bmc = freshBmc();
  const node = ironic.addNode({ driver_info: { ipmi_address: bmc } }, [...macs]);
  await rt.useCases.start.start(node.uuid, { manageBoot: true });
  await deliver();
  expect((await record(node.uuid))?.state).toBe('waiting');
  return { uuid: node.uuid, callback: sampleCallback(macs, bmc) };
}

describe('a callback whose finish job was lost', () => {
  it('is finished by the clean-up after one lease, powered off, not timed out', async () => {
    const { uuid, callback } = await waitingNode();
    expect(await rt.useCases.continue.process(callback)).toEqual({ uuid });
    expect(queue.drop().map((j) => j.type)).toEqual(['finish']);
    expect(await record(uuid)).toMatchObject({
      state: 'processing',
      dueJob: { type: 'finish', powerOff: true },
    });

    // Within the lease the callback's holder may still be alive: nothing is touched.
    clock.advance(LEASE_MS - 1000);
    expect((await rt.useCases.periodic.run()).recovered).toEqual([]);
    clock.advance(2000);
    expect(await rt.useCases.periodic.run()).toEqual({ recovered: [uuid], timedOut: [], dropped: [] });
    const after = await record(uuid);
    expect(after).toMatchObject({ state: 'finished', error: null });
    expect(after?.dueJob).toBeUndefined();
    expect(ironic.nodes.get(uuid)?.power_state).toBe('power off');
    expect(await rt.stores.nodes.getLookupAttributes(uuid)).toEqual([]);
  });

  it('can be aborted once stranded: powered off, error "Canceled by operator"', async () => {
    const { uuid, callback } = await waitingNode();
    await rt.useCases.continue.process(callback);
    queue.drop();
    await expect(rt.useCases.abort.abort(uuid)).rejects.toThrow('Node is locked');
    clock.advance(LEASE_MS + 1000);
    await rt.useCases.abort.abort(uuid);
    expect(await record(uuid)).toMatchObject({ state: 'processing', dueJob: { type: 'abort' } });
    await deliver();
    expect(await record(uuid)).toMatchObject({ state: 'error', error: 'Canceled by operator' });
    expect(ironic.nodes.get(uuid)?.power_state).toBe('power off');
  });
});

describe('processing interrupted half way', () => {
  it('is run again from the stored unprocessed data, with one set of ports and properties', async () => {
    const { uuid, callback } = await waitingNode();
    // The S3 put of the processed data fails, and so does every queue send: the callback cannot
    // hand the rest over, and answers the failure; the node keeps `process` due.
    const put = rt.stores.introspectionData.put.bind(rt.stores.introspectionData);
    let failPut = true;
    rt.stores.introspectionData.put = async (id, processed, data) => {
      if (processed && failPut) throw Object.assign(new Error('SlowDown'), { $metadata: {} });
      return put(id, processed, data);
    };
    queue.refuse = Object.assign(new Error('queue down'), { $metadata: {} });
    const doubleFault = rt.useCases.continue.process(callback);
    await expect(doubleFault).rejects.toThrow();
    expect(await record(uuid)).toMatchObject({ state: 'processing', dueJob: { type: 'process' } });
    const patched = ironic.nodes.get(uuid)?.properties;
    expect(patched).toMatchObject({ cpus: '4', memory_mb: '8192' });

    failPut = false;
    queue.refuse = undefined;
    clock.advance(LEASE_MS + 1000);
    expect((await rt.useCases.periodic.run()).recovered).toEqual([uuid]);
    expect(await record(uuid)).toMatchObject({ state: 'finished', error: null });
    expect(ironic.nodes.get(uuid)?.properties).toEqual(patched);
    expect([...ironic.ports.values()].filter((p) => p.node_uuid === uuid)).toHaveLength(2);
    expect(await rt.useCases.reads.data(uuid, { processed: true })).toMatchObject({ cpus: 4 });
  });

  it('with only the queue failing, the callback finishes the node itself', async () => {
    const { uuid, callback } = await waitingNode();
    queue.refuse = Object.assign(new Error('queue down'), { $metadata: {} });
    expect(await rt.useCases.continue.process(callback)).toEqual({ uuid });
    expect(await record(uuid)).toMatchObject({ state: 'finished' });
  });

  it('with Ironic down during the hooks, the worker processes it again once Ironic is back', async () => {
    const { uuid, callback } = await waitingNode();
    ironic.failures.set('patchNode', [new IronicUnavailable(ironic.url, 'ECONNREFUSED')]);
    expect(await rt.useCases.continue.process(callback)).toEqual({ uuid });
    expect(queue.sent.map((j) => j.type)).toEqual(['process']);
    await deliver();
    expect(await record(uuid)).toMatchObject({ state: 'finished', error: null });
  });

  it('a ramdisk retry on the interrupted node processes it instead of failing it', async () => {
    const { uuid, callback } = await waitingNode();
    ironic.failures.set('patchNode', [new IronicUnavailable(ironic.url, 'ECONNREFUSED')]);
    await rt.useCases.continue.process(callback);
    queue.drop();
    clock.advance(LEASE_MS + 1000);
    expect(await rt.useCases.continue.process(callback)).toEqual({ uuid });
    await deliver();
    expect(await record(uuid)).toMatchObject({ state: 'finished', error: null });
  });
});

describe('other stranded states', () => {
  it('a start whose introspect job was lost is set up by the clean-up', async () => {
    const node = ironic.addNode({ driver_info: { ipmi_address: freshBmc() } }, [freshMac()]);
    await rt.useCases.start.start(node.uuid, { manageBoot: true });
    queue.drop();
    expect(await record(node.uuid)).toMatchObject({ state: 'starting', dueJob: { type: 'introspect' } });
    clock.advance(LEASE_MS + 1000);
    expect((await rt.useCases.periodic.run()).recovered).toEqual([node.uuid]);
    expect((await record(node.uuid))?.state).toBe('waiting');
    expect(ironic.nodes.get(node.uuid)?.power_state).toBe('power on');
  });

  it('a worker that died half way through the introspect step: run again, no duplicate MACs', async () => {
    const node = ironic.addNode({ driver_info: { ipmi_address: freshBmc() } }, [freshMac()]);
    await rt.useCases.start.start(node.uuid, { manageBoot: true });
    // The worker hangs for good at the boot device, after adding the MACs: a dead process.
    const setBootDevice = ironic.setBootDevice.bind(ironic);
    ironic.setBootDevice = () => new Promise(() => {});
    void deliver();
    await new Promise((resolve) => setTimeout(resolve, 50));
    ironic.setBootDevice = setBootDevice;
    clock.advance(LEASE_MS + 1000);
    expect((await rt.useCases.periodic.run()).recovered).toEqual([node.uuid]);
    expect((await record(node.uuid))?.state).toBe('waiting');
    const macs = (await rt.stores.nodes.getLookupAttributes(node.uuid)).filter((r) => r.name === 'mac');
    expect(macs).toHaveLength(1);
  });

  it('an abort whose job was lost ends in error, powered off', async () => {
    const { uuid } = await waitingNode();
    await rt.useCases.abort.abort(uuid);
    queue.drop();
    expect(await record(uuid)).toMatchObject({ state: 'aborting', dueJob: { type: 'abort' } });
    clock.advance(LEASE_MS + 1000);
    expect((await rt.useCases.periodic.run()).recovered).toEqual([uuid]);
    expect(await record(uuid)).toMatchObject({ state: 'error', error: 'Canceled by operator' });
  });

  it('a reapply whose job was lost is finished', async () => {
    const { uuid, callback } = await waitingNode();
    await rt.useCases.continue.process(callback);
    await deliver();
    await rt.useCases.reapply.reapply(uuid, undefined);
    queue.drop();
    expect(await record(uuid)).toMatchObject({ state: 'reapplying', dueJob: { type: 'reapply' } });
    clock.advance(LEASE_MS + 1000);
    expect((await rt.useCases.periodic.run()).recovered).toEqual([uuid]);
    expect((await record(uuid))?.state).toBe('finished');
  });

  it('processing with no stored data to run again ends in error saying why', async () => {
    const { uuid } = await waitingNode();
    const nodeInfo = rt.nodeCache.nodeInfo(uuid);
    await nodeInfo.fsmEvent('process', { due: { type: 'process', powerOff: true } });
    clock.advance(LEASE_MS + 1000);
    expect((await rt.useCases.periodic.run()).recovered).toEqual([uuid]);
    const after = await record(uuid);
    expect(after?.state).toBe('error');
    expect(after?.error).toMatch(
      /^Processing was interrupted and cannot be run again: Introspection data not found/,
    );
  });

  it('a node whose lease is held is left alone, however old its progress', async () => {
    const { uuid, callback } = await waitingNode();
    await rt.useCases.continue.process(callback);
    queue.drop();
    clock.advance(LEASE_MS + 1000);
    const holder = rt.nodeCache.nodeInfo(uuid);
    expect(await holder.acquireLock({ blocking: false })).toBe(true);
    expect((await rt.useCases.periodic.run()).recovered).toEqual([]);
    await holder.releaseLock();
    expect((await rt.useCases.periodic.run()).recovered).toEqual([uuid]);
  });

  it('Ironic down during a recovery leaves the step due for the next pass', async () => {
    const { uuid, callback } = await waitingNode();
    await rt.useCases.continue.process(callback);
    queue.drop();
    clock.advance(LEASE_MS + 1000);
    ironic.failures.set('setPowerState', [new IronicUnavailable(ironic.url, 'ECONNREFUSED')]);
    expect((await rt.useCases.periodic.run()).recovered).toEqual([]);
    expect(await record(uuid)).toMatchObject({ state: 'processing', dueJob: { type: 'finish' } });
    expect((await rt.useCases.periodic.run()).recovered).toEqual([uuid]);
    expect((await record(uuid))?.state).toBe('finished');
  });
});
