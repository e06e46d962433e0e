/**
 * A node's children as its NodeInfo sees them: lookup attributes and options, loaded once and cached,
 * written under the record version the NodeInfo saw (`nodeInfo.attributes()`, `addAttribute()`,
 * `options()`, `setOption()` delegate here).
 *
 * @example
 * ```ts
 * const children = new NodeChildren({ uuid, nodes, now, versionId: () => nodeInfo.versionId() });
 * await children.addAttribute('mac', ['52:54:00:12:34:56']);
 * ```
 */
import {
  asList,
  canonicalLookupValue,
  newRowId,
  validateLookupValue,
} from '#lib/domain/lookup-attributes.ts';
import { assertChildItemRoom, type LookupAttributeRow, type NodeStore } from '#lib/ports/node-store.ts';

/** What a node's children need. */
export interface NodeChildrenOptions {
  readonly uuid: string;
  readonly nodes: NodeStore;
  readonly now: () => Date;
  /** The record version the owning NodeInfo saw; every write is conditioned on it. */
  readonly versionId: () => Promise<string>;
}

/** One node's lookup attributes and options. See the module comment. */
export class NodeChildren {
  readonly #options: NodeChildrenOptions;
  #attributes: Record<string, string[]> | undefined;
  #optionValues: Record<string, unknown> | undefined;

  constructor(options: NodeChildrenOptions) {
    this.#options = options;
  }

  /** Lookup attributes as name → values (row order), loaded once (with the options) and cached. */
  async attributes(): Promise<Record<string, string[]>> {
    if (this.#attributes === undefined) await this.#load();
    return this.#attributes as Record<string, string[]>;
  }

  /** Node options as name → value (JSON-decoded), loaded once (with the attributes) and cached. */
  async options(): Promise<Record<string, unknown>> {
    if (this.#optionValues === undefined) await this.#load();
    return this.#optionValues as Record<string, unknown>;
  }

  /** Both kinds of children in one read; a kind already cached (and perhaps changed here) stays. */
  async #load(): Promise<void> {
    const { attributes: rows, options } = await this.#options.nodes.getChildren(this.#options.uuid);
    if (this.#attributes === undefined) {
      this.#attributes = {};
      appendRows(this.#attributes, rows);
    }
    this.#optionValues ??= Object.fromEntries([...options].map(([name, json]) => [name, JSON.parse(json)]));
  }

  /**
   * Store lookup attribute rows: one per value, duplicates allowed, values in canonical form. The
   * record must still be the one this NodeInfo saw (else NodeStateRaceCondition).
   *
   * @throws InvalidLookupAttribute for an empty or over-long value, or when the node would hold more
   * lookup attributes and options than one transaction can drop
   */
  async addAttribute(name: string, value: string | readonly string[]): Promise<void> {
    const values = asList(value);
    if (values.length === 0) return;
    for (const v of values) validateLookupValue(name, v);
    await this.#checkRoom(values.length);
    const now = this.#options.now();
    const rows = values.map((v) => ({ rowId: newRowId(now), name, value: canonicalLookupValue(name, v) }));
    await this.#options.nodes.addLookupAttributes(this.#options.uuid, await this.#options.versionId(), rows);
    // #checkRoom loaded the rows before the write, and the node's lease (held by every caller that adds
    // lookup attributes) keeps other writers out: the cache plus these rows is what is stored.
    appendRows(await this.attributes(), rows);
  }

  /** Set one option (JSON-encoded); visible at once here and to new NodeInfo objects. */
  async setOption(name: string, value: unknown): Promise<void> {
    const json = JSON.stringify(value ?? null);
    const options = await this.options();
    if (!(name in options)) await this.#checkRoom(1);
    await this.#options.nodes.putOption(this.#options.uuid, await this.#options.versionId(), name, json);
    options[name] = JSON.parse(json);
  }

  async #checkRoom(adding: number): Promise<void> {
    const attributes = Object.values(await this.attributes()).reduce((n, values) => n + values.length, 0);
    assertChildItemRoom(attributes + Object.keys(await this.options()).length, adding);
  }

  /** Forget the cache (`empty`: the node has none any more, as after a finish). */
  reset(empty: boolean): void {
    this.#attributes = empty ? {} : undefined;
    this.#optionValues = empty ? {} : undefined;
  }
}

/** Add rows to lookup attributes held as name → values, in row order. */
function appendRows(attributes: Record<string, string[]>, rows: readonly LookupAttributeRow[]): void {
  for (const row of rows) {
    const values = attributes[row.name] ?? [];
    values.push(row.value);
    attributes[row.name] = values;
  }
}
