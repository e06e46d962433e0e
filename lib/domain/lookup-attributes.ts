/**
 * Lookup attributes: what the node cache matches a ramdisk callback against. Upstream uses two names,
 * `bmc_address` and `mac`; any name is stored.
 *
 * Values are compared in one canonical form on both sides (docs/design.md#lookup-scoring): MACs lower-case, IPv6
 * BMC addresses in canonical compressed form.
 *
 * @example
 * ```ts
 * canonicalLookupValue('mac', 'AA:BB:CC:DD:EE:FF');          // 'aa:bb:cc:dd:ee:ff'
 * canonicalLookupValue('bmc_address', 'FD00:0:0:0::0001');   // 'fd00::1'
 * ```
 */
import { isIP, isIPv6 } from 'node:net';
import { InvalidLookupAttribute } from '#lib/domain/errors.ts';

/** DynamoDB index sort keys hold at most 1024 bytes. */
export const MAX_VALUE_BYTES = 1024;

/** Whether a value fits the lookup index: a longer one can be neither stored nor looked up. */
export function fitsLookupIndex(value: string): boolean {
  return Buffer.byteLength(value, 'utf8') <= MAX_VALUE_BYTES;
}

/** A lookup attribute value as given: one value or several; empty ones are skipped by `add_node`. */
export type LookupAttributeInput = string | readonly string[] | null | undefined;

/** The canonical form of a value of lookup attribute `name`. */
export function canonicalLookupValue(name: string, value: string): string {
  if (name === 'mac') return value.toLowerCase();
  if (name === 'bmc_address') {
    const bare = value.startsWith('[') && value.endsWith(']') ? value.slice(1, -1) : value;
    if (isIPv6(bare)) return new URL(`http://[${bare}]/`).hostname.slice(1, -1);
  }
  return value;
}

/** Whether an IP address is a loopback one (127.0.0.0/8, ::1 in any spelling). */
export function isLoopbackIp(ip: string): boolean {
  if (isIP(ip) === 4) return ip.startsWith('127.');
  if (isIPv6(ip)) return new URL(`http://[${ip}]/`).hostname === '[::1]';
  return false;
}

/**
 * Check a value before it is stored.
 *
 * @throws InvalidLookupAttribute when the value is empty or too long for the lookup index
 */
export function validateLookupValue(name: string, value: string): void {
  if (typeof value !== 'string' || value === '') {
    throw new InvalidLookupAttribute(name, 'the value must be a non-empty string');
  }
  if (!fitsLookupIndex(value)) {
    throw new InvalidLookupAttribute(name, `the value is longer than ${MAX_VALUE_BYTES} bytes`);
  }
}

/** Wrap a scalar in a list; drop nothing (upstream's `add_attribute`). */
export function asList(value: string | readonly string[]): string[] {
  return typeof value === 'string' ? [value] : [...value];
}

/** Whether an `add_node`/`find_node` value is "falsy" in Python's sense (None, '', []). */
export function isEmptyInput(value: LookupAttributeInput): value is null | undefined | '' {
  return value === null || value === undefined || value.length === 0;
}

let sequence = 0;

/** A row id that sorts in creation order within a process, and is unique across processes. */
export function newRowId(now: Date): string {
  sequence = (sequence + 1) % 1679616;
  const time = now.getTime().toString(36).padStart(9, '0');
  const seq = sequence.toString(36).padStart(4, '0');
  const random = crypto.randomUUID().slice(0, 8);
  return `${time}${seq}${random}`;
}
