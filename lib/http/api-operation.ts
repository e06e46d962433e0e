/**
 * What the API description is made of: one operation's description (method, path, parameters,
 * bodies, answers, policy rule) and the error answers every route shares. `api-description.ts` lists
 * the operations (the rules' in `rules-operations.ts`).
 *
 * @example
 * ```ts
 * const responses = { 200: { description: 'The rule', schema: ruleSchema }, ...errors(...PROTECTED, 404) };
 * ```
 */
import type { z } from 'zod';
import type { PolicyRule } from '#lib/auth/policy.ts';
import { acceptedSchema, errorSchema } from '#lib/http/api-schemas.ts';
import { MAX_API_VERSION, MIN_API_VERSION } from '#lib/http/version.ts';

export interface ResponseDescription {
  readonly description: string;
  /** The JSON body's schema (a registered component). */
  readonly schema?: z.ZodType;
  /** Content types of a body that is not JSON (the dashboard's files). */
  readonly contentTypes?: readonly string[];
}

export interface OperationDescription {
  readonly operationId: string;
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** OpenAPI path template (`/v1/introspection/{node_id}`). */
  readonly path: string;
  readonly summary: string;
  readonly description?: string;
  readonly tag: 'versions' | 'introspection' | 'rules' | 'ramdisk' | 'additions';
  /** Upstream's policy rule (`public`: no credentials). */
  readonly rule: PolicyRule;
  /** The microversion that introduced the route or its last change. */
  readonly since?: string;
  /** Not in upstream's API (kept apart from upstream's routes' answers). */
  readonly addition?: true;
  readonly pathParams?: z.ZodObject;
  readonly query?: z.ZodObject;
  readonly body?: { readonly schema: z.ZodType; readonly required: boolean; readonly description: string };
  readonly responses: Readonly<Record<number, ResponseDescription>>;
}

/** What each error status means across the API. */
export const ERROR_MEANINGS: Readonly<Record<number, string>> = {
  400: 'Bad request: malformed input, a malformed microversion header, or a failure upstream answers 400 for',
  401: 'Authentication required (the api), or no credentials at all (API Gateway: {"message": "Unauthorized"})',
  403: 'Access denied by policy (the api), the authorizer refused the credentials (API Gateway: {"message": "Forbidden"}), or a ramdisk callback from outside CALLBACK_ALLOWED_CIDRS',
  404: 'Not found (the node, its data, a marker, a version, a rule)',
  406: `Unsupported API version (supported range ${MIN_API_VERSION} to ${MAX_API_VERSION})`,
  409: 'The node is locked by another operation, or its record changed meanwhile: retry (rules: the UUID is taken)',
  413: 'The request or response body is larger than the API can carry (MAX_BODY_BYTES)',
  500: 'Internal server error (or an Ironic failure while processing, as upstream)',
  429: 'Too many failed lookups from this source address (LOOKUP_FAILURES_PER_MINUTE): retry later',
  503: 'Ironic is not reachable, or the authorizer could not check the credentials (Keystone down, slow or failing)',
};

/** Statuses every route may answer: a bad microversion header, a body too large, a crash. */
export const ALWAYS = [400, 406, 413, 500] as const;
/** Statuses of routes behind the authorizer and the policy. */
export const PROTECTED = [401, 403, 503] as const;

/** The error answers of a route: {@link ALWAYS} and `codes`, in the inspector's format. */
export function errors(...codes: number[]): Record<number, ResponseDescription> {
  const all: Record<number, ResponseDescription> = {};
  for (const code of [...new Set([...ALWAYS, ...codes])].sort((a, b) => a - b)) {
    all[code] = { description: ERROR_MEANINGS[code] ?? 'Error', schema: errorSchema };
  }
  return all;
}

/** 202 `{}`. */
export const accepted: ResponseDescription = {
  description: 'Accepted: the work goes on in the worker',
  schema: acceptedSchema,
};
