/**
 * Upstream's `add_node` and `start_introspection`: store a node under introspection, replacing
 * whatever was stored for it, in one conditional transaction.
 *
 * @example
 * ```ts
 * const nodeInfo = await startIntrospection(deps, uuid, { attributes: { bmc_address: ['10.0.0.5'] } });
 * ```
 */
import { randomUUID } from 'node:crypto';
import {
  canonicalLookupValue,
  isEmptyInput,
  type LookupAttributeInput,
  newRowId,
  validateLookupValue,
} from '#lib/domain/lookup-attributes.ts';
import type { IntrospectionState } from '#lib/domain/state-machine.ts';
import { dropIntrospectionData } from '#lib/node/introspection-data.ts';
import type { NodeInfo, NodeInfoFactory } from '#lib/node/node-info.ts';
import { stateTransition, transition } from '#lib/node/transition.ts';
import type { IntrospectionDataStore } from '#lib/ports/introspection-data-store.ts';
import type { IronicNode } from '#lib/ports/ironic.ts';
import type { Logger } from '#lib/ports/logger.ts';
import type { MetricsSink } from '#lib/ports/metrics.ts';
import {
  assertChildItemRoom,
  type DueJob,
  type LookupAttributeRow,
  type NodeRecord,
  type NodeStore,
} from '#lib/ports/node-store.ts';

/** Lookup attributes for `add_node`/`start_introspection`: name → value or values. */
export type LookupAttributes = Readonly<Record<string, LookupAttributeInput>>;

/** Options of {@link addNode}. */
export interface AddNodeOptions {
  readonly manageBoot?: boolean;
  readonly attributes?: LookupAttributes;
  /**
   * The record version the caller saw (null: it saw none). When omitted, add_node reads it first. The
   * replacement is conditioned on it, so two concurrent starts of one node cannot both win.
   */
  readonly expectedVersionId?: string | null;
  /** The state of the record the caller saw (with `expectedVersionId`), for the state change's event. */
  readonly previousState?: IntrospectionState | null;
  /** The Ironic node, when the caller has it already (attached to the returned NodeInfo). */
  readonly node?: IronicNode;
  /**
   * The step the worker owes the new record (docs/design.md#recovery), and from when it is expected
   * (default: now; a start's power slot may be later).
   */
  readonly dueJob?: DueJob;
  readonly progressAt?: Date;
}

/** What add_node needs. */
export interface AddNodeDeps {
  readonly nodes: Pick<NodeStore, 'getNode' | 'replaceNode'>;
  readonly introspectionData: IntrospectionDataStore;
  readonly now: () => Date;
  readonly logger: Logger;
  readonly nodeInfo: NodeInfoFactory;
}

/**
 * Store a node under introspection, dropping everything stored for it before (record, lookup
 * attributes, options) in the same transaction, then its introspection data. Empty attribute values
 * are skipped. The lock is not taken.
 *
 * @throws NodeStateRaceCondition when the record changed since the version the caller saw
 * @throws InvalidLookupAttribute for values the lookup index cannot hold
 */
export async function addNode(
  deps: AddNodeDeps,
  uuid: string,
  state: IntrospectionState,
  options: AddNodeOptions = {},
): Promise<NodeInfo> {
  const now = deps.now();
  const rows: LookupAttributeRow[] = [];
  for (const [name, value] of Object.entries(options.attributes ?? {})) {
    if (isEmptyInput(value)) continue;
    for (const v of typeof value === 'string' ? [value] : value) {
      validateLookupValue(name, v);
      rows.push({ rowId: newRowId(now), name, value: canonicalLookupValue(name, v) });
    }
  }
  assertChildItemRoom(0, rows.length);
  let expected: string | null;
  let previousState: IntrospectionState | null;
  if (options.expectedVersionId !== undefined) {
    expected = options.expectedVersionId;
    previousState = options.previousState ?? null;
  } else {
    const current = await deps.nodes.getNode(uuid);
    expected = current?.versionId ?? null;
    previousState = current?.state ?? null;
  }
  const record: NodeRecord = {
    uuid,
    versionId: randomUUID(),
    state,
    startedAt: now,
    finishedAt: null,
    error: null,
    manageBoot: options.manageBoot ?? true,
    // A new introspection (start, record_node, discovery, enrolling): reported as `start`.
    transition: stateTransition(
      'start',
      previousState,
      state,
      { error: null, startedAt: now, finishedAt: null },
      now,
    ),
    ...(options.dueJob === undefined
      ? {}
      : { dueJob: options.dueJob, progressAt: options.progressAt ?? now }),
  };
  await deps.nodes.replaceNode(record, rows, expected);
  // Upstream's database store drops the old data with the record. S3 is not part of the DynamoDB
  // transaction: the data goes only once the new record is committed, so a start that lost a race
  // deletes nothing (the bucket is versioned in AWS, so even this is recoverable). A node without a
  // record has no data to drop (every removal of a record drops its data first), so its first start
  // sends no deletes.
  if (expected !== null) await dropIntrospectionData(deps, uuid);
  return deps.nodeInfo(uuid, { ...record, node: options.node });
}

/**
 * Start introspection of a node: check `start` on the existing record, then replace the record with a
 * new one in `starting`. A node with no record starts directly.
 *
 * @throws NodeStateInvalidEvent when `start` is invalid in the node's state (nothing is replaced)
 * @throws NodeStateRaceCondition when another writer changed the record in between
 */
export async function startIntrospection(
  deps: AddNodeDeps & { readonly metrics?: MetricsSink | undefined },
  uuid: string,
  options: Omit<AddNodeOptions, 'expectedVersionId' | 'previousState'> = {},
): Promise<NodeInfo> {
  // One conditional replacement, not a `start` write followed by add_node: a start that fails half
  // way (bad attribute, race, crash) must not leave the old record in `starting`, where nothing
  // could move it again.
  const current = await deps.nodes.getNode(uuid);
  if (current !== undefined) transition(current.state, 'start', { logger: deps.logger, uuid });
  const nodeInfo = await addNode(deps, uuid, 'starting', {
    ...options,
    expectedVersionId: current?.versionId ?? null,
    previousState: current?.state ?? null,
  });
  deps.metrics?.count('IntrospectionsStarted');
  return nodeInfo;
}
