/**
 * Timestamps as ironic-inspector keeps them: naive UTC, no offset.
 *
 * Stored form (DynamoDB): fixed width `YYYY-MM-DDTHH:MM:SS.ffffff`, so that string order is time order
 * and index sort keys built from it sort correctly. API form: Python's `isoformat()`, with the fraction
 * only when microseconds are non-zero and never a `Z`.
 *
 * @example
 * ```ts
 * toStoredTimestamp(new Date('2026-11-25T17:38:03Z')); // '2026-11-25T17:38:03.000000'
 * toApiTimestamp(new Date('2026-11-25T17:38:03Z'));    // '2026-11-25T17:38:03'
 * ```
 */

/** The fixed-width stored form (microseconds are JavaScript's milliseconds × 1000). */
export function toStoredTimestamp(date: Date): string {
  const iso = date.toISOString(); // 2026-11-25T17:38:03.123Z
  return `${iso.slice(0, 23)}000`;
}

/** Parses the stored form back into a Date. */
export function fromStoredTimestamp(value: string): Date {
  return new Date(`${value.slice(0, 23)}Z`);
}

/** Python `datetime.isoformat()` of a naive UTC datetime, as the v1 API shows it. */
export function toApiTimestamp(date: Date): string {
  const iso = date.toISOString();
  const millis = iso.slice(20, 23);
  return millis === '000' ? iso.slice(0, 19) : `${iso.slice(0, 19)}.${millis}000`;
}

/** Python's `str(datetime)` of a naive UTC datetime (a space, not `T`), as upstream messages print it. */
export function toPythonStr(date: Date): string {
  return toApiTimestamp(date).replace('T', ' ');
}
