/**
 * The real Ironic for the benchmarks: reuse the one answering on the port, or start it through
 * `scripts/ironic-standalone.sh` (and stop only what was started); enroll fake-hardware nodes with
 * ports and BMC addresses (as `scripts/demo.ts` does) and delete them afterwards.
 *
 * @example
 * ```ts
 * const ironic = await ensureIronic(6385);
 * const nodes = await enrollNodes(ironic.url, 50, 'bench-1a2b3c');
 * await deleteNodes(ironic.url, nodes);
 * ironic.stop();
 * ```
 */
import { execFileSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { IronicClient } from '#lib/adapters/ironic/client.ts';

const root = resolve(import.meta.dirname, '../..');

/** One enrolled node: what a ramdisk callback for it carries. */
export interface BenchNode {
  readonly uuid: string;
  readonly name: string;
  readonly macs: [string, string];
  readonly bmc: string;
}

async function answers(url: string): Promise<boolean> {
  return fetch(`${url}/`, { signal: AbortSignal.timeout(2000) })
    .then((r) => r.ok)
    .catch(() => false);
}

/** The Ironic on `port`: reused when it answers, else started through the project's script. */
export async function ensureIronic(port: number): Promise<{ url: string; reused: boolean; stop(): void }> {
  const url = `http://127.0.0.1:${port}`;
  if (await answers(url)) return { url, reused: true, stop() {} };
  const script = resolve(root, 'scripts/ironic-standalone.sh');
  const env = { ...process.env, IRONIC_PORT: String(port) };
  execFileSync(script, ['start'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  return {
    url,
    reused: false,
    stop() {
      execFileSync(script, ['stop'], { env, stdio: 'ignore' });
    },
  };
}

/** Run `task` over `items` with at most `concurrency` at once. */
export async function pool<T, R>(items: readonly T[], concurrency: number, task: (item: T) => Promise<R>) {
  const results: R[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      for (let i = next++; i < items.length; i = next++) results[i] = await task(items[i] as T);
    }),
  );
  return results;
}

const hex = (n: number) => n.toString(16).padStart(2, '0');

/**
 * `count` new fake-hardware nodes named `<prefix>-<i>`, two ports each (unique MACs), a unique BMC
 * address, moved to `manageable`.
 */
export async function enrollNodes(ironicUrl: string, count: number, prefix: string): Promise<BenchNode[]> {
  const ironic = new IronicClient({ url: ironicUrl, lockedBackoffMs: 200, timeoutMs: 60_000 });
  const macBase = randomInt(0, 0xffff - count);
  const bmcBase = randomInt(0, 0xffff - count);
  const nodes = await pool(
    Array.from({ length: count }, (_, i) => i),
    4,
    async (i): Promise<BenchNode> => {
      const m = macBase + i;
      const macs: [string, string] = [
        `52:54:${hex(m >> 8)}:${hex(m & 255)}:be:01`,
        `52:54:${hex(m >> 8)}:${hex(m & 255)}:be:02`,
      ];
      const b = bmcBase + i;
      const bmc = `10.${(b >> 8) & 255}.${b & 255}.1`;
      const name = `${prefix}-${i}`;
      const node = await ironic.createNode({
        driver: 'fake-hardware',
        name,
        driver_info: { ipmi_address: bmc, ipmi_username: 'admin', ipmi_password: 'secret' },
      });
      for (const address of macs) await ironic.createPort({ nodeUuid: node.uuid, address });
      await ironic.setProvisionState(node.uuid, 'manage');
      return { uuid: node.uuid, name, macs, bmc };
    },
  );
  for (const node of nodes) {
    for (let i = 0; (await ironic.getNode(node.uuid)).provision_state !== 'manageable'; i++) {
      if (i > 100) throw new Error(`node ${node.name} did not become manageable`);
      await sleep(100);
    }
  }
  return nodes;
}

/** Delete the nodes (their ports go with them); a node Ironic still holds locked is retried. */
export async function deleteNodes(ironicUrl: string, nodes: readonly BenchNode[]): Promise<void> {
  await pool(nodes, 4, async (node) => {
    for (let attempt = 0; ; attempt++) {
      const response = await fetch(`${ironicUrl}/v1/nodes/${node.uuid}`, { method: 'DELETE' });
      await response.arrayBuffer();
      if (response.ok || response.status === 404) return;
      if (attempt >= 20) throw new Error(`cannot delete node ${node.name}: HTTP ${response.status}`);
      await sleep(250);
    }
  });
}
