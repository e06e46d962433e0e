/**
 * Python regular expressions (the `matches` and `contains` rule conditions) run on JavaScript's
 * engine. The syntax the two share passes through; Python's own spellings are translated:
 *
 * | Python | here |
 * |---|---|
 * | `(?P<name>…)`, `(?P=name)` | `(?<name>…)`, `\k<name>` |
 * | `\A`, `\Z` | start and end of the text |
 * | `$` | end of the text or before a final newline (`MULTILINE`: before any newline) |
 * | `.` | anything but a newline (`DOTALL`: anything) |
 * | leading `(?aiLmsux)` flags, `(?#…)` comments, verbose mode | flags, nothing, whitespace dropped |
 * | `[]…]` | a class starting with a literal `]` |
 *
 * `\d`, `\w` and `\s` match ASCII digits and word characters here (Python: any Unicode digit or
 * letter); what JavaScript cannot express (scoped flags, possessive quantifiers) is refused when the
 * rule is created.
 *
 * @example
 * ```ts
 * const re = compilePythonRegex('(?P<vendor>Dell|HP)\\b');
 * pythonMatch(re, 'Dell Inc.'); // false: re.match needs the whole text when the rule appends '$'
 * ```
 */

/** A pattern Python would accept but this engine cannot run, or that neither accepts. */
export class RegexSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegexSyntaxError';
  }
}

/** A compiled pattern: the translation and its flags, for matching at the start or anywhere. */
export interface CompiledRegex {
  readonly source: string;
  readonly anchored: RegExp;
  readonly anywhere: RegExp;
}

const cache = new Map<string, CompiledRegex>();

/**
 * Translate and compile a Python pattern.
 *
 * @throws RegexSyntaxError with the engine's reason
 */
export function compilePythonRegex(pattern: string): CompiledRegex {
  const hit = cache.get(pattern);
  if (hit !== undefined) return hit;
  let rest = pattern;
  const flags = new Set<string>();
  for (;;) {
    const m = /^\(\?([aiLmsux]+)\)/.exec(rest);
    if (m === null) break;
    for (const f of m[1] as string) flags.add(f);
    rest = rest.slice(m[0].length);
  }
  const source = translate(rest, flags);
  const jsFlags = flags.has('i') ? 'i' : '';
  let compiled: CompiledRegex;
  try {
    compiled = {
      source,
      anchored: new RegExp(source, `${jsFlags}y`),
      anywhere: new RegExp(source, jsFlags),
    };
  } catch (err) {
    const message = (err as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '');
    throw new RegexSyntaxError(message);
  }
  if (cache.size > 500) cache.clear();
  cache.set(pattern, compiled);
  return compiled;
}

function translate(pattern: string, flags: ReadonlySet<string>): string {
  const verbose = flags.has('x');
  const dotAll = flags.has('s');
  const multiline = flags.has('m');
  let out = '';
  let i = 0;
  let inClass = false;
  while (i < pattern.length) {
    const ch = pattern[i] as string;
    if (ch === '\\') {
      const next = pattern[i + 1];
      if (next === undefined) throw new RegexSyntaxError('bad escape (end of pattern)');
      if (!inClass && next === 'A') out += '(?<![\\s\\S])';
      else if (!inClass && next === 'Z') out += '(?![\\s\\S])';
      else out += ch + next;
      i += 2;
      continue;
    }
    if (inClass) {
      if (ch === ']') inClass = false;
      out += ch;
      i++;
      continue;
    }
    if (ch === '[') {
      inClass = true;
      out += ch;
      i++;
      if (pattern[i] === '^') {
        out += '^';
        i++;
      }
      // Python: a ']' right after '[' or '[^' is a literal.
      if (pattern[i] === ']') {
        out += '\\]';
        i++;
      }
      continue;
    }
    if (verbose && /\s/.test(ch)) {
      i++;
      continue;
    }
    if (verbose && ch === '#') {
      while (i < pattern.length && pattern[i] !== '\n') i++;
      continue;
    }
    if (pattern.startsWith('(?#', i)) {
      const close = pattern.indexOf(')', i);
      if (close < 0) throw new RegexSyntaxError('missing ), unterminated comment');
      i = close + 1;
      continue;
    }
    if (pattern.startsWith('(?P<', i)) {
      out += '(?<';
      i += 4;
      continue;
    }
    if (pattern.startsWith('(?P=', i)) {
      const close = pattern.indexOf(')', i);
      if (close < 0) throw new RegexSyntaxError('missing ), unterminated name');
      out += `\\k<${pattern.slice(i + 4, close)}>`;
      i = close + 1;
      continue;
    }
    if (ch === '$') {
      out += multiline ? '(?=\\n|(?![\\s\\S]))' : '(?=\\n?(?![\\s\\S]))';
      i++;
      continue;
    }
    if (ch === '^') {
      out += multiline ? '(?:(?<![\\s\\S])|(?<=\\n))' : '(?<![\\s\\S])';
      i++;
      continue;
    }
    if (ch === '.') {
      out += dotAll ? '[\\s\\S]' : '[^\\n]';
      i++;
      continue;
    }
    out += ch;
    i++;
  }
  return out;
}

/** Python's `re.match(pattern, text)`: a match starting at the first character. */
export function pythonMatch(regex: CompiledRegex, text: string): boolean {
  regex.anchored.lastIndex = 0;
  return regex.anchored.test(text);
}

/** Python's `re.search(pattern, text)`: a match anywhere. */
export function pythonSearch(regex: CompiledRegex, text: string): boolean {
  return regex.anywhere.test(text);
}
