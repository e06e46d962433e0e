/**
 * The v1 API through the HTTP adapter (the real api, worker and clean-up handlers) on the in-memory
 * stores, with an in-memory Ironic: every endpoint and every error upstream's API answers, byte for
 * byte. Each test has its own stack (stores, clock, log capture, metrics, Ironic). The same API on
 * DynamoDB Local and s3rver: test/integration/api-on-dynamodb.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { FakeIronic } from '#test/support/fake-ironic.ts';
import { ramdiskCallback, startTestStack, type TestStack } from '#test/support/stack.ts';

let ironic: FakeIronic;
let stack: TestStack;
let counted: Record<string, number>;

beforeEach(async () => {
  ironic = new FakeIronic();
  counted = {};
  stack = await startTestStack({
    ironic,
    runtime: {
      metrics: {
        count(name, value = 1) {
          counted[name] = (counted[name] ?? 0) + value;
        },
      },
    },
  });
  return () => stack.stop();
});

/** An answer's status and body together, so neither is checked without the other. */
const answer = (response: { status: number; json: unknown }) => [response.status, response.json];

let macSeed = 0x100;
const mac = () => {
  macSeed++;
  return `52:54:00:10:${(macSeed >> 8).toString(16).padStart(2, '0')}:${(macSeed & 255).toString(16).padStart(2, '0')}`;
};
let bmcSeed = 10;
const bmc = () => `192.0.2.${bmcSeed++}`;

/** A node in the fake Ironic with two ports and a BMC address. */
function ironicNode(fields: Record<string, unknown> = {}) {
  const macs: [string, string] = [mac(), mac()];
  const address = bmc();
  const node = ironic.addNode(
    { name: `node-${randomUUID().slice(0, 6)}`, driver_info: { ipmi_address: address }, ...fields },
    macs,
  );
  return { node, macs, bmc: address };
}

async function waitForState(uuid: string, state: string) {
  await stack.idle();
  const status = await stack.call('GET', `/v1/introspection/${uuid}`);
  expect((status.json as { state: string }).state).toBe(state);
  return status.json as Record<string, unknown>;
}

/** A node through start, callback and finish. */
async function introspected() {
  const n = ironicNode();
  expect((await stack.call('POST', `/v1/introspection/${n.node.uuid}`)).status).toBe(202);
  await waitForState(n.node.uuid, 'waiting');
  const done = await stack.call('POST', '/v1/continue', { body: await ramdiskCallback(n.macs, n.bmc) });
  expect(done.status).toBe(200);
  await waitForState(n.node.uuid, 'finished');
  return n;
}

describe('versions and routing', () => {
  it('GET / lists the version with links honouring X-Forwarded-Proto/Host/Prefix', async () => {
    const response = await stack.call('GET', '/', {
      headers: {
        'X-Forwarded-Proto': 'https',
        'X-Forwarded-Host': 'myhost',
        'X-Forwarded-Prefix': '/ironic_inspector',
      },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.json).toEqual({
      versions: [
        {
          id: '1.18',
          links: [{ href: 'https://myhost/ironic_inspector/v1', rel: 'self' }],
          status: 'CURRENT',
        },
      ],
    });
    expect(response.headers.get('x-openstack-ironic-inspector-api-minimum-version')).toBe('1.0');
    expect(response.headers.get('x-openstack-ironic-inspector-api-maximum-version')).toBe('1.18');
  });

  it('GET /v1 and /v1/ list the resources; other versions are 404', async () => {
    for (const path of ['/v1', '/v1/']) {
      const response = await stack.call('GET', path);
      expect(response.status).toBe(200);
      expect(response.json).toEqual({
        resources: [
          { links: [{ href: `${stack.url}/v1/continue`, rel: 'self' }], name: 'continue' },
          { links: [{ href: `${stack.url}/v1/introspection`, rel: 'self' }], name: 'introspection' },
          { links: [{ href: `${stack.url}/v1/rules`, rel: 'self' }], name: 'rules' },
        ],
      });
    }
    const missing = await stack.call('GET', '/v-1');
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual({ error: { message: 'Version v-1 not found.' } });
  });

  it('an unknown URL is 404 with werkzeug text and the version headers; a wrong method is 405', async () => {
    const response = await stack.call('GET', '/v1/nowhere/at/all');
    expect(response.status).toBe(404);
    expect((response.json as { error: { message: string } }).error.message).toContain('not found');
    expect(response.headers.get('x-openstack-ironic-inspector-api-maximum-version')).toBe('1.18');
    const wrong = await stack.call('DELETE', '/v1/introspection');
    expect(wrong.status).toBe(405);
  });

  it('checks the microversion before routing: 406 out of range, 400 malformed, latest and empty accepted', async () => {
    const tooNew = await stack.call('GET', '/v1/introspection', {
      headers: { 'X-OpenStack-Ironic-Inspector-API-Version': '1.19' },
    });
    expect(tooNew.status).toBe(406);
    expect(tooNew.json).toEqual({
      error: { message: 'Unsupported API version 1.19, supported range is 1.0 to 1.18' },
    });
    expect(tooNew.headers.get('x-openstack-ironic-inspector-api-minimum-version')).toBe('1.0');
    const unknownPath = await stack.call('GET', '/v42', {
      headers: { 'X-OpenStack-Ironic-Inspector-API-Version': '2.0' },
    });
    expect(unknownPath.status).toBe(406);
    for (const bad of ['1', '1.2.3', 'abc']) {
      const malformed = await stack.call('GET', '/', {
        headers: { 'X-OpenStack-Ironic-Inspector-API-Version': bad },
      });
      expect(malformed.status).toBe(400);
      expect(malformed.json).toEqual({
        error: { message: 'Malformed API version: expected string in form of X.Y or latest' },
      });
    }
    for (const ok of ['latest', 'LATEST', '', ' 1.0 ', '1.18']) {
      const response = await stack.call('GET', '/', {
        headers: { 'X-OpenStack-Ironic-Inspector-API-Version': ok },
      });
      expect(response.status).toBe(200);
    }
    // The singular header is ignored, as upstream.
    const singular = await stack.call('GET', '/', {
      headers: { 'OpenStack-API-Version': 'baremetal-introspection 9.9' },
    });
    expect(singular.status).toBe(200);
  });
});

describe('POST /v1/introspection/<node_id>', () => {
  it('starts: 202 {}, boot device and reboot by the worker, then waiting', async () => {
    const { node, macs, bmc: address } = ironicNode();
    const response = await stack.call('POST', `/v1/introspection/${node.uuid}`);
    expect(response.status).toBe(202);
    expect(response.json).toEqual({});
    expect(response.headers.get('content-type')).toBe('application/json');
    await waitForState(node.uuid, 'waiting');
    expect(ironic.callsOf('setBootDevice').at(-1)?.args).toEqual([node.uuid, 'pxe', false]);
    expect(ironic.callsOf('setPowerState').at(-1)?.args).toEqual([node.uuid, 'rebooting']);
    const attributes = await stack.runtime.nodeCache.nodeInfo(node.uuid).attributes();
    expect(attributes.bmc_address).toEqual([address]);
    expect(attributes.mac?.sort()).toEqual([...macs].sort());
  });

  it('accepts a node name, and a persistent boot device when driver_info asks for it', async () => {
    const { node } = ironicNode({
      driver_info: { ipmi_address: bmc(), force_persistent_boot_device: 'Always' },
    });
    expect((await stack.call('POST', `/v1/introspection/${node.name}`)).status).toBe(202);
    await waitForState(node.uuid, 'waiting');
    expect(ironic.callsOf('setBootDevice').at(-1)?.args).toEqual([node.uuid, 'pxe', true]);
  });

  it('manage_boot=0: no boot or power calls, waiting at once, unmanaged record', async () => {
    const { node } = ironicNode();
    const before = ironic.callsOf('setPowerState').length;
    const response = await stack.call('POST', `/v1/introspection/${node.uuid}?manage_boot=0`);
    expect(response.status).toBe(202);
    const status = await stack.call('GET', `/v1/introspection/${node.uuid}`);
    expect((status.json as { state: string }).state).toBe('waiting');
    expect(ironic.callsOf('setPowerState').length).toBe(before);
    expect((await stack.runtime.nodeCache.getNode(node.uuid)).manageBoot).toBe(false);
  });

  it('refuses a bad manage_boot value, before anything is done', async () => {
    const { node } = ironicNode();
    const response = await stack.call('POST', `/v1/introspection/${node.uuid}?manage_boot=foo`);
    expect(response.status).toBe(400);
    expect(response.json).toEqual({ error: { message: 'Invalid boolean value for manage_boot: foo' } });
    expect((await stack.call('GET', `/v1/introspection/${node.uuid}`)).status).toBe(404);
  });

  it('answers the synchronous checks: not in Ironic, provision state, power validation, state', async () => {
    const missing = randomUUID();
    const notFound = await stack.call('POST', `/v1/introspection/${missing}`);
    expect(notFound.status).toBe(404);
    expect(notFound.json).toEqual({ error: { message: `Node ${missing} was not found in Ironic` } });

    const { node: active } = ironicNode({ provision_state: 'active' });
    const wrongState = await stack.call('POST', `/v1/introspection/${active.uuid}`);
    expect(wrongState.status).toBe(400);
    expect((wrongState.json as { error: { message: string } }).error.message).toBe(
      `Invalid provision state for introspection: "active", valid states are "['enroll', 'manageable', 'inspecting', 'inspect wait', 'inspect failed']"`,
    );

    const { node } = ironicNode();
    ironic.powerValidation = { result: false, reason: 'Missing ipmi_username' };
    try {
      const invalid = await stack.call('POST', `/v1/introspection/${node.uuid}`);
      expect(invalid.status).toBe(400);
      expect(invalid.json).toEqual({
        error: { message: 'Failed validation of power interface: Missing ipmi_username' },
      });
    } finally {
      ironic.powerValidation = { result: true, reason: null };
    }

    // a second start while the first is still starting
    const { node: busy } = ironicNode();
    await stack.runtime.nodeCache.addNode(busy.uuid, 'processing');
    const twice = await stack.call('POST', `/v1/introspection/${busy.uuid}`);
    expect(twice.status).toBe(400);
    expect(twice.json).toEqual({
      error: {
        message: "Can not transition from state 'processing' on event 'start' (no defined transition)",
      },
    });
  });

  it('without lookup attributes the node goes to error, with upstream text', async () => {
    const node = ironic.addNode({ name: null, driver_info: {} });
    const response = await stack.call('POST', `/v1/introspection/${node.uuid}?manage_boot=false`);
    expect(response.status).toBe(400);
    const status = (await stack.call('GET', `/v1/introspection/${node.uuid}`)).json as Record<
      string,
      unknown
    >;
    expect(status.state).toBe('error');
    expect(status.error).toBe(
      "No lookup attributes were found, inspector won't be able to find it after introspection, consider creating ironic ports or providing an IPMI address",
    );
  });

  it('a failed reboot moves the node to error (worker)', async () => {
    const { node } = ironicNode();
    const { IronicError } = await import('#lib/domain/errors.ts');
    ironic.failures.set(
      'setPowerState',
      Array.from({ length: 5 }, () => new IronicError(500, 'IPMI timeout')),
    );
    expect((await stack.call('POST', `/v1/introspection/${node.uuid}`)).status).toBe(202);
    const status = await waitForState(node.uuid, 'error');
    expect(status.error).toBe(
      'Failed to power on the node, check its power management configuration: IPMI timeout',
    );
    expect(status.finished).toBe(true);
  });
});

describe('GET /v1/introspection/<node_id> and GET /v1/introspection', () => {
  it('status has exactly the upstream fields, for an unfinished and a finished node', async () => {
    const { node } = ironicNode();
    await stack.call('POST', `/v1/introspection/${node.uuid}?manage_boot=0`);
    const running = (await stack.call('GET', `/v1/introspection/${node.uuid}/`)).json as Record<
      string,
      unknown
    >;
    expect(Object.keys(running).sort()).toEqual([
      'error',
      'finished',
      'finished_at',
      'links',
      'started_at',
      'state',
      'uuid',
    ]);
    expect(running).toMatchObject({
      error: null,
      finished: false,
      finished_at: null,
      state: 'waiting',
      uuid: node.uuid,
    });
    expect(running.started_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?$/);
    expect(running.links).toEqual([{ href: `${stack.url}/v1/introspection/${node.uuid}`, rel: 'self' }]);

    const done = await introspected();
    const finished = (await stack.call('GET', `/v1/introspection/${done.node.name}`)).json as Record<
      string,
      unknown
    >;
    expect(finished).toMatchObject({ error: null, finished: true, state: 'finished', uuid: done.node.uuid });
    expect(finished.finished_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?$/);
  });

  it('status of an uncached node or an unknown name is 404', async () => {
    const uuid = randomUUID();
    expect(answer(await stack.call('GET', `/v1/introspection/${uuid}`))).toEqual([
      404,
      { error: { message: `Could not find node ${uuid} in cache` } },
    ]);
    expect(answer(await stack.call('GET', '/v1/introspection/no-such-name'))).toEqual([
      404,
      { error: { message: 'Node no-such-name was not found in Ironic' } },
    ]);
  });

  it('lists newest first with limit, marker and state; validates every parameter', async () => {
    const started: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { node } = ironicNode();
      await stack.call('POST', `/v1/introspection/${node.uuid}?manage_boot=0`);
      started.unshift(node.uuid);
    }
    const all = (await stack.call('GET', '/v1/introspection')).json as {
      introspection: Array<{ uuid: string; state: string }>;
    };
    expect(all.introspection.slice(0, 3).map((n) => n.uuid)).toEqual(started);
    const one = (await stack.call('GET', '/v1/introspection?limit=1')).json as { introspection: unknown[] };
    expect(one.introspection).toHaveLength(1);
    const after = (await stack.call('GET', `/v1/introspection?marker=${started[0]}&limit=2`)).json as {
      introspection: Array<{ uuid: string }>;
    };
    expect(after.introspection.map((n) => n.uuid)).toEqual(started.slice(1, 3));
    const waiting = (await stack.call('GET', '/v1/introspection?state=waiting,error')).json as {
      introspection: Array<{ state: string }>;
    };
    // This stack holds exactly the three nodes started above, all waiting.
    expect(waiting.introspection.map((n) => n.state)).toEqual(['waiting', 'waiting', 'waiting']);
    expect((await stack.call('GET', '/v1/introspection?limit=0')).status).toBe(200);

    const cases: Array<[string, number, string]> = [
      ['marker=not-a-uuid', 400, 'Bad request: Marker not UUID-like'],
      ['marker=', 400, 'Bad request: Marker not UUID-like'],
      [`marker=${randomUUID()}`, 404, 'The requested node was not found.'],
      ['limit=-1', 400, 'Bad request: Limit cannot be negative'],
      ['limit=1001', 400, 'Bad request: Limit over 1000'],
      ['limit=x', 400, "Bad request: invalid literal for int() with base 10: 'x'"],
      ['limit=', 400, "Bad request: invalid literal for int() with base 10: ''"],
      ['state=waiting,bogus,worse', 400, 'Bad request: State(s) "bogus, worse" are not valid'],
      ['state=', 400, 'Bad request: State(s) "" are not valid'],
    ];
    for (const [query, status, message] of cases) {
      const response = await stack.call('GET', `/v1/introspection?${query}`);
      expect([query, response.status, response.json]).toEqual([query, status, { error: { message } }]);
    }
  });
});

describe('POST /v1/continue', () => {
  it('processes the callback: 200 {uuid}, Ironic updated, finished by the worker with power off', async () => {
    const n = ironicNode();
    await stack.call('POST', `/v1/introspection/${n.node.uuid}`);
    await waitForState(n.node.uuid, 'waiting');
    const body = await ramdiskCallback(n.macs, n.bmc);
    body.logs = 'bG9ncw==';
    const response = await stack.call('POST', '/v1/continue', {
      body,
      headers: { 'Content-Type': 'text/plain' },
    });
    expect(response.status).toBe(200);
    expect(response.json).toEqual({ uuid: n.node.uuid });
    await waitForState(n.node.uuid, 'finished');
    const node = ironic.nodes.get(n.node.uuid);
    expect(node?.properties).toMatchObject({
      cpus: '4',
      cpu_arch: 'x86_64',
      memory_mb: '8192',
      local_gb: '49',
      capabilities: 'cpu_vt:true,cpu_hugepages:true',
    });
    expect(node?.power_state).toBe('power off');
    const processed = (await stack.call('GET', `/v1/introspection/${n.node.uuid}/data`)).json as Record<
      string,
      unknown
    >;
    expect(processed).toMatchObject({
      local_gb: 49,
      cpus: 4,
      memory_mb: 8192,
      macs: [n.macs[0]],
      ipmi_address: n.bmc,
    });
    expect(processed.logs).toBeUndefined();
    const raw = (await stack.call('GET', `/v1/introspection/${n.node.uuid}/data/unprocessed`)).json as Record<
      string,
      unknown
    >;
    expect(raw.logs).toBeUndefined();
    expect(raw.macs).toBeUndefined();
    expect(raw.inventory).toEqual(body.inventory);
  });

  it('a second callback after the finish is a lookup error (400)', async () => {
    const n = await introspected();
    const again = await stack.call('POST', '/v1/continue', { body: await ramdiskCallback(n.macs, n.bmc) });
    expect(again.status).toBe(400);
    expect(again.json).toEqual({
      error: {
        message: `The following failures happened during running pre-processing hooks:\nLook up error: Could not find a node for attributes {'bmc_address': ['${n.bmc}'], 'mac': ['${n.macs[0]}', '${n.macs[1]}']}`,
      },
    });
  });

  it('refuses a body that is not a JSON object, or not JSON, with 400', async () => {
    expect(answer(await stack.call('POST', '/v1/continue', { body: '42' }))).toEqual([
      400,
      { error: { message: 'Invalid data: expected a JSON object, got int' } },
    ]);
    expect(answer(await stack.call('POST', '/v1/continue', { body: '[1]' }))).toEqual([
      400,
      { error: { message: 'Invalid data: expected a JSON object, got list' } },
    ]);
    const notJson = await stack.call('POST', '/v1/continue', { body: '{"inventory": ' });
    expect(notJson.status).toBe(400);
    expect((notJson.json as { error: { message: string } }).error.message).toContain(
      'Invalid data: expected a JSON object',
    );
    expect((await stack.call('POST', '/v1/continue')).status).toBe(400);
  });

  it('an inventory missing a field is 400 naming it, and the node goes to error with it', async () => {
    const n = ironicNode();
    await stack.call('POST', `/v1/introspection/${n.node.uuid}`);
    await waitForState(n.node.uuid, 'waiting');
    const body = await ramdiskCallback(n.macs, n.bmc);
    delete (body.inventory as Record<string, unknown>).cpu;
    const response = await stack.call('POST', '/v1/continue', { body });
    expect(response.status).toBe(400);
    const message = (response.json as { error: { message: string } }).error.message;
    expect(message).toContain('The following failures happened during running pre-processing hooks:');
    expect(message).toContain('the "inventory.cpu" field is missing');
    const status = (await stack.call('GET', `/v1/introspection/${n.node.uuid}`)).json as Record<
      string,
      unknown
    >;
    expect(status.state).toBe('error');
    expect(status.error).toContain('"inventory.cpu"');
  });

  it('a ramdisk-reported error fails the node at once (waiting + error, docs/design.md#failures-while-waiting)', async () => {
    const n = ironicNode();
    await stack.call('POST', `/v1/introspection/${n.node.uuid}`);
    await waitForState(n.node.uuid, 'waiting');
    const body = await ramdiskCallback(n.macs, n.bmc);
    body.error = 'Disk /dev/sda failed';
    const response = await stack.call('POST', '/v1/continue', { body });
    expect(response.status).toBe(400);
    expect((response.json as { error: { message: string } }).error.message).toBe(
      'The following failures happened during running pre-processing hooks:\nPreprocessing hook ramdisk_error: Ramdisk reported error: Disk /dev/sda failed',
    );
    const status = (await stack.call('GET', `/v1/introspection/${n.node.uuid}`)).json as Record<
      string,
      unknown
    >;
    expect(status).toMatchObject({
      state: 'error',
      finished: true,
      error: 'Preprocessing hook ramdisk_error: Ramdisk reported error: Disk /dev/sda failed',
    });
  });

  it('a callback for a node forced to processing fails it with the automaton message', async () => {
    const n = ironicNode();
    await stack.call('POST', `/v1/introspection/${n.node.uuid}`);
    await waitForState(n.node.uuid, 'waiting');
    await stack.runtime.nodeCache.nodeInfo(n.node.uuid).setState('processing');
    const response = await stack.call('POST', '/v1/continue', { body: await ramdiskCallback(n.macs, n.bmc) });
    expect(response.status).toBe(400);
    const status = (await stack.call('GET', `/v1/introspection/${n.node.uuid}`)).json as Record<
      string,
      unknown
    >;
    expect(status.state).toBe('error');
    expect(status.error).toContain('no defined transition');
  });

  it('a node gone from Ironic is 404 and goes to error', async () => {
    const n = ironicNode();
    await stack.call('POST', `/v1/introspection/${n.node.uuid}`);
    await waitForState(n.node.uuid, 'waiting');
    ironic.nodes.delete(n.node.uuid);
    const response = await stack.call('POST', '/v1/continue', { body: await ramdiskCallback(n.macs, n.bmc) });
    expect(response.status).toBe(404);
    expect(response.json).toEqual({ error: { message: `Node ${n.node.uuid} was not found in Ironic` } });
    const status = (await stack.call('GET', `/v1/introspection/${n.node.uuid}`)).json as Record<
      string,
      unknown
    >;
    expect(status.state).toBe('error');
  });

  it('refuses a body larger than the API can carry with 413', async () => {
    const response = await stack.call('POST', '/v1/continue', {
      body: `{"pad": "${'x'.repeat(6_100_000)}"}`,
    });
    expect(response.status).toBe(413);
    expect((response.json as { error: { message: string } }).error.message).toContain(
      'larger than the API can carry',
    );
  });

  it('an unexpected processing failure is 500 with the exception, and the node goes to error', async () => {
    const n = ironicNode();
    await stack.call('POST', `/v1/introspection/${n.node.uuid}`);
    await waitForState(n.node.uuid, 'waiting');
    ironic.failures.set('patchNode', [new TypeError('boom')]);
    const response = await stack.call('POST', '/v1/continue', { body: await ramdiskCallback(n.macs, n.bmc) });
    expect(response.status).toBe(500);
    expect(response.json).toEqual({
      error: { message: 'Unexpected exception TypeError during processing: boom' },
    });
    const status = (await stack.call('GET', `/v1/introspection/${n.node.uuid}`)).json as Record<
      string,
      unknown
    >;
    expect(status).toMatchObject({
      state: 'error',
      error: 'Unexpected exception TypeError during processing: boom',
    });
  });
});

describe('callback payload problems (never a 500)', () => {
  it('a missing cpu on a node known only by its MACs still finds it, and fails it with the field', async () => {
    const macs: [string, string] = [mac(), mac()];
    const node = ironic.addNode({ driver_info: {} }, [...macs]);
    await stack.call('POST', `/v1/introspection/${node.uuid}`);
    await waitForState(node.uuid, 'waiting');
    const body = await ramdiskCallback(macs, '0.0.0.0');
    delete (body.inventory as Record<string, unknown>).cpu;
    const response = await stack.call('POST', '/v1/continue', { body });
    expect(response.status).toBe(400);
    const status = (await stack.call('GET', `/v1/introspection/${node.uuid}`)).json as Record<
      string,
      unknown
    >;
    expect(status.state).toBe('error');
    expect(status.error).toContain('"inventory.cpu" field is missing');
  });

  it('one malformed NIC does not cost the others: the node is still found by MAC, and failed naming the field', async () => {
    const n = ironicNode({ driver_info: {} });
    await stack.call('POST', `/v1/introspection/${n.node.uuid}`);
    await waitForState(n.node.uuid, 'waiting');
    const body = await ramdiskCallback(n.macs, '0.0.0.0');
    (body.inventory as { interfaces: unknown[] }).interfaces.push({ name: 'eth9', mac_address: 42 });
    const response = await stack.call('POST', '/v1/continue', { body });
    expect(response.status).toBe(400);
    expect((response.json as { error: { message: string } }).error.message).toContain(
      '"inventory.interfaces.2.mac_address"',
    );
    const status = (await stack.call('GET', `/v1/introspection/${n.node.uuid}`)).json as Record<
      string,
      unknown
    >;
    expect(status.state).toBe('error');
  });

  it("junk in the ramdisk's own fields is a 400", async () => {
    for (const body of [
      { all_interfaces: { a: null } },
      { inventory: { interfaces: 'eth0' } },
      { inventory: [] },
      { inventory: { interfaces: [{ name: 'eth0', mac_address: 42 }] } },
    ]) {
      const response = await stack.call('POST', '/v1/continue', { body });
      expect([JSON.stringify(body), response.status]).toEqual([JSON.stringify(body), 400]);
    }
  });
});

describe('POST /v1/introspection/<node_id>/abort', () => {
  it('aborts a waiting node: 202 {}, then error "Canceled by operator" with power off', async () => {
    const { node } = ironicNode();
    await stack.call('POST', `/v1/introspection/${node.uuid}`);
    await waitForState(node.uuid, 'waiting');
    const response = await stack.call('POST', `/v1/introspection/${node.uuid}/abort`);
    expect(response.status).toBe(202);
    expect(response.json).toEqual({});
    const status = await waitForState(node.uuid, 'error');
    expect(status).toMatchObject({ error: 'Canceled by operator', finished: true });
    expect(ironic.callsOf('setPowerState').at(-1)?.args).toEqual([node.uuid, 'power off']);

    // a second abort changes nothing; a start after an abort works
    expect((await stack.call('POST', `/v1/introspection/${node.uuid}/abort`)).status).toBe(202);
    const again = await waitForState(node.uuid, 'error');
    expect(again.finished_at).toBe(status.finished_at);
    expect((await stack.call('POST', `/v1/introspection/${node.uuid}`)).status).toBe(202);
    await waitForState(node.uuid, 'waiting');
  });

  it('is 404 for an uncached node and 409 while the node is locked', async () => {
    const uuid = randomUUID();
    expect(answer(await stack.call('POST', `/v1/introspection/${uuid}/abort`))).toEqual([
      404,
      { error: { message: `Could not find node ${uuid} in cache` } },
    ]);
    const { node } = ironicNode();
    await stack.call('POST', `/v1/introspection/${node.uuid}?manage_boot=0`);
    const holder = stack.runtime.nodeCache.nodeInfo(node.uuid);
    await holder.acquireLock();
    const locked = await stack.call('POST', `/v1/introspection/${node.uuid}/abort`);
    expect(locked.status).toBe(409);
    expect(locked.json).toEqual({ error: { message: 'Node is locked, please, retry later' } });
    await holder.releaseLock();
  });
});

describe('introspection data and reapply', () => {
  it('GET data and data/unprocessed by UUID and by name; missing data is 404', async () => {
    const n = await introspected();
    for (const id of [n.node.uuid, n.node.name as string]) {
      expect((await stack.call('GET', `/v1/introspection/${id}/data`)).status).toBe(200);
      expect((await stack.call('GET', `/v1/introspection/${id}/data/unprocessed`)).status).toBe(200);
    }
    const uuid = randomUUID();
    expect(answer(await stack.call('GET', `/v1/introspection/${uuid}/data`))).toEqual([
      404,
      { error: { message: `Introspection data not found for node ${uuid}, processed=True` } },
    ]);
    expect(answer(await stack.call('GET', `/v1/introspection/${uuid}/data/unprocessed`))).toEqual([
      404,
      { error: { message: `Introspection data not found for node ${uuid}, processed=False` } },
    ]);
  });

  it('reapplies the stored data: 202, reapplying, then finished with the same properties', async () => {
    const n = await introspected();
    const before = (await stack.call('GET', `/v1/introspection/${n.node.uuid}`)).json as Record<
      string,
      unknown
    >;
    const node = ironic.nodes.get(n.node.uuid);
    if (node?.properties) node.properties.cpus = '1';
    stack.clock.advance(1000); // the reapply's started_at is later whatever the machine's speed
    const response = await stack.call('POST', `/v1/introspection/${n.node.uuid}/data/unprocessed`);
    expect(response.status).toBe(202);
    expect(response.json).toEqual({});
    const after = await waitForState(n.node.uuid, 'finished');
    expect(after.error).toBeNull();
    expect((after.started_at as string) > (before.started_at as string)).toBe(true);
    expect(ironic.nodes.get(n.node.uuid)?.properties?.cpus).toBe('4');
  });

  it('reapplies by node name, resolved through Ironic', async () => {
    const n = await introspected();
    expect((await stack.call('POST', `/v1/introspection/${n.node.name}/data/unprocessed`)).status).toBe(202);
    await waitForState(n.node.uuid, 'finished');
    expect(ironic.callsOf('getNode').some((c) => c.args[0] === n.node.name)).toBe(true);
  });

  it('reapplies data given in the body, storing it as the unprocessed data first', async () => {
    const n = await introspected();
    const body = await ramdiskCallback(n.macs, n.bmc);
    ((body.inventory as Record<string, unknown>).cpu as Record<string, unknown>).count = 16;
    expect(
      (await stack.call('POST', `/v1/introspection/${n.node.uuid}/data/unprocessed`, { body })).status,
    ).toBe(202);
    await waitForState(n.node.uuid, 'finished');
    expect(ironic.nodes.get(n.node.uuid)?.properties?.cpus).toBe('16');
    const raw = (await stack.call('GET', `/v1/introspection/${n.node.uuid}/data/unprocessed`)).json as {
      inventory: { cpu: { count: number } };
    };
    expect(raw.inventory.cpu.count).toBe(16);
  });

  it('a reapply refused by the state machine is accepted and changes nothing (not even started_at)', async () => {
    const { node } = ironicNode();
    await stack.call('POST', `/v1/introspection/${node.uuid}?manage_boot=0`);
    const before = (await stack.call('GET', `/v1/introspection/${node.uuid}`)).json as Record<
      string,
      unknown
    >;
    await stack.runtime.nodeCache.storeIntrospectionData(node.uuid, { inventory: {} }, { processed: false });
    expect((await stack.call('POST', `/v1/introspection/${node.uuid}/data/unprocessed`)).status).toBe(202);
    const after = (await stack.call('GET', `/v1/introspection/${node.uuid}`)).json as Record<string, unknown>;
    expect(after).toEqual(before);
  });

  it('a reboot job received before its power slot goes back to the queue', async () => {
    const { node } = ironicNode();
    const nodeInfo = await stack.runtime.nodeCache.startIntrospection(node.uuid);
    const queue = stack.runtime.localQueue;
    const resent: Array<{ job: unknown; delayMs?: number }> = [];
    const original = queue?.send.bind(queue);
    if (queue) {
      queue.send = async (job, options) => {
        resent.push({ job, ...(options?.delayMs !== undefined ? { delayMs: options.delayMs } : {}) });
      };
    }
    try {
      const startedAt = (await import('#lib/domain/timestamps.ts')).toStoredTimestamp(
        nodeInfo.startedAt as Date,
      );
      const job = {
        type: 'introspect' as const,
        uuid: node.uuid,
        startedAt,
        notBeforeMs: Date.now() + 60_000,
      };
      await stack.runtime.useCases.jobs.run(job);
      expect(resent).toHaveLength(1);
      expect(resent[0]?.job).toEqual(job);
      expect(resent[0]?.delayMs).toBeGreaterThan(55_000);
      expect(
        ((await stack.call('GET', `/v1/introspection/${node.uuid}`)).json as { state: string }).state,
      ).toBe('starting');
    } finally {
      if (queue && original) queue.send = original;
    }
  });

  it('an empty object body counts as no body: the stored data is reapplied, not overwritten', async () => {
    const n = await introspected();
    expect(
      (await stack.call('POST', `/v1/introspection/${n.node.uuid}/data/unprocessed`, { body: {} })).status,
    ).toBe(202);
    const after = await waitForState(n.node.uuid, 'finished');
    expect(after.error).toBeNull();
    const raw = (await stack.call('GET', `/v1/introspection/${n.node.uuid}/data/unprocessed`)).json as Record<
      string,
      unknown
    >;
    expect(raw.inventory).toBeDefined();
  });

  it('a reapply job delivered twice runs once; one that fails records it and is not retried', async () => {
    const n = await introspected();
    const queue = stack.runtime.localQueue;
    const sent: unknown[] = [];
    const original = queue?.send.bind(queue);
    if (queue && original) {
      queue.send = async (job, options) => {
        sent.push(job);
        return original(job, options);
      };
    }
    try {
      await stack.call('POST', `/v1/introspection/${n.node.uuid}/data/unprocessed`);
      await waitForState(n.node.uuid, 'finished');
      const job = sent.find((j) => (j as { type: string }).type === 'reapply') as Parameters<
        typeof stack.runtime.useCases.jobs.run
      >[0];
      const patches = ironic.callsOf('patchNode').length;
      await stack.runtime.useCases.jobs.run(job); // the redelivery
      expect(ironic.callsOf('patchNode').length).toBe(patches);
      expect(
        ((await stack.call('GET', `/v1/introspection/${n.node.uuid}`)).json as { state: string }).state,
      ).toBe('finished');
    } finally {
      if (queue && original) queue.send = original;
    }

    // Failing hooks: the node goes to error, the job ends normally (no redelivery, no dead letter).
    const broken = await ramdiskCallback(n.macs, n.bmc);
    broken.error = 'stored failure';
    await stack.call('POST', `/v1/introspection/${n.node.uuid}/data/unprocessed`, { body: broken });
    const failed = await waitForState(n.node.uuid, 'error');
    expect(failed.error).toContain(
      'Pre-processing failures detected reapplying introspection on stored data',
    );
    expect(stack.runtime.localQueue?.deadLetters).toEqual([]);
  });

  it('reapply errors: non-JSON body 400, not an object 400, uncached node 404, no data 404, locked 409', async () => {
    const n = await introspected();
    const notJson = await stack.call('POST', `/v1/introspection/${n.node.uuid}/data/unprocessed`, {
      body: 'nope',
    });
    expect(notJson.status).toBe(400);
    expect((notJson.json as { error: { message: string } }).error.message).toMatch(
      /^Invalid data: expected a JSON object/,
    );
    expect(
      answer(await stack.call('POST', `/v1/introspection/${n.node.uuid}/data/unprocessed`, { body: '[]' })),
    ).toEqual([400, { error: { message: 'Invalid data: expected a JSON object, got list' } }]);
    const uuid = randomUUID();
    expect(
      answer(await stack.call('POST', `/v1/introspection/${uuid}/data/unprocessed`, { body: { a: 1 } })),
    ).toEqual([404, { error: { message: `Could not find node ${uuid} in cache` } }]);
    expect((await stack.call('POST', `/v1/introspection/${randomUUID()}/data/unprocessed`)).status).toBe(404);
    const holder = stack.runtime.nodeCache.nodeInfo(n.node.uuid);
    await holder.acquireLock();
    const locked = await stack.call('POST', `/v1/introspection/${n.node.uuid}/data/unprocessed`);
    expect(locked.status).toBe(409);
    expect(locked.json).toEqual({ error: { message: 'Node locked, please, try again later' } });
    await holder.releaseLock();
  });
});

describe('metrics', () => {
  it('counts introspections started, finished, failed and timed out, and lookup failures', async () => {
    const n = await introspected();
    expect(counted).toEqual({ IntrospectionsStarted: 1, IntrospectionsFinished: 1 });
    await stack.call('POST', '/v1/continue', { body: await ramdiskCallback(n.macs, n.bmc) });
    expect(counted.LookupFailures).toBe(1);
    const { node } = ironicNode();
    await stack.call('POST', `/v1/introspection/${node.uuid}?manage_boot=0`);
    await stack.call('POST', `/v1/introspection/${node.uuid}/abort`);
    await stack.idle();
    expect(counted).toEqual({
      IntrospectionsStarted: 2,
      IntrospectionsFinished: 1,
      LookupFailures: 1,
      IntrospectionsFailed: 1,
    });
  });
});

describe('clean-up', () => {
  it('times out a node whose ramdisk never called back, and drops nodes Ironic no longer has', async () => {
    const { node } = ironicNode();
    await stack.call('POST', `/v1/introspection/${node.uuid}?manage_boot=0`);
    const nodeInfo = await stack.runtime.nodeCache.getNode(node.uuid);
    nodeInfo.startedAt = new Date(Date.now() - 2 * 3600 * 1000);
    await nodeInfo.commit();
    const gone = randomUUID();
    await stack.runtime.nodeCache.addNode(gone, 'finished');
    const result = await stack.cleanUp();
    expect(result.timedOut).toContain(node.uuid);
    expect(result.dropped).toContain(gone);
    expect((await stack.call('GET', `/v1/introspection/${node.uuid}`)).json).toMatchObject({
      state: 'error',
      error: 'Introspection timeout',
    });
    expect((await stack.call('GET', `/v1/introspection/${gone}`)).status).toBe(404);
    expect(counted.IntrospectionsTimedOut).toBe(1);
  });
});
