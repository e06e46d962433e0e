/**
 * The JSON path language of introspection rule fields: jsonpath-rw 1.4, the library ironic-inspector
 * parses `field` with, reproduced token for token so that every path an operator wrote for
 * ironic-inspector means the same here, and a path it refuses is refused with the same message.
 *
 * | Syntax | Meaning |
 * |---|---|
 * | `a.b`, `$`, `$.a` | child fields; `$` is the root |
 * | `'dotted.key'`, `"weird key"`, `a,b` | quoted field names; several fields |
 * | `a[0]`, `a[-1]`, `a[1:3]`, `a[*]` | index, slice, every element |
 * | `a.*` | every value of an object |
 * | `a..c` | every descendant named `c` |
 * | `` `this` ``, `` `parent` ``, `a\|b`, `a where b`, `(a)` | current value, parent, union, filter, grouping |
 *
 * Evaluation follows jsonpath-rw's quirks (`[*]` on a non-list yields the value itself, no implicit
 * list flattening). Where jsonpath-rw raises (an index into an object or a number, `[*]` on null),
 * {@link findValues} throws a {@link JsonPathError} naming the problem.
 *
 * @example
 * ```ts
 * const path = parseJsonPath('inventory.interfaces[*].mac_address');
 * findValues(path, data); // ['52:54:00:…', '52:54:00:…']
 * ```
 */
import { JsonPathSyntaxError, type Token, tokenize } from '#lib/rules/jsonpath-lexer.ts';
import { PythonError, pyTypeName } from '#lib/rules/python.ts';

export { JsonPathSyntaxError };

/** A path that cannot be evaluated on the given data (jsonpath-rw would raise). */
export class JsonPathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JsonPathError';
  }
}

/** The parsed path (jsonpath-rw's AST). */
export type JsonPath =
  | { readonly kind: 'root' }
  | { readonly kind: 'this' }
  | { readonly kind: 'parent' }
  | { readonly kind: 'fields'; readonly fields: readonly string[] }
  | { readonly kind: 'index'; readonly index: number }
  | {
      readonly kind: 'slice';
      readonly start: number | null;
      readonly end: number | null;
      readonly all: boolean;
    }
  | {
      readonly kind: 'child' | 'descendants' | 'where' | 'union' | 'intersect';
      readonly left: JsonPath;
      readonly right: JsonPath;
    };

/** Binding power of the binary operators (PLY precedence, lowest first). */
const BINARY: Record<
  string,
  { power: number; kind: 'child' | 'descendants' | 'where' | 'union' | 'intersect' }
> = {
  DOUBLEDOT: { power: 2, kind: 'descendants' },
  '.': { power: 3, kind: 'child' },
  '|': { power: 4, kind: 'union' },
  '&': { power: 5, kind: 'intersect' },
  WHERE: { power: 6, kind: 'where' },
};

class Parser {
  #pos = 0;
  constructor(
    readonly tokens: Token[],
    readonly lexError: JsonPathSyntaxError | undefined,
  ) {}

  peek(): Token | undefined {
    if (this.#pos >= this.tokens.length && this.lexError !== undefined) throw this.lexError;
    return this.tokens[this.#pos];
  }

  next(): Token | undefined {
    const token = this.peek();
    this.#pos++;
    return token;
  }

  error(token: Token | undefined): never {
    // PLY hands p_error None at the end of the input, and jsonpath-rw reads None.lineno.
    if (token === undefined) throw new JsonPathSyntaxError("'NoneType' object has no attribute 'lineno'");
    throw new JsonPathSyntaxError(
      `Parse error at ${token.lineno}:${token.col} near token ${token.value} (${token.type})`,
    );
  }

  expect(type: string): Token {
    const token = this.next();
    if (token?.type !== type) this.error(token);
    return token as Token;
  }

  parse(): JsonPath {
    const path = this.expression(0);
    if (this.peek() !== undefined) this.error(this.peek());
    return path;
  }

  expression(minPower: number): JsonPath {
    let left = this.primary();
    for (;;) {
      const token = this.peek();
      if (token === undefined) return left;
      if (token.type === '[') {
        left = { kind: 'child', left, right: this.bracket() };
        continue;
      }
      const op = BINARY[token.type];
      if (op === undefined || op.power <= minPower) return left;
      this.next();
      const right = this.expression(op.power);
      left = { kind: op.kind, left, right };
    }
  }

  /** `[ idx ]`, `[ slice ]` or `[ fields ]`, the `[` not yet consumed. */
  bracket(): JsonPath {
    this.expect('[');
    const token = this.next();
    let result: JsonPath;
    if (token?.type === '*') {
      result = { kind: 'slice', start: null, end: null, all: true };
    } else if (token?.type === 'ID') {
      result = { kind: 'fields', fields: this.fieldsAfter(token) };
    } else if (token?.type === 'NUMBER') {
      const after = this.peek();
      if (after?.type === ':') {
        this.next();
        result = this.sliceEnd(token.value as number);
      } else result = { kind: 'index', index: token.value as number };
    } else if (token?.type === ':') {
      result = this.sliceEnd(null);
    } else this.error(token);
    this.expect(']');
    return result;
  }

  sliceEnd(start: number | null): JsonPath {
    const after = this.peek();
    if (after?.type === 'NUMBER') {
      this.next();
      return { kind: 'slice', start, end: after.value as number, all: false };
    }
    return { kind: 'slice', start, end: null, all: false };
  }

  fieldsAfter(first: Token): string[] {
    const fields = [String(first.value)];
    while (this.peek()?.type === ',') {
      this.next();
      fields.push(String(this.expect('ID').value));
    }
    return fields;
  }

  primary(): JsonPath {
    const token = this.next();
    switch (token?.type) {
      case 'ID':
        return { kind: 'fields', fields: this.fieldsAfter(token) };
      case '*':
        return { kind: 'fields', fields: ['*'] };
      case '$':
        return { kind: 'root' };
      case 'NAMED_OPERATOR':
        if (token.value === 'this') return { kind: 'this' };
        if (token.value === 'parent') return { kind: 'parent' };
        throw new JsonPathSyntaxError(
          `Unknown named operator \`${token.value}\` at ${token.lineno}:${token.lexpos}`,
        );
      case '[':
        this.#pos--;
        return this.bracket();
      case '(': {
        const inner = this.expression(0);
        this.expect(')');
        return inner;
      }
      default:
        return this.error(token);
    }
  }
}

/**
 * Parse a path (the part of a rule field after `data://` or `node://`).
 *
 * @throws JsonPathSyntaxError with jsonpath-rw's message
 */
export function parseJsonPath(text: string): JsonPath {
  const { tokens, error } = tokenize(text);
  return new Parser(tokens, error).parse();
}

/** A value found, with where it was found (for `$` and `` `parent` ``). */
interface Datum {
  readonly value: unknown;
  readonly context: Datum | undefined;
}

const isDict = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function pyLen(value: unknown): number {
  if (typeof value === 'string') return [...value].length;
  if (Array.isArray(value)) return value.length;
  if (isDict(value)) return Object.keys(value).length;
  throw new PythonError('TypeError', `object of type '${pyTypeName(value)}' has no len()`);
}

/** Python's `range(n)[start:end]`. */
function sliceIndexes(length: number, start: number | null, end: number | null): number[] {
  const clamp = (i: number) => (i < 0 ? Math.max(0, length + i) : Math.min(length, i));
  const from = start === null ? 0 : clamp(start);
  const to = end === null ? length : clamp(end);
  const result: number[] = [];
  for (let i = from; i < to; i++) result.push(i);
  return result;
}

function find(path: JsonPath, datum: Datum): Datum[] {
  switch (path.kind) {
    case 'root': {
      let top = datum;
      while (top.context !== undefined) top = top.context;
      return [{ value: top.value, context: undefined }];
    }
    case 'this':
      return [datum];
    case 'parent':
      if (datum.context === undefined) throw new JsonPathError('`parent` of the root');
      return [datum.context];
    case 'fields': {
      const value = datum.value;
      const names = path.fields.includes('*') ? (isDict(value) ? Object.keys(value) : []) : path.fields;
      if (!isDict(value)) return [];
      return names.filter((n) => Object.hasOwn(value, n)).map((n) => ({ value: value[n], context: datum }));
    }
    case 'index': {
      const value = datum.value;
      const length = pyLen(value);
      if (!(length > path.index)) return [];
      if (isDict(value)) throw new PythonError('KeyError', String(path.index));
      const items = typeof value === 'string' ? [...value] : (value as unknown[]);
      const i = path.index < 0 ? length + path.index : path.index;
      if (i < 0) {
        throw new PythonError(
          'IndexError',
          `${typeof value === 'string' ? 'string' : 'list'} index out of range`,
        );
      }
      return [{ value: items[i], context: datum }];
    }
    case 'slice': {
      // jsonpath-rw wraps an object, an int (a bool too) or a str in a one-element list first.
      let value = datum.value;
      if (
        isDict(value) ||
        typeof value === 'string' ||
        typeof value === 'boolean' ||
        Number.isInteger(value)
      ) {
        value = [value];
      }
      if (!Array.isArray(value)) {
        throw new PythonError('TypeError', `object of type '${pyTypeName(value)}' has no len()`);
      }
      const list = value;
      const indexes = path.all ? list.map((_, i) => i) : sliceIndexes(list.length, path.start, path.end);
      return indexes.map((i) => ({ value: list[i], context: datum }));
    }
    case 'child':
      return find(path.left, datum).flatMap((d) => find(path.right, d));
    case 'where':
      return find(path.left, datum).filter((d) => find(path.right, d).length > 0);
    case 'union':
      return [...find(path.left, datum), ...find(path.right, datum)];
    case 'intersect':
      throw new JsonPathError('the intersection operator (&) is not implemented by the path language');
    case 'descendants': {
      const recurse = (d: Datum): Datum[] => {
        const matches = find(path.right, d);
        const value = d.value;
        if (Array.isArray(value)) {
          return [...matches, ...value.flatMap((item) => recurse({ value: item, context: d }))];
        }
        if (isDict(value)) {
          return [
            ...matches,
            ...Object.values(value).flatMap((item) => recurse({ value: item, context: d })),
          ];
        }
        return matches;
      };
      return find(path.left, datum).flatMap(recurse);
    }
  }
}

/**
 * Every value the path finds in `document`, in document order.
 *
 * @throws JsonPathError where jsonpath-rw raises (e.g. `[0]` on an object, `[*]` on null)
 */
export function findValues(path: JsonPath, document: unknown): unknown[] {
  try {
    return find(path, { value: document, context: undefined }).map((d) => d.value);
  } catch (err) {
    if (err instanceof PythonError) throw new JsonPathError(`${err.pyType}: ${err.message}`);
    throw err;
  }
}
