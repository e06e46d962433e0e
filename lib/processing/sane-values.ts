/**
 * The checks the hooks make on the sizes and counts they will write to Ironic, before anything is
 * written (docs/design.md#one-patch): a value Ironic would refuse, or one no machine has, fails the
 * callback with a 400 naming the field instead of a half-written node or a nonsense property.
 *
 * @example
 * ```ts
 * saneCount(inventory.cpu.count, 'inventory.cpu.count', MAX_CPUS); // throws for -4, 1e308, "four"
 * ```
 */
import { InspectorError } from '#lib/domain/errors.ts';
import { pyValue } from '#lib/domain/python-repr.ts';

/** More CPUs than any machine has. */
export const MAX_CPUS = 100_000;
/** More memory (MiB) than any machine has: about a petabyte. */
export const MAX_MEMORY_MB = 1_000_000_000;
/** A disk size (bytes) beyond exact integers is no disk. */
export const MAX_DISK_BYTES = Number.MAX_SAFE_INTEGER;

/**
 * A reported count or size as a positive whole number no larger than `max`; absent (null/undefined)
 * stays absent, for the hook to warn about as before.
 *
 * @throws InspectorError naming `field` for anything else
 */
export function saneCount(value: unknown, field: string, max: number): number | undefined {
  if (value === undefined || value === null) return undefined;
  const number =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^\s*\d+\s*$/.test(value)
        ? Number(value)
        : NaN;
  if (!Number.isInteger(number) || number < 1 || number > max) {
    throw new InspectorError(
      `Invalid inventory: "${field}" must be a whole number from 1 to ${max}, got ${pyValue(value)}`,
    );
  }
  return number;
}

/**
 * A disk size in bytes: a finite number from 0 to {@link MAX_DISK_BYTES}.
 *
 * @throws InspectorError naming `field` for anything else
 */
export function saneDiskSize(value: unknown, field: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_DISK_BYTES) {
    throw new InspectorError(
      `Invalid inventory: "${field}" must be a size in bytes from 0 to ${MAX_DISK_BYTES}, got ${pyValue(value)}`,
    );
  }
}
