/**
 * Every row of the rule validation table (`POST /v1/rules`), in upstream's order and with its
 * messages, through the create use case on the in-memory store: the body check, UUID, scope, the
 * conditions schema, field scheme and JSON path, each operator's parameters, the actions schema,
 * each action's parameters, the duplicate UUID, and where a clear 4xx replaces upstream's 500.
 */
import { describe, expect, it } from 'vitest';
import { MemoryRuleStore } from '#lib/adapters/memory/rule-store.ts';
import { silentLogger } from '#lib/ports/logger.ts';
import { createRule, type RulesApiDeps } from '#lib/rules/api.ts';
import { isUuidLikeOslo } from '#lib/rules/validation.ts';

const A = [{ action: 'example' }];
const deps = (): RulesApiDeps => ({
  rules: new MemoryRuleStore(),
  logger: silentLogger,
  now: () => new Date(),
});
const latest = { apiVersion: [1, 18] as const, pathPrefix: '' };

async function refusal(
  body: unknown,
  d: RulesApiDeps = deps(),
): Promise<{ status: number; message: string }> {
  try {
    await createRule(d, body, latest);
  } catch (err) {
    return { status: (err as { httpStatus: number }).httpStatus, message: (err as Error).message };
  }
  throw new Error('the rule was accepted');
}

const cond = (extra: Record<string, unknown>) => ({ op: 'eq', field: 'memory_mb', value: 1, ...extra });

describe('row 0: the body', () => {
  it.each([
    [undefined, 'Invalid data: expected a JSON object, got NoneType'],
    [null, 'Invalid data: expected a JSON object, got NoneType'],
    [[{ actions: A }], 'Invalid data: expected a JSON object, got list'],
    [5, 'Invalid data: expected a JSON object, got int'],
    ['rule', 'Invalid data: expected a JSON object, got str'],
  ])('%j is 400 (upstream: 500)', async (body, message) => {
    expect(await refusal(body)).toEqual({ status: 400, message });
  });
});

describe('row 1: uuid', () => {
  it.each([
    ['not-a-uuid'],
    [5],
    [true],
    [['7459bf7c-9ff9-43a8-ba9f-48542ecda66c']],
    [`${'-'.repeat(300)}7459bf7c9ff943a8ba9f48542ecda66c`],
  ])('%j is "Invalid UUID value"', async (uuid) => {
    expect(await refusal({ uuid, actions: A })).toEqual({ status: 400, message: 'Invalid UUID value' });
  });

  it.each([
    '7459BF7C9FF943A8BA9F48542ECDA66C',
    '{7459bf7c-9ff9-43a8-ba9f-48542ecda66c}',
    'urn:uuid:7459bf7c-9ff9-43a8-ba9f-48542ecda66c',
    '74-59bf7c9ff943a8ba9f48542ecda66c',
  ])('%s is accepted and echoed exactly', async (uuid) => {
    expect(isUuidLikeOslo(uuid)).toBe(true);
    const { body } = await createRule(deps(), { uuid, actions: A }, latest);
    expect((body as { uuid: string }).uuid).toBe(uuid);
  });

  it.each([[''], [null], [0], [false]])('a falsy uuid %j gets a generated lower-case UUID', async (uuid) => {
    const { body } = await createRule(deps(), { uuid, actions: A }, latest);
    expect((body as { uuid: string }).uuid).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });
});

describe('row 2: scope', () => {
  it('longer than 255 characters', async () => {
    expect(await refusal({ scope: 'x'.repeat(256), actions: A })).toEqual({
      status: 400,
      message: 'Invalid scope: the length of the scope should be within 255 characters',
    });
    await expect(createRule(deps(), { scope: 'é'.repeat(255), actions: A }, latest)).resolves.toBeDefined();
  });

  it('not a string is 400 (upstream: 500)', async () => {
    expect(await refusal({ scope: 12, actions: A })).toEqual({
      status: 400,
      message: 'Invalid scope: the scope should be a string',
    });
  });

  it('the uuid is checked before the scope', async () => {
    expect((await refusal({ uuid: 'x', scope: 'x'.repeat(300), actions: A })).message).toBe(
      'Invalid UUID value',
    );
  });
});

describe('row 3: the conditions schema', () => {
  const enumOps = "['contains', 'eq', 'ge', 'gt', 'in-net', 'is-empty', 'le', 'lt', 'matches', 'ne']";
  it.each([
    ['x', "'x' is not of type 'array'"],
    [null, "None is not of type 'array'"],
    [{ op: 'eq' }, "{'op': 'eq'} is not of type 'array'"],
    [[{}], "'op' is a required property"],
    [[{ op: 'eq' }], "'field' is a required property"],
    [[{ field: 'x' }], "'op' is a required property"],
    [[5], "5 is not of type 'object'"],
    [[{ op: 'foo', field: 'x' }], `'foo' is not one of ${enumOps}`],
    [[cond({ multiple: 'none' })], "'none' is not one of ['all', 'any', 'first']"],
    [[cond({ multiple: null })], "None is not one of ['all', 'any', 'first']"],
    [[cond({ invert: 'yes' })], "'yes' is not of type 'boolean'"],
    [[cond({ invert: null })], "None is not of type 'boolean'"],
    [[cond({ field: 5 })], "5 is not of type 'string'"],
    // best match: the shallowest error first, a type mismatch before a missing property
    [[{ op: 'foo' }, 5], "5 is not of type 'object'"],
    [[{ op: 'foo', field: 'x' }, {}], "'op' is a required property"],
  ])('%j: %s', async (conditions, detail) => {
    expect(await refusal({ conditions, actions: A })).toEqual({
      status: 400,
      message: `Validation failed for conditions: ${detail}`,
    });
  });

  it('an empty or missing list is fine (a rule that always applies)', async () => {
    await expect(createRule(deps(), { conditions: [], actions: A }, latest)).resolves.toBeDefined();
    await expect(createRule(deps(), { actions: A }, latest)).resolves.toBeDefined();
  });
});

describe('rows 4 and 5: field scheme and JSON path', () => {
  it.each([
    ['foo://x', 'Unsupported scheme for field: foo, valid values are node:// or data://'],
    ['Node://x', 'Unsupported scheme for field: Node, valid values are node:// or data://'],
    ['data://', "Unable to parse field JSON path data://: 'NoneType' object has no attribute 'lineno'"],
    ['a b', 'Unable to parse field JSON path a b: Parse error at 1:2 near token b (ID)'],
    ['node://a[', "Unable to parse field JSON path node://a[: 'NoneType' object has no attribute 'lineno'"],
    ['a?', 'Unable to parse field JSON path a?: Error on line 1, col 1: Unexpected character: ? '],
  ])('%s: %s', async (field, message) => {
    expect(await refusal({ conditions: [cond({ field })], actions: A })).toEqual({ status: 400, message });
  });

  it('conditions are checked in order: the first bad one is reported', async () => {
    const conditions = [cond({}), cond({ field: 'x://y' }), cond({ field: 'a b' })];
    expect((await refusal({ conditions, actions: A })).message).toContain('Unsupported scheme for field: x');
  });
});

describe('row 6: operator parameters', () => {
  it.each<[Record<string, unknown>, string]>([
    ...['eq', 'ne', 'lt', 'le', 'gt', 'ge'].flatMap(
      (op): Array<[Record<string, unknown>, string]> => [
        [{ op, field: 'x' }, `Invalid parameters for operator ${op}: missing required parameter(s): value`],
        [
          { op, field: 'x', value: null },
          `Invalid parameters for operator ${op}: missing required parameter(s): value`,
        ],
        [
          { op, field: 'x', value: 1, extra: 2 },
          `Invalid parameters for operator ${op}: unexpected parameter(s): extra`,
        ],
      ],
    ),
    [
      { op: 'eq', field: 'x', b: 1, a: 2 },
      'Invalid parameters for operator eq: missing required parameter(s): value; unexpected parameter(s): a, b',
    ],
    [
      { op: 'is-empty', field: 'x', value: 1 },
      'Invalid parameters for operator is-empty: unexpected parameter(s): value',
    ],
    [
      { op: 'in-net', field: 'x' },
      'Invalid parameters for operator in-net: missing required parameter(s): value',
    ],
    [
      { op: 'in-net', field: 'x', value: '1.2.3.4/99' },
      'Invalid parameters for operator in-net: invalid value: invalid IPNetwork 1.2.3.4/99',
    ],
    [
      { op: 'in-net', field: 'x', value: 'foo' },
      'Invalid parameters for operator in-net: invalid value: invalid IPNetwork foo',
    ],
    [
      { op: 'in-net', field: 'x', value: '' },
      'Invalid parameters for operator in-net: invalid value: invalid IPNetwork ',
    ],
    [
      { op: 'in-net', field: 'x', value: 10 },
      'Invalid parameters for operator in-net: invalid value: the network must be a string',
    ],
    [
      { op: 'matches', field: 'x', value: '(' },
      'Invalid parameters for operator matches: invalid regular expression: Unterminated group',
    ],
    [
      { op: 'contains', field: 'x', value: '[a-' },
      'Invalid parameters for operator contains: invalid regular expression: Unterminated character class',
    ],
    [
      { op: 'matches', field: 'x' },
      'Invalid parameters for operator matches: missing required parameter(s): value',
    ],
    [
      { op: 'contains', field: 'x', value: 5 },
      'Invalid parameters for operator contains: invalid regular expression: the value must be a string',
    ],
    [
      { op: 'matches', field: 'x', value: '' },
      'Invalid parameters for operator matches: invalid regular expression: the value is empty',
    ],
  ])('%j: %s', async (condition, message) => {
    expect(await refusal({ conditions: [condition], actions: A })).toEqual({ status: 400, message });
  });

  it.each([
    { op: 'is-empty', field: 'x' },
    { op: 'is-empty', field: 'x', value: null },
    { op: 'in-net', field: 'x', value: '10.0.0.1/8' },
    { op: 'in-net', field: 'x', value: '2001:db8::/32' },
    { op: 'matches', field: 'x', value: '^Dell', comment: 'extra parameters pass, as upstream' },
    { op: 'contains', field: 'x', value: '(?P<v>Dell|HP)' },
    { op: 'ge', field: 'node://properties.memory_mb', value: 1.5, multiple: 'all', invert: true },
  ])('%j is accepted', async (condition) => {
    await expect(createRule(deps(), { conditions: [condition], actions: A }, latest)).resolves.toBeDefined();
  });
});

describe('row 7: the actions schema', () => {
  const enumActions =
    "['add-trait', 'example', 'extend-attribute', 'fail', 'remove-trait', 'set-attribute', 'set-capability']";
  it.each([
    [undefined, '[] is too short'],
    [[], '[] is too short'],
    ['x', "'x' is not of type 'array'"],
    [null, "None is not of type 'array'"],
    [[{}], "'action' is a required property"],
    [[5], "5 is not of type 'object'"],
    [[{ action: 'nope' }], `'nope' is not one of ${enumActions}`],
    [[{ action: 5 }], `5 is not one of ${enumActions}`],
    [[{}, 5], "5 is not of type 'object'"],
  ])('%j: %s', async (actions, detail) => {
    expect(await refusal({ actions })).toEqual({
      status: 400,
      message: `Validation failed for actions: ${detail}`,
    });
  });

  it('conditions are checked before actions', async () => {
    expect((await refusal({ conditions: 'x', actions: [] })).message).toContain('for conditions');
    expect((await refusal({ conditions: [cond({ field: 'x://' })], actions: [] })).message).toContain(
      'Unsupported scheme',
    );
  });
});

describe('row 8: action parameters', () => {
  it.each([
    [{ action: 'fail' }, 'fail: missing required parameter(s): message'],
    [{ action: 'fail', message: null }, 'fail: missing required parameter(s): message'],
    [{ action: 'fail', message: 'x', extra: 1 }, 'fail: unexpected parameter(s): extra'],
    [{ action: 'set-attribute', path: '/extra/x' }, 'set-attribute: missing required parameter(s): value'],
    [{ action: 'set-attribute', value: 1 }, 'set-attribute: missing required parameter(s): path'],
    [
      { action: 'set-attribute', path: '/x', value: 1, nope: 1 },
      'set-attribute: unexpected parameter(s): nope',
    ],
    [{ action: 'set-attribute', path: 5, value: 1 }, 'set-attribute: path must be a string'],
    [
      { action: 'set-attribute', path: '/x', value: '{data[a]' },
      "set-attribute: invalid formatting of value {data[a]: expected '}' before end of string",
    ],
    [
      { action: 'set-attribute', path: '/x', value: { k: ['{"json": 1}'] } },
      'set-attribute: invalid formatting of value {"json": 1}: unknown variable {"json"}',
    ],
    [
      { action: 'set-attribute', path: '/x', value: '{node[uuid]}' },
      'set-attribute: invalid formatting of value {node[uuid]}: unknown variable {node}',
    ],
    [{ action: 'set-capability', value: 'x' }, 'set-capability: missing required parameter(s): name'],
    [
      { action: 'set-capability', name: 'x', value: '{}' },
      'set-capability: invalid formatting of value {}: positional field {}',
    ],
    [{ action: 'extend-attribute', path: '/x' }, 'extend-attribute: missing required parameter(s): value'],
    [
      { action: 'extend-attribute', path: '/x', value: 1, uniq: true },
      'extend-attribute: unexpected parameter(s): uniq',
    ],
    [{ action: 'add-trait' }, 'add-trait: missing required parameter(s): name'],
    [{ action: 'add-trait', name: '' }, 'add-trait: name must not be empty'],
    [{ action: 'remove-trait', name: 'CUSTOM_X', x: 1 }, 'remove-trait: unexpected parameter(s): x'],
    [{ action: 'example', x: 1 }, 'example: unexpected parameter(s): x'],
  ])('%j: %s', async (action, detail) => {
    const { status, message } = await refusal({ actions: [action] });
    expect(status).toBe(400);
    // Formatting problems go on with a hint (write {{ and }} for braces).
    expect(message.startsWith(`Invalid parameters for action ${detail}`)).toBe(true);
  });

  it.each([
    { action: 'set-attribute', path: '/extra/x', value: null },
    { action: 'set-attribute', path: 'driver', value: 'ipmi', reset_interfaces: 'maybe' },
    { action: 'set-attribute', path: '/extra/x', value: '{{"json": {data[memory_mb]}}}' },
    { action: 'set-capability', name: 'x' },
    { action: 'extend-attribute', path: '/extra/tags', value: '{data[cpu_arch]}', unique: true },
    { action: 'add-trait', name: 'CUSTOM_X' },
    { action: 'remove-trait', name: 'CUSTOM_X' },
    { action: 'example', y: null },
    { action: 'fail', message: { complex: true } },
  ])('%j is accepted (nulls stored and echoed)', async (action) => {
    const { body } = await createRule(deps(), { actions: [action] }, latest);
    expect((body as { actions: unknown[] }).actions).toEqual([action]);
  });
});

describe('after the checks: description, size and the duplicate UUID', () => {
  it('a description that is not a string is 400 (upstream: 500)', async () => {
    expect(await refusal({ description: { a: 1 }, actions: A })).toEqual({
      status: 400,
      message: 'Invalid description: the description should be a string',
    });
    expect((await refusal({ description: 5, actions: [] })).message).toContain('for actions');
  });

  it('a rule too large for one storage item is 413', async () => {
    const value = 'x'.repeat(400_000);
    const result = await refusal({ actions: [{ action: 'set-attribute', path: '/extra/x', value }] });
    expect(result.status).toBe(413);
    expect(result.message).toMatch(
      /^Rule of \d+ bytes is larger than the inspector can store \(380000 bytes\)$/,
    );
  });

  it('row 9: a UUID already taken is 409', async () => {
    const d = deps();
    const uuid = '7459bf7c-9ff9-43a8-ba9f-48542ecda66c';
    await createRule(d, { uuid, actions: A }, latest);
    expect(await refusal({ uuid, actions: [{ action: 'fail', message: 'other' }] }, d)).toEqual({
      status: 409,
      message: `Rule with UUID ${uuid} already exists`,
    });
    // Another spelling of the same UUID is another rule, as upstream.
    await expect(createRule(d, { uuid: uuid.toUpperCase(), actions: A }, latest)).resolves.toBeDefined();
  });

  it('unknown top-level keys are ignored', async () => {
    const { body } = await createRule(deps(), { actions: A, disabled: true, whatever: [1] }, latest);
    expect(Object.keys(body as object).sort()).toEqual([
      'actions',
      'conditions',
      'description',
      'links',
      'scope',
      'uuid',
    ]);
  });
});
