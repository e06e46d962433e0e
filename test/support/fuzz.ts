/**
 * The API fuzzer (fast-check): generated requests to every route of `ROUTES` (`lib/http/routes.ts`),
 * and generated ramdisk callbacks whose inventory is the sample's with parts replaced by anything, each
 * for a node waiting for it. The properties: no answer is a 5xx; after each callback the node is
 * `finished` with data that reads back, or `error`, or still `waiting` with nothing stored; after all
 * of it the service still answers and the stores hold nothing partial ({@link storeProblems}).
 *
 * Requests go to the stack's api handler as API Gateway events made by the local stack's own HTTP
 * adapter (`apiGatewayEvent`), without the HTTP round trip: twenty times faster, the same handler.
 *
 * @example
 * ```ts
 * const counts = await fuzzRoutes(stack, { runs: 1000 });
 * console.log(countsTable(counts));
 * ```
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import fc from 'fast-check';
import { expect } from 'vitest';
import { fitsLookupIndex } from '#lib/domain/lookup-attributes.ts';
import { ACTIVE_STATES } from '#lib/domain/state-machine.ts';
import { isUuidLike } from '#lib/domain/uuids.ts';
import { ROUTES, type Route } from '#lib/http/routes.ts';
import type { IronicApi } from '#lib/ports/ironic.ts';
import { createApiHandler } from '../../functions/api.ts';
import { apiGatewayEvent } from '../../scripts/local-stack.ts';
import { freshBmc, freshNics, threeNicCallback } from './introspection.ts';
import { lambdaContext } from './lambda-context.ts';
import type { TestStack } from './stack.ts';

/** What a route answered over one run. */
export interface RouteCounts {
  readonly route: string;
  inputs: number;
  readonly statuses: Map<number, number>;
}

/** A generated request. */
interface FuzzRequest {
  readonly path: string;
  readonly query: string;
  readonly headers: Record<string, string>;
  readonly body: string | undefined;
}

/** Nodes the generated requests may name: Ironic's, cached or not, by UUID and by name. */
export interface FuzzNodes {
  readonly uuids: readonly string[];
  readonly names: readonly string[];
}

/** Every UUID-like node identifier sent, to check later that nothing was stored for unknown ones. */
const sentUuids = new Set<string>();

/** Printable ASCII (header values cannot hold control characters). */
const printable = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
});

/** A path segment: a known node, a UUID, a name-like word, anything encoded, or malformed escapes. */
function segment(nodes: FuzzNodes): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom(...nodes.uuids, ...nodes.names),
    fc.uuid().map((u) => u.toUpperCase().replaceAll('-', '')),
    fc.uuid(),
    fc.stringMatching(/^[A-Za-z0-9._~-]{1,300}$/),
    fc.string({ unit: 'binary', maxLength: 80 }).map((s) => encodeURIComponent(s) || 'x'),
    fc.constantFrom(
      '%zz',
      '%',
      '..%2f..%2fetc',
      '%00',
      '%ff%fe',
      '%2F',
      'a%2Fb',
      'v1',
      'v2',
      'index.html',
      'app.js',
    ),
  );
}

/** A query string: the parameters routes read, with good and bad values, and anything else. */
const query: fc.Arbitrary<string> = fc
  .dictionary(
    fc.oneof(fc.constantFrom('limit', 'marker', 'state', 'manage_boot', 'uuid', 'mac'), printable),
    fc.oneof(
      fc.constantFrom(
        '0',
        '1',
        '-1',
        '1000',
        '100001',
        'true',
        'false',
        'maybe',
        'finished,error',
        'waiting',
      ),
      fc.uuid(),
      fc.constantFrom('52:54:00:12:34:56', 'zz:zz'),
      printable,
    ),
    { maxKeys: 3 },
  )
  .map((params) => {
    const text = new URLSearchParams(params).toString();
    return text === '' ? '' : `?${text}`;
  });

/** Headers: mostly none (so most inputs get past the version check), else any of these. */
const someHeaders: fc.Arbitrary<Record<string, string>> = fc.record(
  {
    'X-OpenStack-Ironic-Inspector-API-Version': fc.oneof(
      fc.constantFrom(
        '1.0',
        '1.18',
        '1.19',
        'latest',
        '0.9',
        '2.0',
        'abc',
        ' ',
        '1.',
        '1.999999999999999999',
      ),
      printable,
    ),
    'Content-Type': fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded'),
    'If-None-Match': printable,
  },
  { requiredKeys: [] },
);

const headers = fc.oneof({ arbitrary: fc.constant({}), weight: 2 }, someHeaders);

/** JSON nested `depth` deep in arrays or objects. */
const deep = fc
  .tuple(fc.integer({ min: 1, max: 3000 }), fc.boolean())
  .map(([depth, arrays]) =>
    arrays ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}0${'}'.repeat(depth)}`,
  );

/** A body: none, any JSON, any text, deep JSON, or a callback-shaped object with anything inside. */
const body: fc.Arbitrary<string | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.json({ maxDepth: 6 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  deep,
  fc
    .record(
      {
        inventory: fc.oneof(fc.jsonValue({ maxDepth: 4 }), fc.constant({})),
        error: fc.jsonValue({ maxDepth: 1 }),
      },
      { requiredKeys: [] },
    )
    .map((v) => JSON.stringify(v)),
);

/** Requests for one route: its path with generated segments, a query, headers, and (POST) a body. */
function requestsFor(route: Route, nodes: FuzzNodes): fc.Arbitrary<FuzzRequest> {
  const names = [...route.path.matchAll(/\{([a-z_]+)\}/g)].map((m) => m[1] as string);
  return fc
    .record({
      segments: fc.tuple(...names.map(() => segment(nodes))),
      query,
      headers,
      body: route.method === 'POST' ? body : fc.constant(undefined),
    })
    .map(({ segments, query: q, headers: h, body: b }) => {
      let i = 0;
      const path = route.path.replace(/\{[a-z_]+\}/g, () => segments[i++] as string);
      return { path, query: q, headers: h, body: b };
    });
}

/** The api handler of a stack, called as API Gateway calls it. */
type Api = (
  method: string,
  path: string,
  options?: { headers?: Record<string, string>; body?: string },
) => Promise<number>;

/** Calls to the stack's api handler, each an event from the local stack's HTTP adapter. */
export function apiOf(stack: TestStack): Api {
  const handler = createApiHandler(stack.runtime);
  return async (method, path, options = {}) => {
    const headers = Object.fromEntries(
      Object.entries(options.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]),
    );
    const request = {
      url: path,
      method,
      headers,
      httpVersion: '1.1',
      socket: { remoteAddress: '127.0.0.1' },
    };
    const event = apiGatewayEvent(request as unknown as IncomingMessage, options.body ?? '');
    return (await handler(event, lambdaContext('api'))).statusCode;
  };
}

const send = (api: Api, method: string, request: FuzzRequest) =>
  api(method, `${request.path}${request.query}`, {
    headers: request.headers,
    ...(request.body === undefined ? {} : { body: request.body }),
  });

function tally(counts: RouteCounts, status: number): void {
  counts.inputs++;
  counts.statuses.set(status, (counts.statuses.get(status) ?? 0) + 1);
}

/**
 * `runs` generated requests to each route of `ROUTES`; fails (fast-check's shrunk counterexample) on
 * the first 5xx.
 */
export async function fuzzRoutes(
  stack: TestStack,
  nodes: FuzzNodes,
  options: { readonly runs: number; readonly seed?: number },
): Promise<RouteCounts[]> {
  const api = apiOf(stack);
  const all: RouteCounts[] = [];
  for (const route of ROUTES) {
    const counts: RouteCounts = { route: `${route.method} ${route.path}`, inputs: 0, statuses: new Map() };
    all.push(counts);
    await fc.assert(
      fc.asyncProperty(requestsFor(route, nodes), async (request) => {
        for (const part of request.path.split('/')) {
          try {
            const decoded = decodeURIComponent(part);
            if (isUuidLike(decoded)) sentUuids.add(decoded);
          } catch {
            // malformed escapes name nothing
          }
        }
        const status = await send(api, route.method, request);
        tally(counts, status);
        return status < 500;
      }),
      { numRuns: options.runs, ...(options.seed === undefined ? {} : { seed: options.seed }) },
    );
  }
  await stack.idle();
  return all;
}

/** Where in an inventory a generated value goes, and values no real machine reports. */
const inventoryPaths = [
  ['cpu', 'count'],
  ['cpu', 'architecture'],
  ['cpu', 'flags'],
  ['cpu'],
  ['memory', 'physical_mb'],
  ['memory', 'total'],
  ['memory'],
  ['disks'],
  ['disks', '0', 'size'],
  ['disks', '0', 'name'],
  ['interfaces'],
  ['interfaces', '0', 'mac_address'],
  ['interfaces', '0', 'ipv4_address'],
  ['interfaces', '1'],
  ['bmc_address'],
  ['bmc_v6address'],
  ['boot'],
  ['boot', 'current_boot_mode'],
  ['system_vendor'],
] as const;

const oddValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(-4, -1, 0, 2.5, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, '-4', '1e308', '', null, true),
  fc.integer(),
  fc.double({ noNaN: true }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.integer({ min: 1000, max: 6000 }).map((n) => '1'.repeat(n)),
);

/** Some parts of an inventory replaced (or removed) by generated values. */
const inventoryChanges = fc.array(
  fc.record({ path: fc.constantFrom(...inventoryPaths), value: fc.option(oddValue, { nil: undefined }) }),
  { minLength: 1, maxLength: 4 },
);

function applyChange(inventory: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let target: unknown = inventory;
  for (const key of path.slice(0, -1)) {
    if (typeof target !== 'object' || target === null) return;
    target = (target as Record<string, unknown>)[key];
  }
  if (typeof target !== 'object' || target === null) return;
  const last = path.at(-1) as string;
  if (value === undefined) delete (target as Record<string, unknown>)[last];
  else (target as Record<string, unknown>)[last] = value;
}

/**
 * `runs` ramdisk callbacks, each for a fresh node waiting for it, its inventory changed at random.
 * After each: no 5xx; a 200 leaves the node `finished` with data that reads back; anything else leaves
 * it `error`, or `waiting` with nothing stored.
 */
export async function fuzzCallbacks(
  stack: TestStack,
  ironic: IronicApi & { addNode(fields: Record<string, unknown>, macs: string[]): { uuid: string } },
  options: { readonly runs: number; readonly seed?: number },
): Promise<RouteCounts> {
  const api = apiOf(stack);
  const counts: RouteCounts = { route: 'POST /v1/continue (inventory)', inputs: 0, statuses: new Map() };
  await fc.assert(
    fc.asyncProperty(inventoryChanges, async (changes) => {
      const nics = freshNics();
      const bmc = freshBmc();
      const node = ironic.addNode({ driver_info: { ipmi_address: bmc } }, [nics.pxe]);
      await stack.runtime.useCases.start.start(node.uuid, { manageBoot: false });
      const callback = threeNicCallback(nics, bmc);
      for (const { path, value } of changes) {
        applyChange(callback.inventory as Record<string, unknown>, path, structuredClone(value));
      }
      const answered = await api('POST', '/v1/continue', { body: JSON.stringify(callback) });
      tally(counts, answered);
      if (answered >= 500) return false;
      await stack.idle();
      const { nodes, introspectionData } = stack.runtime.stores;
      const [record, processed, unprocessed] = await Promise.all([
        nodes.getNode(node.uuid),
        introspectionData.get(node.uuid, true),
        introspectionData.get(node.uuid, false),
      ]);
      const status = record?.state;
      if (answered === 200) {
        const readBack = await api('GET', `/v1/introspection/${node.uuid}/data`);
        return status === 'finished' && readBack === 200 && processed !== undefined;
      }
      if (status === 'waiting') return processed === undefined && unprocessed === undefined;
      return status === 'error' && processed === undefined;
    }),
    { numRuns: options.runs, ...(options.seed === undefined ? {} : { seed: options.seed }) },
  );
  return counts;
}

/**
 * What would be partial in the stores after a fuzz run: a node left in a transient state or locked,
 * a finished node still holding lookup attributes, a value the index cannot hold, processed data that
 * cannot be read back, data stored for a node that is not cached.
 */
export async function storeProblems(stack: TestStack): Promise<string[]> {
  await stack.idle();
  const api = apiOf(stack);
  const { nodes, leases, introspectionData } = stack.runtime.stores;
  const problems: string[] = [];
  const uuids = await nodes.listNodeUuids();
  for (const uuid of uuids) {
    const record = await nodes.getNode(uuid);
    if (record === undefined) continue;
    if (ACTIVE_STATES.includes(record.state) && record.state !== 'waiting') {
      problems.push(`${uuid} left ${record.state}`);
    }
    const attributes = await nodes.getLookupAttributes(uuid);
    if (record.finishedAt !== null && attributes.length > 0)
      problems.push(`${uuid} finished with attributes`);
    for (const row of attributes) {
      if (!fitsLookupIndex(row.value)) problems.push(`${uuid} holds an over-long ${row.name}`);
    }
    const owner = `fuzz-check-${randomUUID()}`;
    const nowMs = stack.clock.now().getTime();
    const attempt = await leases.tryAcquireLease(uuid, owner, nowMs, nowMs + 1000);
    if (attempt.acquired) await leases.releaseLease(uuid, owner);
    else problems.push(`${uuid} still locked`);
    if ((await introspectionData.get(uuid, true)) !== undefined) {
      const readBack = await api('GET', `/v1/introspection/${uuid}/data`);
      if (readBack !== 200) problems.push(`${uuid}: its processed data answers ${readBack}`);
    }
  }
  const cached = new Set(uuids);
  for (const sent of sentUuids) {
    const uuid = sent.toLowerCase().replace(/^(.{8})-?(.{4})-?(.{4})-?(.{4})-?(.{12})$/, '$1-$2-$3-$4-$5');
    if (cached.has(uuid)) continue;
    if ((await introspectionData.get(uuid, false)) !== undefined)
      problems.push(`data stored for uncached ${uuid}`);
  }
  return problems;
}

/** The counts as a table, one line per route: inputs, then how many of each status. */
export function countsTable(counts: readonly RouteCounts[]): string {
  const lines = counts.map((c) => {
    const statuses = [...c.statuses.entries()]
      .sort(([a], [b]) => a - b)
      .map(([status, n]) => `${status}×${n}`)
      .join(' ');
    const fiveXx = [...c.statuses.entries()].filter(([s]) => s >= 500).reduce((sum, [, n]) => sum + n, 0);
    return `${c.route.padEnd(52)} ${String(c.inputs).padStart(5)} inputs, ${fiveXx} 5xx  (${statuses})`;
  });
  const total = counts.reduce((sum, c) => sum + c.inputs, 0);
  return [...lines, `fuzz: ${total} inputs over ${counts.length} routes`].join('\n');
}

/** The service still answers over HTTP: GET / is 200. */
export async function expectStillAnswering(stack: TestStack): Promise<void> {
  const response = await fetch(`${stack.url}/`);
  expect(response.status).toBe(200);
  await response.arrayBuffer();
}
