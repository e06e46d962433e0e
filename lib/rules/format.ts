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
import { formatValue } from '#lib/rules/format-spec.ts';
import { PythonError, pyRepr, pyStr, pyTypeName } from '#lib/rules/python.ts';

export { formatValue };

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
