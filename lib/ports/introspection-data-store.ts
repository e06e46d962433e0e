/**
 * The introspection data port: processed and unprocessed data, one document each per node. Implemented
 * over S3 and in memory.
 *
 * @example
 * ```ts
 * await data.put(uuid, true, processed);
 * ```
 */
/** A JSON object: what the ramdisk posts and what processing produces. */
export type IntrospectionDocument = Record<string, unknown>;

/** Introspection data, processed and unprocessed, one object each per node. Implemented over S3. */
export interface IntrospectionDataStore {
  put(uuid: string, processed: boolean, data: IntrospectionDocument): Promise<void>;
  /** The stored document, or undefined when there is none. */
  get(uuid: string, processed: boolean): Promise<IntrospectionDocument | undefined>;
  /** Delete both documents of a node (absent ones are fine). */
  deleteAll(uuid: string): Promise<void>;
}
