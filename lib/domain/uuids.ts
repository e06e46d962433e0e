/**
 * Node UUIDs as upstream accepts them: any case, hyphens optional (`uuidutils.is_uuid_like`), and one
 * canonical form (lower case, hyphenated) for storage and answers; and the node names Ironic accepts,
 * so that an identifier that can be neither is refused without asking Ironic.
 *
 * @example
 * ```ts
 * isUuidLike('0123456789ABCDEF0123456789ABCDEF');   // true
 * canonicalUuid('0123456789ABCDEF0123456789ABCDEF'); // '01234567-89ab-cdef-0123-456789abcdef'
 * isIronicName('../../etc');                         // false
 * ```
 */
import { InvalidNodeIdentifier } from '#lib/domain/errors.ts';

const UUID_LIKE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** Upstream's `uuidutils.is_uuid_like`: hyphens optional, any case. */
export function isUuidLike(value: string): boolean {
  return UUID_LIKE.test(value);
}

/** The canonical (lower-case, hyphenated) form of a UUID-like string. */
export function canonicalUuid(value: string): string {
  const hex = value.replaceAll('-', '').toLowerCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Ironic's `is_valid_logical_name` (API 1.10 on): 1–255 of RFC 3986's unreserved characters. `.` and
 * `..` match that too, but no URL can name them (a path's dot segments are resolved away).
 */
const IRONIC_NAME = /^[A-Za-z0-9._~-]{1,255}$/;

/** Whether Ironic could have a node by this name, reachable at `/v1/nodes/<name>`. */
export function isIronicName(value: string): boolean {
  return IRONIC_NAME.test(value) && value !== '.' && value !== '..';
}

/**
 * Check a node identifier from a caller before anything is asked of Ironic.
 *
 * @throws InvalidNodeIdentifier (400, Ironic's own text) when it is neither a UUID nor a node name
 */
export function assertNodeIdentifier(nodeId: string): void {
  if (!isUuidLike(nodeId) && !isIronicName(nodeId)) throw new InvalidNodeIdentifier(nodeId);
}
