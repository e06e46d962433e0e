/**
 * The rules engine in memory (in-memory rule store, in-memory Ironic): every condition operator with
 * upstream's coercions, `multiple` and `invert`, `data://` and `node://` fields, scope, every action
 * with its Ironic calls, value formatting (nested values too), the run order, and failures.
 */
import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { MemoryRuleStore } from '#lib/adapters/memory/rule-store.ts';
import { RuleEvaluationError, RuleFailAction, RuleFormattingError } from '#lib/domain/errors.ts';
import type { NodeInfo } from '#lib/node/node-info.ts';
import { applyIntrospectionRules } from '#lib/rules/apply.ts';
import { conditionPlugin } from '#lib/rules/conditions.ts';
import type { Rule } from '#lib/rules/rule.ts';
import { validateRule } from '#lib/rules/validation.ts';
import { FakeIronic } from '#test/support/fake-ironic.ts';
import { ironicNodeInfo, RecordingLogger } from '#test/support/fixture.ts';

let ironic: FakeIronic;
let rules: MemoryRuleStore;
let logger: RecordingLogger;
let tick = 0;

beforeEach(() => {
  ironic = new FakeIronic();
  rules = new MemoryRuleStore();
  logger = new RecordingLogger();
});

function nodeInfoFor(uuid: string): NodeInfo {
  return ironicNodeInfo(uuid, ironic, logger);
}

/** A rule as POST /v1/rules would create it. */
async function addRule(body: Record<string, unknown>): Promise<Rule> {
  tick++;
  const rule = validateRule(body, { now: new Date(Date.UTC(2026, 0, 1, 0, 0, tick)), newUuid: randomUUID });
  await rules.create(rule);
  return rule;
}

const data = () => ({
  memory_mb: 4096,
  cpus: 8,
  cpu_arch: 'x86_64',
  inventory: {
    interfaces: [
      { name: 'eth0', mac_address: '52:54:00:00:00:01', has_carrier: true, ipv4_address: '10.1.2.3' },
      { name: 'eth1', mac_address: '52:54:00:00:00:02', has_carrier: false, ipv4_address: null },
    ],
    system_vendor: { manufacturer: 'Dell Inc.', product_name: 'PowerEdge R640' },
  },
  extra: { cpu: { logical: { number: 16 } } },
});

async function run(node: Record<string, unknown> = {}) {
  const created = ironic.addNode({ properties: { capabilities: 'boot_mode:uefi' }, ...node });
  const nodeInfo = nodeInfoFor(created.uuid);
  const applied = await applyIntrospectionRules({ rules, logger }, nodeInfo, data());
  return { applied, node: ironic.nodes.get(created.uuid) as Record<string, unknown>, uuid: created.uuid };
}

describe('condition operators', () => {
  it.each([
    // eq/ne with coercion toward the value's type
    ['eq', 42, '42', true],
    ['eq', 42, ' 42 ', true],
    ['eq', '1024', 1024, false],
    ['eq', 1, 1.5, true],
    ['eq', 1.5, '1.5', true],
    ['eq', true, true, true],
    ['eq', true, 1, true],
    ['eq', 'abc', 'abc', true],
    ['eq', [1, 2], [1, 2], true],
    ['eq', { a: 1 }, { a: 1 }, true],
    ['ne', 42, '43', true],
    ['ne', 'x', 'x', false],
    // ordering
    ['lt', 4096, 2048, true],
    ['le', 4096, '4096', true],
    ['gt', 1000, 1001, true],
    ['ge', 4096, 4095, false],
    ['gt', 'b', 'c', true],
    ['ge', 1.5, '2', true],
    ['lt', [1, 2], [1, 1], true],
    // is-empty
    ['is-empty', undefined, '', true],
    ['is-empty', undefined, null, true],
    ['is-empty', undefined, [], true],
    ['is-empty', undefined, {}, true],
    ['is-empty', undefined, 0, false],
    ['is-empty', undefined, false, false],
    ['is-empty', undefined, ' ', false],
    // in-net
    ['in-net', '10.0.0.0/8', '10.1.2.3', true],
    ['in-net', '10.0.0.1/8', '10.255.0.1', true],
    ['in-net', '10.0.0.0/8', '11.0.0.1', false],
    ['in-net', '10.0.0.0/8', 167772161, true],
    ['in-net', '2001:db8::/32', '2001:db8::1', true],
    ['in-net', '2001:db8::/32', '10.1.2.3', false],
    // matches: anchored at both ends; contains: anywhere
    ['matches', 'Dell.*', 'Dell Inc.', true],
    ['matches', 'Dell', 'Dell Inc.', false],
    ['matches', 'Dell$', 'Dell', true],
    ['matches', 'True', true, true],
    ['matches', '\\[1, 2\\]', [1, 2], true],
    ['contains', 'Inc', 'Dell Inc.', true],
    ['contains', '^Inc', 'Dell Inc.', false],
    ['contains', 'None', null, true],
    ['contains', "'a': 1", { a: 1 }, true],
  ])('%s %j on %j is %s', (op, value, field, expected) => {
    const params = value === undefined ? {} : { value };
    const plugin = conditionPlugin(op as Parameters<typeof conditionPlugin>[0]);
    plugin.validate(params);
    expect(plugin.check(field, params)).toBe(expected);
  });

  it.each([
    ['eq', 1, 'abc', "invalid literal for int() with base 10: 'abc'"],
    ['eq', 1, null, "int() argument must be a string, a bytes-like object or a real number, not 'NoneType'"],
    ['gt', 1000, '1000x', "invalid literal for int() with base 10: '1000x'"],
    ['gt', '1000', 1500, "'>' not supported between instances of 'int' and 'str'"],
    ['lt', 1, [1], "int() argument must be a string, a bytes-like object or a real number, not 'list'"],
    ['in-net', '10.0.0.0/8', 'not-an-ip', "failed to detect a valid IP address from 'not-an-ip'"],
    ['in-net', '10.0.0.0/8', null, 'failed to detect a valid IP address from null'],
  ])('%s %j on %j cannot be evaluated: %s', async (op, value, field, detail) => {
    await addRule({ conditions: [{ op, field: 'value', value }], actions: [{ action: 'example' }] });
    const created = ironic.addNode();
    const error = await applyIntrospectionRules({ rules, logger }, nodeInfoFor(created.uuid), {
      value: field,
    }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(RuleEvaluationError);
    expect((error as RuleEvaluationError).httpStatus).toBe(400);
    expect((error as Error).message).toContain(`condition ${op} on value`);
    expect((error as Error).message).toContain(detail);
  });
});

describe('fields, multiple and invert', () => {
  const rule = (condition: Record<string, unknown>) =>
    addRule({ conditions: [condition], actions: [{ action: 'add-trait', name: 'CUSTOM_MATCHED' }] });
  const matched = (node: Record<string, unknown>) =>
    ((node.traits as string[]) ?? []).includes('CUSTOM_MATCHED');

  it.each([
    [{ op: 'eq', field: 'inventory.interfaces[*].has_carrier', value: true }, true],
    [{ op: 'eq', field: 'inventory.interfaces[*].has_carrier', value: true, multiple: 'all' }, false],
    [{ op: 'eq', field: 'inventory.interfaces[*].has_carrier', value: true, multiple: 'first' }, true],
    [{ op: 'eq', field: 'inventory.interfaces[*].has_carrier', value: false, multiple: 'first' }, false],
    [{ op: 'eq', field: 'inventory.interfaces[*].has_carrier', value: true, invert: true }, true],
    [
      { op: 'eq', field: 'inventory.interfaces[*].has_carrier', value: true, invert: true, multiple: 'all' },
      false,
    ],
    [{ op: 'is-empty', field: 'inventory.interfaces[*].ipv4_address', multiple: 'any' }, true],
    [{ op: 'ge', field: 'memory_mb', value: 4096 }, true],
    [{ op: 'ge', field: 'data://memory_mb', value: 8192 }, false],
    [{ op: 'eq', field: 'extra.cpu.logical.number', value: 16 }, true],
    // A path that finds nothing skips the rule, whatever `invert` says; is-empty sees null.
    [{ op: 'eq', field: 'nope', value: 1 }, false],
    [{ op: 'eq', field: 'nope', value: 1, invert: true }, false],
    [{ op: 'is-empty', field: 'nope' }, true],
    [{ op: 'is-empty', field: 'nope', invert: true }, false],
    // node:// reads the node as openstacksdk names its fields
    [{ op: 'eq', field: 'node://is_maintenance', value: false }, true],
    [{ op: 'is-empty', field: 'node://driver_info.deploy_kernel' }, true],
    [{ op: 'matches', field: 'node://properties.capabilities', value: '.*boot_mode:uefi.*' }, true],
    [{ op: 'eq', field: 'node://maintenance', value: false }, false],
    [{ op: 'is-empty', field: 'node://uuid' }, true],
    [{ op: 'is-empty', field: 'node://instance_id' }, true],
  ])('%j: the rule applies = %s', async (condition, expected) => {
    await rule(condition);
    const { node } = await run({ maintenance: false });
    expect(matched(node)).toBe(expected);
  });

  it('node://id is the node UUID', async () => {
    const created = ironic.addNode();
    await rule({ op: 'eq', field: 'node://id', value: created.uuid });
    await applyIntrospectionRules({ rules, logger }, nodeInfoFor(created.uuid), data());
    expect(ironic.nodes.get(created.uuid)?.traits).toEqual(['CUSTOM_MATCHED']);
  });

  it('a rule without conditions always applies', async () => {
    await addRule({ actions: [{ action: 'add-trait', name: 'CUSTOM_ALWAYS' }] });
    expect((await run()).node.traits).toEqual(['CUSTOM_ALWAYS']);
  });

  it("the worked example: no deploy kernel, enough memory, every NIC has carrier (here one doesn't)", async () => {
    const conditions = [
      { op: 'is-empty', field: 'node://driver_info.deploy_kernel' },
      { op: 'ge', field: 'memory_mb', value: 4096 },
      { op: 'eq', field: 'inventory.interfaces[*].has_carrier', value: true, multiple: 'all' },
    ];
    const actions = [
      {
        action: 'set-attribute',
        path: 'driver_info/deploy_kernel',
        value: '{data[inventory][system_vendor][product_name]}',
      },
    ];
    await addRule({ conditions, actions });
    expect((await run()).node.driver_info).toEqual({});
    await rules.deleteAll();
    await addRule({ conditions: conditions.slice(0, 2), actions });
    expect((await run()).node.driver_info).toEqual({ deploy_kernel: 'PowerEdge R640' });
  });
});

describe('scope', () => {
  it('a scoped rule applies only to nodes whose inspection_scope equals it; unscoped rules to all', async () => {
    await addRule({ scope: 'rack-1', actions: [{ action: 'add-trait', name: 'CUSTOM_RACK_1' }] });
    await addRule({ scope: '', actions: [{ action: 'add-trait', name: 'CUSTOM_GLOBAL' }] });
    await addRule({ actions: [{ action: 'add-trait', name: 'CUSTOM_GLOBAL_2' }] });
    const inScope = await run({ properties: { inspection_scope: 'rack-1' } });
    expect(inScope.node.traits).toEqual(['CUSTOM_RACK_1', 'CUSTOM_GLOBAL', 'CUSTOM_GLOBAL_2']);
    expect((await run({ properties: { inspection_scope: 'Rack-1' } })).node.traits).toEqual([
      'CUSTOM_GLOBAL',
      'CUSTOM_GLOBAL_2',
    ]);
    expect((await run()).node.traits).toEqual(['CUSTOM_GLOBAL', 'CUSTOM_GLOBAL_2']);
  });

  it("a non-matching scope's conditions are not evaluated", async () => {
    await addRule({
      scope: 'other',
      conditions: [{ op: 'gt', field: 'cpu_arch', value: 1 }],
      actions: [{ action: 'example' }],
    });
    await expect(run()).resolves.toMatchObject({ applied: [] });
  });
});

describe('actions', () => {
  it('fail: the run stops with the message (400), earlier actions stay applied', async () => {
    await addRule({ actions: [{ action: 'add-trait', name: 'CUSTOM_FIRST' }] });
    await addRule({
      actions: [
        { action: 'set-attribute', path: '/extra/before', value: 1 },
        { action: 'fail', message: 'Not enough memory: {data[memory_mb]}' },
      ],
    });
    await addRule({ actions: [{ action: 'add-trait', name: 'CUSTOM_LATER' }] });
    const created = ironic.addNode();
    const error = await applyIntrospectionRules({ rules, logger }, nodeInfoFor(created.uuid), data()).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RuleFailAction);
    // The message is not formatted, as upstream.
    expect((error as Error).message).toBe('Not enough memory: {data[memory_mb]}');
    expect((error as RuleFailAction).httpStatus).toBe(400);
    const node = ironic.nodes.get(created.uuid);
    expect(node?.traits).toEqual(['CUSTOM_FIRST']);
    expect(node?.extra).toEqual({ before: 1 });
  });

  it('fail with a non-string message reports str() of it', async () => {
    await addRule({ actions: [{ action: 'fail', message: { why: ['x'] } }] });
    await expect(run()).rejects.toThrow("{'why': ['x']}");
  });

  it('set-attribute: add <path> with the formatted value; a leading / is added', async () => {
    await addRule({
      actions: [
        {
          action: 'set-attribute',
          path: '/extra/vendor',
          value: '{data[inventory][system_vendor][manufacturer]}',
        },
        {
          action: 'set-attribute',
          path: 'properties/memory',
          value: { '{data[cpu_arch]}': ['{data[memory_mb]}', 1, null] },
        },
        { action: 'set-attribute', path: '/extra/none', value: null },
      ],
    });
    const { node, uuid } = await run();
    expect(node.extra).toEqual({ vendor: 'Dell Inc.', none: null });
    expect((node.properties as Record<string, unknown>).memory).toEqual({ x86_64: ['4096', 1, null] });
    const patches = ironic.callsOf('patchNode').map((c) => c.args);
    expect(patches[0]).toEqual([uuid, [{ op: 'add', path: '/extra/vendor', value: 'Dell Inc.' }], {}]);
  });

  it('set-attribute on driver resets the interfaces unless reset_interfaces is false', async () => {
    await addRule({ actions: [{ action: 'set-attribute', path: '/driver', value: 'ipmi' }] });
    await addRule({
      actions: [{ action: 'set-attribute', path: 'driver/', value: 'redfish', reset_interfaces: false }],
    });
    await addRule({
      actions: [{ action: 'set-attribute', path: '/extra/x', value: 1, reset_interfaces: true }],
    });
    await run();
    expect(ironic.callsOf('patchNode').map((c) => c.args[2])).toEqual([{ resetInterfaces: true }, {}, {}]);
  });

  it('set-capability sets, replaces and (without value) removes a capability, values as str()', async () => {
    await addRule({
      actions: [
        { action: 'set-capability', name: 'cpus', value: '{data[cpus]}' },
        { action: 'set-capability', name: 'boot_mode', value: 'bios' },
        { action: 'set-capability', name: 'flag', value: true },
        { action: 'set-capability', name: 'n', value: 5 },
      ],
    });
    await addRule({ actions: [{ action: 'set-capability', name: 'n' }] });
    const { node } = await run({ properties: { capabilities: 'boot_mode:uefi,other:1' } });
    expect((node.properties as Record<string, unknown>).capabilities).toBe(
      'boot_mode:bios,other:1,cpus:8,flag:True',
    );
  });

  it('extend-attribute: creates the list, appends, once only with unique, deep paths found', async () => {
    await addRule({
      actions: [
        { action: 'extend-attribute', path: '/extra/tags', value: '{data[cpu_arch]}' },
        { action: 'extend-attribute', path: '/extra/tags', value: 'x86_64', unique: true },
        { action: 'extend-attribute', path: '/extra/tags', value: 'x86_64' },
        { action: 'extend-attribute', path: '/extra/existing', value: { a: 1 }, unique: true },
        { action: 'extend-attribute', path: '/extra/nested/list', value: 2 },
      ],
    });
    const { node } = await run({ extra: { existing: [{ a: 1 }], nested: { list: [1] } } });
    expect(node.extra).toEqual({
      tags: ['x86_64', 'x86_64'],
      existing: [{ a: 1 }],
      nested: { list: [1, 2] },
    });
    const ops = ironic.callsOf('patchNode').map((c) => (c.args[1] as Array<{ op: string; path: string }>)[0]);
    expect(ops).toEqual([
      expect.objectContaining({ op: 'add', path: '/extra/tags' }),
      expect.objectContaining({ op: 'replace', path: '/extra/tags' }),
      expect.objectContaining({ op: 'replace', path: '/extra/nested/list' }),
    ]);
  });

  it('extend-attribute on a value that is not a list is a clear error (upstream: a crash)', async () => {
    await addRule({ actions: [{ action: 'extend-attribute', path: '/extra/name', value: 'x' }] });
    await expect(run({ extra: { name: 'text' } })).rejects.toThrow(
      'extend-attribute: the value at /extra/name is not a list but text',
    );
  });

  it('add-trait and remove-trait (a trait the node lacks is fine)', async () => {
    await addRule({
      actions: [
        { action: 'add-trait', name: 'CUSTOM_A' },
        { action: 'add-trait', name: 'CUSTOM_B' },
        { action: 'remove-trait', name: 'CUSTOM_OLD' },
        { action: 'remove-trait', name: 'CUSTOM_NEVER_SET' },
      ],
    });
    const { node } = await run({ traits: ['CUSTOM_OLD'] });
    expect(node.traits).toEqual(['CUSTOM_A', 'CUSTOM_B']);
  });

  it('add-trait retries Ironic failures (5 attempts)', async () => {
    const { IronicError } = await import('#lib/domain/errors.ts');
    ironic.failures.set('addTrait', [new IronicError(503, 'busy'), new IronicError(503, 'busy')]);
    await addRule({ actions: [{ action: 'add-trait', name: 'CUSTOM_RETRIED' }] });
    expect((await run()).node.traits).toEqual(['CUSTOM_RETRIED']);
    expect(ironic.callsOf('addTrait')).toHaveLength(3);
  });

  it('example only logs', async () => {
    await addRule({ actions: [{ action: 'example' }] });
    await run();
    expect(ironic.callsOf('patchNode')).toEqual([]);
    expect(logger.messages('info').some((m) => m.startsWith('Example action called'))).toBe(true);
  });

  it('a placeholder missing from the data stops the run with a clear error', async () => {
    await addRule({
      actions: [{ action: 'set-attribute', path: '/extra/x', value: 'v-{data[inventory][nope]}' }],
    });
    const error = await run().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RuleFormattingError);
    expect((error as Error).message).toBe(
      "Invalid formatting variable key provided in value v-{data[inventory][nope]}: 'nope'",
    );
    await rules.deleteAll();
    await addRule({
      actions: [{ action: 'set-attribute', path: '/extra/x', value: '{data[inventory][interfaces][9]}' }],
    });
    await expect(run()).rejects.toThrow(
      'Invalid formatting of value {data[inventory][interfaces][9]}: list index out of range',
    );
  });
});

describe('the run', () => {
  it('checks every rule before any action runs, and runs actions in creation order', async () => {
    // The second rule's condition would hold after the first rule's action; it is checked before.
    await addRule({ actions: [{ action: 'set-attribute', path: '/extra/flag', value: 'on' }] });
    await addRule({
      conditions: [{ op: 'eq', field: 'node://extra.flag', value: 'on' }],
      actions: [{ action: 'add-trait', name: 'CUSTOM_SEEN_FLAG' }],
    });
    const { node, applied } = await run();
    expect(node.extra).toEqual({ flag: 'on' });
    expect(node.traits).toEqual([]);
    expect(applied).toHaveLength(1);
  });

  it("sees the node as the hooks' PATCH left it, without reading it again", async () => {
    const created = ironic.addNode({ extra: {} });
    const nodeInfo = nodeInfoFor(created.uuid);
    await nodeInfo.ironic.node(); // cached, as processing has it
    await nodeInfo.ironic.patch([{ op: 'add', path: '/extra/from_hook', value: 'yes' }]); // a hook's change
    await addRule({
      conditions: [{ op: 'eq', field: 'node://extra.from_hook', value: 'yes' }],
      actions: [{ action: 'add-trait', name: 'CUSTOM_FRESH' }],
    });
    ironic.calls.length = 0;
    await applyIntrospectionRules({ rules, logger }, nodeInfo, data());
    expect(ironic.nodes.get(created.uuid)?.traits).toEqual(['CUSTOM_FRESH']);
    expect(ironic.callsOf('getNode')).toEqual([]);
  });

  it('no rules: nothing is read or written', async () => {
    const { applied } = await run();
    expect(applied).toEqual([]);
    expect(ironic.callsOf('getNode')).toEqual([]);
  });
});
