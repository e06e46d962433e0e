/**
 * Booleans written as strings, as oslo's `strutils.bool_from_string` reads them: the words upstream
 * accepts for true and false, in one place (query parameters, root device hints, driver_info flags).
 *
 * @example
 * ```ts
 * parseBooleanString(' Yes ');  // true
 * parseBooleanString('off');    // false
 * parseBooleanString('maybe');  // undefined
 * ```
 */

const TRUE_STRINGS: readonly string[] = ['1', 't', 'true', 'on', 'y', 'yes'];
const FALSE_STRINGS: readonly string[] = ['0', 'f', 'false', 'off', 'n', 'no'];

/** true or false for a word upstream accepts (any case, surrounding spaces ignored); else undefined. */
export function parseBooleanString(value: string): boolean | undefined {
  const word = value.trim().toLowerCase();
  if (TRUE_STRINGS.includes(word)) return true;
  if (FALSE_STRINGS.includes(word)) return false;
  return undefined;
}
