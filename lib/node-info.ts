/**
 * `NodeInfo`: the record of one node under introspection, as upstream's `node_cache.NodeInfo`.
 *
 * It loads lazily and caches (state and version, lookup attributes, options); create a new instance per
 * request, as upstream creates one per thread. It holds a handle on the node's lease but does not take
 * it at construction.
 *
 * Python properties become async methods here because they may read DynamoDB: `state()`,
 * `versionId()`, `attributes()`, `options()`.
 *
 * @example
 * ```ts
 * const nodeInfo = await nodeCache.getNode(uuid);
 * if (await nodeInfo.acquireLock(false)) {
 *   await nodeInfo.fsmEvent('abort');
 *   await nodeInfo.finished('abort_end', 'Canceled by operator'); // releases the lock
 * }
 * ```
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';
import {
  InvalidLookupAttribute,
  IronicError,
  NodeFieldNotFound,
  NodeLockedError,
  NodeNotFoundInDBError,
  NodeStateInvalidEvent,
  NotFoundInCacheError,
  PortNotFound,
} from '#lib/domain/errors.ts';
import {
  asList,
  canonicalLookupValue,
  newRowId,
  validateLookupValue,
} from '#lib/domain/lookup-attributes.ts';
import { type IntrospectionEvent, type IntrospectionState, nextState } from '#lib/domain/state-machine.ts';
import { ironicNode, requireIronic, withIronicRetries } from '#lib/domain/ironic-calls.ts';
import type { IntrospectionDataStore } from '#lib/ports/introspection-data-store.ts';
import type { IronicApi, IronicNode, IronicPort, JsonPatch } from '#lib/ports/ironic.ts';
import type { LeaseStore } from '#lib/ports/lease-store.ts';
import type { Logger } from '#lib/ports/logger.ts';
import type { MetricsSink } from '#lib/ports/metrics.ts';
import {
  MAX_CHILD_ITEMS_PER_NODE,
  type NodeRecord,
  type NodeRecordChanges,
  type NodeStore,
} from '#lib/ports/node-store.ts';
import type { PowerSlots } from '#lib/ports/power-slots.ts';

/** What NodeInfo and the node cache functions run on: storage, clock, logger and the lease settings. */
/** The storage ports one adapter object serves today. */
export type NodeStores = NodeStore & LeaseStore & PowerSlots;

export interface NodeCacheDeps {
  // One object serves the three ports until the redesign gives each its own option.
  readonly nodes: NodeStores;
  readonly introspectionData: IntrospectionDataStore;
  readonly logger: Logger;
  /** The wall clock (UTC). Lease expiry compares this clock across holders, so hosts must keep NTP time. */
  readonly now: () => Date;
  /** Lease length in ms. */
  readonly leaseMs: number;
  /** How long a blocking lock acquisition waits, in ms. */
  readonly lockWaitMs: number;
  /** `[DEFAULT]timeout` in seconds; ≤ 0 disables timeouts. */
  readonly timeoutSeconds: number;
  /** Ironic, for the node's Ironic operations and node names. */
  readonly ironic?: IronicApi | undefined;
  /** `[processing]update_pxe_enabled` (default true): created ports take `pxe` from the ramdisk. */
  readonly updatePxeEnabled?: boolean;
  /** Pause between upstream's 5 attempts of `add_trait` and `delete_port` (default 1000 ms). */
  readonly ironicRetryDelayMs?: number;
  /** `[DEFAULT]ipmi_address_fields` (upstream's list when omitted). */
  readonly ipmiAddressFields?: readonly string[];
  readonly metrics?: MetricsSink;
}

/** A port to create: a MAC, or a MAC with its DHCP client id and whether it PXE-boots. */
export type PortToCreate =
  | string
  | { readonly mac: string; readonly client_id?: string | null; readonly pxe?: boolean };

/** Fields a NodeInfo may be built with (upstream's constructor arguments). */
export interface NodeInfoFields {
  readonly uuid: string;
  readonly versionId?: string | undefined;
  readonly state?: IntrospectionState | undefined;
  readonly startedAt?: Date | null;
  readonly finishedAt?: Date | null;
  readonly error?: string | null;
  readonly manageBoot?: boolean | null;
  /** The Ironic node, already fetched. */
  readonly node?: IronicNode | undefined;
  /** The node's Ironic ports, already fetched: a list, or MAC → port. */
  readonly ports?: readonly IronicPort[] | Readonly<Record<string, IronicPort>> | undefined;
  /**
   * The lease owner token of a lock handed over by another holder ({@link NodeInfo.handOffLock}):
   * acquiring with it renews that lease instead of waiting for it.
   */
  readonly leaseOwner?: string | undefined;
}

interface HeldLease {
  readonly owner: string;
  readonly expiresAtMs: number;
}

/** A lease this close to its expiry is treated as gone: re-acquire it rather than trust it. */
const LEASE_SAFETY_MS = 1000;
const FIRST_POLL_MS = 20;
const MAX_POLL_MS = 500;

/** One node under introspection. See the module comment. */
export class NodeInfo {
  readonly uuid: string;
  startedAt: Date | null;
  finishedAt: Date | null;
  error: string | null;
  /** Whether inspector manages boot (PXE, reboot, power off) for this node; NULL in old rows means true. */
  manageBoot: boolean;

  #state: IntrospectionState | undefined;
  #versionId: string | undefined;
  #attributes: Record<string, string[]> | undefined;
  #options: Record<string, unknown> | undefined;
  #lease: HeldLease | undefined;
  #node: IronicNode | undefined;
  #ports: Record<string, IronicPort> | undefined;
  /** The lease owner token; kept across release so logs can tie acquisitions to this NodeInfo. */
  readonly #owner = randomUUID();
  /** The token of a lease handed over to this NodeInfo, until it has taken the lease over. */
  #handedOverBy: string | undefined;
  readonly #deps: NodeCacheDeps;

  constructor(deps: NodeCacheDeps, fields: NodeInfoFields) {
    this.#deps = deps;
    this.#handedOverBy = fields.leaseOwner;
    this.uuid = fields.uuid;
    this.#versionId = fields.versionId;
    this.#state = fields.state;
    this.startedAt = fields.startedAt ?? null;
    this.finishedAt = fields.finishedAt ?? null;
    this.error = fields.error ?? null;
    this.manageBoot = fields.manageBoot ?? true;
    this.#node = fields.node;
    if (fields.ports !== undefined) {
      this.#ports = Array.isArray(fields.ports)
        ? Object.fromEntries((fields.ports as readonly IronicPort[]).map((port) => [port.address, port]))
        : { ...(fields.ports as Readonly<Record<string, IronicPort>>) };
    }
  }

  /** Upstream `from_row`. */
  static fromRecord(deps: NodeCacheDeps, record: NodeRecord): NodeInfo {
    return new NodeInfo(deps, record);
  }

  /** `"<uuid>"`, or `"<uuid> state <state>"` once the state is known (upstream's log prefix). */
  toString(): string {
    return this.#state === undefined ? this.uuid : `${this.uuid} state ${this.#state}`;
  }

  // ---- state and version ------------------------------------------------------------------------

  /**
   * The introspection state, read from the record once and cached.
   *
   * @throws NodeNotFoundInDBError when the record is gone
   */
  async state(): Promise<IntrospectionState> {
    if (this.#state === undefined) {
      const record = await this.#deps.nodes.getNode(this.uuid);
      if (record === undefined) throw new NodeNotFoundInDBError();
      this.#remember(record);
    }
    return this.#state as IntrospectionState;
  }

  /**
   * The version of the record this NodeInfo last read or wrote; every write is conditioned on it.
   *
   * @throws NotFoundInCacheError "Node not found in the cache" when the record is gone
   */
  async versionId(): Promise<string> {
    if (this.#versionId === undefined) {
      const record = await this.#deps.nodes.getNode(this.uuid);
      if (record === undefined) throw NotFoundInCacheError.noRecord();
      this.#remember(record);
    }
    return this.#versionId as string;
  }

  /**
   * Drop the cache and read the record again (consistently). Returns it, or undefined when it is gone.
   * Used right after taking the lock, so decisions rest on what no one else can change meanwhile.
   */
  async reload(): Promise<NodeRecord | undefined> {
    this.invalidateCache();
    const record = await this.#deps.nodes.getNode(this.uuid);
    if (record !== undefined) this.#remember(record);
    return record;
  }

  /** Take state, version and timestamps from a record read consistently. */
  #remember(record: NodeRecord): void {
    this.#state = record.state;
    this.#versionId = record.versionId;
    this.startedAt = record.startedAt;
    this.finishedAt = record.finishedAt;
    this.error = record.error;
    this.manageBoot = record.manageBoot;
  }

  /**
   * Upstream `_commit`: write `changes` conditioned on the version this NodeInfo saw, then remember
   * the new version.
   *
   * @throws NodeStateRaceCondition when someone else wrote the record since (or it vanished)
   */
  async #commit(changes: NodeRecordChanges): Promise<void> {
    const expected = await this.versionId();
    const next = randomUUID();
    await this.#deps.nodes.updateNode(this.uuid, expected, changes, next);
    this.#versionId = next;
    if (changes.state !== undefined) this.#state = changes.state;
  }

  /** Upstream `commit()`: persist `startedAt`, `finishedAt` and `error` as held in memory. */
  async commit(): Promise<void> {
    await this.#commit({ startedAt: this.startedAt, finishedAt: this.finishedAt, error: this.error });
  }

  /** Upstream `_set_state`. */
  async setState(state: IntrospectionState): Promise<void> {
    await this.#commit({ state });
  }

  /**
   * Process `event` on the current state and persist the new state if it changed (self-loops write
   * nothing).
   *
   * An invalid event logs "Invalid event: …" and throws NodeStateInvalidEvent with automaton's text;
   * when `strict`, the node is first finished with event `error` and that text.
   *
   * @throws NodeStateInvalidEvent, NodeStateRaceCondition, UndefinedStateError
   */
  async fsmEvent(event: IntrospectionEvent, strict = false): Promise<void> {
    await this.versionId(); // state and version from one read: the write is checked against what we decide on
    const current = await this.state();
    let target: IntrospectionState;
    try {
      target = nextState(current, event);
    } catch (err) {
      if (!(err instanceof NodeStateInvalidEvent)) throw err;
      const log = strict ? this.#deps.logger.error : this.#deps.logger.warn;
      log.call(this.#deps.logger, `Invalid event: ${err.message}`, { node: this.uuid });
      if (strict) await this.finished('error', err.message);
      throw err;
    }
    if (target !== current) await this.setState(target);
  }

  /**
   * Record the end of introspection: the event's transition, `finished_at = now` and `error`, and the
   * removal of lookup attributes and options, in one transaction (decisions.md item 4). The lock is
   * released afterwards, whatever happened. Stored introspection data and `started_at` are kept.
   *
   * @throws NodeStateInvalidEvent when `event` is invalid in the current state (nothing is written)
   * @throws NodeStateRaceCondition when the record changed since this NodeInfo read it
   */
  async finished(event: IntrospectionEvent, error: string | null = null): Promise<void> {
    try {
      await this.versionId();
      const current = await this.state();
      let target: IntrospectionState;
      try {
        target = nextState(current, event);
      } catch (err) {
        if (err instanceof NodeStateInvalidEvent) {
          this.#deps.logger.warn(`Invalid event: ${err.message}`, { node: this.uuid });
        }
        throw err;
      }
      const finishedAt = this.#deps.now();
      const expected = await this.versionId();
      const next = randomUUID();
      await this.#deps.nodes.finishNode(this.uuid, expected, { state: target, finishedAt, error }, next);
      this.#versionId = next;
      this.#state = target;
      this.finishedAt = finishedAt;
      this.error = error;
      this.#attributes = {};
      this.#options = {};
      this.#deps.metrics?.count(
        target === 'finished'
          ? 'IntrospectionsFinished'
          : event === 'timeout'
            ? 'IntrospectionsTimedOut'
            : 'IntrospectionsFailed',
      );
    } finally {
      await this.releaseLock();
    }
  }

  // ---- lock (a lease in DynamoDB) ---------------------------------------------------------------

  /** Whether this NodeInfo holds the node's lease (by its own clock). */
  get lockHeld(): boolean {
    return this.#lease !== undefined && this.#lease.expiresAtMs > this.#deps.now().getTime();
  }

  /**
   * Take the node's lock: a lease in DynamoDB (decisions.md item 2).
   *
   * Holding it already through this NodeInfo returns true without a write. Otherwise one conditional
   * write takes it if it is free or expired. Non-blocking: return whether that worked. Blocking: poll
   * with backoff for at most the configured wait, then throw NodeLockedError (409).
   *
   * @throws NodeLockedError when blocking and the wait ran out
   */
  async acquireLock(blocking = true): Promise<boolean> {
    const nowMs = this.#deps.now().getTime();
    if (this.#lease !== undefined && this.#lease.expiresAtMs - LEASE_SAFETY_MS > nowMs) {
      this.#deps.logger.debug('Lock is already held by this NodeInfo', { node: this.uuid });
      return true;
    }
    const deadline = performance.now() + this.#deps.lockWaitMs;
    let pause = FIRST_POLL_MS;
    for (;;) {
      const attemptMs = this.#deps.now().getTime();
      const expiresAtMs = attemptMs + this.#deps.leaseMs;
      const attempt = await this.#deps.nodes.tryAcquireLease(
        this.uuid,
        this.#owner,
        attemptMs,
        expiresAtMs,
        this.#handedOverBy,
      );
      if (attempt.acquired) {
        this.#lease = { owner: this.#owner, expiresAtMs };
        this.#handedOverBy = undefined;
        this.#deps.logger.debug('Successfully acquired lock', { node: this.uuid });
        return true;
      }
      if (!blocking) {
        this.#deps.logger.debug('Unable to acquire lock', { node: this.uuid, holder: attempt.holder });
        return false;
      }
      if (pause === FIRST_POLL_MS) this.#deps.metrics?.count('LockWaits');
      const left = deadline - performance.now();
      if (left <= 0) {
        this.#deps.logger.warn('Gave up waiting for the node lock', {
          node: this.uuid,
          holder: attempt.holder,
          waitedMs: this.#deps.lockWaitMs,
        });
        throw new NodeLockedError();
      }
      // Jittered exponential backoff, so 20 waiters do not hammer the lease item in step.
      await sleep(Math.min(left, pause * (0.5 + Math.random())));
      pause = Math.min(MAX_POLL_MS, pause * 2);
    }
  }

  /**
   * Hand the held lease to another holder (the worker finishing what this request started): returns
   * the owner token for {@link NodeInfoFields.leaseOwner} and forgets the lease here without
   * releasing it, so the node stays locked in between.
   *
   * Timeline: the API holds the lease from the ramdisk callback's lookup, enqueues the finish job with
   * the token and answers; the worker acquires with the same token (a renewal, no wait) and releases
   * after `finished()`. A second callback in between waits on the lease instead of seeing a node
   * half-way through. If the job is late past the lease, the lease expires as any crashed holder's.
   */
  async handOffLock(): Promise<string> {
    if (this.#lease === undefined) throw new Error(`BUG: handing off a lock not held on node ${this.uuid}`);
    // Renew first, so the next holder gets a whole lease however long this one has run.
    const nowMs = this.#deps.now().getTime();
    const attempt = await this.#deps.nodes.tryAcquireLease(
      this.uuid,
      this.#owner,
      nowMs,
      nowMs + this.#deps.leaseMs,
    );
    if (!attempt.acquired) throw new NodeLockedError();
    this.#lease = undefined;
    return this.#owner;
  }

  /** Give the lease back if this NodeInfo holds it; a no-op otherwise (also when called twice). */
  async releaseLock(): Promise<void> {
    const lease = this.#lease;
    if (lease === undefined) return;
    this.#lease = undefined;
    let released: boolean;
    try {
      released = await this.#deps.nodes.releaseLease(this.uuid, lease.owner);
    } catch (err) {
      // The work under the lock is done (and maybe committed): a failed release must not turn it
      // into a failure. The lease expires by itself.
      this.#deps.logger.warn('Could not release the node lease; it will expire', {
        node: this.uuid,
        error: String(err),
      });
      return;
    }
    if (!released) {
      this.#deps.logger.warn('Node lease had expired and was taken over before it was released', {
        node: this.uuid,
      });
    } else {
      this.#deps.logger.debug('Successfully released lock', { node: this.uuid });
    }
  }

  // ---- lookup attributes and options ------------------------------------------------------------

  /** Lookup attributes as name → values (row order), loaded once and cached. */
  async attributes(): Promise<Record<string, string[]>> {
    if (this.#attributes === undefined) {
      const rows = await this.#deps.nodes.getLookupAttributes(this.uuid);
      const attributes: Record<string, string[]> = {};
      for (const row of rows) {
        const values = attributes[row.name] ?? [];
        values.push(row.value);
        attributes[row.name] = values;
      }
      this.#attributes = attributes;
    }
    return this.#attributes;
  }

  /**
   * Store lookup attribute rows: one per value, duplicates allowed, values in canonical form. The
   * record must still be the one this NodeInfo saw (else NodeStateRaceCondition).
   *
   * @throws InvalidLookupAttribute for an empty or over-long value, or when the node would hold more
   * than {@link MAX_CHILD_ITEMS_PER_NODE} lookup attributes and options
   */
  async addAttribute(name: string, value: string | readonly string[]): Promise<void> {
    const values = asList(value);
    if (values.length === 0) return;
    for (const v of values) validateLookupValue(name, v);
    await this.#checkRoom(values.length);
    const now = this.#deps.now();
    const rows = values.map((v) => ({ rowId: newRowId(now), name, value: canonicalLookupValue(name, v) }));
    await this.#deps.nodes.addLookupAttributes(this.uuid, await this.versionId(), rows);
    this.#attributes = undefined;
  }

  /** Node options as name → value (JSON-decoded), loaded once and cached. */
  async options(): Promise<Record<string, unknown>> {
    if (this.#options === undefined) {
      const stored = await this.#deps.nodes.getOptions(this.uuid);
      this.#options = Object.fromEntries([...stored].map(([name, json]) => [name, JSON.parse(json)]));
    }
    return this.#options;
  }

  /** Set one option (JSON-encoded); visible at once here and to new NodeInfo objects. */
  async setOption(name: string, value: unknown): Promise<void> {
    const json = JSON.stringify(value ?? null);
    const options = await this.options();
    if (!(name in options)) await this.#checkRoom(1);
    await this.#deps.nodes.putOption(this.uuid, await this.versionId(), name, json);
    options[name] = JSON.parse(json);
  }

  async #checkRoom(adding: number): Promise<void> {
    const attributes = Object.values(await this.attributes()).reduce((n, values) => n + values.length, 0);
    const options = Object.keys(await this.options()).length;
    if (attributes + options + adding > MAX_CHILD_ITEMS_PER_NODE) {
      throw new InvalidLookupAttribute(
        'count',
        `a node holds at most ${MAX_CHILD_ITEMS_PER_NODE} lookup attributes and options together`,
      );
    }
  }

  /**
   * Drop every cached value (state, version, attributes, options, Ironic node and ports); timestamps
   * and the lock stay.
   */
  invalidateCache(): void {
    this.#state = undefined;
    this.#versionId = undefined;
    this.#attributes = undefined;
    this.#options = undefined;
    this.#node = undefined;
    this.#ports = undefined;
  }

  // ---- Ironic ------------------------------------------------------------------------------------

  #ironic(): IronicApi {
    return requireIronic(this.#deps);
  }

  /**
   * The Ironic node, fetched once by UUID and cached.
   *
   * @throws NodeNotFoundInIronic "Node <uuid> was not found in Ironic" (404)
   * @throws InspectorError "Cannot get node <uuid>: <error>" for Ironic's 400
   */
  async node(): Promise<IronicNode> {
    this.#node ??= await ironicNode(this.#ironic(), this.uuid);
    return this.#node;
  }

  /** The node's Ironic ports as MAC → port, fetched once and cached. */
  async ports(): Promise<Record<string, IronicPort>> {
    if (this.#ports === undefined) {
      const ports = await this.#ironic().listPorts({ node: this.uuid });
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
        typeof item === 'string' || this.#deps.updatePxeEnabled === false ? true : (item.pxe ?? true);
      if (mac in existing) {
        skipped.push(mac);
        continue;
      }
      await this.#createPort(mac, extra, pxe);
    }
    if (skipped.length > 0) {
      this.#deps.logger.warn(`Did not create ports ${skipped.join(', ')} as they already exist`, {
        node: this.uuid,
      });
    }
  }

  async #createPort(mac: string, extra: Record<string, unknown>, pxeEnabled: boolean): Promise<void> {
    try {
      const port = await this.#ironic().createPort({ nodeUuid: this.uuid, address: mac, extra, pxeEnabled });
      this.#deps.logger.info(`Port ${port.uuid} was created for MAC ${mac}`, {
        node: this.uuid,
        port: port.uuid,
        mac,
        extra,
        pxe_enabled: pxeEnabled,
      });
      if (this.#ports !== undefined) this.#ports[mac] = port;
    } catch (err) {
      if (!(err instanceof IronicError && err.ironicStatus === 409)) throw err;
      this.#deps.logger.warn(`Port ${mac} already exists, skipping`, { node: this.uuid });
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
    this.#deps.logger.debug('Updating node with patches', { node: this.uuid, patches: absolute });
    this.#node = await this.#ironic().patchNode(this.uuid, absolute, options);
    return this.#node;
  }

  /** JSON-patch a port, given as a port or a MAC; the cached entry is replaced. */
  async patchPort(port: IronicPort | string, patches: readonly JsonPatch[]): Promise<IronicPort> {
    const ports = await this.ports();
    const target = typeof port === 'string' ? ports[port] : port;
    if (target === undefined) throw new PortNotFound(port as string, this.uuid);
    const updated = await this.#ironic().patchPort(target.uuid, patches);
    ports[updated.address] = updated;
    return updated;
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
    await this.#retried('add trait', () => this.#ironic().addTrait(this.uuid, trait));
  }

  /** Remove a trait; one Ironic does not have is fine. */
  async removeTrait(trait: string): Promise<void> {
    try {
      await this.#ironic().removeTrait(this.uuid, trait);
    } catch (err) {
      if (!(err instanceof IronicError && err.ironicStatus === 404)) throw err;
      this.#deps.logger.debug(`Trait ${trait} is not set, cannot remove`, { node: this.uuid });
    }
  }

  /** Delete a port (a port or a MAC), trying up to 5 times; then drop it from the cache. */
  async deletePort(port: IronicPort | string): Promise<void> {
    const ports = await this.ports();
    const target = typeof port === 'string' ? ports[port] : port;
    if (target === undefined) throw new PortNotFound(port as string, this.uuid);
    await this.#retried('delete port', () => this.#ironic().deletePort(target.uuid));
    delete ports[target.address];
  }

  async #retried(what: string, call: () => Promise<void>): Promise<void> {
    await withIronicRetries(call, {
      delayMs: this.#deps.ironicRetryDelayMs ?? 1000,
      onRetry: (attempt, err) =>
        this.#deps.logger.warn(`Failed to ${what}, retrying`, {
          node: this.uuid,
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

/** Parse Ironic's capabilities string `k1:v1,k2:v2` (split on the first `:`; empty ⇒ {}). */
export function parseCapabilities(value: unknown): Record<string, string> {
  if (typeof value !== 'string' || value === '') return {};
  const result: Record<string, string> = {};
  for (const item of value.split(',')) {
    const colon = item.indexOf(':');
    if (colon < 0) continue;
    result[item.slice(0, colon)] = item.slice(colon + 1);
  }
  return result;
}

/**
 * Serialise capabilities as `k1:v1,k2:v2`; keys whose value is null/undefined are dropped; values as
 * Python's `str()` writes them (booleans `True`/`False`).
 */
export function formatCapabilities(capabilities: Readonly<Record<string, unknown>>): string {
  return Object.entries(capabilities)
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => `${k}:${typeof v === 'boolean' ? (v ? 'True' : 'False') : String(v)}`)
    .join(',');
}
