/**
 * The v1 API end to end on DynamoDB Local and s3rver (the stores the functions use in AWS), through
 * the local stack's HTTP adapter, with an in-memory Ironic: a whole introspection, abort, reapply, the
 * listing, and the clean-up. The full API behaviour, answer by answer, is test/unit/api.test.ts on the
 * in-memory stores; this file shows the same flows hold on the real ones.
 */
import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { FakeIronic } from '#test/support/fake-ironic.ts';
import { ramdiskCallback, startTestStack, type TestStack } from '#test/support/stack.ts';

let ironic: FakeIronic;
let stack: TestStack;

beforeEach(async () => {
  ironic = new FakeIronic();
  stack = await startTestStack({ ironic, stores: 'local-services' });
  return () => stack.stop();
});

let seed = Math.floor(Math.random() * 0xffff);
function ironicNode() {
  seed++;
  const hex = (n: number) => n.toString(16).padStart(2, '0');
  const macs: [string, string] = [1, 2].map((i) => `52:54:02:${hex(seed >> 8)}:${hex(seed & 255)}:0${i}`) as [
    string,
    string,
  ];
  const bmc = `198.51.100.${seed % 250}`;
  const node = ironic.addNode(
    { name: `node-${randomUUID().slice(0, 6)}`, driver_info: { ipmi_address: bmc } },
    macs,
  );
  return { node, macs, bmc };
}

async function status(uuid: string): Promise<Record<string, unknown>> {
  await stack.idle();
  const response = await stack.call('GET', `/v1/introspection/${uuid}`);
  expect(response.status).toBe(200);
  return response.json as Record<string, unknown>;
}

describe('the v1 API on DynamoDB Local and s3rver', () => {
  it('introspects a node: start, ramdisk callback, finish; data from S3; listed', async () => {
    const n = ironicNode();
    expect((await stack.call('POST', `/v1/introspection/${n.node.uuid}`)).status).toBe(202);
    expect((await status(n.node.uuid)).state).toBe('waiting');
    const callback = await stack.call('POST', '/v1/continue', { body: await ramdiskCallback(n.macs, n.bmc) });
    expect([callback.status, callback.json]).toEqual([200, { uuid: n.node.uuid }]);
    expect(await status(n.node.uuid)).toMatchObject({ state: 'finished', finished: true, error: null });
    expect(ironic.nodes.get(n.node.uuid)?.properties).toMatchObject({
      cpus: '4',
      memory_mb: '8192',
      local_gb: '49',
    });
    const data = await stack.call('GET', `/v1/introspection/${n.node.uuid}/data`);
    expect(data.status).toBe(200);
    expect(data.json).toMatchObject({ cpus: 4, macs: [n.macs[0]], ipmi_address: n.bmc });
    const list = (await stack.call('GET', '/v1/introspection')).json as {
      introspection: Array<{ uuid: string }>;
    };
    expect(list.introspection.map((node) => node.uuid)).toEqual([n.node.uuid]);
    // A second callback finds nothing: the lookup attributes went with the finish.
    const again = await stack.call('POST', '/v1/continue', { body: await ramdiskCallback(n.macs, n.bmc) });
    expect(again.status).toBe(400);
  });

  it('aborts a waiting node, and reapplies the stored data of a finished one', async () => {
    const a = ironicNode();
    await stack.call('POST', `/v1/introspection/${a.node.uuid}`);
    expect((await status(a.node.uuid)).state).toBe('waiting');
    const abort = await stack.call('POST', `/v1/introspection/${a.node.uuid}/abort`);
    expect([abort.status, abort.json]).toEqual([202, {}]);
    expect(await status(a.node.uuid)).toMatchObject({ state: 'error', error: 'Canceled by operator' });

    const r = ironicNode();
    await stack.call('POST', `/v1/introspection/${r.node.uuid}`);
    await status(r.node.uuid);
    await stack.call('POST', '/v1/continue', { body: await ramdiskCallback(r.macs, r.bmc) });
    expect((await status(r.node.uuid)).state).toBe('finished');
    const node = ironic.nodes.get(r.node.uuid);
    if (node?.properties) node.properties.cpus = '1';
    const reapply = await stack.call('POST', `/v1/introspection/${r.node.uuid}/data/unprocessed`);
    expect([reapply.status, reapply.json]).toEqual([202, {}]);
    expect(await status(r.node.uuid)).toMatchObject({ state: 'finished', error: null });
    expect(ironic.nodes.get(r.node.uuid)?.properties?.cpus).toBe('4');
  });

  it('the clean-up times out a node whose ramdisk never called back, and drops nodes Ironic lost', async () => {
    const n = ironicNode();
    await stack.call('POST', `/v1/introspection/${n.node.uuid}?manage_boot=0`);
    const gone = randomUUID();
    await stack.runtime.nodeCache.addNode(gone, 'finished');
    stack.clock.advance(2 * 3600 * 1000);
    const result = await stack.cleanUp();
    expect(result).toEqual({ recovered: [], timedOut: [n.node.uuid], dropped: [gone] });
    expect(await status(n.node.uuid)).toMatchObject({ state: 'error', error: 'Introspection timeout' });
    expect((await stack.call('GET', `/v1/introspection/${gone}`)).status).toBe(404);
  });

  it('an inventory.bmc_address of 5,000 characters is a 400, never a DynamoDB error: matched or not', async () => {
    const long = '1'.repeat(5000);
    const stranger = await ramdiskCallback(['52:54:02:ff:ff:01', '52:54:02:ff:ff:02'], long);
    const unmatched = await stack.call('POST', '/v1/continue', { body: stranger });
    expect(unmatched.status).toBe(400);
    expect(JSON.stringify(unmatched.json)).toContain('longer than 1024 bytes');

    const n = ironicNode();
    await stack.call('POST', `/v1/introspection/${n.node.uuid}?manage_boot=0`);
    const matched = await stack.call('POST', '/v1/continue', { body: await ramdiskCallback(n.macs, long) });
    expect(matched.status).toBe(400);
    expect(await status(n.node.uuid)).toMatchObject({ state: 'error', finished: true });
  });

  it('reapply to an unknown node, or to a waiting one, stores nothing in S3', async () => {
    const unknown = randomUUID();
    const body = { inventory: { replaced: true } };
    const refused = await stack.call('POST', `/v1/introspection/${unknown}/data/unprocessed`, { body });
    expect(refused.status).toBe(404);
    expect(await stack.runtime.stores.introspectionData.get(unknown, false)).toBeUndefined();
    const n = ironicNode();
    await stack.call('POST', `/v1/introspection/${n.node.uuid}?manage_boot=0`);
    const ignored = await stack.call('POST', `/v1/introspection/${n.node.uuid}/data/unprocessed`, { body });
    expect([ignored.status, ignored.json]).toEqual([202, {}]);
    expect(await stack.runtime.stores.introspectionData.get(n.node.uuid, false)).toBeUndefined();
    expect((await status(n.node.uuid)).state).toBe('waiting');
  });
});
