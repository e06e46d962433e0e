/**
 * NodeInfo's Ironic operations and the node cache functions that read Ironic (get_node by name,
 * record_node, create_node, the Ironic sync, lookup attributes for a start), against the real Ironic,
 * on the in-memory stores. Upstream's TestNodeCacheIronicObjects, TestUpdate, TestNodeCacheGetByPath,
 * TestNodeCreate, TestRecordNode, TestNodeCacheGetNode (by name).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { bmcAddresses, bmcHost, ironicLookupAttributes } from '#lib/domain/bmc-address.ts';
import {
  InspectorError,
  NodeFieldNotFound,
  NodeNotFoundInIronic,
  NotFoundInCacheError,
  PortNotFound,
} from '#lib/domain/errors.ts';
import { NodeInfo } from '#lib/node/node-info.ts';
import type { IronicNode } from '#lib/ports/ironic.ts';
import { type Fixture, newUuid, nodeCacheFixture, RecordingLogger } from '#test/support/fixture.ts';
import {
  createTestNode,
  provision,
  type RecordedRequest,
  recordingFetch,
  testIronic,
  uniqueBmcAddress,
  uniqueMac,
} from '#test/support/ironic.ts';

let f: Fixture;
let requests: RecordedRequest[];
const ironicCalls = (method: string, pathPart = '') =>
  requests.filter((r) => r.method === method && new URL(r.url).pathname.includes(pathPart));

beforeEach(async () => {
  const recording = recordingFetch();
  requests = recording.requests;
  f = await nodeCacheFixture({ ironic: testIronic({ fetch: recording.fetch }) });
});

/** A NodeInfo over a fresh Ironic node that is also cached. */
async function cachedNode(
  fields: Record<string, unknown> = {},
): Promise<{ node: IronicNode; nodeInfo: NodeInfo }> {
  const node = await createTestNode(testIronic(), fields);
  await f.nodeCache.addNode(node.uuid, 'processing');
  return { node, nodeInfo: f.nodeCache.nodeInfo(node.uuid) };
}

describe('Ironic node and ports of a NodeInfo', () => {
  it('fetches the node once by UUID and caches it', async () => {
    const { node, nodeInfo } = await cachedNode();
    requests.length = 0;
    expect((await nodeInfo.ironic.node()).uuid).toBe(node.uuid);
    expect((await nodeInfo.ironic.node()).uuid).toBe(node.uuid);
    expect(ironicCalls('GET', `/v1/nodes/${node.uuid}`)).toHaveLength(1);
    nodeInfo.invalidateCache();
    await nodeInfo.ironic.node();
    expect(ironicCalls('GET', `/v1/nodes/${node.uuid}`)).toHaveLength(2);
  });

  it('returns a node given at construction without asking Ironic', async () => {
    const given = { uuid: newUuid(), name: 'given' };
    const nodeInfo = new NodeInfo({ ...f.options, ironic: {} }, { uuid: given.uuid, node: given });
    expect(await nodeInfo.ironic.node()).toBe(given);
  });

  it('reports a node Ironic does not have as 404 "Node <uuid> was not found in Ironic"', async () => {
    const uuid = newUuid();
    const error = await f.nodeCache
      .nodeInfo(uuid)
      .ironic.node()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NodeNotFoundInIronic);
    expect(error).toMatchObject({ httpStatus: 404, message: `Node ${uuid} was not found in Ironic` });
  });

  it('ports: fetched once as MAC → port; a given list is keyed by address; a given dict is kept', async () => {
    const { node, nodeInfo } = await cachedNode();
    const mac = uniqueMac();
    await testIronic().createPort({ nodeUuid: node.uuid, address: mac });
    requests.length = 0;
    const ports = await nodeInfo.ironic.ports();
    expect(Object.keys(ports)).toEqual([mac]);
    await nodeInfo.ironic.ports();
    expect(ironicCalls('GET', '/v1/ports')).toHaveLength(1);

    const port = ports[mac] as NonNullable<(typeof ports)[string]>;
    expect(await new NodeInfo(f.options, { uuid: node.uuid, ports: [port] }).ironic.ports()).toEqual({
      [mac]: port,
    });
    expect(await new NodeInfo(f.options, { uuid: node.uuid, ports: { [mac]: port } }).ironic.ports()).toEqual(
      {
        [mac]: port,
      },
    );
  });
});

describe('create_ports', () => {
  it('creates ports from MACs and dicts: client_id in extra, pxe as pxe_enabled; existing MACs skipped once', async () => {
    const { node, nodeInfo } = await cachedNode();
    const [m1, m2, m3] = [uniqueMac(), uniqueMac(), uniqueMac()];
    await nodeInfo.ironic.createPorts([
      m1,
      { mac: m2, client_id: 'ff:00:00:00:00:00:02:00:00:02:c9:00', pxe: false },
    ]);
    const created = await testIronic().listPorts({ node: node.uuid });
    const byMac = Object.fromEntries(created.map((p) => [p.address, p]));
    expect(byMac[m1]).toMatchObject({ extra: {}, pxe_enabled: true });
    expect(byMac[m2]).toMatchObject({
      extra: { 'client-id': 'ff:00:00:00:00:00:02:00:00:02:c9:00' },
      pxe_enabled: false,
    });
    expect(Object.keys(await nodeInfo.ironic.ports()).sort()).toEqual([m1, m2].sort());

    requests.length = 0;
    await nodeInfo.ironic.createPorts([m1, m2, { mac: m3 }]);
    expect(ironicCalls('POST', '/v1/ports')).toHaveLength(1);
    expect(ironicCalls('GET', '/v1/ports')).toHaveLength(0); // no reload without a conflict
    expect(f.logger.messages('warn')).toContain(`Did not create ports ${m1}, ${m2} as they already exist`);
    const created3 = f.logger.lines.find((l) => l.message.endsWith(`was created for MAC ${m3}`));
    expect(created3?.extra).toMatchObject({ node: node.uuid, mac: m3, extra: {}, pxe_enabled: true });
    expect(created3?.extra?.port).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('forces pxe_enabled when update_pxe_enabled is off', async () => {
    const node = await createTestNode(testIronic());
    await f.nodeCache.addNode(node.uuid, 'processing');
    const nodeInfo = new NodeInfo(
      { ...f.options, ironic: { ...f.options.ironic, updatePxeEnabled: false } },
      { uuid: node.uuid },
    );
    const mac = uniqueMac();
    await nodeInfo.ironic.createPorts([{ mac, pxe: false }]);
    expect((await testIronic().listPorts({ address: mac }))[0]?.pxe_enabled).toBe(true);
  });

  it('skips a MAC Ironic already has on another node (409) and drops the port cache', async () => {
    const other = await createTestNode(testIronic());
    const mac = uniqueMac();
    await testIronic().createPort({ nodeUuid: other.uuid, address: mac });
    const { nodeInfo } = await cachedNode();
    await nodeInfo.ironic.ports();
    requests.length = 0;
    await nodeInfo.ironic.createPorts([mac]);
    expect(f.logger.messages('warn')).toContain(`Port ${mac} already exists, skipping`);
    expect(await nodeInfo.ironic.ports()).toEqual({});
    expect(ironicCalls('GET', '/v1/ports')).toHaveLength(1); // reloaded after the conflict
  });
});

describe('patch, properties, capabilities, replace_field', () => {
  it('patch prepends / to relative paths, keeps absolute ones, passes reset_interfaces, caches the node', async () => {
    const { nodeInfo } = await cachedNode();
    requests.length = 0;
    const patched = await nodeInfo.ironic.patch([
      { op: 'add', path: 'extra/relative', value: 1 },
      { op: 'add', path: '/extra/absolute', value: 2 },
    ]);
    expect(patched.extra).toEqual({ relative: 1, absolute: 2 });
    expect(await nodeInfo.ironic.node()).toBe(patched);
    expect(ironicCalls('GET', '/v1/nodes/')).toHaveLength(0);
    await nodeInfo.ironic.patch([{ op: 'replace', path: 'driver', value: 'fake-hardware' }], {
      resetInterfaces: true,
    });
    expect(new URL(ironicCalls('PATCH').at(-1)?.url ?? '').searchParams.get('reset_interfaces')).toBe('true');
  });

  it('update_properties adds each property', async () => {
    const { node, nodeInfo } = await cachedNode();
    await nodeInfo.ironic.updateProperties({ prop: 42, cpu_arch: 'x86_64' });
    expect((await testIronic().getNode(node.uuid)).properties).toMatchObject({
      prop: 42,
      cpu_arch: 'x86_64',
    });
  });

  it('update_capabilities merges with the existing capability string', async () => {
    const { node, nodeInfo } = await cachedNode({ properties: { capabilities: 'foo:bar,x:y' } });
    await nodeInfo.ironic.updateCapabilities({ x: 1, y: 2 });
    expect((await testIronic().getNode(node.uuid)).properties?.capabilities).toBe('foo:bar,x:1,y:2');
    // None drops a key; values are written as Python's str() writes them
    await nodeInfo.ironic.updateCapabilities({ foo: null, flag: true });
    expect((await testIronic().getNode(node.uuid)).properties?.capabilities).toBe('x:1,y:2,flag:True');
  });

  it('replace_field: replaces, refuses a missing field without default, adds with one, skips no-ops', async () => {
    const { node, nodeInfo } = await cachedNode({ properties: { answer: 42 }, extra: { list: [1] } });
    await nodeInfo.ironic.replaceField('/properties/answer', (v) => (v as number) + 1);
    expect((await testIronic().getNode(node.uuid)).properties?.answer).toBe(43);
    await expect(nodeInfo.ironic.replaceField('/properties/missing', () => 1)).rejects.toThrow(
      NodeFieldNotFound,
    );
    await nodeInfo.ironic.replaceField('/properties/missing', (v) => [...(v as number[]), 2], {
      default: [1],
    });
    expect((await testIronic().getNode(node.uuid)).properties?.missing).toEqual([1, 2]);
    requests.length = 0;
    await nodeInfo.ironic.replaceField('/extra/list', (v) => {
      (v as number[]).push(0);
      (v as number[]).pop();
      return v;
    });
    expect(ironicCalls('PATCH')).toHaveLength(0);
  });

  it('get_by_path resolves /uuid, uuid and /properties/answer; unknown field or key is an error', async () => {
    const { node, nodeInfo } = await cachedNode({ properties: { answer: 42 } });
    expect(await nodeInfo.ironic.getByPath('/uuid')).toBe(node.uuid);
    expect(await nodeInfo.ironic.getByPath('uuid')).toBe(node.uuid);
    expect(await nodeInfo.ironic.getByPath('/properties/answer')).toBe(42);
    await expect(nodeInfo.ironic.getByPath('/nope')).rejects.toThrow(NodeFieldNotFound);
    await expect(nodeInfo.ironic.getByPath('/properties/nope')).rejects.toThrow(NodeFieldNotFound);
  });
});

describe('ports: patch and delete; traits', () => {
  it('patch_port by object or MAC updates the cached port', async () => {
    const { node, nodeInfo } = await cachedNode();
    const [m1, m2] = [uniqueMac(), uniqueMac()];
    await nodeInfo.ironic.createPorts([m1, m2]);
    const byMac = await nodeInfo.ironic.patchPort(m1, [
      { op: 'replace', path: '/pxe_enabled', value: false },
    ]);
    expect(byMac.pxe_enabled).toBe(false);
    const port2 = (await nodeInfo.ironic.ports())[m2] as NonNullable<
      Awaited<ReturnType<NodeInfo['ironic']['ports']>>[string]
    >;
    await nodeInfo.ironic.patchPort(port2, [{ op: 'add', path: '/extra/foo', value: 'bar' }]);
    const cached = await nodeInfo.ironic.ports();
    expect(cached[m1]?.pxe_enabled).toBe(false);
    expect(cached[m2]?.extra).toEqual({ foo: 'bar' });
    expect((await testIronic().listPorts({ node: node.uuid })).find((p) => p.address === m2)?.extra).toEqual({
      foo: 'bar',
    });
    await expect(nodeInfo.ironic.patchPort(uniqueMac(), [])).rejects.toThrow(PortNotFound);
  });

  it('delete_port by object or MAC removes it from Ironic and the cache; a port Ironic no longer has is already deleted', async () => {
    const { node, nodeInfo } = await cachedNode();
    const [m1, m2] = [uniqueMac(), uniqueMac()];
    await nodeInfo.ironic.createPorts([m1, m2]);
    const port1 = (await nodeInfo.ironic.ports())[m1] as NonNullable<
      Awaited<ReturnType<NodeInfo['ironic']['ports']>>[string]
    >;
    await nodeInfo.ironic.deletePort(port1);
    await nodeInfo.ironic.deletePort(m2);
    expect(await nodeInfo.ironic.ports()).toEqual({});
    expect(await testIronic().listPorts({ node: node.uuid })).toEqual([]);

    const quick = new NodeInfo(
      { ...f.options, ironic: { ...f.options.ironic, retryDelayMs: 5 } },
      { uuid: node.uuid, ports: [port1] },
    );
    requests.length = 0;
    // Ironic's 404: the port is gone (deleted since it was listed), what the delete wanted; one request.
    await quick.ironic.deletePort(port1);
    expect(ironicCalls('DELETE', '/v1/ports/')).toHaveLength(1);
    expect(await quick.ironic.ports()).toEqual({});
  });

  it('add_trait is tried 5 times on an Ironic error; remove_trait ignores a trait that is not set', async () => {
    const { node, nodeInfo } = await cachedNode();
    await nodeInfo.ironic.addTrait('CUSTOM_GPU');
    expect((await testIronic().getNode(node.uuid)).traits).toEqual(['CUSTOM_GPU']);
    await nodeInfo.ironic.removeTrait('CUSTOM_GPU');
    await nodeInfo.ironic.removeTrait('CUSTOM_GPU');
    expect((await testIronic().getNode(node.uuid)).traits).toEqual([]);

    const quick = new NodeInfo(
      { ...f.options, ironic: { ...f.options.ironic, retryDelayMs: 5 } },
      { uuid: node.uuid },
    );
    requests.length = 0;
    await expect(quick.ironic.addTrait('not a valid trait')).rejects.toMatchObject({ ironicStatus: 400 });
    expect(ironicCalls('PUT', '/traits/')).toHaveLength(5);
  });
});

describe('node cache functions that read Ironic', () => {
  it('get_node by name: Ironic resolves the UUID, the cache the record', async () => {
    const { node } = await cachedNode();
    const nodeInfo = await f.nodeCache.getNode(node.name as string);
    expect(nodeInfo.uuid).toBe(node.uuid);
    expect(await nodeInfo.state()).toBe('processing');
    await expect(f.nodeCache.getNode('no-such-node-name')).rejects.toMatchObject({
      httpStatus: 404,
      message: 'Node no-such-node-name was not found in Ironic',
    });
    const uncached = await createTestNode(testIronic());
    await expect(f.nodeCache.getNode(uncached.name as string)).rejects.toThrow(
      `Could not find node ${uncached.uuid} in cache`,
    );
  });

  it('record_node caches an active node found by MAC, unmanaged and waiting', async () => {
    const ironic = testIronic();
    const node = await createTestNode(ironic);
    const mac = uniqueMac();
    await ironic.createPort({ nodeUuid: node.uuid, address: mac });
    await provision(ironic, node.uuid, [
      ['manage', 'manageable'],
      ['provide', 'available'],
      ['active', 'active'],
    ]);
    const nodeInfo = await f.nodeCache.recordNode({ macs: [mac] });
    expect(nodeInfo.uuid).toBe(node.uuid);
    expect(await nodeInfo.state()).toBe('waiting');
    expect(nodeInfo.manageBoot).toBe(false);
    expect(await nodeInfo.attributes()).toEqual({ mac: [mac] });
  });

  it('record_node finds by BMC address too, and refuses a node that is not active', async () => {
    const ironic = testIronic();
    const bmc = uniqueBmcAddress();
    const node = await createTestNode(ironic, { driver_info: { ipmi_address: bmc } });
    const error = await f.nodeCache.recordNode({ bmcAddresses: [bmc] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InspectorError);
    expect((error as Error).message).toBe(`Node ${node.uuid} is not active, its provision state is enroll`);
  });

  it('record_node refuses MACs and BMC addresses of different nodes', async () => {
    const ironic = testIronic();
    const bmc = uniqueBmcAddress();
    const byBmc = await createTestNode(ironic, { driver_info: { ipmi_address: bmc } });
    const byMac = await createTestNode(ironic);
    const mac = uniqueMac();
    await ironic.createPort({ nodeUuid: byMac.uuid, address: mac });
    await expect(f.nodeCache.recordNode({ macs: [mac], bmcAddresses: [bmc] })).rejects.toThrow(
      `MAC addresses ['${mac}'] and BMC addresses ['${bmc}'] correspond to different nodes: ${byMac.uuid} and ${byBmc.uuid}`,
    );
  });

  it('record_node errors: nothing given, nothing found, MACs of two nodes', async () => {
    await expect(f.nodeCache.recordNode({})).rejects.toThrow(
      'Existing node cannot be found since neither MAC addresses nor BMC addresses are present in the inventory',
    );
    const mac = uniqueMac();
    await expect(f.nodeCache.recordNode({ macs: [mac] })).rejects.toThrow(NotFoundInCacheError);
    await expect(f.nodeCache.recordNode({ macs: [mac] })).rejects.toThrow(
      `Existing node was not found by MAC address(es) ['${mac}'] and BMC address(es) []`,
    );
    const ironic = testIronic();
    const [a, b] = [await createTestNode(ironic), await createTestNode(ironic)];
    const [ma, mb] = [uniqueMac(), uniqueMac()];
    await ironic.createPort({ nodeUuid: a.uuid, address: ma });
    await ironic.createPort({ nodeUuid: b.uuid, address: mb });
    await expect(f.nodeCache.recordNode({ macs: [ma, mb] })).rejects.toThrow(
      'correspond to more than one node',
    );
  });

  it('create_node enrolls in Ironic and caches the node in enrolling; an Ironic error gives null', async () => {
    const nodeInfo = await f.nodeCache.createNode('fake-hardware', {
      driver_info: { ipmi_address: '192.0.2.250' },
    });
    expect(nodeInfo).not.toBeNull();
    const created = nodeInfo as NodeInfo;
    expect(await created.state()).toBe('enrolling');
    expect((await created.ironic.node()).driver_info?.ipmi_address).toBe('192.0.2.250');
    expect((await testIronic().getNode(created.uuid)).provision_state).toBe('enroll');

    const before = (await f.nodeCache.listNodeUuids()).length;
    expect(await f.nodeCache.createNode('no-such-driver')).toBeNull();
    expect((await f.nodeCache.listNodeUuids()).length).toBe(before);
    expect(f.logger.messages('error').some((m) => m.startsWith('Failed to create new node'))).toBe(true);
  });

  it('the Ironic sync drops cached nodes Ironic no longer has, and only those', async () => {
    const g = await nodeCacheFixture({ ironic: testIronic() });
    const keep = await createTestNode(testIronic());
    await g.nodeCache.addNode(keep.uuid, 'finished');
    const gone = newUuid();
    await g.nodeCache.addNode(gone, 'waiting', { attributes: { mac: [uniqueMac()] } });
    expect(await g.nodeCache.syncWithIronic()).toEqual([gone]);
    expect(await g.nodeCache.listNodeUuids()).toEqual([keep.uuid]);
  });
});

describe('lookup attributes from Ironic', () => {
  it('takes the MACs of the ports and the BMC address from driver_info', async () => {
    const ironic = testIronic();
    const bmc = uniqueBmcAddress();
    const node = await createTestNode(ironic, { driver_info: { ipmi_address: bmc } });
    const macs = [uniqueMac(), uniqueMac()];
    for (const mac of macs) await ironic.createPort({ nodeUuid: node.uuid, address: mac });
    const attributes = await ironicLookupAttributes(
      await ironic.getNode(node.uuid),
      await ironic.listPorts({ node: node.uuid }),
    );
    expect(attributes.bmc_address).toEqual([bmc]);
    expect(attributes.mac.sort()).toEqual(macs.sort());
  });

  it('uses the first non-empty field, URL hosts and bracketed IPv6, and honours ipmi_bridging', async () => {
    const uuid = newUuid();
    expect(
      await bmcAddresses({
        uuid,
        driver_info: { ipmi_address: '', redfish_address: 'https://[fd00::5]:8000/redfish/v1' },
      }),
    ).toEqual(['fd00::5']);
    expect(
      await bmcAddresses({ uuid, driver_info: { drac_address: 'redfish+http://192.0.2.9:8000' } }),
    ).toEqual(['192.0.2.9']);
    expect(await bmcAddresses({ uuid, driver_info: { ipmi_address: '[2001:db8::1]' } })).toEqual([
      '2001:db8::1',
    ]);
    expect(
      await bmcAddresses({ uuid, driver_info: { ipmi_address: '192.0.2.1', ipmi_bridging: 'single' } }),
    ).toEqual([]);
    expect(
      await bmcAddresses({ uuid, driver_info: { ipmi_address: '192.0.2.1', ipmi_bridging: 'no' } }),
    ).toEqual(['192.0.2.1']);
    expect(await bmcAddresses({ uuid, driver_info: {} })).toEqual([]);
    expect(bmcHost('ipmi://bmc.example.com:623')).toBe('bmc.example.com');
  });

  it('resolves names to the last IPv4 and IPv6, drops loopback, and only warns when a name does not resolve', async () => {
    const uuid = newUuid();
    const logger = new RecordingLogger();
    const lookup = async () => [
      { address: '192.0.2.1', family: 4 },
      { address: '192.0.2.2', family: 4 },
      { address: '127.0.0.1', family: 4 },
      { address: 'fd00::9', family: 6 },
    ];
    expect(await bmcAddresses({ uuid, driver_info: { ipmi_address: 'bmc-1' } }, { lookup, logger })).toEqual([
      '192.0.2.2',
      'fd00::9',
    ]);
    expect(logger.messages('warn')).toContain('Ignoring loopback BMC address 127.0.0.1');
    // The real resolver: localhost is loopback only; .invalid never resolves (RFC 2606).
    expect(await bmcAddresses({ uuid, driver_info: { ipmi_address: 'localhost' } }, { logger })).toEqual([]);
    expect(await bmcAddresses({ uuid, driver_info: { ipmi_address: 'bmc.invalid' } }, { logger })).toEqual(
      [],
    );
    expect(logger.messages('warn')).toContain(
      `Failed to resolve the hostname (bmc.invalid) for node ${uuid}`,
    );
  });
});
