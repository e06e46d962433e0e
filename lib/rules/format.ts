/**
 * Python's `str.format(data=…)`, the way ironic-inspector formats rule action values with the
 * introspection data: `{data[inventory][interfaces][0][mac_address]}`, `{data[memory_mb]}`,
 * conversions (`!r`, `!s`, `!a`), format specs (`{data[cpus]:>4}`, `{data[ratio]:.2f}`, nested
 * `{data[x]:{data[width]}}`) and `{{`/`}}` for literal braces.
 *
 * Formatting is split in two: {@link parseFormat} checks the syntax when a rule is created (a value
 * that could never be formatted is refused then, not at every introspection), {@link renderFormat}
 * fills it in from the data.
 *
 * @example
 * ```ts
 * const template = parseFormat('{data[inventory][system_vendor][product_name]}');
 * renderFormat(template, data); // 'KVM'
 * ```
 */
import { PythonError, pyFloatRepr, pyInt, pyRepr, pyStr, pyTypeName } from '#lib/rules/python.ts';

/** A value that is not a valid format string (Python's ValueError text). */
export class FormatSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FormatSyntaxError';
  }
}

/** One accessor after the argument name: `[key]` (an int key when all digits) or `.attr`. */
type Accessor =
  | { readonly kind: 'item'; readonly key: string | number }
  | { readonly kind: 'attr'; readonly name: string };

interface Field {
  readonly kind: 'field';
  /** The argument name (`data`), or '' / digits for positional arguments. */
  readonly arg: string;
  readonly accessors: readonly Accessor[];
  readonly conversion: 'r' | 's' | 'a' | undefined;
  /** The format spec, itself a template (it may hold nested fields). */
  readonly spec: Template;
}

/** A parsed format string: literal text and replacement fields. */
export type Template = ReadonlyArray<string | Field>;

/** Parse a format string; `depth` guards Python's two levels of nesting. */
export function parseFormat(text: string, depth = 2): Template {
  if (depth < 0) throw new FormatSyntaxError('Max string recursion exceeded');
  const parts: Array<string | Field> = [];
  let literal = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (ch === '}') {
      if (text[i + 1] === '}') {
        literal += '}';
        i += 2;
        continue;
      }
      throw new FormatSyntaxError("Single '}' encountered in format string");
    }
    if (ch !== '{') {
      literal += ch;
      i++;
      continue;
    }
    if (text[i + 1] === '{') {
      literal += '{';
      i += 2;
      continue;
    }
    if (i + 1 >= text.length) throw new FormatSyntaxError("Single '{' encountered in format string");
    // The field runs to the matching '}': braces nest (in the spec), '[' … ']' is skipped whole.
    let j = i + 1;
    let level = 1;
    while (j < text.length) {
      const c = text[j] as string;
      if (c === '[') {
        const close = text.indexOf(']', j);
        if (close < 0) break;
        j = close + 1;
        continue;
      }
      if (c === '{') level++;
      else if (c === '}') {
        level--;
        if (level === 0) break;
      }
      j++;
    }
    if (j >= text.length) throw new FormatSyntaxError("expected '}' before end of string");
    if (literal !== '') parts.push(literal);
    literal = '';
    parts.push(parseField(text.slice(i + 1, j), depth));
    i = j + 1;
  }
  if (literal !== '') parts.push(literal);
  return parts;
}

function parseField(body: string, depth: number): Field {
  // The name ends at the first '!' or ':' outside brackets.
  let end = 0;
  while (end < body.length) {
    const c = body[end];
    if (c === '[') {
      const close = body.indexOf(']', end);
      end = close < 0 ? body.length : close + 1;
      continue;
    }
    if (c === '!' || c === ':') break;
    end++;
  }
  const name = body.slice(0, end);
  let conversion: Field['conversion'];
  let specText = '';
  if (body[end] === '!') {
    if (end + 1 >= body.length) throw new FormatSyntaxError("unmatched '{' in format spec");
    const c = body[end + 1] as string;
    if (end + 2 < body.length && body[end + 2] !== ':') {
      throw new FormatSyntaxError("expected ':' after conversion specifier");
    }
    if (c !== 'r' && c !== 's' && c !== 'a') throw new FormatSyntaxError(`Unknown conversion specifier ${c}`);
    conversion = c;
    specText = body.slice(end + 3);
  } else if (body[end] === ':') {
    specText = body.slice(end + 1);
  }
  const { arg, accessors } = parseName(name);
  return { kind: 'field', arg, accessors, conversion, spec: parseFormat(specText, depth - 1) };
}

function parseName(name: string): { arg: string; accessors: Accessor[] } {
  let i = 0;
  while (i < name.length && name[i] !== '.' && name[i] !== '[') i++;
  const arg = name.slice(0, i);
  const accessors: Accessor[] = [];
  while (i < name.length) {
    if (name[i] === '.') {
      let j = i + 1;
      while (j < name.length && name[j] !== '.' && name[j] !== '[') j++;
      const attr = name.slice(i + 1, j);
      if (attr === '') throw new FormatSyntaxError('Empty attribute in format string');
      accessors.push({ kind: 'attr', name: attr });
      i = j;
    } else if (name[i] === '[') {
      const close = name.indexOf(']', i);
      if (close < 0) throw new FormatSyntaxError("Missing ']' in format string");
      const key = name.slice(i + 1, close);
      if (key === '') throw new FormatSyntaxError('Empty attribute in format string');
      accessors.push({ kind: 'item', key: /^\d+$/.test(key) ? Number(key) : key });
      i = close + 1;
      if (i < name.length && name[i] !== '.' && name[i] !== '[') {
        throw new FormatSyntaxError("Only '.' or '[' may follow ']' in format field specifier");
      }
    }
  }
  return { arg, accessors };
}

/**
 * Why a parsed template can never be formatted with only `data` (Python would raise at every
 * introspection): a positional `{}`/`{0}`, a name other than `data`, or attribute access. Undefined
 * when it may work.
 */
export function templateProblem(template: Template): string | undefined {
  for (const part of template) {
    if (typeof part === 'string') continue;
    if (part.arg === '' || /^\d+$/.test(part.arg)) {
      return `positional field {${part.arg}}: only {data[...]} is available`;
    }
    if (part.arg !== 'data') return `unknown variable {${part.arg}}: only {data[...]} is available`;
    const attr = part.accessors.find((a) => a.kind === 'attr');
    if (attr !== undefined) return `attribute access .${(attr as { name: string }).name}: use [key]`;
    const nested = templateProblem(part.spec);
    if (nested !== undefined) return nested;
  }
  return undefined;
}

const isDict = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function lookup(data: unknown, field: Field): unknown {
  if (field.arg === '' || /^\d+$/.test(field.arg)) {
    throw new PythonError(
      'IndexError',
      `Replacement index ${field.arg || 0} out of range for positional args tuple`,
    );
  }
  if (field.arg !== 'data') throw new PythonError('KeyError', pyRepr(field.arg));
  let value: unknown = data;
  for (const accessor of field.accessors) {
    if (accessor.kind === 'attr') {
      throw new PythonError(
        'AttributeError',
        `'${pyTypeName(value)}' object has no attribute '${accessor.name}'`,
      );
    }
    const key = accessor.key;
    if (isDict(value)) {
      if (typeof key !== 'string' || !Object.hasOwn(value, key))
        throw new PythonError('KeyError', pyRepr(key));
      value = value[key];
    } else if (Array.isArray(value) || typeof value === 'string') {
      if (typeof key !== 'number') {
        throw new PythonError(
          'TypeError',
          `${Array.isArray(value) ? 'list' : 'string'} indices must be integers${Array.isArray(value) ? ' or slices, not str' : ''}`,
        );
      }
      const items = typeof value === 'string' ? [...value] : value;
      if (key >= items.length) {
        throw new PythonError('IndexError', `${Array.isArray(value) ? 'list' : 'string'} index out of range`);
      }
      value = items[key];
    } else {
      throw new PythonError('TypeError', `'${pyTypeName(value)}' object is not subscriptable`);
    }
  }
  return value;
}

function convert(value: unknown, conversion: Field['conversion']): unknown {
  if (conversion === 'r') return pyRepr(value);
  if (conversion === 'a') {
    return pyRepr(value).replace(/[\u0080-\u{10ffff}]/gu, (c) => {
      const code = c.codePointAt(0) as number;
      if (code <= 0xff) return `\\x${code.toString(16).padStart(2, '0')}`;
      if (code <= 0xffff) return `\\u${code.toString(16).padStart(4, '0')}`;
      return `\\U${code.toString(16).padStart(8, '0')}`;
    });
  }
  if (conversion === 's') return pyStr(value);
  return value;
}

/**
 * Fill a template in from `data` (always a string, as Python's `str.format`).
 *
 * @throws PythonError as Python would raise it (KeyError for a missing key, IndexError, TypeError,
 * ValueError for a bad format spec)
 */
export function renderFormat(template: Template, data: unknown): string {
  let out = '';
  for (const part of template) {
    if (typeof part === 'string') {
      out += part;
      continue;
    }
    const value = convert(lookup(data, part), part.conversion);
    out += formatValue(value, renderFormat(part.spec, data));
  }
  return out;
}

// ---- format(value, spec): the format specification mini-language ------------------------------

interface Spec {
  fill: string;
  align: '<' | '>' | '^' | '=' | undefined;
  sign: '+' | '-' | ' ' | undefined;
  alternate: boolean;
  zero: boolean;
  width: number | undefined;
  grouping: ',' | '_' | undefined;
  precision: number | undefined;
  type: string | undefined;
}

function parseSpec(spec: string): Spec {
  const m = /^(?:(.)?([<>=^]))?([+\- ])?(z)?(#)?(0)?(\d+)?([,_])?(?:\.(\d+))?([bcdeEfFgGnosxX%])?$/su.exec(
    spec,
  );
  if (m === null) throw new PythonError('ValueError', 'Invalid format specifier');
  return {
    fill: m[1] ?? (m[6] && !m[2] ? '0' : ' '),
    align: m[2] as Spec['align'],
    sign: m[3] as Spec['sign'],
    alternate: m[5] !== undefined,
    zero: m[6] !== undefined,
    width: m[7] === undefined ? undefined : Number(m[7]),
    grouping: m[8] as Spec['grouping'],
    precision: m[9] === undefined ? undefined : Number(m[9]),
    type: m[10],
  };
}

function pad(body: string, prefix: string, spec: Spec, defaultAlign: '<' | '>'): string {
  const width = spec.width ?? 0;
  const length = [...prefix].length + [...body].length;
  if (length >= width) return prefix + body;
  const fill = spec.fill.repeat(width - length);
  switch (spec.align ?? defaultAlign) {
    case '<':
      return prefix + body + fill;
    case '>':
      return fill + prefix + body;
    case '=':
      return prefix + fill + body;
    case '^': {
      const left = Math.floor((width - length) / 2);
      return spec.fill.repeat(left) + prefix + body + spec.fill.repeat(width - length - left);
    }
  }
}

function group(digits: string, separator: string | undefined, every = 3): string {
  if (separator === undefined) return digits;
  const out: string[] = [];
  for (let end = digits.length; end > 0; end -= every)
    out.unshift(digits.slice(Math.max(0, end - every), end));
  return out.join(separator);
}

/** Numbers: the `0` flag means zero padding after the sign (unless an alignment was given). */
function numericSpec(spec: Spec): Spec {
  return spec.zero && spec.align === undefined ? { ...spec, align: '=' } : spec;
}

/** Zero padding with grouping: the padding zeros are grouped too, as Python does. */
function zeroGrouped(intDigits: string, rest: string, prefix: string, spec: Spec, every = 3): string {
  let digits = intDigits;
  let grouped = group(digits, spec.grouping, every);
  const width = spec.width ?? 0;
  while (
    spec.zero &&
    spec.align === '=' &&
    spec.fill === '0' &&
    spec.grouping !== undefined &&
    [...prefix].length + grouped.length + rest.length < width
  ) {
    digits = `0${digits}`;
    grouped = group(digits, spec.grouping, every);
  }
  return grouped + rest;
}

function signPrefix(negative: boolean, spec: Spec): string {
  if (negative) return '-';
  if (spec.sign === '+') return '+';
  if (spec.sign === ' ') return ' ';
  return '';
}

function formatString(value: string, spec: Spec): string {
  if (spec.sign !== undefined)
    throw new PythonError('ValueError', 'Sign not allowed in string format specifier');
  if (spec.alternate)
    throw new PythonError('ValueError', 'Alternate form (#) not allowed in string format specifier');
  if (spec.align === '=')
    throw new PythonError('ValueError', "'=' alignment not allowed in string format specifier");
  // `0` on a str only changes the fill.
  if (spec.grouping !== undefined)
    throw new PythonError('ValueError', `Cannot specify '${spec.grouping}' with 's'.`);
  if (spec.type !== undefined && spec.type !== 's') {
    throw new PythonError('ValueError', `Unknown format code '${spec.type}' for object of type 'str'`);
  }
  const body = spec.precision === undefined ? value : [...value].slice(0, spec.precision).join('');
  return pad(body, '', spec, '<');
}

function formatInteger(value: number, given: Spec): string {
  const spec = numericSpec(given);
  const type = spec.type ?? 'd';
  if ('eEfFgG%'.includes(type)) return formatFloat(value, given);
  if (!'bcdoxXn'.includes(type)) {
    throw new PythonError('ValueError', `Unknown format code '${type}' for object of type 'int'`);
  }
  if (spec.precision !== undefined)
    throw new PythonError('ValueError', 'Precision not allowed in integer format specifier');
  const negative = value < 0;
  const abs = BigInt(Math.abs(value));
  let digits: string;
  let base = '';
  switch (type) {
    case 'b':
      digits = abs.toString(2);
      base = '0b';
      break;
    case 'o':
      digits = abs.toString(8);
      base = '0o';
      break;
    case 'x':
      digits = abs.toString(16);
      base = '0x';
      break;
    case 'X':
      digits = abs.toString(16).toUpperCase();
      base = '0X';
      break;
    case 'c':
      return pad(String.fromCodePoint(value), '', spec, '<');
    default:
      digits = abs.toString();
  }
  const prefix = signPrefix(negative, spec) + (spec.alternate ? base : '');
  return pad(zeroGrouped(digits, '', prefix, spec, type === 'd' || type === 'n' ? 3 : 4), prefix, spec, '>');
}

/**
 * Python's `'%.{p}g'` rules: fixed or exponent, trailing zeros stripped unless `#`. `addDot0` is the
 * spec without a type and with a precision: exponent one digit earlier, and `.0` on a bare integer.
 */
function generalFormat(
  abs: number,
  precision: number,
  alternate: boolean,
  upper: boolean,
  addDot0 = false,
): string {
  const p = precision === 0 ? 1 : precision;
  if (abs === 0) return alternate ? `0.${'0'.repeat(p - 1)}` : addDot0 ? '0.0' : '0';
  const exponent = Number(abs.toExponential(p - 1).split('e')[1] as string);
  let text: string;
  if (exponent >= -4 && exponent < (addDot0 ? p - 1 : p)) {
    text = abs.toFixed(Math.max(0, p - 1 - exponent));
    if (!alternate && text.includes('.')) text = text.replace(/\.?0+$/, '');
    if (addDot0 && !text.includes('.')) text += '.0';
  } else {
    let [mantissa, exp] = abs.toExponential(p - 1).split('e') as [string, string];
    if (!alternate && mantissa.includes('.')) mantissa = mantissa.replace(/\.?0+$/, '');
    const sign = exp.startsWith('-') ? '-' : '+';
    text = `${mantissa}e${sign}${exp.replace(/^[+-]/, '').padStart(2, '0')}`;
  }
  return upper ? text.toUpperCase() : text;
}

function formatFloat(value: number, given: Spec): string {
  const spec = numericSpec(given);
  const negative = value < 0 || Object.is(value, -0);
  const abs = Math.abs(value);
  let body: string;
  const type = spec.type;
  if (!Number.isFinite(abs)) {
    body = Number.isNaN(abs) ? 'nan' : 'inf';
    if (type !== undefined && 'EFG'.includes(type)) body = body.toUpperCase();
  } else {
    switch (type) {
      case 'e':
      case 'E': {
        const [mantissa, exp] = abs.toExponential(spec.precision ?? 6).split('e') as [string, string];
        const sign = exp.startsWith('-') ? '-' : '+';
        body = `${mantissa}${spec.alternate && !mantissa.includes('.') ? '.' : ''}e${sign}${exp.replace(/^[+-]/, '').padStart(2, '0')}`;
        if (type === 'E') body = body.toUpperCase();
        break;
      }
      case 'f':
      case 'F':
        body = abs.toFixed(spec.precision ?? 6);
        break;
      case '%':
        body = `${(abs * 100).toFixed(spec.precision ?? 6)}%`;
        break;
      case 'g':
      case 'G':
      case 'n':
        body = generalFormat(abs, spec.precision ?? 6, spec.alternate, type === 'G');
        break;
      default:
        body =
          spec.precision === undefined
            ? pyFloatRepr(abs)
            : generalFormat(abs, spec.precision, spec.alternate, false, true);
    }
  }
  const prefix = signPrefix(negative, spec);
  if (spec.grouping !== undefined && Number.isFinite(abs)) {
    const int = body.split(/(?=[.eE%])/, 1)[0] as string;
    body = zeroGrouped(int, body.slice(int.length), prefix, spec);
  }
  return pad(body, prefix, spec, '>');
}

/** Python's `format(value, spec)` for a JSON value. */
export function formatValue(value: unknown, specText: string): string {
  if (specText === '') return pyStr(value);
  const spec = parseSpec(specText);
  if (typeof value === 'string') return formatString(value, spec);
  if (typeof value === 'boolean') return formatInteger(pyInt(value), spec);
  if (typeof value === 'number') {
    if (Number.isInteger(value)) {
      return formatInteger(value, spec);
    }
    if (spec.type !== undefined && 'bcdoxX'.includes(spec.type)) {
      throw new PythonError('ValueError', `Unknown format code '${spec.type}' for object of type 'float'`);
    }
    return formatFloat(value, spec);
  }
  throw new PythonError('TypeError', `unsupported format string passed to ${pyTypeName(value)}.__format__`);
}
