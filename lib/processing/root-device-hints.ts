/**
 * Root device hints, as ironic-lib's `match_root_device_hints` reads `properties.root_device`: the
 * first disk matching every hint is the root disk.
 *
 * - `size` (GiB, integer; operators `==` (default), `!=`, `<`, `<=`, `>`, `>=`, `<in>`);
 * - `rotational` (boolean or a boolean string);
 * - `name` (matches the disk name or its `by_path`), `model`, `vendor`, `serial`, `wwn`,
 *   `wwn_with_extension`, `wwn_vendor_extension`, `hctl`, `by_path` (strings; operators `s==` (default),
 *   `s!=`, `<in>` (substring), `<or>` (alternatives)).
 *
 * @example
 * ```ts
 * matchRootDevice(disks, { size: '>= 40', rotational: false }); // the first SSD of 40 GiB or more
 * ```
 */
import { parseBooleanString } from '#lib/domain/booleans.ts';
import { InspectorError } from '#lib/domain/errors.ts';

/** One disk of the inventory (fields the hints may name). */
export interface InventoryDisk {
  readonly name: string;
  readonly size: number;
  readonly [field: string]: unknown;
}

const GIB = 1024 ** 3;
const STRING_HINTS = new Set([
  'name',
  'model',
  'vendor',
  'serial',
  'wwn',
  'wwn_with_extension',
  'wwn_vendor_extension',
  'hctl',
  'by_path',
]);

/** A hint that cannot be used (unknown name, bad value). */
export class InvalidRootDeviceHint extends InspectorError {}

type Matcher = (disk: InventoryDisk) => boolean;

function sizeMatcher(hint: unknown): Matcher {
  const text = String(hint).trim();
  // `<in>` before `<`, or `<in> 10 20` would read as `<` with the operand `in> 10 20`.
  const match = /^(<in>|==|!=|<=|>=|<|>)?\s*(.+)$/.exec(text);
  const op = match?.[1] ?? '==';
  const operand = match?.[2] ?? '';
  const numbers = op === '<in>' ? operand.split(/\s+/) : [operand];
  if (numbers.some((n) => !/^\d+$/.test(n))) {
    throw new InvalidRootDeviceHint(
      `Root device hint "size" must be an integer number of GiB, got ${String(hint)}`,
    );
  }
  const values = numbers.map(Number);
  const first = values[0] as number;
  return (disk) => {
    const gib = Math.floor(disk.size / GIB);
    switch (op) {
      case '!=':
        return gib !== first;
      case '<':
        return gib < first;
      case '<=':
        return gib <= first;
      case '>':
        return gib > first;
      case '>=':
        return gib >= first;
      case '<in>':
        return values.includes(gib);
      default:
        return gib === first;
    }
  };
}

function booleanHint(hint: unknown): boolean {
  if (typeof hint === 'boolean') return hint;
  const value = parseBooleanString(String(hint));
  if (value !== undefined) return value;
  throw new InvalidRootDeviceHint(`Root device hint "rotational" is not a boolean: ${String(hint)}`);
}

function stringMatcher(field: string, hint: unknown): Matcher {
  if (typeof hint !== 'string') {
    throw new InvalidRootDeviceHint(
      `Root device hint "${field}" must be a string, got ${JSON.stringify(hint)}`,
    );
  }
  const text = hint.trim();
  const op = /^(s==|s!=|<in>|<or>)\s*/.exec(text);
  const operand = op === null ? text : text.slice(op[0].length);
  const values = (disk: InventoryDisk): string[] => {
    const own = disk[field];
    const list = typeof own === 'string' ? [own] : [];
    if (field === 'name' && typeof disk.by_path === 'string') list.push(disk.by_path);
    return list.map((v) => (field === 'name' && !v.startsWith('/dev/') ? `/dev/${v}` : v));
  };
  const expected = field === 'name' && !operand.startsWith('/dev/') ? `/dev/${operand}` : operand;
  switch (op?.[1]) {
    case 's!=':
      return (disk) => !values(disk).includes(expected);
    case '<in>':
      return (disk) => values(disk).some((v) => v.includes(operand));
    case '<or>': {
      const options = operand
        .split(/\s*<or>\s*/)
        .map((o) => (field === 'name' && !o.startsWith('/dev/') ? `/dev/${o}` : o));
      return (disk) => values(disk).some((v) => options.includes(v));
    }
    default:
      return (disk) => values(disk).includes(expected);
  }
}

/**
 * The first disk satisfying every hint, or undefined.
 *
 * @throws InvalidRootDeviceHint for an unknown hint or a value of the wrong kind
 */
export function matchRootDevice(
  disks: readonly InventoryDisk[],
  hints: Readonly<Record<string, unknown>>,
): InventoryDisk | undefined {
  const matchers: Matcher[] = Object.entries(hints).map(([field, hint]) => {
    if (field === 'size') return sizeMatcher(hint);
    if (field === 'rotational') {
      const wanted = booleanHint(hint);
      return (disk) => Boolean(disk.rotational) === wanted;
    }
    if (STRING_HINTS.has(field)) return stringMatcher(field, hint);
    throw new InvalidRootDeviceHint(`Unknown root device hint "${field}"`);
  });
  return disks.find((disk) => matchers.every((m) => m(disk)));
}
