/**
 * The node store port: node records (upstream's `nodes` table), lookup attributes (`attributes`) and
 * options (`options`). NodeInfo and the node cache are written against it; the DynamoDB adapter
 * (`lib/adapters/dynamodb/`) and the in-memory one (`lib/adapters/memory/`) implement it.
 *
 * @example
 * ```ts
 * const record = await store.getNode(uuid); // consistent read, or undefined
 * ```
 */
import { InvalidLookupAttribute } from '#lib/domain/errors.ts';
import type { IntrospectionEvent, IntrospectionState } from '#lib/domain/state-machine.ts';
import { toStoredTimestamp } from '#lib/domain/timestamps.ts';
import type { IronicPort } from '#lib/ports/ironic.ts';

/** A node record: one row of upstream's `nodes` table. */
export interface NodeRecord {
  readonly uuid: string;
  /**
   * Optimistic-lock token: every write is conditioned on it and sets a new one
   * (docs/design.md#optimistic-versions).
   */
  readonly versionId: string;
  readonly state: IntrospectionState;
  readonly startedAt: Date | null;
  readonly finishedAt: Date | null;
  readonly error: string | null;
  readonly manageBoot: boolean;
  /** Written with a record that starts an introspection (never read back). */
  readonly transition?: StateTransition;
  /**
   * The node's outbox (docs/design.md#recovery): the step the worker owes this node, written in the
   * same conditional write as the state change that made it due, and cleared (or replaced by the next
   * step) in the write that records its outcome. Absent when nothing is due.
   */
  readonly dueJob?: DueJob | undefined;
  /** When the node last recorded progress (a step became due or was done); absent with no step due. */
  readonly progressAt?: Date | undefined;
  /**
   * The node's Ironic ports as the start listed them, kept by the write that moves the node to
   * `waiting` and dropped by any other write: the ramdisk callback that finds the node in that state
   * uses them instead of listing the ports again (docs/design.md#port-snapshot).
   */
  readonly ironicPorts?: readonly IronicPort[] | undefined;
}

/**
 * A step the worker owes a node in a transient state: what the clean-up re-runs when the node's holder
 * died and its queued job was lost. It names no lease owner (any holder may run it) and no run (the
 * record's `started_at` is the run).
 */
export type DueJob =
  /** `starting`: MAC lookup attributes, PXE boot device, reboot, `wait`. */
  | { readonly type: 'introspect' }
  /** `processing` (or `enrolling`), processing not yet done: re-run it from the stored unprocessed data. */
  | { readonly type: 'process'; readonly powerOff: boolean }
  /** `processing`, processing done and its data stored: power off (when wanted) and `finish`. */
  | { readonly type: 'finish'; readonly powerOff: boolean }
  /** `aborting` (or a stranded node an operator aborted): power off, end with "Canceled by operator". */
  | { readonly type: 'abort' }
  /** `reapplying`: the pipeline on the stored unprocessed data, `finish`. */
  | { readonly type: 'reapply' };

/** Fields of a node record a write may change. */
export interface NodeRecordChanges {
  state?: IntrospectionState;
  startedAt?: Date | null;
  finishedAt?: Date | null;
  error?: string | null;
  /** The state change this write makes; a write without one is no state change. */
  transition?: StateTransition;
  /** The step now due (null: none). */
  dueJob?: DueJob | null;
  progressAt?: Date | null;
  /** The ports the node was set up with (a write to `waiting`); a write without them drops them. */
  ironicPorts?: readonly IronicPort[];
}

/**
 * One state change (an event processed, even a self-loop), as the write that makes it stores it on
 * the record: the table's stream publishes exactly the record versions that carry one (the stream
 * filter keys on it, so every other write of the record must drop it). Values are complete: the
 * events are built from this alone.
 */
export interface StateTransition {
  /** The event; records created directly in a state (`record_node`, discovery) say `start`. */
  readonly event: IntrospectionEvent;
  /** The state before, or null when the node had no record. */
  readonly previousState: IntrospectionState | null;
  readonly state: IntrospectionState;
  readonly error: string | null;
  readonly startedAt: Date | null;
  readonly finishedAt: Date | null;
  /** When the change was made. */
  readonly at: Date;
}

/** One lookup attribute row (upstream's `attributes` table): duplicates are allowed. */
export interface LookupAttributeRow {
  /** Row id; sorts in insertion order, so `attributes` keeps upstream's row order. */
  readonly rowId: string;
  readonly name: string;
  readonly value: string;
}

/** A node's lookup attribute rows (insertion order) and options (name → JSON text). */
export interface NodeChildRows {
  readonly attributes: LookupAttributeRow[];
  readonly options: Map<string, string>;
}

/** The keyset position of a node in the listing order (`started_at` DESC, `uuid` DESC). */
export interface ListPosition {
  readonly startedAt: Date | null;
  readonly uuid: string;
}

/**
 * Most lookup attributes plus options one node may hold. A replaced record's old and new children
 * plus the record itself (48 + 48 + 1) then always fit DynamoDB's 100-item transaction, which keeps
 * `add_node` and `finished()` single transactions. Real nodes hold one or two BMC addresses and a
 * MAC per NIC.
 */
export const MAX_CHILD_ITEMS_PER_NODE = 48;

/**
 * Refuse a write that would give a node more than {@link MAX_CHILD_ITEMS_PER_NODE} lookup attributes
 * and options: the check callers make before writing, so that a client gets a clear 400 instead of the
 * store's race error (the store enforces the limit too, for writers that raced past this check).
 *
 * @throws InvalidLookupAttribute when `held + adding` is over the limit
 * @example
 * ```ts
 * assertChildItemRoom(attributeCount + optionCount, 1); // before setting a new option
 * ```
 */
export function assertChildItemRoom(held: number, adding: number): void {
  if (held + adding > MAX_CHILD_ITEMS_PER_NODE) {
    throw new InvalidLookupAttribute(
      'count',
      `a node holds at most ${MAX_CHILD_ITEMS_PER_NODE} lookup attributes and options together`,
    );
  }
}

/**
 * The listing order as one string: `<started_at>#<uuid>` (fixed-width timestamps, so string order is
 * time order; a record without `started_at` sorts below every dated one). Stores order by it, byte by
 * byte, and a keyset position `after` means "strictly below this key".
 *
 * @example
 * ```ts
 * listOrderKey({ startedAt: null, uuid: 'u1' }); // '#u1'
 * ```
 */
export function listOrderKey(position: ListPosition): string {
  return `${position.startedAt === null ? '' : toStoredTimestamp(position.startedAt)}#${position.uuid}`;
}

/** Node records, lookup attributes and options. Implemented over DynamoDB and in memory. */
export interface NodeStore {
  /** The node record, read consistently; undefined when there is none. */
  getNode(uuid: string): Promise<NodeRecord | undefined>;

  /** The node's lookup attribute rows in insertion order (consistent read). */
  getLookupAttributes(uuid: string): Promise<LookupAttributeRow[]>;

  /** The node's options as name → JSON text (consistent read). */
  getOptions(uuid: string): Promise<Map<string, string>>;

  /** Both of the above in one read: a NodeInfo that needs one kind usually needs the other. */
  getChildren(uuid: string): Promise<NodeChildRows>;

  /**
   * Replace everything stored for `record.uuid` (record, lookup attributes, options) with `record`
   * and `attributes`, atomically. `expectedVersionId` is the version the caller saw, or null when it
   * saw no record; if the stored record differs, nothing is written and NodeStateRaceCondition is thrown.
   */
  replaceNode(
    record: NodeRecord,
    attributes: readonly LookupAttributeRow[],
    expectedVersionId: string | null,
  ): Promise<void>;

  /** Change fields of a record whose version is `expectedVersionId`, setting `newVersionId`. */
  updateNode(
    uuid: string,
    expectedVersionId: string,
    changes: NodeRecordChanges,
    newVersionId: string,
  ): Promise<void>;

  /**
   * `finished()`: change the record as {@link updateNode} does and delete all its lookup attributes and
   * options, atomically.
   */
  finishNode(
    uuid: string,
    expectedVersionId: string,
    changes: NodeRecordChanges,
    newVersionId: string,
  ): Promise<void>;

  /** Add lookup attribute rows to a node whose record still has version `expectedVersionId`. */
  addLookupAttributes(
    uuid: string,
    expectedVersionId: string,
    rows: readonly LookupAttributeRow[],
  ): Promise<void>;

  /** Set one option (JSON text) of a node whose record still has version `expectedVersionId`. */
  putOption(uuid: string, expectedVersionId: string, name: string, json: string): Promise<void>;

  /** Delete the record, lookup attributes and options of a node (not its lease). */
  deleteNode(uuid: string): Promise<void>;

  /** UUIDs of the nodes holding a lookup attribute row `(name, value)`, one entry per row. */
  findNodesByLookupAttribute(name: string, value: string): Promise<string[]>;

  /** Every value of lookup attributes called `name`, on any node. */
  listLookupAttributeValues(name: string): Promise<string[]>;

  /**
   * Node records in the listing order (`started_at` DESC, `uuid` DESC), restricted to `states`,
   * strictly after `after`, at most `limit`.
   */
  listNodes(options: {
    states: readonly IntrospectionState[];
    after?: ListPosition;
    limit: number;
  }): Promise<NodeRecord[]>;

  /** Records in `states` whose `started_at` is strictly before `threshold` (clean-up candidates). */
  listNodesStartedBefore(states: readonly IntrospectionState[], threshold: Date): Promise<NodeRecord[]>;

  /**
   * Records in `states` whose last progress (`progressAt`, else `startedAt`) is strictly before
   * `threshold`: the recovery's candidates. Reads the state index's partitions of `states` only (the
   * transient states, which hold only the nodes being worked on), never the whole table.
   */
  listStalledNodes(states: readonly IntrospectionState[], threshold: Date): Promise<NodeRecord[]>;

  /** Whether any record in `states` has no `finished_at`. */
  anyUnfinished(states: readonly IntrospectionState[]): Promise<boolean>;

  /** Every cached node UUID (only the periodic Ironic sync pages through all nodes). */
  listNodeUuids(): Promise<string[]>;
}
