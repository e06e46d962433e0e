/**
 * `npm run demo`: a whole introspection round against the real Ironic.
 *
 * Starts Debian's Ironic through `scripts/ironic-standalone.sh` (installing it when missing, as root),
 * enrolls three fake-hardware nodes with ports and BMC addresses, starts the local stack, and for each
 * node runs the start, a ramdisk callback built from a realistic inventory, and the finish, showing
 * progress; then prints each node's introspection status and the properties Ironic now holds. Stops
 * what it started.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startLocalStack } from './local-stack.ts';
import { sampleCallback } from './sample-callback.ts';

// The demo prints its own progress; the service's logs only when something goes wrong.
process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';

const root = resolve(import.meta.dirname, '..');
const ironicPort = process.env.DEMO_IRONIC_PORT ?? '6385';
const ironicUrl = `http://127.0.0.1:${ironicPort}`;
const say = (line: string) => console.log(line);

function ironicScript(action: 'start' | 'stop' | 'status'): boolean {
  try {
    execFileSync(resolve(root, 'scripts/ironic-standalone.sh'), [action], {
      env: { ...process.env, IRONIC_PORT: ironicPort },
      stdio: ['ignore', 'ignore', action === 'start' ? 'inherit' : 'ignore'],
    });
    return true;
  } catch (err) {
    if (action === 'status') return false;
    throw err;
  }
}

const ironicWasRunning = ironicScript('status');
say(
  ironicWasRunning ? `Using the Ironic already running at ${ironicUrl}` : `Starting Ironic at ${ironicUrl}…`,
);
ironicScript('start');

const { IronicClient } = await import('#lib/adapters/ironic/client.ts');
const ironic = new IronicClient({ url: ironicUrl, lockedBackoffMs: 200 });
const stack = await startLocalStack({
  port: 0,
  cleanUpPeriodSeconds: 0,
  env: { IRONIC_URL: ironicUrl },
});
say(`Serverless Inspector (local stack) at ${stack.url}`);

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${stack.url}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } }),
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : undefined };
}

async function waitFor(uuid: string, state: string): Promise<Record<string, unknown>> {
  for (let i = 0; i < 100; i++) {
    const status = (await api('GET', `/v1/introspection/${uuid}`)).json as Record<string, unknown>;
    if (status.state === state) return status;
    if (status.state === 'error') throw new Error(`node ${uuid} failed: ${String(status.error)}`);
    await sleep(200);
  }
  throw new Error(`node ${uuid} did not reach ${state}`);
}

let failed = false;
try {
  const run = randomUUID().slice(0, 6);
  const nodes: Array<{ uuid: string; name: string; macs: [string, string]; bmc: string }> = [];
  for (let i = 1; i <= 3; i++) {
    const suffix = Number.parseInt(run, 16) % 200;
    const macs: [string, string] = [
      `52:54:00:${suffix.toString(16).padStart(2, '0')}:0${i}:01`,
      `52:54:00:${suffix.toString(16).padStart(2, '0')}:0${i}:02`,
    ];
    const bmc = `192.0.2.${(suffix % 50) * 4 + i}`;
    const name = `demo-${run}-${i}`;
    const node = await ironic.createNode({
      driver: 'fake-hardware',
      name,
      driver_info: { ipmi_address: bmc, ipmi_username: 'admin', ipmi_password: 'secret' },
    });
    for (const mac of macs) await ironic.createPort({ nodeUuid: node.uuid, address: mac });
    await ironic.setProvisionState(node.uuid, 'manage');
    nodes.push({ uuid: node.uuid, name, macs, bmc });
    say(`Enrolled ${name} (${node.uuid}) with ports ${macs.join(', ')} and BMC ${bmc}`);
  }
  for (const n of nodes) {
    for (let i = 0; i < 50 && (await ironic.getNode(n.uuid)).provision_state !== 'manageable'; i++)
      await sleep(200);
  }

  for (const n of nodes) {
    say(`\n${n.name}:`);
    const started = await api('POST', `/v1/introspection/${n.name}`);
    say(`  POST /v1/introspection/${n.name} -> ${started.status}`);
    await waitFor(n.uuid, 'waiting');
    say('  waiting for the ramdisk (boot device set to PXE, node rebooted)');
    const callback = await api('POST', '/v1/continue', sampleCallback(n.macs, n.bmc));
    say(`  ramdisk callback POST /v1/continue -> ${callback.status} ${JSON.stringify(callback.json)}`);
    await waitFor(n.uuid, 'finished');
    say('  finished (node powered off)');
  }

  say('\nIntrospection status:');
  for (const n of nodes) {
    const status = (await api('GET', `/v1/introspection/${n.uuid}`)).json as Record<string, unknown>;
    say(
      `  ${n.name}: state=${String(status.state)} finished=${String(status.finished)} error=${String(status.error)} started_at=${String(status.started_at)} finished_at=${String(status.finished_at)}`,
    );
  }
  say('\nProperties Ironic now holds:');
  for (const n of nodes) {
    const node = await ironic.getNode(n.uuid, { fields: ['properties', 'power_state', 'provision_state'] });
    say(`  ${n.name}: ${JSON.stringify(node.properties)} (${node.power_state}, ${node.provision_state})`);
    const ports = await ironic.listPorts({ node: n.uuid });
    say(`    ports: ${ports.map((p) => `${p.address} pxe_enabled=${p.pxe_enabled}`).join(', ')}`);
  }
} catch (err) {
  failed = true;
  console.error(`Demo failed: ${(err as Error).message}`);
} finally {
  await stack.stop();
  if (!ironicWasRunning) {
    ironicScript('stop');
    say('Stopped the Ironic this demo started.');
  }
}
process.exit(failed ? 1 : 0);
