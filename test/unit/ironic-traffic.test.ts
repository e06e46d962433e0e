/**
 * Ironic requests per introspection, start to finished: the node read once per step (the start's
 * read carried to the worker's reboot job), the ports listed once per introspection (the start's list
 * kept with the record for the callback), the power interface validated once, the hooks' changes in
 * one PATCH. Counted on the in-memory Ironic, which records every call the code makes.
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
      // The callback and the finish: one read of the node, the ports as the start listed them, the
      // hooks' one PATCH (the PXE port's pxe_enabled stays as it is), the power off.
      expect(methods.slice(callbackAt)).toEqual(['getNode', 'patchNode', 'setPowerState']);
      expect(methods.length).toBeLessThanOrEqual(8);
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

  it('a port removed after the start is skipped at the callback, and the node still finishes', async () => {
    await withTestStack({}, async (stack, ironic) => {
      const nics = freshNics();
      const bmc = freshBmc();
      const node = ironic.addNode({ driver_info: { ipmi_address: bmc } }, [nics.pxe, nics.addressed]);
      const pxePort = [...ironic.ports.values()].find((p) => p.address === nics.pxe);
      if (pxePort === undefined) throw new Error('no port for eth0');
      pxePort.pxe_enabled = false; // so the callback's hook sets it to true on the port the start listed
      expect((await stack.call('POST', `/v1/introspection/${node.uuid}`)).status).toBe(202);
      expect((await statusOf(stack, node.uuid)).state).toBe('waiting');
      ironic.ports.delete(pxePort.uuid); // the operator deletes it meanwhile
      ironic.calls.length = 0;
      const answer = await stack.call('POST', '/v1/continue', { body: threeNicCallback(nics, bmc) });
      expect(answer.status).toBe(200);
      expect(await statusOf(stack, node.uuid)).toMatchObject({ state: 'finished', error: null });
      expect(ironic.callsOf('listPorts')).toHaveLength(0);
      expect(ironic.callsOf('patchPort').map((c) => c.args[0])).toEqual([pxePort.uuid]);
      expect(stack.logger.messages('warn')).toContain(
        `Port ${pxePort.uuid} (${nics.pxe}) no longer exists in Ironic, skipping`,
      );
    });
  });

  it('a second start lists the ports again (the snapshot is one run only)', async () => {
    await withTestStack({}, async (stack, ironic) => {
      const nics = freshNics();
      const node = ironic.addNode({}, [nics.pxe]);
      expect((await stack.call('POST', `/v1/introspection/${node.uuid}`)).status).toBe(202);
      expect((await statusOf(stack, node.uuid)).state).toBe('waiting');
      // The operator adds a port for eth1 before introspecting again.
      const added = await ironic.createPort({ nodeUuid: node.uuid, address: nics.addressed });
      ironic.calls.length = 0;
      expect((await stack.call('POST', `/v1/introspection/${node.uuid}`)).status).toBe(202);
      expect((await statusOf(stack, node.uuid)).state).toBe('waiting');
      expect(ironic.callsOf('listPorts')).toHaveLength(1);
      // The new port's MAC finds the node.
      const callback = threeNicCallback({ ...nics, pxe: added.address, addressed: nics.pxe }, freshBmc());
      const answer = await stack.call('POST', '/v1/continue', { body: callback });
      expect(answer.status).toBe(200);
      expect((answer.json as { uuid: string }).uuid).toBe(node.uuid);
    });
  });
});
