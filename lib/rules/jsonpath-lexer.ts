/**
 * The lexer of rule field paths: jsonpath-rw 1.4's PLY lexer rules in their priority order (see
 * `lib/rules/jsonpath.ts` for the language), with its error messages.
 *
 * @example
 * ```ts
 * const { tokens, error } = tokenize('inventory.interfaces[*].mac_address');
 * ```
 */

/** A path that does not parse, with jsonpath-rw's message. */
export class JsonPathSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JsonPathSyntaxError';
  }
}

export type TokenType = 'ID' | 'NUMBER' | 'NAMED_OPERATOR' | 'DOUBLEDOT' | 'WHERE' | string;

export interface Token {
  readonly type: TokenType;
  readonly value: string | number;
  readonly lineno: number;
  readonly col: number;
  readonly lexpos: number;
}

const LITERALS = new Set(['*', '.', '[', ']', '(', ')', '$', ',', ':', '|', '&']);
const ID_START = /[a-zA-Z_@]/;
const ID_REST = /[a-zA-Z0-9_@-]/;

/**
 * jsonpath-rw's lexer (PLY rules in their priority order). PLY lexes lazily, so a lexing error only
 * counts once the parser reaches it: it is returned with the tokens before it.
 */
export function tokenize(text: string): { tokens: Token[]; error: JsonPathSyntaxError | undefined } {
  const tokens: Token[] = [];
  try {
    lex(text, tokens);
  } catch (err) {
    if (err instanceof JsonPathSyntaxError) return { tokens, error: err };
    throw err;
  }
  return { tokens, error: undefined };
}

function lex(text: string, tokens: Token[]): void {
  let pos = 0;
  let lineno = 1;
  let latestNewline = 0;
  const fail = (state: string | undefined, at: number): never => {
    const where = state === undefined ? '' : ` while lexing ${state}`;
    throw new JsonPathSyntaxError(
      `Error on line ${lineno}, col ${at - latestNewline}${where}: Unexpected character: ${text[at]} `,
    );
  };
  while (pos < text.length) {
    const ch = text[pos] as string;
    if (ch === ' ' || ch === '\t') {
      pos++;
      continue;
    }
    const start = pos;
    const push = (type: TokenType, value: string | number, lexpos = start) =>
      tokens.push({ type, value, lineno, col: lexpos - latestNewline, lexpos });
    if (ID_START.test(ch)) {
      pos++;
      while (pos < text.length && ID_REST.test(text[pos] as string)) pos++;
      const word = text.slice(start, pos);
      push(word === 'where' ? 'WHERE' : 'ID', word);
      continue;
    }
    const number = /^-?\d+/.exec(text.slice(pos));
    if (number) {
      pos += number[0].length;
      push('NUMBER', Number.parseInt(number[0], 10));
      continue;
    }
    if (ch === "'" || ch === '"' || ch === '`') {
      const state =
        ch === "'" ? 'singlequoted field' : ch === '"' ? 'doublequoted field' : 'backquoted operator';
      pos++;
      let value = '';
      let closed = false;
      while (pos < text.length) {
        const c = text[pos] as string;
        if (c === ch) {
          closed = true;
          break;
        }
        if (c === '\\') {
          if (pos + 1 >= text.length || text[pos + 1] === '\n') fail(state, pos);
          value += text[pos + 1];
          pos += 2;
          continue;
        }
        value += c;
        pos++;
      }
      if (!closed) throw new JsonPathSyntaxError('Unexpected EOF in string literal or identifier');
      push(ch === '`' ? 'NAMED_OPERATOR' : 'ID', value, pos);
      pos++;
      continue;
    }
    if (ch === '\n') {
      latestNewline = pos;
      lineno++;
      pos++;
      continue;
    }
    if (text.startsWith('..', pos)) {
      pos += 2;
      push('DOUBLEDOT', '..');
      continue;
    }
    if (LITERALS.has(ch)) {
      pos++;
      push(ch, ch);
      continue;
    }
    fail(undefined, pos);
  }
}
