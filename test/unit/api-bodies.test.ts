/**
 * Bodies that are JSON but not an object, for the two routes that take one (the ramdisk callback and
 * reapply): 400 naming the Python type, as upstream words it, and nothing done.
 */
import { describe, expect, it } from 'vitest';
import { FakeIronic } from '#test/support/fake-ironic.ts';
import { freshBmc } from '#test/support/introspection.ts';
import { startTestStack } from '#test/support/stack.ts';

describe('a JSON body that is not an object', () => {
  it('is 400 "expected a JSON object, got <type>" on the callback and on reapply', async () => {
    const ironic = new FakeIronic();
    const stack = await startTestStack({ ironic });
    try {
      const node = ironic.addNode({ driver_info: { ipmi_address: freshBmc() } });
      expect((await stack.call('POST', `/v1/introspection/${node.uuid}?manage_boot=0`)).status).toBe(202);
      const cases: Array<[string, string]> = [
        ['4.5', 'float'],
        ['-7', 'int'],
        ['"inventory"', 'str'],
        ['true', 'bool'],
        ['null', 'NoneType'],
        ['[]', 'list'],
      ];
      for (const [body, type] of cases) {
        const message = `Invalid data: expected a JSON object, got ${type}`;
        const callback = await stack.call('POST', '/v1/continue', { body });
        expect([body, callback.status, callback.json]).toEqual([body, 400, { error: { message } }]);
        const reapply = await stack.call('POST', `/v1/introspection/${node.uuid}/data/unprocessed`, { body });
        expect([body, reapply.status, reapply.json]).toEqual([body, 400, { error: { message } }]);
      }
      await stack.idle();
      const status = await stack.call('GET', `/v1/introspection/${node.uuid}`);
      expect(status.json).toMatchObject({ state: 'waiting', error: null, finished: false });
    } finally {
      await stack.stop();
    }
  });
});
