/**
 * Upstream's `store_introspection_data` and `get_introspection_data`: a node's processed and
 * unprocessed data, one document each, in the introspection data store (S3 in AWS), without the
 * ramdisk's `logs`.
 *
 * @example
 * ```ts
 * await storeIntrospectionData(deps, uuid, data, { processed: false });
 * const raw = await getIntrospectionData(deps, uuid, { processed: false });
 * ```
 */
import { IntrospectionDataNotFound, InvalidIntrospectionData } from '#lib/domain/errors.ts';
import type { IntrospectionDataStore, IntrospectionDocument } from '#lib/ports/introspection-data-store.ts';
import type { Logger } from '#lib/ports/logger.ts';

/** Which of a node's two documents: processed (the default) or as the ramdisk sent it. */
export interface WhichData {
  readonly processed?: boolean;
}

/** What storing and reading introspection data need. */
export interface IntrospectionDataDeps {
  readonly introspectionData: IntrospectionDataStore;
  /** A UUID, or an Ironic node name, as its canonical UUID. */
  readonly resolveNodeId: (nodeId: string) => Promise<string>;
}

/**
 * Store introspection data (processed unless told otherwise) for a node, without its `logs` key.
 *
 * @throws InvalidIntrospectionData when `data` is not a JSON object
 */
export async function storeIntrospectionData(
  deps: IntrospectionDataDeps,
  nodeId: string,
  data: unknown,
  options: WhichData = {},
): Promise<void> {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new InvalidIntrospectionData(Array.isArray(data) ? 'list' : data === null ? 'None' : typeof data);
  }
  const { logs: _logs, ...withoutLogs } = data as IntrospectionDocument;
  const uuid = await deps.resolveNodeId(nodeId);
  await deps.introspectionData.put(uuid, options.processed ?? true, withoutLogs);
}

/**
 * Introspection data of a node (processed unless told otherwise).
 *
 * @throws IntrospectionDataNotFound "Introspection data not found for node <uuid>, processed=<True|False>"
 */
export async function getIntrospectionData(
  deps: IntrospectionDataDeps,
  nodeId: string,
  options: WhichData = {},
): Promise<IntrospectionDocument> {
  const processed = options.processed ?? true;
  const uuid = await deps.resolveNodeId(nodeId);
  const data = await deps.introspectionData.get(uuid, processed);
  if (data === undefined) throw new IntrospectionDataNotFound(uuid, processed);
  return data;
}

/**
 * Delete both documents of a node; a failure is logged, not thrown (the record it belonged to is
 * already gone or replaced, and a retry of the caller must not fail on it).
 */
export async function dropIntrospectionData(
  deps: { readonly introspectionData: IntrospectionDataStore; readonly logger: Logger },
  uuid: string,
): Promise<void> {
  try {
    await deps.introspectionData.deleteAll(uuid);
  } catch (err) {
    deps.logger.warn('Could not delete old introspection data', { node: uuid, error: String(err) });
  }
}
