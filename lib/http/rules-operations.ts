/**
 * The introspection rules' routes in the API description (`lib/http/api-description.ts` lists them
 * after upstream's introspection routes): `GET`, `POST` and `DELETE /v1/rules`, `GET` and
 * `DELETE /v1/rules/{uuid}`.
 *
 * @example
 * ```ts
 * export const operations = [...upstreamOperations, ...RULE_OPERATIONS, ...additions];
 * ```
 */
import { errors, type OperationDescription, PROTECTED } from '#lib/http/api-operation.ts';
import { ruleBodySchema, ruleListSchema, ruleSchema, ruleUuidParams } from '#lib/http/api-schemas.ts';

const deleted = { description: 'Deleted (an empty text/plain body, as upstream)' };

/** The rules routes. */
export const RULE_OPERATIONS: readonly OperationDescription[] = [
  {
    operationId: 'listRules',
    method: 'GET',
    path: '/v1/rules',
    summary: 'List introspection rules, in creation order',
    tag: 'rules',
    rule: 'introspection:rule:get',
    responses: { 200: { description: 'The rules', schema: ruleListSchema }, ...errors(...PROTECTED) },
  },
  {
    operationId: 'createRule',
    method: 'POST',
    path: '/v1/rules',
    summary: 'Create an introspection rule',
    description:
      "Validated in upstream's order with its messages (400); a UUID already taken is 409. Answers 201, or 200 below microversion 1.6 (the stock client asks for 1.0).",
    tag: 'rules',
    rule: 'introspection:rule:create',
    body: { schema: ruleBodySchema, required: true, description: 'The rule' },
    responses: {
      200: { description: 'Created (microversions below 1.6)', schema: ruleSchema },
      201: { description: 'Created', schema: ruleSchema },
      ...errors(...PROTECTED, 409),
    },
  },
  {
    operationId: 'deleteRules',
    method: 'DELETE',
    path: '/v1/rules',
    summary: 'Delete every introspection rule',
    tag: 'rules',
    rule: 'introspection:rule:delete',
    responses: { 204: deleted, ...errors(...PROTECTED) },
  },
  {
    operationId: 'getRule',
    method: 'GET',
    path: '/v1/rules/{uuid}',
    summary: 'One introspection rule',
    tag: 'rules',
    rule: 'introspection:rule:get',
    pathParams: ruleUuidParams,
    responses: { 200: { description: 'The rule', schema: ruleSchema }, ...errors(...PROTECTED, 404) },
  },
  {
    operationId: 'deleteRule',
    method: 'DELETE',
    path: '/v1/rules/{uuid}',
    summary: 'Delete one introspection rule',
    tag: 'rules',
    rule: 'introspection:rule:delete',
    pathParams: ruleUuidParams,
    responses: { 204: deleted, ...errors(...PROTECTED, 404) },
  },
];
