/**
 * A node's Ironic side, as upstream's NodeInfo has it: the Ironic node and its ports (fetched once and
 * cached), port creation, JSON patches, properties, capabilities, traits, and field access by path.
 * Every NodeInfo has one, as `nodeInfo.ironic`.
 *
 * @example
 * ```ts
 * const node = await nodeInfo.ironic.node();
 * await nodeInfo.ironic.createPorts([{ mac: '52:54:00:12:34:56', pxe: true }]);
 * await nodeInfo.ironic.updateCapabilities({ boot_mode: 'uefi' });
 * ```
 */
import { isDeepStrictEqual } from 'node:util';
import { formatCapabilities, parseCapabilities } from '#lib/domain/capabilities.ts';
import { IronicError, NodeFieldNotFound, PortNotFound } from '#lib/domain/errors.ts';
import { ironicNode, requireIronic, withIronicRetries } from '#lib/domain/ironic-calls.ts';
import { applyPatch, changedPatches } from '#lib/domain/json-patch.ts';
import type { IronicApi, IronicNode, IronicPort, JsonPatch } from '#lib/ports/ironic.ts';
import type { Logger } from '#lib/ports/logger.ts';

/** The Ironic client and the settings of the node operations, shared by every NodeInfo of a cache. */
export interface NodeIronicSettings {
  /** Ironic; without it every operation fails with IronicNotConfigured. */
  readonly client?: IronicApi | undefined;
  /** Pause between upstream's 5 attempts of `add_trait` and `delete_port` (default 1000 ms). */
  readonly retryDelayMs?: number | undefined;
  /** `[processing]update_pxe_enabled` (default true): created ports take `pxe` from the ramdisk. */
  readonly updatePxeEnabled?: boolean | undefined;
}

/** What one node's Ironic operations need. */
export interface NodeIronicOptions extends NodeIronicSettings {
  readonly uuid: string;
  readonly logger: Logger;
  /** The Ironic node, already fetched. */
  readonly node?: IronicNode | undefined;
  /** The node's Ironic ports, already fetched: a list, or MAC → port. */
  readonly ports?: readonly IronicPort[] | Readonly<Record<string, IronicPort>> | undefined;
}

/** A port to create: a MAC, or a MAC with its DHCP client id and whether it PXE-boots. */
export type PortToCreate =
  | string
  | { readonly mac: string; readonly client_id?: string | null; readonly pxe?: boolean };

/** One node's Ironic operations. See the module comment. */
export class NodeIronic {
  readonly #options: NodeIronicOptions;
  #node: IronicNode | undefined;
  #ports: Record<string, IronicPort> | undefined;
  /** While {@link batch} runs: the node patches gathered, and the node as Ironic has it. */
  #batch: { patches: JsonPatch[]; base: IronicNode } | undefined;

  constructor(options: NodeIronicOptions) {
    this.#options = options;
    this.#node = options.node;
    if (options.ports !== undefined) {
      this.#ports = Array.isArray(options.ports)
        ? Object.fromEntries((options.ports as readonly IronicPort[]).map((port) => [port.address, port]))
        : { ...(options.ports as Readonly<Record<string, IronicPort>>) };
    }
  }

  get #uuid(): string {
    return this.#options.uuid;
  }

  #client(): IronicApi {
    return requireIronic({ ironic: this.#options.client });
  }

  /** Drop the cached node and ports: the next access asks Ironic again. */
  invalidateCache(): void {
    this.#node = undefined;
    this.#ports = undefined;
  }

  /**
   * The Ironic node, fetched once by UUID and cached.
   *
   * @throws NodeNotFoundInIronic "Node <uuid> was not found in Ironic" (404)
   * @throws InspectorError "Cannot get node <uuid>: <error>" for Ironic's 400
   */
  async node(): Promise<IronicNode> {
    this.#node ??= await ironicNode(this.#client(), this.#uuid);
    return this.#node;
  }

  /** The ports as cached (a list), or undefined when none were fetched or given. */
  cachedPorts(): IronicPort[] | undefined {
    return this.#ports === undefined ? undefined : Object.values(this.#ports);
  }

  /** Cache `ports` as the node's ports (the record's snapshot from the start), unless some are cached. */
  usePorts(ports: readonly IronicPort[]): void {
    this.#ports ??= Object.fromEntries(ports.map((port) => [port.address, port]));
  }

  /** The node's Ironic ports as MAC → port, fetched once and cached. */
  async ports(): Promise<Record<string, IronicPort>> {
    if (this.#ports === undefined) {
      const ports = await this.#client().listPorts({ node: this.#uuid });
      this.#ports = Object.fromEntries(ports.map((port) => [port.address, port]));
    }
    return this.#ports;
  }

  /**
   * Create Ironic ports for the MACs the node does not have yet. `client_id` goes to
   * `extra.client-id`; `pxe` to `pxe_enabled` (always true when `update_pxe_enabled` is off). A port
   * Ironic already has (409) is skipped with a warning and the port cache dropped.
   */
  async createPorts(ports: readonly PortToCreate[]): Promise<void> {
    const existing = await this.ports();
    const skipped: string[] = [];
    for (const item of ports) {
      const mac = typeof item === 'string' ? item : item.mac;
      const extra = typeof item !== 'string' && item.client_id ? { 'client-id': item.client_id } : {};
      const pxe =
        typeof item === 'string' || this.#options.updatePxeEnabled === false ? true : (item.pxe ?? true);
      if (mac in existing) {
        skipped.push(mac);
        continue;
      }
      await this.#createPort(mac, extra, pxe);
    }
    if (skipped.length > 0) {
      this.#options.logger.warn(`Did not create ports ${skipped.join(', ')} as they already exist`, {
        node: this.#uuid,
      });
    }
  }

  async #createPort(mac: string, extra: Record<string, unknown>, pxeEnabled: boolean): Promise<void> {
    try {
      const port = await this.#client().createPort({ nodeUuid: this.#uuid, address: mac, extra, pxeEnabled });
      this.#options.logger.info(`Port ${port.uuid} was created for MAC ${mac}`, {
        node: this.#uuid,
        port: port.uuid,
        mac,
        extra,
        pxe_enabled: pxeEnabled,
      });
      if (this.#ports !== undefined) this.#ports[mac] = port;
    } catch (err) {
      if (!(err instanceof IronicError && err.ironicStatus === 409)) throw err;
      this.#options.logger.warn(`Port ${mac} already exists, skipping`, { node: this.#uuid });
      this.#ports = undefined; // reloaded on next access
    }
  }

  /**
   * JSON-patch the Ironic node; a path without a leading `/` gets one. The returned node replaces the
   * cached one.
   */
  async patch(
    patches: readonly JsonPatch[],
    options: { resetInterfaces?: boolean } = {},
  ): Promise<IronicNode> {
    const absolute = patches.map((p) => (p.path.startsWith('/') ? p : { ...p, path: `/${p.path}` }));
    if (this.#batch !== undefined && options.resetInterfaces !== true) {
      // Gathered for the batch's one PATCH; the cached node shows them at once to later readers.
      this.#batch.patches.push(...absolute);
      const node = structuredClone(await this.node());
      for (const p of absolute) applyPatch(node as Record<string, unknown>, p);
      this.#node = node;
      return node;
    }
    this.#options.logger.debug('Updating node with patches', { node: this.#uuid, patches: absolute });
    this.#node = await this.#client().patchNode(this.#uuid, absolute, options);
    return this.#node;
  }

  /**
   * Run `work` with the node's patches gathered and sent as one PATCH at its end (ports are created
   * and patched at once): Ironic applies a PATCH whole or not at all, so a refused one leaves the
   * node as it was (docs/design.md#one-patch). Patches that would not change a value are not sent, so
   * running the same work again sends nothing. Nothing is sent when `work` fails.
   */
  async batch<T>(work: () => Promise<T>): Promise<T> {
    if (this.#batch !== undefined) return work();
    this.#batch = { patches: [], base: structuredClone(await this.node()) };
    const batch = this.#batch;
    let result: T;
    try {
      result = await work();
    } finally {
      this.#batch = undefined;
    }
    const changes = changedPatches(batch.base, batch.patches);
    if (changes.length > 0) {
      this.#options.logger.debug('Updating node with patches', { node: this.#uuid, patches: changes });
      try {
        this.#node = await this.#client().patchNode(this.#uuid, changes);
      } catch (err) {
        this.#node = undefined; // Ironic kept the node as it was: read it again when needed
        throw err;
      }
    }
    return result;
  }

  /** JSON-patch a port, given as a port or a MAC; the cached entry is replaced. */
  async patchPort(port: IronicPort | string, patches: readonly JsonPatch[]): Promise<IronicPort> {
    const ports = await this.ports();
    const target = typeof port === 'string' ? ports[port] : port;
    if (target === undefined) throw new PortNotFound(port as string, this.#uuid);
    try {
      const updated = await this.#client().patchPort(target.uuid, patches);
      ports[updated.address] = updated;
      return updated;
    } catch (err) {
      if (!isGone(err)) throw err;
      this.#portGone(target);
      return target;
    }
  }

  /**
   * A cached port Ironic no longer has (an operator removed it since the ports were listed, e.g. at
   * the start for the callback): nothing left to change; the cache forgets it.
   */
  #portGone(port: IronicPort): void {
    this.#options.logger.warn(`Port ${port.uuid} (${port.address}) no longer exists in Ironic, skipping`, {
      node: this.#uuid,
    });
    if (this.#ports !== undefined) delete this.#ports[port.address];
  }

  /** One `add /properties/<key>` per property. */
  async updateProperties(properties: Readonly<Record<string, unknown>>): Promise<IronicNode> {
    return this.patch(
      Object.entries(properties).map(([key, value]) => ({ op: 'add', path: `/properties/${key}`, value })),
    );
  }

  /** Merge capabilities into the node's `properties.capabilities` string (`k1:v1,k2:v2`). */
  async updateCapabilities(capabilities: Readonly<Record<string, unknown>>): Promise<IronicNode> {
    const current = parseCapabilities((await this.node()).properties?.capabilities);
    const merged: Record<string, unknown> = { ...current, ...capabilities };
    return this.updateProperties({ capabilities: formatCapabilities(merged) });
  }

  /** Add a trait, trying up to 5 times (upstream: any Ironic error is retried). */
  async addTrait(trait: string): Promise<void> {
    await this.#retried('add trait', () => this.#client().addTrait(this.#uuid, trait));
  }

  /** Remove a trait; one Ironic does not have is fine. */
  async removeTrait(trait: string): Promise<void> {
    try {
      await this.#client().removeTrait(this.#uuid, trait);
    } catch (err) {
      if (!isGone(err)) throw err;
      this.#options.logger.debug(`Trait ${trait} is not set, cannot remove`, { node: this.#uuid });
    }
  }

  /** Delete a port (a port or a MAC), trying up to 5 times; then drop it from the cache. */
  async deletePort(port: IronicPort | string): Promise<void> {
    const ports = await this.ports();
    const target = typeof port === 'string' ? ports[port] : port;
    if (target === undefined) throw new PortNotFound(port as string, this.#uuid);
    await this.#retried('delete port', async () => {
      try {
        await this.#client().deletePort(target.uuid);
      } catch (err) {
        if (!isGone(err)) throw err; // already gone: what the delete wanted
      }
    });
    delete ports[target.address];
  }

  async #retried(what: string, call: () => Promise<void>): Promise<void> {
    await withIronicRetries(call, {
      delayMs: this.#options.retryDelayMs ?? 1000,
      onRetry: (attempt, err) =>
        this.#options.logger.warn(`Failed to ${what}, retrying`, {
          node: this.#uuid,
          attempt,
          error: err.message,
        }),
    });
  }

  /**
   * A field of the Ironic node by Ironic-style path: `/uuid`, `uuid`, `/properties/answer` (a deeper
   * path is one key under the first segment).
   *
   * @throws NodeFieldNotFound when the field or key is missing
   */
  async getByPath(path: string): Promise<unknown> {
    const node = (await this.node()) as Record<string, unknown>;
    const trimmed = path.replace(/^\/+|\/+$/g, '');
    const slash = trimmed.indexOf('/');
    const field = slash < 0 ? trimmed : trimmed.slice(0, slash);
    if (!(field in node)) throw new NodeFieldNotFound(path);
    if (slash < 0) return node[field];
    const key = trimmed.slice(slash + 1);
    const container = node[field];
    if (typeof container !== 'object' || container === null || !(key in container)) {
      throw new NodeFieldNotFound(path);
    }
    return (container as Record<string, unknown>)[key];
  }

  /**
   * Replace a node field with `update(current)`; sends one patch only when the value changes. A
   * missing field takes `options.default` with op `add` when given, else NodeFieldNotFound.
   */
  async replaceField(
    path: string,
    update: (value: unknown) => unknown,
    options: { default?: unknown } = {},
  ): Promise<void> {
    let value: unknown;
    let op: JsonPatch['op'] = 'replace';
    try {
      value = await this.getByPath(path);
    } catch (err) {
      if (!(err instanceof NodeFieldNotFound) || !('default' in options)) throw err;
      value = options.default;
      op = 'add';
    }
    const before = structuredClone(value);
    const after = update(structuredClone(value));
    if (!isDeepStrictEqual(before, after)) await this.patch([{ op, path, value: after }]);
  }
}

/** Ironic's 404: the port (or node) asked for does not exist. */
function isGone(err: unknown): boolean {
  return err instanceof IronicError && err.ironicStatus === 404;
}
