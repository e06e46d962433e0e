/**
 * The rule field path language (jsonpath-rw 1.4) and the action value formatting (Python's
 * `str.format`), each case checked against what the Python libraries answer.
 */
import { describe, expect, it } from 'vitest';
import { parseFormat, renderFormat, templateProblem } from '#lib/rules/format.ts';
import { findValues, JsonPathError, parseJsonPath } from '#lib/rules/jsonpath.ts';
import { pyCompare, pyFloat, pyInt, pyRepr, pyStr } from '#lib/rules/python.ts';

const data = {
  inventory: {
    interfaces: [
      { name: 'eth0', mac_address: 'aa', has_carrier: true },
      { name: 'eth1', mac_address: 'bb', has_carrier: false },
    ],
  },
  memory_mb: 4096,
  a: {
    b: { c: 1 },
    c: 2,
    'x.y': 3,
    'weird key': 4,
    n: null,
    s: 'hello',
    i: 5,
    t: true,
    f: 1.5,
    e: [],
    d: {},
  },
  list: [1, 2, 3, 4],
};

describe('field paths', () => {
  it.each([
    ['memory_mb', [4096]],
    ['$.memory_mb', [4096]],
    ['inventory.interfaces[*].mac_address', ['aa', 'bb']],
    ['inventory.interfaces.mac_address', []],
    ['inventory.interfaces[0].name', ['eth0']],
    ['inventory.interfaces[-1].name', ['eth1']],
    ['inventory.interfaces[1:2].name', ['eth1']],
    ['inventory.interfaces[5].name', []],
    ['list[1:3]', [2, 3]],
    ['list[-2:]', [3, 4]],
    ['list[:1]', [1]],
    ['a.b.c', [1]],
    ['a..c', [2, 1]],
    ["a.'x.y'", [3]],
    ['a."weird key"', [4]],
    ['a.b,c', [{ c: 1 }, 2]],
    ['a[b,c]', [{ c: 1 }, 2]],
    ['a.n', [null]],
    ['a.s[*]', ['hello']],
    ['a.i[*]', [5]],
    ['a.t[*]', [true]],
    ['a.s[1]', ['e']],
    ['a.e[0]', []],
    ['a.d[0]', []],
    ['`this`.memory_mb', [4096]],
    ['a.b.`parent`.c', [2]],
    ['a.b|c', [{ c: 1 }, 2]],
    ['(a.b).c', [1]],
    ['inventory.interfaces[*] where has_carrier', data.inventory.interfaces],
    ['list[*]', [1, 2, 3, 4]],
    ['*.c', [2]],
    ['a.*.c', [1]],
    ['a.b.c.d', []],
    ['list[9]', []],
  ])('%s finds %j', (path, expected) => {
    expect(findValues(parseJsonPath(path), data)).toEqual(expected);
  });

  it.each([
    ['a b', 'Parse error at 1:2 near token b (ID)'],
    ['a.', "'NoneType' object has no attribute 'lineno'"],
    ['a[', "'NoneType' object has no attribute 'lineno'"],
    ['', "'NoneType' object has no attribute 'lineno'"],
    ['a?', 'Error on line 1, col 1: Unexpected character: ? '],
    ['a.1', 'Parse error at 1:2 near token 1 (NUMBER)'],
    ['a[1,2]', 'Parse error at 1:3 near token , (,)'],
    ['interfaces[name=eth0]', 'Error on line 1, col 15: Unexpected character: = '],
    ['`foo`', 'Unknown named operator `foo` at 1:4'],
    ["'unterminated", 'Unexpected EOF in string literal or identifier'],
    ['a b ?', 'Parse error at 1:2 near token b (ID)'],
  ])('%j does not parse: %s', (path, message) => {
    expect(() => parseJsonPath(path)).toThrow(message);
  });

  it.each(['a.b[0]', 'a.n[0]', 'a.n[*]', 'a.f[*]', 'a.i[0]', 'a&b', '`parent`', 'list[-9]'])(
    '%s cannot be followed on this data (jsonpath-rw raises)',
    (path) => {
      expect(() => findValues(parseJsonPath(path), data)).toThrow(JsonPathError);
    },
  );
});

describe('value formatting (str.format with data)', () => {
  const values = {
    a: 'abc',
    n: 42,
    neg: -7,
    f: 1.5,
    t: true,
    l: [1, 2],
    w: '^7',
    d: { '0': 'zero', k: [1, { z: null }] },
    none: null,
    e: 0.00001,
    big: 123456789,
    fl: 3.14659,
    u: 'é',
    h: 1234.5678,
  };
  it.each([
    ['{data[a]}', 'abc'],
    ['{data[n]}', '42'],
    ['{data[a]!r}', "'abc'"],
    ['{data[a]:>5}', '  abc'],
    ['{data[n]:05d}', '00042'],
    ['{data[f]:.2f}', '1.50'],
    ['{data[t]}', 'True'],
    ['{data[t]:>5}', '    1'],
    ['{data[a]:{data[w]}}', '  abc  '],
    ['{data[n]:#x}', '0x2a'],
    ['{data[n]:+}', '+42'],
    ['{data[a]:05}', 'abc00'],
    ['{data[none]}', 'None'],
    ['{data[d]}', "{'0': 'zero', 'k': [1, {'z': None}]}"],
    ['{data[d][k][1][z]}', 'None'],
    ['{data[e]}', '1e-05'],
    ['{data[big]:,}', '123,456,789'],
    ['{data[fl]:.3}', '3.15'],
    ['{data[h]:015,.2f}', '0,000,001,234.57'],
    ['{data[neg]:+05}', '-0007'],
    ['{data[u]!a}', "'\\xe9'"],
    ['{{literal}} {data[l]}', '{literal} [1, 2]'],
    ['{data[l][1]}', '2'],
    ['{data[a][0]}', 'a'],
  ])('%s formats as %j', (template, expected) => {
    expect(renderFormat(parseFormat(template), values)).toBe(expected);
  });

  it.each([
    ['{data[nope]}', 'KeyError', "'nope'"],
    ['{data[d][0]}', 'KeyError', '0'],
    ['{data[l][5]}', 'IndexError', 'list index out of range'],
    ['{data[l][a]}', 'TypeError', 'list indices must be integers or slices, not str'],
    ['{data[l]:>5}', 'TypeError', 'unsupported format string passed to list.__format__'],
    ['{data[a]:+}', 'ValueError', 'Sign not allowed in string format specifier'],
    ['{data[n]:s}', 'ValueError', "Unknown format code 's' for object of type 'int'"],
  ])('%s raises %s %s', (template, type, message) => {
    expect(() => renderFormat(parseFormat(template), values)).toThrow(
      expect.objectContaining({ name: type, message }),
    );
  });

  it.each([
    ['{', "Single '{' encountered in format string"],
    ['x}', "Single '}' encountered in format string"],
    ['{data[a]', "expected '}' before end of string"],
    ['{data[a]!x}', 'Unknown conversion specifier x'],
    ['{data[]}', 'Empty attribute in format string'],
    ['{data[a]x}', "Only '.' or '[' may follow ']' in format field specifier"],
  ])('%j is not a format string: %s', (template, message) => {
    expect(() => parseFormat(template)).toThrow(message);
  });

  it.each([
    ['{}', 'positional field {}'],
    ['{0}', 'positional field {0}'],
    ['{foo}', 'unknown variable {foo}'],
    ['{node[x]}', 'unknown variable {node}'],
    ['{data.a}', 'attribute access .a'],
  ])('%s can never be formatted with only data', (template, problem) => {
    expect(templateProblem(parseFormat(template))).toContain(problem);
  });
});

describe('Python semantics', () => {
  it('str and repr of JSON values', () => {
    expect(pyStr(true)).toBe('True');
    expect(pyStr(null)).toBe('None');
    expect(pyStr([1, 'a', { b: false }])).toBe("[1, 'a', {'b': False}]");
    expect(pyRepr("it's")).toBe('"it\'s"');
    expect(pyStr(1.5)).toBe('1.5');
    expect(pyStr(1e-7)).toBe('1e-07');
  });

  it('int() and float() conversions', () => {
    expect(pyInt(' 42 ')).toBe(42);
    expect(pyInt('4_2')).toBe(42);
    expect(pyInt(1.9)).toBe(1);
    expect(pyInt(true)).toBe(1);
    expect(() => pyInt('1.5')).toThrow("invalid literal for int() with base 10: '1.5'");
    expect(() => pyInt(null)).toThrow("not 'NoneType'");
    expect(pyFloat('1e3')).toBe(1000);
    expect(pyFloat(' .5 ')).toBe(0.5);
    expect(() => pyFloat('abc')).toThrow("could not convert string to float: 'abc'");
  });

  it('comparisons: True == 1, structural lists and dicts, no ordering across types', () => {
    expect(pyCompare('==', true, 1)).toBe(true);
    expect(pyCompare('==', 1024, '1024')).toBe(false);
    expect(pyCompare('==', [1, { a: 2 }], [1, { a: 2 }])).toBe(true);
    expect(pyCompare('<', [1, 2], [1, 3])).toBe(true);
    expect(pyCompare('<', 'B', 'a')).toBe(true);
    expect(() => pyCompare('>', 1, '1000')).toThrow("'>' not supported between instances of 'int' and 'str'");
    expect(() => pyCompare('<', { a: 1 }, { a: 1 })).toThrow(
      "'<' not supported between instances of 'dict' and 'dict'",
    );
  });
});
