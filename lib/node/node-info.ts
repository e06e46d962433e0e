/**
 * `NodeInfo`: the record of one node under introspection and its state-machine events, as upstream's
 * `node_cache.NodeInfo`. Its lock is a {@link NodeLease} (`lib/node/lease.ts`); its Ironic operations
 * are `nodeInfo.ironic` ({@link NodeIronic}, `lib/node/ironic-operations.ts`).
 *
 * It loads lazily and caches (state and version, lookup attributes, options); create a new instance per
 * request (the node cache's `nodeInfo(uuid)`), as upstream creates one per thread. It holds a handle on
 * the node's lease but does not take it at construction. Python properties become async methods here
 * because they may read the store: `state()`, `versionId()`, `attributes()`, `options()`.
 *
 * @example
 * ```ts
 * const nodeInfo = await nodeCache.getNode(uuid);
 * if (await nodeInfo.acquireLock({ blocking: false })) {
 *   await nodeInfo.fsmEvent('abort');
 *   await nodeInfo.finished('abort_end', 'Canceled by operator'); // releases the lock
 * }
 * ```
 */
import { randomUUID } from 'node:crypto';
import { NodeNotFoundInDBError, NodeStateInvalidEvent, NotFoundInCacheError } from '#lib/domain/errors.ts';
import type { IntrospectionEvent, IntrospectionState } from '#lib/domain/state-machine.ts';
import { NodeIronic, type NodeIronicSettings } from '#lib/node/ironic-operations.ts';
import { NodeLease, type NodeLeaseSettings } from '#lib/node/lease.ts';
import { NodeChildren } from '#lib/node/node-children.ts';
import { stateTransition, transition } from '#lib/node/transition.ts';
import type { IronicNode, IronicPort } from '#lib/ports/ironic.ts';
import type { Logger } from '#lib/ports/logger.ts';
import type { MetricsSink } from '#lib/ports/metrics.ts';
import type { DueJob, NodeRecord, NodeRecordChanges, NodeStore } from '#lib/ports/node-store.ts';

/** What every NodeInfo of a node cache is built with. */
export interface NodeInfoOptions {
  readonly nodes: NodeStore;
  /** The lease store and lease settings (the node's lock). */
  readonly lease: NodeLeaseSettings;
  /** Ironic and the settings of the node's Ironic operations. */
  readonly ironic: NodeIronicSettings;
  /** The wall clock (UTC). */
  readonly now: () => Date;
  readonly logger: Logger;
  readonly metrics?: MetricsSink | undefined;
}

/** Fields a NodeInfo may be built with (upstream's constructor arguments). */
export interface NodeInfoFields {
  readonly uuid: string;
  readonly versionId?: string | undefined;
  readonly state?: IntrospectionState | undefined;
  readonly startedAt?: Date | null;
  readonly finishedAt?: Date | null;
  readonly error?: string | null;
  readonly manageBoot?: boolean | null;
  readonly dueJob?: DueJob | undefined;
  readonly progressAt?: Date | undefined;
  /** The Ironic node, already fetched. */
  readonly node?: IronicNode | undefined;
  /** The node's Ironic ports, already fetched: a list, or MAC → port. */
  readonly ports?: readonly IronicPort[] | Readonly<Record<string, IronicPort>> | undefined;
  /** The record's port snapshot (kept while `waiting`): the ports, unless `ports` are given. */
  readonly ironicPorts?: readonly IronicPort[] | undefined;
  /** The owner token of a lock handed over by another holder ({@link NodeInfo.handOffLock}). */
  readonly leaseOwner?: string | undefined;
}

/** Builds a NodeInfo of one node cache, with nothing loaded but the fields given. */
export type NodeInfoFactory = (uuid: string, fields?: Omit<NodeInfoFields, 'uuid'>) => NodeInfo;

/** One node under introspection. See the module comment. */
export class NodeInfo {
  readonly uuid: string;
  startedAt: Date | null;
  finishedAt: Date | null;
  error: string | null;
  /** Whether inspector manages boot (PXE, reboot, power off) for this node; NULL in old rows means true. */
  manageBoot: boolean;
  /** The step due (the record's outbox, docs/design.md#recovery) and when progress was last recorded. */
  dueJob: DueJob | null;
  progressAt: Date | null;
  /** The node's Ironic operations (node, ports, patches, capabilities, traits). */
  readonly ironic: NodeIronic;

  #state: IntrospectionState | undefined;
  #versionId: string | undefined;
  readonly #children: NodeChildren;
  readonly #lease: NodeLease;
  readonly #deps: NodeInfoOptions;

  constructor(options: NodeInfoOptions, fields: NodeInfoFields) {
    this.#deps = options;
    this.uuid = fields.uuid;
    this.#versionId = fields.versionId;
    this.#state = fields.state;
    this.startedAt = fields.startedAt ?? null;
    this.finishedAt = fields.finishedAt ?? null;
    this.error = fields.error ?? null;
    this.manageBoot = fields.manageBoot ?? true;
    this.dueJob = fields.dueJob ?? null;
    this.progressAt = fields.progressAt ?? null;
    const { uuid, leaseOwner: handedOverBy } = fields;
    const { logger, now, metrics } = options;
    this.#children = new NodeChildren({
      uuid,
      nodes: options.nodes,
      now,
      versionId: () => this.versionId(),
    });
    // Shared settings spread last: V8 builds `{ ...settings, more }` on a slow path, ~10 µs a time,
    // which the list of 1,000 paid twice per node (the keys never overlap).
    this.#lease = new NodeLease({ uuid, now, logger, metrics, handedOverBy, ...options.lease });
    const ports = fields.ports ?? fields.ironicPorts;
    this.ironic = new NodeIronic({ uuid, logger, node: fields.node, ports, ...options.ironic });
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
    this.dueJob = record.dueJob ?? null;
    this.progressAt = record.progressAt ?? null;
    if (record.ironicPorts !== undefined) this.ironic.usePorts(record.ironicPorts);
  }

  /**
   * Upstream `_commit`: write `changes` conditioned on the version this NodeInfo saw, then remember
   * the new version (docs/design.md#optimistic-versions).
   *
   * @throws NodeStateRaceCondition when someone else wrote the record since (or it vanished)
   */
  async #commit(changes: NodeRecordChanges): Promise<void> {
    const expected = await this.versionId();
    const next = randomUUID();
    await this.#deps.nodes.updateNode(this.uuid, expected, changes, next);
    this.#versionId = next;
    if (changes.state !== undefined) this.#state = changes.state;
    if (changes.dueJob !== undefined) this.dueJob = changes.dueJob;
    if (changes.progressAt !== undefined) this.progressAt = changes.progressAt;
  }

  /** The outbox changes that make `due` the step due (null: none) as of now. */
  #due(due: DueJob | null): NodeRecordChanges {
    return { dueJob: due, progressAt: due === null ? null : this.#deps.now() };
  }

  /**
   * Record progress: `due` is now the step owed to the node (docs/design.md#recovery), in one write
   * conditioned on the version this NodeInfo saw.
   */
  async recordProgress(due: DueJob | null): Promise<void> {
    await this.#commit(this.#due(due));
  }

  /**
   * Upstream `commit()`: persist `startedAt`, `finishedAt` and `error` as held in memory (and `due`
   * as the step now owed to the node, when given).
   */
  async commit(due?: DueJob | null): Promise<void> {
    const times = { startedAt: this.startedAt, finishedAt: this.finishedAt, error: this.error };
    await this.#commit({ ...times, ...(due === undefined ? {} : this.#due(due)) });
  }

  /** Upstream `_set_state`. */
  async setState(state: IntrospectionState): Promise<void> {
    await this.#commit({ state });
  }

  /**
   * Process `event` on the current state and persist the new state if it changed (self-loops write
   * nothing); the change clears the node's outbox, or makes `due` the step now owed (the same write).
   *
   * An invalid event logs "Invalid event: …" and throws NodeStateInvalidEvent with automaton's text;
   * when `strict`, the node is first finished with event `error` and that text.
   *
   * @throws NodeStateInvalidEvent, NodeStateRaceCondition, UndefinedStateError
   */
  async fsmEvent(
    event: IntrospectionEvent,
    options: { readonly strict?: boolean; readonly due?: DueJob | null } = {},
  ): Promise<void> {
    const strict = options.strict ?? false;
    await this.versionId(); // state and version from one read: the write is checked against what we decide on
    const current = await this.state();
    let target: IntrospectionState;
    try {
      target = transition(current, event, {
        logger: this.#deps.logger,
        uuid: this.uuid,
        level: strict ? 'error' : 'warn',
      });
    } catch (err) {
      if (strict && err instanceof NodeStateInvalidEvent) await this.finished('error', err.message);
      throw err;
    }
    if (target === current) return;
    // A state change records the outcome of the step that was due: it names the next one, or none.
    const change = stateTransition(event, current, target, this, this.#deps.now());
    // Into `waiting`: the ports the set-up listed stay with the record for the callback (one list per run).
    const ports = target === 'waiting' ? this.ironic.cachedPorts() : undefined;
    const snapshot = ports === undefined ? {} : { ironicPorts: ports };
    await this.#commit({ state: target, transition: change, ...this.#due(options.due ?? null), ...snapshot });
  }

  /**
   * Record the end of introspection: the event's transition, `finished_at = now` and `error`, and the
   * removal of lookup attributes and options, in one transaction (docs/design.md#atomic-finish). The
   * lock is released afterwards, whatever happened. Stored introspection data and `started_at` are
   * kept.
   *
   * @throws NodeStateInvalidEvent when `event` is invalid in the current state (nothing is written)
   * @throws NodeStateRaceCondition when the record changed since this NodeInfo read it
   */
  async finished(event: IntrospectionEvent, error: string | null = null): Promise<void> {
    try {
      await this.versionId();
      const current = await this.state();
      const target = transition(current, event, { logger: this.#deps.logger, uuid: this.uuid });
      const finishedAt = this.#deps.now();
      const expected = await this.versionId();
      const next = randomUUID();
      const after = { error, startedAt: this.startedAt, finishedAt };
      const change = stateTransition(event, current, target, after, finishedAt);
      const outbox = { dueJob: null, progressAt: null };
      const changes = { state: target, finishedAt, error, transition: change, ...outbox };
      await this.#deps.nodes.finishNode(this.uuid, expected, changes, next);
      this.#versionId = next;
      this.dueJob = null;
      this.progressAt = null;
      this.#state = target;
      this.finishedAt = finishedAt;
      this.error = error;
      this.#children.reset(true);
      const outcome = target === 'finished' ? 'Finished' : event === 'timeout' ? 'TimedOut' : 'Failed';
      this.#deps.metrics?.count(`Introspections${outcome}`);
    } finally {
      await this.releaseLock();
    }
  }

  // ---- lock (the node's lease) -------------------------------------------------------------------

  /** Whether this NodeInfo holds the node's lease (by its own clock). */
  get lockHeld(): boolean {
    return this.#lease.held;
  }

  /**
   * Take the node's lock (upstream `acquire_lock(blocking=True)`); see {@link NodeLease.acquire}.
   *
   * @throws NodeLockedError (409) when blocking and the wait ran out
   */
  acquireLock(options: { readonly blocking?: boolean } = {}): Promise<boolean> {
    return this.#lease.acquire(options);
  }

  /** Hand the held lease to the next holder; see {@link NodeLease.handOff}. */
  handOffLock(): Promise<string> {
    return this.#lease.handOff();
  }

  /** Give the lease back if this NodeInfo holds it; a no-op otherwise (also when called twice). */
  releaseLock(): Promise<void> {
    return this.#lease.release();
  }

  // ---- lookup attributes and options (lib/node/node-children.ts) ----------------------------------

  /** Lookup attributes as name → values (row order), loaded once and cached. */
  attributes(): Promise<Record<string, string[]>> {
    return this.#children.attributes();
  }

  /** Store lookup attribute rows (one per value, canonical form) under the version seen: see NodeChildren. */
  addAttribute(name: string, value: string | readonly string[]): Promise<void> {
    return this.#children.addAttribute(name, value);
  }

  /** Node options as name → value (JSON-decoded), loaded once and cached. */
  options(): Promise<Record<string, unknown>> {
    return this.#children.options();
  }

  /** Set one option (JSON-encoded); visible at once here and to new NodeInfo objects. */
  setOption(name: string, value: unknown): Promise<void> {
    return this.#children.setOption(name, value);
  }

  /** Drop every cached value (state, version, children, Ironic node and ports); times and lock stay. */
  invalidateCache(): void {
    this.#state = undefined;
    this.#versionId = undefined;
    this.#children.reset(false);
    this.ironic.invalidateCache();
  }
}
