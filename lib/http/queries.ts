/**
 * Query parameters and bodies, read with zod and answered with upstream's messages (400).
 *
 * @example
 * ```ts
 * const { limit, marker, state } = parseOr400(listQuery(1000), request.query);
 * const manageBoot = parseOr400(manageBootQuery, request.query.manage_boot);
 * ```
 */
import * as z from 'zod';
import { parseBooleanString } from '#lib/domain/booleans.ts';
import { InvalidIntrospectionData, InvalidQuery, JsonTooDeep } from '#lib/domain/errors.ts';
import { type IntrospectionState, isState } from '#lib/domain/state-machine.ts';
import { isUuidLike } from '#lib/domain/uuids.ts';
import type { ApiRequest } from '#lib/http/request.ts';

/** `manage_boot`: a strict boolean, default true. */
export const manageBootQuery = z
  .string()
  .optional()
  .transform((value, ctx) => {
    if (value === undefined) return true;
    const parsed = parseBooleanString(value);
    if (parsed !== undefined) return parsed;
    ctx.addIssue({ code: 'custom', message: `Invalid boolean value for manage_boot: ${value}` });
    return z.NEVER;
  });

/** The list query (`marker`, `limit`, `state`) with upstream's messages; present-but-empty is validated. */
export function listQuery(maxLimit: number) {
  return z.object({
    marker: z
      .string()
      .optional()
      .refine((v) => v === undefined || isUuidLike(v), 'Bad request: Marker not UUID-like'),
    limit: z
      .string()
      .optional()
      .transform((value, ctx) => {
        if (value === undefined) return maxLimit;
        if (!/^\s*[-+]?\d+\s*$/.test(value)) {
          ctx.addIssue({
            code: 'custom',
            message: `Bad request: invalid literal for int() with base 10: '${value}'`,
          });
          return z.NEVER;
        }
        const n = Number.parseInt(value, 10);
        if (n < 0) ctx.addIssue({ code: 'custom', message: 'Bad request: Limit cannot be negative' });
        else if (n > maxLimit)
          ctx.addIssue({ code: 'custom', message: `Bad request: Limit over ${maxLimit}` });
        return n === 0 ? maxLimit : n;
      }),
    state: z
      .string()
      .optional()
      .transform((value, ctx) => {
        if (value === undefined) return undefined;
        const states = value.split(',').map((s) => s.trim());
        const bad = states.filter((s) => !isState(s));
        if (bad.length > 0) {
          ctx.addIssue({
            code: 'custom',
            message: `Bad request: State(s) "${bad.join(', ')}" are not valid`,
          });
          return z.NEVER;
        }
        return states as IntrospectionState[];
      }),
  });
}

/**
 * Parse with a zod schema; the first issue's message becomes the answer.
 *
 * @throws InvalidQuery (400)
 */
export function parseOr400<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new InvalidQuery(parsed.error.issues[0]?.message ?? 'Bad request');
}

/**
 * How deep a JSON body may nest (arrays and objects). A ramdisk's data nests about six deep; the limit
 * keeps every recursive walk of a body (parsing, cloning, validating, encoding) far from the stack's
 * end (docs/design.md#input-limits).
 */
export const MAX_JSON_DEPTH = 64;

/**
 * Whether `text` nests arrays and objects deeper than `maxDepth`, found in one pass without recursion
 * (brackets inside strings do not count). Malformed text is left to the parser.
 */
export function nestsDeeperThan(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > maxDepth) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/**
 * A request body as JSON: undefined when empty; nested deeper than {@link MAX_JSON_DEPTH} is 400
 * before parsing; unparsable is 400 with upstream's reapply wording (docs/design.md#bad-input).
 *
 * @throws JsonTooDeep "Invalid data: JSON nested deeper than 64 levels"
 * @throws InvalidIntrospectionData "Invalid data: expected a JSON object, got None"
 */
export function jsonBody(request: ApiRequest): unknown {
  if (request.body === undefined || request.body.trim() === '') return undefined;
  if (nestsDeeperThan(request.body, MAX_JSON_DEPTH)) throw new JsonTooDeep(MAX_JSON_DEPTH);
  try {
    return JSON.parse(request.body) as unknown;
  } catch {
    throw new InvalidIntrospectionData('None');
  }
}
