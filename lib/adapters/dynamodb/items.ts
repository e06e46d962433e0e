/**
 * Item <-> record mapping for the node cache table (`table.ts` shows the items): keys, the node record
 * item and its update expressions, lookup attribute and option items.
 *
 * @example
 * ```ts
 * const item = recordItem(record);  // { pk: 'NODE#<uuid>', sk: 'RECORD', … }
 * const same = toRecord(item);      // the record again
 * ```
 */
import * as z from 'zod';
import { STATES } from '#lib/domain/state-machine.ts';
import { fromStoredTimestamp, toStoredTimestamp } from '#lib/domain/timestamps.ts';
import { storedTransition, TRANSITION_ATTRIBUTE } from '#lib/events/state-changed.ts';
import { type IronicPort, ironicPortSchema } from '#lib/ports/ironic.ts';
import {
  type DueJob,
  type LookupAttributeRow,
  listOrderKey,
  type NodeRecord,
  type NodeRecordChanges,
} from '#lib/ports/node-store.ts';

/** A DynamoDB item as the document client reads and writes it. */
export type Item = Record<string, unknown>;

export const RECORD_SK = 'RECORD';
export const LEASE_SK = 'LEASE';
export const ATTR_PREFIX = 'ATTR#';
export const OPTION_PREFIX = 'OPTION#';

/** The partition of everything stored for a node. */
export function nodeKey(uuid: string): string {
  return `NODE#${uuid}`;
}

/** The primary key of a node's record. */
export function recordKey(uuid: string): { pk: string; sk: string } {
  return { pk: nodeKey(uuid), sk: RECORD_SK };
}

/** Whether a sort key is a child of the record: a lookup attribute or an option (not the lease). */
export function isChildSortKey(sk: string): boolean {
  return sk.startsWith(ATTR_PREFIX) || sk.startsWith(OPTION_PREFIX);
}

/** The outbox of a record (`due_job`), as stored: a map. */
const storedDueJob = z.discriminatedUnion('type', [
  z.object({ type: z.literal('introspect') }),
  z.object({ type: z.literal('process'), powerOff: z.boolean() }),
  z.object({ type: z.literal('finish'), powerOff: z.boolean() }),
  z.object({ type: z.literal('abort') }),
  z.object({ type: z.literal('reapply') }),
]);

const storedRecord = z.object({
  uuid: z.string(),
  version_id: z.string(),
  state: z.enum(STATES),
  started_at: z.string().optional(),
  finished_at: z.string().optional(),
  error: z.string().optional(),
  manage_boot: z.boolean().optional(),
  child_count: z.number().optional(),
  due_job: storedDueJob.optional(),
  progress_at: z.string().optional(),
  ironic_ports: z.string().optional(),
});

/**
 * The port snapshot (`ironic_ports`, JSON text: Ironic's port documents as they are, nulls included).
 * One that does not read back as ports is ignored: the callback then lists the ports from Ironic.
 */
function storedPorts(text: string | undefined): { ironicPorts?: IronicPort[] } {
  if (text === undefined) return {};
  try {
    const parsed = z.array(ironicPortSchema).safeParse(JSON.parse(text));
    return parsed.success ? { ironicPorts: parsed.data } : {};
  } catch {
    return {};
  }
}

/** A record item (or its `nodes-by-state` projection) as a {@link NodeRecord}. */
export function toRecord(item: Item): NodeRecord {
  const r = storedRecord.parse(item);
  return {
    uuid: r.uuid,
    versionId: r.version_id,
    state: r.state,
    startedAt: r.started_at === undefined ? null : fromStoredTimestamp(r.started_at),
    finishedAt: r.finished_at === undefined ? null : fromStoredTimestamp(r.finished_at),
    error: r.error ?? null,
    manageBoot: r.manage_boot ?? true,
    ...(r.due_job === undefined ? {} : { dueJob: r.due_job as DueJob }),
    ...(r.progress_at === undefined ? {} : { progressAt: fromStoredTimestamp(r.progress_at) }),
    ...storedPorts(r.ironic_ports),
  };
}

/** The record item of `record`, without `child_count` (the writer sets it). */
export function recordItem(record: NodeRecord): Item {
  return {
    ...recordKey(record.uuid),
    uuid: record.uuid,
    state: record.state,
    version_id: record.versionId,
    ...(record.startedAt === null ? {} : { started_at: toStoredTimestamp(record.startedAt) }),
    ...(record.finishedAt === null ? {} : { finished_at: toStoredTimestamp(record.finishedAt) }),
    ...(record.error === null ? {} : { error: record.error }),
    manage_boot: record.manageBoot,
    list_key: listOrderKey(record),
    ...(record.transition === undefined
      ? {}
      : { [TRANSITION_ATTRIBUTE]: storedTransition(record.transition) }),
    ...(record.dueJob === undefined ? {} : { due_job: { ...record.dueJob } }),
    ...(record.progressAt === undefined ? {} : { progress_at: toStoredTimestamp(record.progressAt) }),
    ...(record.ironicPorts === undefined ? {} : { ironic_ports: JSON.stringify(record.ironicPorts) }),
  };
}

/** An update expression with its attribute names and values. */
export interface RecordUpdate {
  readonly expression: string;
  readonly names: Record<string, string>;
  readonly values: Item;
}

/**
 * SET/REMOVE clauses for `changes` plus the new version (and `extraSet` clauses); `list_key` follows
 * `started_at`, so the listing index stays in step with the record; `transition` is set by a state
 * change and removed by every other write.
 *
 * @example
 * ```ts
 * recordUpdate(uuid, { state: 'error', finishedAt: null }, 'v2').expression;
 * // 'SET version_id = :version, #state = :state REMOVE #finished_at, #transition'
 * ```
 */
export function recordUpdate(
  uuid: string,
  changes: NodeRecordChanges,
  newVersionId: string,
  extraSet: readonly string[] = [],
): RecordUpdate {
  const set: string[] = ['version_id = :version', ...extraSet];
  const remove: string[] = [];
  const names: Record<string, string> = {};
  const values: Item = { ':version': newVersionId };
  const field = (attr: string, value: Item | string | null | undefined) => {
    if (value === undefined) return;
    names[`#${attr}`] = attr;
    if (value === null) remove.push(`#${attr}`);
    else {
      set.push(`#${attr} = :${attr}`);
      values[`:${attr}`] = value;
    }
  };
  field('state', changes.state);
  field('error', changes.error);
  field('finished_at', changes.finishedAt === undefined ? undefined : stored(changes.finishedAt));
  field('progress_at', changes.progressAt === undefined ? undefined : stored(changes.progressAt));
  field(
    'due_job',
    changes.dueJob === undefined || changes.dueJob === null ? changes.dueJob : { ...changes.dueJob },
  );
  if (changes.startedAt !== undefined) {
    field('started_at', stored(changes.startedAt));
    field('list_key', listOrderKey({ startedAt: changes.startedAt, uuid }));
  }
  // A state change stores itself for the table's stream; any other write drops the previous one, so
  // the stream (filtered on it) carries each state change exactly once.
  names['#transition'] = TRANSITION_ATTRIBUTE;
  if (changes.transition === undefined) remove.push('#transition');
  else {
    set.push('#transition = :transition');
    values[':transition'] = storedTransition(changes.transition);
  }
  // The port snapshot is good only until the next write: the callback that finds the node `waiting`
  // reads it; any later write (processing, a new start, an abort) must not leave it for another run.
  field('ironic_ports', changes.ironicPorts === undefined ? null : JSON.stringify(changes.ironicPorts));
  const expression = `SET ${set.join(', ')}${remove.length > 0 ? ` REMOVE ${remove.join(', ')}` : ''}`;
  return { expression, names, values };
}

function stored(date: Date | null): string | null {
  return date === null ? null : toStoredTimestamp(date);
}

/** The item of one lookup attribute row. */
export function attributeItem(uuid: string, row: LookupAttributeRow): Item {
  return {
    pk: nodeKey(uuid),
    sk: `${ATTR_PREFIX}${row.rowId}`,
    node_uuid: uuid,
    attr_name: row.name,
    attr_value: row.value,
  };
}

/** A lookup attribute item as its row. */
export function toLookupAttributeRow(item: Item): LookupAttributeRow {
  return {
    rowId: String(item.sk).slice(ATTR_PREFIX.length),
    name: String(item.attr_name),
    value: String(item.attr_value),
  };
}

/** The primary key of a node's option `name`. */
export function optionKey(uuid: string, name: string): { pk: string; sk: string } {
  return { pk: nodeKey(uuid), sk: `${OPTION_PREFIX}${name}` };
}
