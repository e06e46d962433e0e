/**
 * Python's `format(value, spec)` for JSON values: the format specification mini-language (fill,
 * alignment, sign, `#`, `0`, width, grouping, precision, type) for strings, integers and floats, as
 * `{data[…]:spec}` placeholders in rule action values use it (`lib/rules/format.ts`).
 *
 * @example
 * ```ts
 * formatValue(8, '>4');     // '   8'
 * formatValue(0.5, '.2f');  // '0.50'
 * ```
 */
import { PythonError, pyFloatRepr, pyInt, pyStr, pyTypeName } from '#lib/rules/python.ts';

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
