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
import {
  InvalidLookupAttribute,
  NodeLockedError,
  NodeNotFoundInDBError,
  NodeStateInvalidEvent,
  NotFoundInCacheError,
} from '#lib/errors.ts';
import type { Logger } from '#lib/logger.ts';
import { asList, canonicalLookupValue, newRowId, validateLookupValue } from '#lib/lookup-attributes.ts';
import { type IntrospectionEvent, type IntrospectionState, nextState } from '#lib/state-machine.ts';
import {
  type IntrospectionDataStore,
  MAX_CHILD_ITEMS_PER_NODE,
  type NodeRecord,
  type NodeRecordChanges,
  type NodeStore,
} from '#lib/storage.ts';

/** What NodeInfo and the node cache functions run on: storage, clock, logger and the lease settings. */
export interface NodeCacheDeps {
  readonly nodes: NodeStore;
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
  /** The lease owner token; kept across release so logs can tie acquisitions to this NodeInfo. */
  readonly #owner = randomUUID();
  readonly #deps: NodeCacheDeps;

  constructor(deps: NodeCacheDeps, fields: NodeInfoFields) {
    this.#deps = deps;
    this.uuid = fields.uuid;
    this.#versionId = fields.versionId;
    this.#state = fields.state;
    this.startedAt = fields.startedAt ?? null;
    this.finishedAt = fields.finishedAt ?? null;
    this.error = fields.error ?? null;
    this.manageBoot = fields.manageBoot ?? true;
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
      const attempt = await this.#deps.nodes.tryAcquireLease(this.uuid, this.#owner, attemptMs, expiresAtMs);
      if (attempt.acquired) {
        this.#lease = { owner: this.#owner, expiresAtMs };
        this.#deps.logger.debug('Successfully acquired lock', { node: this.uuid });
        return true;
      }
      if (!blocking) {
        this.#deps.logger.debug('Unable to acquire lock', { node: this.uuid, holder: attempt.holder });
        return false;
      }
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

  /** Give the lease back if this NodeInfo holds it; a no-op otherwise (also when called twice). */
  async releaseLock(): Promise<void> {
    const lease = this.#lease;
    if (lease === undefined) return;
    this.#lease = undefined;
    const released = await this.#deps.nodes.releaseLease(this.uuid, lease.owner);
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

  /** Drop every cached value (state, version, attributes, options); timestamps and the lock stay. */
  invalidateCache(): void {
    this.#state = undefined;
    this.#versionId = undefined;
    this.#attributes = undefined;
    this.#options = undefined;
  }
}
