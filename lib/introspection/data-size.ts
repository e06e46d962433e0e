/**
 * Whether introspection data could be read back through the API once processed: `GET …/data` answers
 * the processed document whole or not at all (413 over `MAX_BODY_BYTES`), so data whose processed
 * form would be larger is refused before anything is stored or written to Ironic
 * (docs/design.md#input-limits).
 *
 * The processed document is the pre-processed data (`all_interfaces`, `interfaces`, `macs` already
 * added) without `logs`, plus what the update hooks add: the root disk (one of the inventory's
 * disks), the CPU architecture, and a few numbers.
 *
 * @example
 * ```ts
 * pipeline.preprocess(data);
 * assertReadableBack(data, config.maxBodyBytes); // 413 ProcessedDataTooLarge when it could not be
 * ```
 */
import { ProcessedDataTooLarge } from '#lib/domain/errors.ts';
import type { IntrospectionDocument } from '#lib/ports/introspection-data-store.ts';

/** Room for the update hooks' numbers and the keys they add. */
const HOOK_NUMBERS_BYTES = 256;

function jsonBytes(value: unknown): number {
  const text = JSON.stringify(value);
  return text === undefined ? 0 : Buffer.byteLength(text, 'utf8');
}

/** An upper bound of the processed document's size in bytes, for pre-processed `data`. */
export function processedSizeBound(data: IntrospectionDocument): number {
  const { logs: _logs, ...stored } = data;
  const inventory = (
    typeof data.inventory === 'object' && data.inventory !== null ? data.inventory : {}
  ) as Record<string, unknown>;
  const disks: unknown[] = Array.isArray(inventory.disks) ? inventory.disks : [];
  const largestDisk = disks.reduce<number>((largest, disk) => Math.max(largest, jsonBytes(disk)), 0);
  const cpu = (typeof inventory.cpu === 'object' && inventory.cpu !== null ? inventory.cpu : {}) as {
    architecture?: unknown;
  };
  return jsonBytes(stored) + largestDisk + jsonBytes(String(cpu.architecture)) + HOOK_NUMBERS_BYTES;
}

/**
 * @throws ProcessedDataTooLarge (413) when the processed form of `data` could be larger than `maxBytes`
 */
export function assertReadableBack(data: IntrospectionDocument, maxBytes: number): void {
  const bytes = processedSizeBound(data);
  if (bytes > maxBytes) throw new ProcessedDataTooLarge(bytes, maxBytes);
}
