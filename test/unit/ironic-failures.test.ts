/**
 * What the inspector does when Ironic fails it, through the API and the worker (real handlers,
 * in-memory stores; the in-memory Ironic answering with Ironic's own errors where a test says
 * so): the boot device, the power-off after processing, the power-off of an abort, the clean-up's
 * sync; and lookups that cannot decide.
 */
import { describe, expect, it } from 'vitest';
import { IronicError } from '#lib/domain/errors.ts';
import type { FakeIronic } from '#test/support/fake-ironic.ts';
import { freshBmc, freshNics, introspect, statusOf, threeNicCallback } from '#test/support/introspection.ts';
import { withTestStack as withStack } from '#test/support/stack.ts';

const bmcDown = () => new IronicError(500, 'Failed to connect to the BMC');
const times = <T>(n: number, make: () => T): T[] => Array.from({ length: n }, make);

function addNode(ironic: FakeIronic, fields: Record<string, unknown> = {}) {
  const nics = freshNics();
  const bmc = freshBmc();
  const node = ironic.addNode({ driver_info: { ipmi_address: bmc }, ...fields }, [nics.pxe]);
  return { node, nics, bmc, callback: threeNicCallback(nics, bmc) };
}

describe('Ironic failing the worker', () => {
  it('the boot device cannot be set (five tries): the node goes to error, and is not rebooted', async () => {
    await withStack({}, async (stack, ironic) => {
      const { node } = addNode(ironic);
      ironic.failures.set('setBootDevice', times(5, bmcDown));
      expect((await stack.call('POST', `/v1/introspection/${node.uuid}`)).status).toBe(202);
      expect(await statusOf(stack, node.uuid)).toMatchObject({
        state: 'error',
        finished: true,
        error: 'Failed to set boot device to PXE: Failed to connect to the BMC',
      });
      expect(ironic.callsOf('setBootDevice')).toHaveLength(5);
      expect(ironic.callsOf('setPowerState')).toEqual([]);
    });
  });

  it('the power-off after processing fails: the node goes to error naming it', async () => {
    await withStack({}, async (stack, ironic) => {
      const { node, callback } = addNode(ironic);
      expect((await stack.call('POST', `/v1/introspection/${node.uuid}`)).status).toBe(202);
      expect((await statusOf(stack, node.uuid)).state).toBe('waiting');
      ironic.failures.set('setPowerState', [bmcDown()]);
      const answer = await stack.call('POST', '/v1/continue', { body: callback });
      // The callback itself succeeded; the finish is the worker's, and it failed.
      expect([answer.status, answer.json]).toEqual([200, { uuid: node.uuid }]);
      expect(await statusOf(stack, node.uuid)).toMatchObject({
        state: 'error',
        error: `Failed to power off node ${node.uuid}, check its power management configuration: Failed to connect to the BMC`,
      });
      // Processing's updates stay in Ironic.
      expect(ironic.nodes.get(node.uuid)?.properties).toMatchObject({ cpus: '4', local_gb: '49' });
    });
  });

  it('a node discovered in enroll: its power-off failing is ignored, and it finishes', async () => {
    await withStack({ NODE_NOT_FOUND_HOOK: 'enroll' }, async (stack, ironic) => {
      ironic.failures.set('setPowerState', [bmcDown()]);
      const answer = await stack.call('POST', '/v1/continue', {
        body: threeNicCallback(freshNics(), freshBmc()),
      });
      expect(answer.status).toBe(200);
      const { uuid } = answer.json as { uuid: string };
      expect(await statusOf(stack, uuid)).toMatchObject({ state: 'finished', error: null });
      expect(stack.logger.messages('info')).toContain('Power off failed for a node in enroll; ignoring');
    });
  });

  it('an abort whose power-off fails (five tries) still ends the introspection, with a warning', async () => {
    await withStack({}, async (stack, ironic) => {
      const { node } = addNode(ironic);
      expect((await stack.call('POST', `/v1/introspection/${node.uuid}`)).status).toBe(202);
      expect((await statusOf(stack, node.uuid)).state).toBe('waiting');
      ironic.failures.set('setPowerState', times(5, bmcDown));
      const aborted = await stack.call('POST', `/v1/introspection/${node.uuid}/abort`);
      expect([aborted.status, aborted.json]).toEqual([202, {}]);
      expect(await statusOf(stack, node.uuid)).toMatchObject({
        state: 'error',
        error: 'Canceled by operator',
      });
      expect(ironic.callsOf('setPowerState').map((c) => c.args[1])).toEqual([
        'rebooting',
        ...times(5, () => 'power off'),
      ]);
      expect(stack.logger.messages('warn')).toContain('Failed to power off node after introspection abort');
    });
  });

  it('an abort of a finished introspection is accepted and changes nothing', async () => {
    await withStack({}, async (stack, ironic) => {
      const { node, callback } = addNode(ironic);
      expect((await introspect(stack, node.uuid, callback)).status).toBe(200);
      const before = await statusOf(stack, node.uuid);
      expect(before).toMatchObject({ state: 'finished' });
      const aborted = await stack.call('POST', `/v1/introspection/${node.uuid}/abort`);
      expect([aborted.status, aborted.json]).toEqual([202, {}]);
      expect(await statusOf(stack, node.uuid)).toEqual(before);
    });
  });
});

describe('the clean-up when Ironic fails', () => {
  it('still times out what is due; the sync is logged and left for the next period', async () => {
    await withStack({ INSPECTOR_TIMEOUT: '-1' }, async (stack, ironic) => {
      ironic.failures.set('listNodes', [bmcDown()]);
      expect(await stack.cleanUp()).toEqual({ recovered: [], timedOut: [], dropped: [] });
      expect(stack.logger.messages('error')).toContain('Ironic sync failed, will try again next period');
    });
  });
});

describe('lookups that cannot decide', () => {
  it('two introspections with the same BMC address: a callback naming only it is a lookup error', async () => {
    await withStack({}, async (stack, ironic) => {
      const bmc = freshBmc();
      const nodes = [0, 1].map(() => ironic.addNode({ driver_info: { ipmi_address: bmc } }));
      for (const node of nodes) {
        expect((await stack.call('POST', `/v1/introspection/${node.uuid}?manage_boot=0`)).status).toBe(202);
      }
      const answer = await stack.call('POST', '/v1/continue', { body: threeNicCallback(freshNics(), bmc) });
      expect(answer.status).toBe(400);
      const message = (answer.json as { error: { message: string } }).error.message;
      expect(message).toMatch(
        /^The following failures happened during running pre-processing hooks:\nLook up error: Multiple nodes /,
      );
      // The caller is not told which nodes (anyone may call back); the log is.
      for (const node of nodes) expect(message).not.toContain(node.uuid);
      const logged = stack.logger.lines.find((l) => l.message === 'Lookup failed');
      for (const node of nodes) expect(String(logged?.extra?.reason)).toContain(node.uuid);
      for (const node of nodes) expect((await statusOf(stack, node.uuid)).state).toBe('waiting');
    });
  });
});
