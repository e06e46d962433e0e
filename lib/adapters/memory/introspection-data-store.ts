/**
 * Introspection data in memory. Documents are kept as JSON text, so what comes back is what S3 would
 * give back: a fresh copy, with anything JSON cannot carry (undefined values) dropped.
 *
 * @example
 * ```ts
 * const data = new MemoryIntrospectionDataStore();
 * await data.put(uuid, true, { inventory: {} });
 * await data.get(uuid, true); // { inventory: {} }
 * ```
 */
import type { IntrospectionDataStore, IntrospectionDocument } from '#lib/ports/introspection-data-store.ts';

/** In-memory implementation of {@link IntrospectionDataStore}. */
export class MemoryIntrospectionDataStore implements IntrospectionDataStore {
  readonly #documents = new Map<string, string>();

  async put(uuid: string, processed: boolean, data: IntrospectionDocument): Promise<void> {
    this.#documents.set(documentKey(uuid, processed), JSON.stringify(data));
  }

  async get(uuid: string, processed: boolean): Promise<IntrospectionDocument | undefined> {
    const text = this.#documents.get(documentKey(uuid, processed));
    return text === undefined ? undefined : (JSON.parse(text) as IntrospectionDocument);
  }

  async deleteAll(uuid: string): Promise<void> {
    this.#documents.delete(documentKey(uuid, true));
    this.#documents.delete(documentKey(uuid, false));
  }
}

function documentKey(uuid: string, processed: boolean): string {
  return `${processed ? 'processed' : 'unprocessed'}/${uuid}`;
}
