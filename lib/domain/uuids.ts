/**
 * Node UUIDs as upstream accepts them: any case, hyphens optional (`uuidutils.is_uuid_like`), and one
 * canonical form (lower case, hyphenated) for storage and answers.
 *
 * @example
 * ```ts
 * isUuidLike('0123456789ABCDEF0123456789ABCDEF');   // true
 * canonicalUuid('0123456789ABCDEF0123456789ABCDEF'); // '01234567-89ab-cdef-0123-456789abcdef'
 * ```
 */

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
