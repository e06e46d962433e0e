/**
 * Ironic requests per introspection, start to finished: the node read once per step (the start's
 * read carried to the worker's reboot job), the ports listed once per step, the power interface
 * validated once. Counted on the in-memory Ironic, which records every call the code makes.
 */
import { describe, expect, it } from 'vitest';
import { freshBmc, freshNics, introspect, statusOf, threeNicCallback } from '../support/introspection.ts';
import { withTestStack } from '../support/stack.ts';

describe('Ironic requests per introspection', () => {
  it('a managed-boot introspection reads the node once per step', async () => {
    await withTestStack({}, async (stack, ironic) => {
      const nics = freshNics();
      const bmc = freshBmc();
      const node = ironic.addNode({ driver_info: { ipmi_address: bmc } }, [nics.pxe, nics.addressed]);
      ironic.calls.length = 0;
      const answer = await introspect(stack, node.uuid, threeNicCallback(nics, bmc));
      expect(answer.status).toBe(200);
      expect((await statusOf(stack, node.uuid)).state).toBe('finished');
      const methods = ironic.calls.map((c) => c.method);
      const callbackAt = methods.indexOf('getNode', 1);
      // The start (request and reboot job): no second read of the node.
      expect(methods.slice(0, callbackAt)).toEqual([
        'getNode',
        'validateNode',
        'listPorts',
        'setBootDevice',
        'setPowerState',
      ]);
      // The callback and the finish: one read of the node, one listing of the ports, the power off.
      const callback = methods.slice(callbackAt);
      expect(callback.filter((m) => m === 'getNode')).toHaveLength(1);
      expect(callback.filter((m) => m === 'listPorts')).toHaveLength(1);
      expect(callback.at(-1)).toBe('setPowerState');
    });
  });

  it("the reboot job boots persistently as the start's read of the node says", async () => {
    await withTestStack({}, async (stack, ironic) => {
      const nics = freshNics();
      const node = ironic.addNode({ driver_info: { force_persistent_boot_device: 'Always' } }, [nics.pxe]);
      ironic.calls.length = 0;
      expect((await stack.call('POST', `/v1/introspection/${node.uuid}`)).status).toBe(202);
      expect((await statusOf(stack, node.uuid)).state).toBe('waiting');
      expect(ironic.callsOf('getNode')).toHaveLength(1);
      expect(ironic.callsOf('setBootDevice').map((c) => c.args)).toEqual([[node.uuid, 'pxe', true]]);
    });
  });
});
