/**
 * What Ironic itself can carry: each request an introspection makes, sent for `count` fresh nodes by
 * 1 and then by 8 clients straight to Ironic (no inspector in between), with its wall time per
 * request. When 8 clients take as long in all as one, Ironic serialises that request; the sum of the
 * serial times of an introspection's requests is then a ceiling no inspector on that Ironic passes.
 *
 * @example
 * ```ts
 * const capacity = await ironicCapacity('http://127.0.0.1:6395', 16, 'bench-1a2b3c-cap');
 * console.log(capacity.table);
 * ```
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { deleteNodes, enrollNodes, pool } from './ironic-nodes.ts';
import { formatTable } from './table.ts';

const HEADERS = { 'Content-Type': 'application/json', 'X-OpenStack-Ironic-API-Version': '1.72' };

/** One request type: method, path and body for a node. */
interface Probe {
  readonly name: string;
  /** The request as the stack counts it (`bench/support/stack-process.ts`). */
  readonly key: string;
  readonly request: (uuid: string) => { path: string; method?: string; body?: unknown };
}

const PROBES: readonly Probe[] = [
  { name: 'GET /v1/nodes/{id}', key: 'GET /v1/nodes/{id}', request: (u) => ({ path: `/v1/nodes/${u}` }) },
  {
    name: 'GET /v1/ports?node=',
    key: 'GET /v1/ports',
    request: (u) => ({ path: `/v1/ports?node=${u}&detail=true` }),
  },
  {
    name: 'GET …/validate',
    key: 'GET /v1/nodes/{id}/validate',
    request: (u) => ({ path: `/v1/nodes/${u}/validate` }),
  },
  {
    name: 'PUT …/management/boot_device',
    key: 'PUT /v1/nodes/{id}/management/boot_device',
    request: (u) => ({
      path: `/v1/nodes/${u}/management/boot_device`,
      method: 'PUT',
      body: { boot_device: 'pxe', persistent: false },
    }),
  },
  {
    name: 'PUT …/states/power (reboot)',
    key: 'PUT /v1/nodes/{id}/states/power',
    request: (u) => ({ path: `/v1/nodes/${u}/states/power`, method: 'PUT', body: { target: 'rebooting' } }),
  },
  {
    name: 'PATCH /v1/nodes/{id}',
    key: 'PATCH /v1/nodes/{id}',
    request: (u) => ({
      path: `/v1/nodes/${u}`,
      method: 'PATCH',
      body: [{ op: 'add', path: '/properties/cpus', value: '4' }],
    }),
  },
  {
    name: 'PUT …/states/power (off)',
    key: 'PUT /v1/nodes/{id}/states/power',
    request: (u) => ({ path: `/v1/nodes/${u}/states/power`, method: 'PUT', body: { target: 'power off' } }),
  },
];

/** Serial wall time per request (ms), by the stack's request key: 1 client's total / the count. */
export type SerialCost = Readonly<Record<string, number>>;

/**
 * The most introspection rounds per second Ironic allows for a mix of requests per node (`[key,
 * count per node]`), when it serialises them: 1000 over the sum of their serial times.
 */
export function ceilingPerSecond(serialMs: SerialCost, perNode: readonly [string, number][]): number {
  const ms = perNode.reduce((sum, [key, count]) => sum + (serialMs[key] ?? 0) * count, 0);
  return ms > 0 ? 1000 / ms : Number.POSITIVE_INFINITY;
}

export async function ironicCapacity(
  url: string,
  count: number,
  prefix: string,
): Promise<{ table: string; serialMs: SerialCost }> {
  const nodes = await enrollNodes(url, count, prefix);
  const rows: string[][] = [];
  const serialMs: Record<string, number> = {};
  const seen: Record<string, number> = {};
  try {
    for (const probe of PROBES) {
      const totals: number[] = [];
      for (const clients of [1, 8]) {
        const started = performance.now();
        await pool(nodes, clients, async (node) => {
          const { path, method, body } = probe.request(node.uuid);
          const response = await fetch(`${url}${path}`, {
            method: method ?? 'GET',
            headers: HEADERS,
            ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          });
          await response.text();
          if (!response.ok) throw new Error(`${probe.name}: Ironic answered ${response.status}`);
        });
        totals.push(performance.now() - started);
        // Power actions finish in the conductor after the answer: let them end before the next.
        if (probe.name.includes('power')) await sleep(1500);
      }
      const [one, eight] = totals as [number, number];
      // Both power targets are one key: their mean.
      const before = serialMs[probe.key] ?? 0;
      const n = (seen[probe.key] ?? 0) + 1;
      seen[probe.key] = n;
      serialMs[probe.key] = before + (one / count - before) / n;
      rows.push([
        probe.name,
        (one / count).toFixed(0),
        (eight / count).toFixed(0),
        `${(one / eight).toFixed(2)}×`,
      ]);
    }
  } finally {
    await deleteNodes(url, nodes).catch(() => undefined);
  }
  const table = formatTable(
    ['Ironic request', '1 client: ms each', '8 clients: wall ms per request', '8 clients: throughput vs 1'],
    rows,
    'lrrr',
  );
  return { table, serialMs };
}
