/**
 * A typed client for Ironic's REST API over `fetch` (there is no TypeScript SDK).
 *
 * - The API microversion is negotiated once (Ironic's `GET /`: the highest both sides know) and sent
 *   on every request as `X-OpenStack-Ironic-API-Version`.
 * - Every call has a timeout; an unreachable Ironic is IronicUnavailable naming the URL.
 * - Responses are validated with zod; Ironic's error body (`error_message`, a JSON string inside
 *   JSON) is decoded into IronicError with Ironic's status and fault string.
 * - Only Ironic's 409 "node is locked" is retried here, with backoff: Ironic refused the request, so
 *   sending it again cannot apply it twice. Upstream's other retries (`add_trait`, `delete_port`,
 *   boot device and power) belong to their callers.
 *
 * @example
 * ```ts
 * const ironic = new IronicClient({ url: 'http://127.0.0.1:6385' });
 * const node = await ironic.getNode('node-0');
 * const ports = await ironic.listPorts({ node: node.uuid });
 * ```
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { type IronicAuth, noAuth } from '#lib/adapters/ironic/auth.ts';
import { IronicError, IronicUnavailable } from '#lib/domain/errors.ts';
import {
  type IronicApi,
  type IronicNode,
  type IronicPort,
  ironicNodeSchema,
  ironicPortSchema,
  type JsonPatch,
  type NewPort,
  type PowerTarget,
  type ValidationResult,
} from '#lib/ports/ironic.ts';
import type { Logger } from '#lib/ports/logger.ts';

/** Oldest microversion the inspector works with (1.45: `reset_interfaces` on node patches). */
export const MIN_IRONIC_API_VERSION = '1.45';
/** Newest microversion whose shapes this client knows (Ironic 21.4, Debian 12). */
export const MAX_IRONIC_API_VERSION = '1.82';

export interface IronicClientOptions {
  /** Ironic's base URL, e.g. `http://127.0.0.1:6385`. */
  readonly url: string;
  readonly auth?: IronicAuth;
  /** Per-request timeout (default 10 s). */
  readonly timeoutMs?: number;
  /** Attempts for a request Ironic refuses with "node is locked" (default 5). */
  readonly lockedAttempts?: number;
  /** First backoff after "node is locked"; doubles each time (default 500 ms). */
  readonly lockedBackoffMs?: number;
  readonly logger?: Logger;
  readonly fetch?: typeof fetch;
}

const errorBody = z.object({ error_message: z.string() });
const fault = z.looseObject({ faultstring: z.string().optional(), description: z.string().optional() });
const rootDocument = z.looseObject({
  default_version: z.looseObject({ version: z.string().optional() }).optional(),
  versions: z.array(z.looseObject({ id: z.string(), version: z.string().optional() })).optional(),
});
const nodeList = z.object({ nodes: z.array(ironicNodeSchema), next: z.string().optional() });
const portList = z.object({ ports: z.array(ironicPortSchema), next: z.string().optional() });
const validation = z.record(
  z.string(),
  z.looseObject({ result: z.boolean().nullable().optional(), reason: z.string().nullable().optional() }),
);

/** A `fields` selection always including `uuid`, which every node object carries here. */
function withUuid(fields: readonly string[] | undefined): string | undefined {
  return fields === undefined ? undefined : [...new Set(['uuid', ...fields])].join(',');
}

function versionTuple(version: string): [number, number] {
  const [major, minor] = version.split('.').map(Number);
  return [major ?? 0, minor ?? 0];
}
function compareVersions(a: string, b: string): number {
  const [a1, a2] = versionTuple(a);
  const [b1, b2] = versionTuple(b);
  return a1 - b1 || a2 - b2;
}

interface RequestOptions<T> {
  readonly query?: Record<string, string | undefined>;
  readonly body?: unknown;
  readonly schema?: z.ZodType<T>;
}

/** Ironic over HTTP. See the module comment. */
export class IronicClient implements IronicApi {
  readonly url: string;
  readonly #auth: IronicAuth;
  readonly #timeoutMs: number;
  readonly #lockedAttempts: number;
  readonly #lockedBackoffMs: number;
  readonly #logger: Logger | undefined;
  readonly #fetch: typeof fetch;
  #version: Promise<string> | undefined;

  constructor(options: IronicClientOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.#auth = options.auth ?? noAuth;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#lockedAttempts = options.lockedAttempts ?? 5;
    this.#lockedBackoffMs = options.lockedBackoffMs ?? 500;
    this.#logger = options.logger;
    this.#fetch = options.fetch ?? fetch;
  }

  /** The microversion sent with every request (negotiated on first use). */
  apiVersion(): Promise<string> {
    this.#version ??= this.#negotiate().catch((err: unknown) => {
      this.#version = undefined; // try again next time, Ironic may come up
      throw err;
    });
    return this.#version;
  }

  async #negotiate(): Promise<string> {
    const response = await this.#send('GET', `${this.url}/`, undefined, {});
    if (!response.ok) throw await this.#error(response);
    const root = rootDocument.parse(await response.json());
    const v1 = root.versions?.find((v) => v.id === 'v1');
    const serverMax = v1?.version ?? root.default_version?.version;
    if (serverMax === undefined) return MIN_IRONIC_API_VERSION;
    if (compareVersions(serverMax, MIN_IRONIC_API_VERSION) < 0) {
      throw new IronicError(
        406,
        `Ironic at ${this.url} supports API versions up to ${serverMax}; the inspector needs ${MIN_IRONIC_API_VERSION}`,
      );
    }
    return compareVersions(serverMax, MAX_IRONIC_API_VERSION) < 0 ? serverMax : MAX_IRONIC_API_VERSION;
  }

  async #send(
    method: string,
    url: string,
    body: unknown,
    headers: Record<string, string>,
  ): Promise<Response> {
    try {
      return await this.#fetch(url, {
        method,
        headers: {
          Accept: 'application/json',
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (err) {
      const reason =
        (err as Error).name === 'TimeoutError'
          ? `no answer within ${this.#timeoutMs} ms`
          : ((err as { cause?: Error }).cause?.message ?? (err as Error).message);
      throw new IronicUnavailable(this.url, reason);
    }
  }

  async #error(response: Response): Promise<IronicError> {
    const text = await response.text().catch(() => '');
    let message = text || response.statusText;
    try {
      const outer = errorBody.safeParse(JSON.parse(text));
      if (outer.success) {
        message = outer.data.error_message;
        const inner = fault.safeParse(JSON.parse(outer.data.error_message));
        if (inner.success) message = inner.data.faultstring ?? inner.data.description ?? message;
      }
    } catch {
      // not JSON: keep the text
    }
    return new IronicError(response.status, message);
  }

  /** One API call: version header, auth (re-authenticating once on 401), node-locked retries. */
  async #call<T>(method: string, path: string, options: RequestOptions<T> = {}): Promise<T> {
    const version = await this.apiVersion();
    const query = Object.entries(options.query ?? {}).filter(
      (e): e is [string, string] => e[1] !== undefined,
    );
    const url = path.startsWith('http')
      ? path
      : `${this.url}${path}${query.length > 0 ? `?${new URLSearchParams(query).toString()}` : ''}`;
    let reauthenticated = false;
    for (let attempt = 1; ; attempt++) {
      const headers = { 'X-OpenStack-Ironic-API-Version': version, ...(await this.#auth.headers()) };
      const response = await this.#send(method, url, options.body, headers);
      if (response.ok) {
        if (options.schema === undefined || response.status === 204 || response.status === 202) {
          await response.body?.cancel();
          return undefined as T;
        }
        const parsed = options.schema.safeParse(await response.json());
        if (!parsed.success) {
          throw new IronicError(
            502,
            `Unexpected answer from Ironic to ${method} ${path}: ${parsed.error.message}`,
          );
        }
        return parsed.data;
      }
      const error = await this.#error(response);
      if (response.status === 401 && !reauthenticated && this.#auth.invalidate()) {
        reauthenticated = true;
        continue;
      }
      if (error.nodeLocked && attempt < this.#lockedAttempts) {
        const pause = this.#lockedBackoffMs * 2 ** (attempt - 1);
        this.#logger?.info('Ironic node is locked, retrying', { method, path, attempt, pauseMs: pause });
        await sleep(pause);
        continue;
      }
      throw error;
    }
  }

  async getNode(nodeId: string, options: { fields?: readonly string[] } = {}): Promise<IronicNode> {
    return this.#call('GET', `/v1/nodes/${encodeURIComponent(nodeId)}`, {
      query: { fields: withUuid(options.fields) },
      schema: ironicNodeSchema,
    });
  }

  async listNodes(options: { fields?: readonly string[]; pageSize?: number } = {}): Promise<IronicNode[]> {
    return this.#allPages('/v1/nodes', nodeList, (page) => page.nodes, {
      ...(options.fields ? { fields: withUuid(options.fields) } : { detail: 'true' }),
      limit: options.pageSize?.toString(),
    });
  }

  async listPorts(filter: {
    node?: string;
    address?: string;
    pageSize?: number;
    fields?: readonly string[];
  }): Promise<IronicPort[]> {
    return this.#allPages('/v1/ports', portList, (page) => page.ports, {
      node: filter.node,
      address: filter.address,
      ...(filter.fields ? { fields: withUuid(['address', ...filter.fields]) } : { detail: 'true' }),
      limit: filter.pageSize?.toString(),
    });
  }

  /** A list call and every page after it, following Ironic's `next` links (full URLs). */
  async #allPages<P extends { next?: string | undefined }, T>(
    path: string,
    schema: z.ZodType<P>,
    items: (page: P) => T[],
    query: Record<string, string | undefined>,
  ): Promise<T[]> {
    const all: T[] = [];
    let page = await this.#call('GET', path, { query, schema });
    all.push(...items(page));
    while (page.next !== undefined) {
      page = await this.#call('GET', page.next, { schema });
      all.push(...items(page));
    }
    return all;
  }

  async createPort(port: NewPort): Promise<IronicPort> {
    return this.#call('POST', '/v1/ports', {
      body: {
        node_uuid: port.nodeUuid,
        address: port.address,
        extra: port.extra ?? {},
        pxe_enabled: port.pxeEnabled ?? true,
      },
      schema: ironicPortSchema,
    });
  }

  async patchPort(portUuid: string, patches: readonly JsonPatch[]): Promise<IronicPort> {
    return this.#call('PATCH', `/v1/ports/${encodeURIComponent(portUuid)}`, {
      body: patches,
      schema: ironicPortSchema,
    });
  }

  async deletePort(portUuid: string): Promise<void> {
    await this.#call('DELETE', `/v1/ports/${encodeURIComponent(portUuid)}`);
  }

  async patchNode(
    nodeId: string,
    patches: readonly JsonPatch[],
    options: { resetInterfaces?: boolean } = {},
  ): Promise<IronicNode> {
    return this.#call('PATCH', `/v1/nodes/${encodeURIComponent(nodeId)}`, {
      query: {
        reset_interfaces: options.resetInterfaces === undefined ? undefined : String(options.resetInterfaces),
      },
      body: patches,
      schema: ironicNodeSchema,
    });
  }

  async addTrait(nodeId: string, trait: string): Promise<void> {
    await this.#call('PUT', `/v1/nodes/${encodeURIComponent(nodeId)}/traits/${encodeURIComponent(trait)}`);
  }

  async removeTrait(nodeId: string, trait: string): Promise<void> {
    await this.#call('DELETE', `/v1/nodes/${encodeURIComponent(nodeId)}/traits/${encodeURIComponent(trait)}`);
  }

  async setBootDevice(nodeId: string, device: string, persistent: boolean): Promise<void> {
    await this.#call('PUT', `/v1/nodes/${encodeURIComponent(nodeId)}/management/boot_device`, {
      body: { boot_device: device, persistent },
    });
  }

  async setPowerState(nodeId: string, target: PowerTarget): Promise<void> {
    await this.#call('PUT', `/v1/nodes/${encodeURIComponent(nodeId)}/states/power`, { body: { target } });
  }

  async validateNode(nodeId: string): Promise<Record<string, ValidationResult>> {
    const result = await this.#call('GET', `/v1/nodes/${encodeURIComponent(nodeId)}/validate`, {
      schema: validation,
    });
    return Object.fromEntries(
      Object.entries(result).map(([name, r]) => [
        name,
        { result: r.result ?? null, reason: r.reason ?? null },
      ]),
    );
  }

  async setProvisionState(nodeId: string, target: string): Promise<void> {
    await this.#call('PUT', `/v1/nodes/${encodeURIComponent(nodeId)}/states/provision`, { body: { target } });
  }

  async createNode(fields: Record<string, unknown>): Promise<IronicNode> {
    return this.#call('POST', '/v1/nodes', { body: fields, schema: ironicNodeSchema });
  }
}
