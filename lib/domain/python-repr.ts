/**
 * Python's `repr()` of the values upstream's messages print (lists, strings, dicts, type names), so
 * that error texts read exactly as ironic-inspector's.
 *
 * @example
 * ```ts
 * pyList(['a', 'b']);                       // "['a', 'b']"
 * pyAttributes({ mac: ['aa:bb'] });          // "{'mac': ['aa:bb']}"
 * pyType([1]);                               // 'list'
 * ```
 */

/** Python's repr of a list of strings, as upstream messages print them: `['a', 'b']`. */
export function pyList(values: readonly string[]): string {
  return `[${values.map(pyStr).join(', ')}]`;
}

/** Python's repr of a str (single quotes unless the text holds one). */
export function pyStr(value: string): string {
  if (value.includes("'") && !value.includes('"')) return `"${value}"`;
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

/** Python's repr of a lookup attribute dict such as `{'bmc_address': ['1.2.3.4'], 'mac': ['aa:…']}`. */
export function pyAttributes(attributes: Readonly<Record<string, unknown>>): string {
  const items = Object.entries(attributes).map(([name, value]) => `${pyStr(name)}: ${pyValue(value)}`);
  return `{${items.join(', ')}}`;
}

/** Python's type name of a JSON value, for "expected a JSON object, got <type>". */
export function pyType(value: unknown): string {
  if (value === null || value === undefined) return 'NoneType';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (typeof value === 'string') return 'str';
  if (typeof value === 'boolean') return 'bool';
  return 'dict';
}

/** Python's repr of a JSON-like value (dicts, lists, str, numbers, booleans, None). */
export function pyValue(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'string') return pyStr(value);
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (Array.isArray(value)) return `[${value.map(pyValue).join(', ')}]`;
  if (typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${pyStr(k)}: ${pyValue(v)}`)
      .join(', ')}}`;
  }
  return String(value);
}
