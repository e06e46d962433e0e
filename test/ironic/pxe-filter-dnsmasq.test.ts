/**
 * The PXE filter against the real dnsmasq: the local stack (real handlers, DynamoDB Local, the real
 * Ironic) answers `GET /v1/pxe-filter`; the package's own command (`bin/serverless-inspector.mjs
 * pxe-filter`) keeps a hosts directory from it; Debian's dnsmasq serves DHCP from that directory in a
 * network namespace, and busybox's udhcpc asks from another with the MACs of the test's nodes.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type DhcpNetwork, startDhcpNetwork } from '#test/support/dhcp-network.ts';
import { createTestNode, eventually, provision, testIronic, uniqueMac } from '#test/support/ironic.ts';
import { ramdiskCallback, startTestStack, type TestStack } from '#test/support/stack.ts';

const BIN = resolve(import.meta.dirname, '../../bin/serverless-inspector.mjs');
const INTERVAL_S = 2;

interface Agent {
  readonly process: ChildProcess;
  lines(): string[];
  /** SIGTERM; resolves to the exit code. */
  stop(): Promise<number | null>;
}

function startAgent(api: string, hostsdir: string): Agent {
  const child = spawn(
    process.execPath,
    [
      BIN,
      'pxe-filter',
      '--api',
      api,
      '--hostsdir',
      hostsdir,
      '--interval',
      String(INTERVAL_S),
      '--timeout',
      '5',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let output = '';
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return {
    process: child,
    lines: () => output.split('\n').filter((l) => l !== ''),
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

const read = (dir: string, name: string) => {
  try {
    return readFileSync(join(dir, name), 'utf8');
  } catch {
    return undefined;
  }
};

/**
 * A lease that must come: asked up to three times, since a client's first packets on a freshly
 * raised link can be lost on a busy machine; a lease that must not come is asked once (its
 * `undefined` is the check). The dnsmasq log's end goes into the failure.
 */
async function leased(network: DhcpNetwork, mac: string): Promise<string> {
  for (let attempt = 1; attempt <= 3; attempt++) {
    const address = await network.lease(mac);
    if (address !== undefined) return address;
  }
  throw new Error(`no lease for ${mac}; dnsmasq said:\n${network.log().slice(-3000)}`);
}

/** Wait until every named hosts file holds its content; the time it took. */
async function filesBecome(dir: string, wanted: Record<string, string>, timeoutMs = 60_000): Promise<number> {
  const started = Date.now();
  for (;;) {
    const wrong = Object.entries(wanted).filter(([name, content]) => read(dir, name) !== content);
    if (wrong.length === 0) return Date.now() - started;
    if (Date.now() - started > timeoutMs) {
      throw new Error(
        wrong.map(([n, c]) => `${n} is ${JSON.stringify(read(dir, n))}, not ${JSON.stringify(c)}`).join('; '),
      );
    }
    await sleep(50);
  }
}

describe('the PXE filter with dnsmasq', () => {
  let network: DhcpNetwork;
  let stack: TestStack;
  let agent: Agent | undefined;
  let discoveryStack: TestStack | undefined;
  let discoveryAgent: Agent | undefined;
  const hostsdir = mkdtempSync(join(tmpdir(), 'dhcp-hostsdir-'));

  beforeAll(async () => {
    network = await startDhcpNetwork(hostsdir);
    stack = await startTestStack({ stores: 'local-services', env: { IRONIC_URL: inject('ironicUrl') } });
  });
  afterAll(async () => {
    await agent?.stop();
    await discoveryAgent?.stop();
    await stack?.stop();
    await discoveryStack?.stop();
    await network?.stop();
  });

  it('leases only to the node under introspection, denies it again once finished; unknown MACs as upstream', async () => {
    const ironic = testIronic();
    const inspected: [string, string] = [uniqueMac(), uniqueMac()];
    const bystander = uniqueMac();
    const unknown = uniqueMac();
    const bmc = `203.0.113.${Math.floor(Math.random() * 200) + 20}`;
    const node = await createTestNode(ironic, { driver_info: { ipmi_address: bmc } });
    for (const mac of inspected) await ironic.createPort({ nodeUuid: node.uuid, address: mac });
    const other = await createTestNode(ironic);
    await ironic.createPort({ nodeUuid: other.uuid, address: bystander });
    await provision(ironic, node.uuid, [['manage', 'manageable']]);

    agent = startAgent(stack.url, hostsdir);
    // Nothing under introspection: every port denied, unknown MACs too.
    await filesBecome(hostsdir, {
      [inspected[0]]: `${inspected[0]},ignore\n`,
      [inspected[1]]: `${inspected[1]},ignore\n`,
      [bystander]: `${bystander},ignore\n`,
      unknown_hosts_filter: '*:*:*:*:*:*,ignore\n',
    });
    expect(await network.lease(inspected[0])).toBeUndefined();
    expect(await network.lease(unknown)).toBeUndefined();

    // Under introspection: its MACs allowed; the other node's still denied; unknown MACs allowed
    // while an introspection is active (upstream: a node without ports must boot too).
    expect((await stack.call('POST', `/v1/introspection/${node.uuid}`)).status).toBe(202);
    await filesBecome(hostsdir, {
      [inspected[0]]: `${inspected[0]}\n`,
      [inspected[1]]: `${inspected[1]}\n`,
      [bystander]: `${bystander},ignore\n`,
      unknown_hosts_filter: '*:*:*:*:*:*\n',
    });
    expect(await leased(network, inspected[0])).toMatch(/^10\.251\.0\.\d+$/);
    expect(await network.lease(bystander)).toBeUndefined();
    expect(await leased(network, unknown)).toMatch(/^10\.251\.0\.\d+$/);

    // The ramdisk calls back; once finished, the MAC is denied again within one interval.
    await eventually(
      () => stack.call('GET', `/v1/introspection/${node.uuid}`),
      (r) => (r.json as { state?: string }).state === 'waiting',
      60_000,
    );
    const callback = await stack.call('POST', '/v1/continue', {
      body: await ramdiskCallback(inspected, bmc),
    });
    expect(callback.status).toBe(200);
    const finished = await eventually(
      () => stack.call('GET', `/v1/introspection/${node.uuid}`),
      (r) => (r.json as { state?: string }).state === 'finished',
      60_000,
    );
    expect(finished.json).toMatchObject({ error: null });
    const deniedAfterMs = await filesBecome(
      hostsdir,
      { [inspected[0]]: `${inspected[0]},ignore\n`, unknown_hosts_filter: '*:*:*:*:*:*,ignore\n' },
      30_000,
    );
    // One interval, plus one request of the agent's on a loaded machine (its --timeout).
    expect(deniedAfterMs).toBeLessThan((INTERVAL_S + 5) * 1000);
    console.error(`pxe-filter-dnsmasq: denied again ${deniedAfterMs} ms after the node finished`);
    expect(await network.lease(inspected[0])).toBeUndefined();
    expect(await network.lease(unknown)).toBeUndefined();
    expect(network.log()).toMatch(new RegExp(`DHCPDISCOVER\\(\\S+\\) ${inspected[0]} ignored`));
  });

  it('the API gone: the hosts directory stays, one log line says why; SIGTERM stops the agent cleanly', async () => {
    expect(agent).toBeDefined();
    const before = read(hostsdir, 'unknown_hosts_filter');
    await stack.stop();
    await eventually(
      async () => agent?.lines() ?? [],
      (lines) => lines.some((l) => l.startsWith('WARN PXE filter not updated')),
      (INTERVAL_S + 10) * 1000,
    );
    await sleep(INTERVAL_S * 2 * 1000); // more failed rounds: no more lines for the same reason
    const warnings = (agent?.lines() ?? []).filter((l) => l.startsWith('WARN'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /the API at http:\/\/127\.0\.0\.1:\d+\/v1\/pxe-filter is unreachable \(ECONNREFUSED\)/,
    );
    expect(read(hostsdir, 'unknown_hosts_filter')).toBe(before);
    expect(await agent?.stop()).toBe(0);
    expect(agent?.lines().at(-1)).toBe('INFO PXE filter agent stopped');
  });

  it('discovery on: unknown MACs get a lease with nothing under introspection; known ports stay denied', async () => {
    const bystander = uniqueMac();
    const ironic = testIronic();
    const node = await createTestNode(ironic);
    await ironic.createPort({ nodeUuid: node.uuid, address: bystander });
    discoveryStack = await startTestStack({
      env: { IRONIC_URL: inject('ironicUrl'), NODE_NOT_FOUND_HOOK: 'enroll' },
    });
    discoveryAgent = startAgent(discoveryStack.url, hostsdir);
    await filesBecome(hostsdir, {
      unknown_hosts_filter: '*:*:*:*:*:*\n',
      [bystander]: `${bystander},ignore\n`,
    });
    expect(await leased(network, uniqueMac())).toMatch(/^10\.251\.0\.\d+$/);
    expect(await network.lease(bystander)).toBeUndefined();
  });
});
