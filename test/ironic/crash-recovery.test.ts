/**
 * The crash test, automated (docs/design.md#recovery): the local stack as a process of its own against
 * the real Ironic, a batch of ramdisk callbacks, `kill -9` of the whole process group (the stack and
 * its DynamoDB Local) mid-batch, a restart on the same data, and the clean-up's recovery. Prints how
 * many nodes ended `finished`, `error` and stranded (must be 0), and how long recovery took.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, expect, inject, it } from 'vitest';
import { freshBmc } from '#test/support/introspection.ts';
import { createTestNode, eventually, provision, testIronic, uniqueMac } from '#test/support/ironic.ts';
import { sampleCallback } from '../../scripts/sample-callback.ts';

const NODES = 16;
const LEASE_SECONDS = 30; // the shortest the settings allow
const CLEAN_UP_PERIOD = 5;
const TRANSIENT = ['starting', 'processing', 'reapplying', 'aborting', 'enrolling'];

const root = resolve(import.meta.dirname, '..', '..');
let dataDir: string | undefined;
let child: ChildProcess | undefined;
const created: string[] = [];

/** Start the stack process on `dataDir`; resolves with its URL. */
async function startStack(): Promise<string> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'test/support/stack-process.ts'], {
    cwd: root,
    detached: true, // its own process group: the kill takes DynamoDB Local with it
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      NODE_OPTIONS: '--openssl-legacy-provider',
      STACK_DATA_DIR: dataDir,
      IRONIC_URL: inject('ironicUrl'),
      NODE_LEASE_SECONDS: String(LEASE_SECONDS),
      CLEAN_UP_PERIOD: String(CLEAN_UP_PERIOD),
      INTROSPECTION_DELAY: '0',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    },
  });
  child = proc;
  let output = '';
  return new Promise((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`stack did not start:\n${output.slice(-2000)}`)), 90_000);
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /LISTENING (\S+)/.exec(output);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolveUrl(match[1]);
      }
    };
    proc.stdout?.on('data', read);
    proc.stderr?.on('data', read);
    proc.once('exit', (code) => reject(new Error(`stack exited (${code}):\n${output.slice(-2000)}`)));
  });
}

/** `kill -9` of the stack's whole process group; resolves once every process of it is gone. */
async function killStack(): Promise<void> {
  const pid = child?.pid;
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    return;
  }
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(-pid, 0);
    } catch {
      return;
    }
    await sleep(50);
  }
  throw new Error('the stack process group outlived SIGKILL');
}

afterAll(async () => {
  const pid = child?.pid;
  if (pid !== undefined) {
    try {
      process.kill(-pid, 'SIGTERM');
      await sleep(3000);
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  for (const uuid of created) {
    await fetch(`${inject('ironicUrl')}/v1/nodes/${uuid}`, { method: 'DELETE' }).catch(() => undefined);
  }
});

async function states(url: string, uuids: readonly string[]): Promise<Map<string, string>> {
  const result = new Map<string, string>();
  for (const uuid of uuids) {
    const answer = await fetch(`${url}/v1/introspection/${uuid}`);
    const body = (await answer.json()) as { state?: string };
    result.set(uuid, body.state ?? `HTTP ${answer.status}`);
  }
  return result;
}

it('kill -9 mid-batch, restart: every node ends finished or error, none stranded', async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'crash-test-'));
  const ironic = testIronic();
  const nodes: Array<{ uuid: string; callback: Record<string, unknown> }> = [];
  for (let i = 0; i < NODES; i++) {
    const macs: [string, string] = [uniqueMac(), uniqueMac()];
    const bmc = freshBmc();
    const node = await createTestNode(ironic, { driver_info: { ipmi_address: bmc } });
    created.push(node.uuid);
    for (const mac of macs) await ironic.createPort({ nodeUuid: node.uuid, address: mac });
    await provision(ironic, node.uuid, [['manage', 'manageable']]);
    nodes.push({ uuid: node.uuid, callback: sampleCallback(macs, bmc) });
  }
  const uuids = nodes.map((n) => n.uuid);

  const phase = (what: string) => process.stderr.write(`crash test: ${what}\n`);
  phase(`${NODES} nodes manageable in Ironic`);
  let url = await startStack();
  for (const { uuid } of nodes) {
    expect((await fetch(`${url}/v1/introspection/${uuid}`, { method: 'POST' })).status).toBe(202);
  }
  await eventually(
    () => states(url, uuids),
    (s) => [...s.values()].every((state) => state === 'waiting'),
    60_000,
  );

  // The batch: every callback at once; the whole stack killed once a third of them were answered.
  const answered = new Set<string>();
  const batch = nodes.map(async ({ uuid, callback }) => {
    try {
      const answer = await fetch(`${url}/v1/continue`, { method: 'POST', body: JSON.stringify(callback) });
      if (answer.status === 200) answered.add(uuid);
    } catch {
      // in flight when the stack died
    }
  });
  await eventually(
    async () => answered.size,
    (n) => n >= NODES / 3,
    60_000,
  );
  await killStack();
  await Promise.all(batch);
  phase(`killed with ${answered.size} callbacks answered`);
  const answeredBeforeKill = answered.size;

  // Restart on the same data; the clean-up's recovery drives the stranded nodes to their end.
  const restartedAt = performance.now();
  url = await startStack();
  const settled = await eventually(
    () => states(url, uuids),
    (s) => [...s.values()].every((state) => !TRANSIENT.includes(state)),
    (LEASE_SECONDS + CLEAN_UP_PERIOD) * 1000 + 60_000,
  );
  const recoverySeconds = (performance.now() - restartedAt) / 1000;
  phase(`recovered in ${recoverySeconds.toFixed(1)} s`);
  const afterRecovery = [...settled.values()];
  const count = (state: string) => afterRecovery.filter((s) => s === state).length;

  // The ramdisks whose callback was never answered call again, as the agent does.
  for (const { uuid, callback } of nodes) {
    if (settled.get(uuid) !== 'waiting') continue;
    const answer = await fetch(`${url}/v1/continue`, { method: 'POST', body: JSON.stringify(callback) });
    expect(answer.status).toBe(200);
  }
  const final = await eventually(
    () => states(url, uuids),
    (s) => [...s.values()].every((state) => state === 'finished' || state === 'error'),
    60_000,
  );
  const finished = [...final.values()].filter((s) => s === 'finished').length;
  const failed = [...final.values()].filter((s) => s === 'error').length;
  const stranded = NODES - finished - failed;
  console.log(
    `crash test: ${NODES} nodes, ${answeredBeforeKill} callbacks answered before kill -9; after the restart ` +
      `${count('finished')} finished, ${count('error')} error, ${count('waiting')} waiting for their ramdisk, ` +
      `${afterRecovery.length - count('finished') - count('error') - count('waiting')} stranded; ` +
      `recovery took ${recoverySeconds.toFixed(1)} s (lease ${LEASE_SECONDS} s, clean-up period ${CLEAN_UP_PERIOD} s, restart included); ` +
      `after the ramdisks' retries: ${finished} finished, ${failed} error, ${stranded} stranded`,
  );
  expect(stranded).toBe(0);
  expect(failed).toBe(0);
  // Every node the stack had answered for is finished, its properties in Ironic.
  for (const uuid of answered) {
    expect(final.get(uuid)).toBe('finished');
    expect((await ironic.getNode(uuid)).properties).toMatchObject({ cpus: '4', memory_mb: '8192' });
  }
}, 480_000);
