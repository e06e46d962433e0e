/**
 * The node store in memory, for fast tests of the code above the store and for the contract suite. It
 * keeps the DynamoDB store's semantics exactly: every write is conditioned on the record version the
 * caller saw and throws NodeStateRaceCondition when it differs, a node holds at most
 * {@link MAX_CHILD_ITEMS_PER_NODE} lookup attributes and options (the same error when a write would
 * pass it), replace and finish are atomic, and the listing orders by the same byte-wise key.
 *
 * State changes are kept as the DynamoDB store keeps them (`transition` on the record version that a
 * state-changing write made, dropped by every other write) and handed, after the write and never
 * inside it, to the listeners of {@link MemoryNodeStore.onStateChange}: the in-memory stand-in for the
 * table's stream.
 *
 * Every method runs to completion without awaiting, so each one is as atomic as DynamoDB's single
 * transaction; records are copied in and out, so a caller can never change stored state by mutation.
 *
 * @example
 * ```ts
 * const nodes = new MemoryNodeStore();
 * await nodes.replaceNode(record, [{ rowId, name: 'mac', value: '11:22:33:44:55:66' }], null);
 * await nodes.findNodesByLookupAttribute('mac', '11:22:33:44:55:66'); // [record.uuid]
 * ```
 */
import { NodeStateRaceCondition } from '#lib/domain/errors.ts';
import { type IntrospectionState, STATES } from '#lib/domain/state-machine.ts';
import { toStoredTimestamp } from '#lib/domain/timestamps.ts';
import {
  type ListPosition,
  type LookupAttributeRow,
  listOrderKey,
  MAX_CHILD_ITEMS_PER_NODE,
  type NodeChildRows,
  type NodeRecord,
  type NodeRecordChanges,
  type NodeStore,
  type StateTransition,
} from '#lib/ports/node-store.ts';

/** Called with each state change, after the write that made it. */
export type StateChangeListener = (uuid: string, transition: StateTransition) => void;

/** Everything stored for one node: its record and its children. */
interface NodeEntry {
  record: NodeRecord;
  /** Lookup attribute rows by row id. */
  readonly attributes: Map<string, LookupAttributeRow>;
  /** Options by name (JSON text). */
  readonly options: Map<string, string>;
}

/**
 * Byte-wise (UTF-8) comparison, as DynamoDB compares string keys; JavaScript's `<` compares UTF-16
 * code units, which orders some characters differently.
 */
function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** A copy of the record, without the transition (never read back, as in DynamoDB). */
function copyRecord(record: NodeRecord): NodeRecord {
  const { transition: _stored, ...rest } = record;
  return {
    ...rest,
    startedAt: record.startedAt === null ? null : new Date(record.startedAt),
    finishedAt: record.finishedAt === null ? null : new Date(record.finishedAt),
    ...(record.dueJob === undefined ? {} : { dueJob: { ...record.dueJob } }),
    ...(record.progressAt === undefined ? {} : { progressAt: new Date(record.progressAt) }),
    ...(record.ironicPorts === undefined ? {} : { ironicPorts: structuredClone(record.ironicPorts) }),
  };
}

/** The record with `changes` applied and the new version; timestamps keep the stored precision (ms). */
function applyChanges(record: NodeRecord, changes: NodeRecordChanges, newVersionId: string): NodeRecord {
  const { dueJob: _dueJob, progressAt: _progressAt, ironicPorts: _ports, ...rest } = record;
  const dueJob = changes.dueJob === undefined ? record.dueJob : (changes.dueJob ?? undefined);
  const progressAt = changes.progressAt === undefined ? record.progressAt : (changes.progressAt ?? undefined);
  return {
    ...rest,
    ...(dueJob === undefined ? {} : { dueJob }),
    ...(progressAt === undefined ? {} : { progressAt }),
    // Kept by the write that carries it (to `waiting`), dropped by any other, as in DynamoDB.
    ...(changes.ironicPorts === undefined ? {} : { ironicPorts: structuredClone(changes.ironicPorts) }),
    versionId: newVersionId,
    ...(changes.state === undefined ? {} : { state: changes.state }),
    ...(changes.error === undefined ? {} : { error: changes.error }),
    ...(changes.startedAt === undefined ? {} : { startedAt: changes.startedAt }),
    ...(changes.finishedAt === undefined ? {} : { finishedAt: changes.finishedAt }),
    // Set by a state change, dropped by any other write.
    ...(changes.transition === undefined ? { transition: undefined } : { transition: changes.transition }),
  };
}

/** In-memory implementation of {@link NodeStore}. */
export class MemoryNodeStore implements NodeStore {
  readonly #nodes = new Map<string, NodeEntry>();
  readonly #listeners = new Set<StateChangeListener>();

  /** Listen to state changes (as a stream reader would); returns the function that stops it. */
  onStateChange(listener: StateChangeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Hand the record's state change (if its write made one) to the listeners, after the write. */
  #published(record: NodeRecord): void {
    const { transition } = record;
    if (transition === undefined || this.#listeners.size === 0) return;
    const listeners = [...this.#listeners];
    setImmediate(() => {
      for (const listener of listeners) listener(record.uuid, transition);
    });
  }

  async getNode(uuid: string): Promise<NodeRecord | undefined> {
    const entry = this.#nodes.get(uuid);
    return entry === undefined ? undefined : copyRecord(entry.record);
  }

  async getLookupAttributes(uuid: string): Promise<LookupAttributeRow[]> {
    const rows = [...(this.#nodes.get(uuid)?.attributes.values() ?? [])];
    // Insertion order is row-id order, as the DynamoDB store's sort key gives it.
    return rows.sort((a, b) => compareBytes(a.rowId, b.rowId)).map((row) => ({ ...row }));
  }

  async getOptions(uuid: string): Promise<Map<string, string>> {
    const options = [...(this.#nodes.get(uuid)?.options ?? [])];
    return new Map(options.sort(([a], [b]) => compareBytes(a, b)));
  }

  async getChildren(uuid: string): Promise<NodeChildRows> {
    return { attributes: await this.getLookupAttributes(uuid), options: await this.getOptions(uuid) };
  }

  async replaceNode(
    record: NodeRecord,
    attributes: readonly LookupAttributeRow[],
    expectedVersionId: string | null,
  ): Promise<void> {
    const current = this.#nodes.get(record.uuid);
    // The same race the DynamoDB condition prevents: a replacement lands only on the version the caller
    // saw (or only where there is no record, when it saw none).
    if ((current?.record.versionId ?? null) !== expectedVersionId) throw new NodeStateRaceCondition();
    const stored = { ...copyRecord(record), transition: record.transition };
    this.#nodes.set(record.uuid, {
      record: stored,
      attributes: new Map(attributes.map((row) => [row.rowId, { ...row }])),
      options: new Map(),
    });
    this.#published(stored);
  }

  async updateNode(
    uuid: string,
    expectedVersionId: string,
    changes: NodeRecordChanges,
    newVersionId: string,
  ): Promise<void> {
    const entry = this.#nodes.get(uuid);
    if (entry !== undefined && entry.record.versionId === expectedVersionId) {
      entry.record = applyChanges(entry.record, changes, newVersionId);
      this.#published(entry.record);
      return;
    }
    // Already at the new version: the DynamoDB store takes that as a retried write whose first attempt
    // landed, a success rather than a race; so does this one.
    if (entry?.record.versionId === newVersionId) return;
    throw new NodeStateRaceCondition();
  }

  async finishNode(
    uuid: string,
    expectedVersionId: string,
    changes: NodeRecordChanges,
    newVersionId: string,
  ): Promise<void> {
    const entry = this.#current(uuid, expectedVersionId);
    entry.record = applyChanges(entry.record, changes, newVersionId);
    this.#published(entry.record);
    entry.attributes.clear();
    entry.options.clear();
  }

  async addLookupAttributes(
    uuid: string,
    expectedVersionId: string,
    rows: readonly LookupAttributeRow[],
  ): Promise<void> {
    const entry = this.#withRoom(uuid, expectedVersionId, rows.length);
    for (const row of rows) entry.attributes.set(row.rowId, { ...row });
  }

  async putOption(uuid: string, expectedVersionId: string, name: string, json: string): Promise<void> {
    const isNew = !this.#nodes.get(uuid)?.options.has(name);
    const entry = this.#withRoom(uuid, expectedVersionId, isNew ? 1 : 0);
    entry.options.set(name, json);
  }

  async deleteNode(uuid: string): Promise<void> {
    this.#nodes.delete(uuid);
  }

  async findNodesByLookupAttribute(name: string, value: string): Promise<string[]> {
    const uuids: string[] = [];
    for (const [uuid, entry] of this.#nodes) {
      for (const row of entry.attributes.values()) {
        if (row.name === name && row.value === value) uuids.push(uuid);
      }
    }
    return uuids;
  }

  async listLookupAttributeValues(name: string): Promise<string[]> {
    const values: string[] = [];
    for (const entry of this.#nodes.values()) {
      for (const row of entry.attributes.values()) if (row.name === name) values.push(row.value);
    }
    // The DynamoDB store reads them from an index sorted by value.
    return values.sort(compareBytes);
  }

  async listNodes(options: {
    states: readonly IntrospectionState[];
    after?: ListPosition;
    limit: number;
  }): Promise<NodeRecord[]> {
    if (options.limit <= 0) return [];
    const states = new Set(options.states);
    const after = options.after === undefined ? undefined : listOrderKey(options.after);
    return this.#sorted((record) => states.has(record.state))
      .filter(({ key }) => after === undefined || compareBytes(key, after) < 0)
      .reverse()
      .slice(0, options.limit)
      .map(({ record }) => copyRecord(record));
  }

  async listNodesStartedBefore(
    states: readonly IntrospectionState[],
    threshold: Date,
  ): Promise<NodeRecord[]> {
    const limit = toStoredTimestamp(threshold);
    // As the DynamoDB store reads them: each state's records in ascending order, state after state;
    // a record without started_at never matches.
    return states.flatMap((state) =>
      this.#sorted((record) => record.state === state && record.startedAt !== null)
        .filter(({ key }) => compareBytes(key, limit) <= 0)
        .map(({ record }) => copyRecord(record)),
    );
  }

  async listStalledNodes(states: readonly IntrospectionState[], threshold: Date): Promise<NodeRecord[]> {
    // As the DynamoDB store reads them: each state's records in ascending listing order.
    return states.flatMap((state) =>
      this.#sorted((record) => {
        const progress = record.progressAt ?? record.startedAt;
        return record.state === state && progress !== null && progress.getTime() < threshold.getTime();
      }).map(({ record }) => copyRecord(record)),
    );
  }

  async anyUnfinished(states: readonly IntrospectionState[]): Promise<boolean> {
    return [...this.#nodes.values()].some(
      ({ record }) => states.includes(record.state) && record.finishedAt === null,
    );
  }

  async listNodeUuids(): Promise<string[]> {
    return STATES.flatMap((state) =>
      this.#sorted((record) => record.state === state).map(({ record }) => record.uuid),
    );
  }

  /** The node's entry if its record has version `expectedVersionId`; else the race error. */
  #current(uuid: string, expectedVersionId: string): NodeEntry {
    const entry = this.#nodes.get(uuid);
    if (entry === undefined || entry.record.versionId !== expectedVersionId) {
      throw new NodeStateRaceCondition();
    }
    return entry;
  }

  /**
   * {@link #current}, refusing also a write that would take the node past its child-item limit, with
   * the same error the DynamoDB store's condition gives.
   */
  #withRoom(uuid: string, expectedVersionId: string, adding: number): NodeEntry {
    const entry = this.#current(uuid, expectedVersionId);
    if (entry.attributes.size + entry.options.size + adding > MAX_CHILD_ITEMS_PER_NODE) {
      throw new NodeStateRaceCondition();
    }
    // A child write moves the record (its child count, in DynamoDB) but changes no state.
    entry.record = { ...entry.record, transition: undefined };
    return entry;
  }

  /** Records matching `keep` with their listing keys, in ascending key order. */
  #sorted(keep: (record: NodeRecord) => boolean): Array<{ key: string; record: NodeRecord }> {
    return [...this.#nodes.values()]
      .filter(({ record }) => keep(record))
      .map(({ record }) => ({ key: listOrderKey(record), record }))
      .sort((a, b) => compareBytes(a.key, b.key));
  }
}
