/**
 * The few Python semantics introspection rules are defined in: `str()` and `repr()` of JSON values,
 * `int()`/`float()` coercion, `==` and ordering between JSON values, and truthiness. Rules written
 * for ironic-inspector compare, coerce and print values exactly this way.
 *
 * A JSON number whose value is integral is a Python `int` here (JSON text cannot tell `1.0` from `1`
 * once parsed); any other number is a `float`.
 *
 * @example
 * ```ts
 * pyStr(true);                  // 'True'
 * pyRepr({ a: [1, 'x'] });      // "{'a': [1, 'x']}"
 * pyInt(' 42 ');                // 42
 * pyCompare('<', 1, 'a');       // throws PythonError TypeError
 * ```
 */

/** A Python exception, by class name and text (as `str(exc)` prints it). */
export class PythonError extends Error {
  readonly pyType:
    | 'TypeError'
    | 'ValueError'
    | 'KeyError'
    | 'IndexError'
    | 'AttributeError'
    | 'OverflowError';

  constructor(pyType: PythonError['pyType'], message: string) {
    super(message);
    this.name = pyType;
    this.pyType = pyType;
  }
}

/** Python's type name of a JSON value. */
export function pyTypeName(value: unknown): string {
  if (value === null || value === undefined) return 'NoneType';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (typeof value === 'string') return 'str';
  if (Array.isArray(value)) return 'list';
  return 'dict';
}

/** Python's `repr()` of a float (shortest round-trip digits, Python's exponent rules). */
export function pyFloatRepr(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  if (Number.isInteger(value) && Math.abs(value) < 1e16) return `${value}.0`;
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e16)) {
    const [mantissa, exponent] = value.toExponential().split('e') as [string, string];
    const sign = exponent.startsWith('-') ? '-' : '+';
    const digits = exponent.replace(/^[+-]/, '').padStart(2, '0');
    return `${mantissa}e${sign}${digits}`;
  }
  return String(value);
}

/** Python's `repr()` of a number: integral values as `int`, others as `float`. */
export function pyNumberRepr(value: number): string {
  return Number.isInteger(value) ? BigInt(value).toString() : pyFloatRepr(value);
}

/** Python's `repr()` of a str: single quotes unless only double quotes avoid escaping. */
export function pyStrRepr(value: string): string {
  const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of value) {
    const code = ch.codePointAt(0) as number;
    if (ch === quote || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code >= 0x80 && code < 0xa0) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + quote;
}

/** Python's `repr()` of a JSON value. */
export function pyRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return pyNumberRepr(value);
  if (typeof value === 'string') return pyStrRepr(value);
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  const entries = Object.entries(value as Record<string, unknown>);
  return `{${entries.map(([k, v]) => `${pyStrRepr(k)}: ${pyRepr(v)}`).join(', ')}}`;
}

/** Python's `str()` of a JSON value: a str as itself, anything else as its `repr()`. */
export function pyStr(value: unknown): string {
  return typeof value === 'string' ? value : pyRepr(value);
}

/** Python's truthiness of a JSON value. */
export function pyTruthy(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'string') return value !== '';
  if (Array.isArray(value)) return value.length > 0;
  return Object.keys(value as object).length > 0;
}

/** Python's `str.strip()`: whitespace, and the separators U+001C–U+001F and U+0085 Python counts too. */
function pyStrip(text: string): string {
  const blank = (ch: string) => /\s/.test(ch) || ch === '\u0085' || (ch >= '\u001c' && ch <= '\u001f');
  let start = 0;
  let end = text.length;
  while (start < end && blank(text[start] as string)) start++;
  while (end > start && blank(text[end - 1] as string)) end--;
  return text.slice(start, end);
}

/** Python's `int(value)` for a JSON value. */
export function pyInt(value: unknown): number {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) {
      throw Number.isNaN(value)
        ? new PythonError('ValueError', 'cannot convert float NaN to integer')
        : new PythonError('OverflowError', 'cannot convert float infinity to integer');
    }
    return Math.trunc(value);
  }
  if (typeof value === 'string') {
    const text = pyStrip(value);
    if (/^[+-]?\d+(?:_\d+)*$/.test(text)) return Number(text.replaceAll('_', ''));
    throw new PythonError('ValueError', `invalid literal for int() with base 10: ${pyStrRepr(value)}`);
  }
  throw new PythonError(
    'TypeError',
    `int() argument must be a string, a bytes-like object or a real number, not '${pyTypeName(value)}'`,
  );
}

const FLOAT_TEXT =
  /^[+-]?(?:(?:\d+(?:_\d+)*)(?:\.(?:\d+(?:_\d+)*)?)?|\.\d+(?:_\d+)*)(?:[eE][+-]?\d+(?:_\d+)*)?$/;

/** Python's `float(value)` for a JSON value. */
export function pyFloat(value: unknown): number {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    const text = pyStrip(value);
    const lower = text.toLowerCase();
    const special = /^([+-]?)(inf|infinity|nan)$/.exec(lower);
    if (special) {
      if (special[2] === 'nan') return Number.NaN;
      return special[1] === '-' ? -Infinity : Infinity;
    }
    if (FLOAT_TEXT.test(text)) return Number(text.replaceAll('_', ''));
    throw new PythonError('ValueError', `could not convert string to float: ${pyStrRepr(value)}`);
  }
  throw new PythonError(
    'TypeError',
    `float() argument must be a string or a real number, not '${pyTypeName(value)}'`,
  );
}

const isNumeric = (v: unknown): v is number | boolean => typeof v === 'number' || typeof v === 'boolean';
const asNumber = (v: number | boolean): number => (typeof v === 'boolean' ? (v ? 1 : 0) : v);

/** Python's `a == b` between JSON values (`True == 1`, lists and dicts structurally). */
export function pyEquals(a: unknown, b: unknown): boolean {
  if (isNumeric(a) && isNumeric(b)) return asNumber(a) === asNumber(b);
  if ((a === null || a === undefined) && (b === null || b === undefined)) return true;
  if (typeof a === 'string' && typeof b === 'string') return a === b;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => pyEquals(item, b[i]));
  }
  if (isDict(a) && isDict(b)) {
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    return keys.every((k) => Object.hasOwn(b, k) && pyEquals(a[k], b[k]));
  }
  return false;
}

function isDict(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Compare strings by code point, as Python does. */
function compareStrings(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = ((x[i] as string).codePointAt(0) ?? 0) - ((y[i] as string).codePointAt(0) ?? 0);
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/** Python ordering: negative, zero or positive; TypeError for types Python does not order. */
function order(op: string, a: unknown, b: unknown): number {
  if (isNumeric(a) && isNumeric(b)) {
    const x = asNumber(a);
    const y = asNumber(b);
    return x < y ? -1 : x > y ? 1 : x === y ? 0 : Number.NaN;
  }
  if (typeof a === 'string' && typeof b === 'string') return compareStrings(a, b);
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      if (!pyEquals(a[i], b[i])) return order(op, a[i], b[i]);
    }
    return a.length - b.length;
  }
  throw new PythonError(
    'TypeError',
    `'${op}' not supported between instances of '${pyTypeName(a)}' and '${pyTypeName(b)}'`,
  );
}

/** Python's `a <op> b` for `==`, `!=`, `<`, `<=`, `>`, `>=`. */
export function pyCompare(op: '==' | '!=' | '<' | '<=' | '>' | '>=', a: unknown, b: unknown): boolean {
  if (op === '==') return pyEquals(a, b);
  if (op === '!=') return !pyEquals(a, b);
  const c = order(op, a, b);
  if (Number.isNaN(c)) return false; // NaN orders with nothing
  switch (op) {
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '>':
      return c > 0;
    case '>=':
      return c >= 0;
  }
}
