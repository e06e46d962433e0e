/**
 * Finding nodes the inspector was not told about, through the API (real handlers, DynamoDB Local,
 * s3rver, the in-memory Ironic): discovery (`NODE_NOT_FOUND_HOOK=enroll`, `ENROLL_NODE_DRIVER`) and
 * active introspection (`PERMIT_ACTIVE_INTROSPECTION`). The same against the real Ironic:
 * test/ironic/introspection-ironic.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { FakeIronic } from '#test/support/fake-ironic.ts';
import {
  freshBmc,
  freshNics,
  introspect,
  processedData,
  statusOf,
  threeNicCallback,
} from '#test/support/introspection.ts';
import { withTestStack as withStack } from '#test/support/stack.ts';

const preprocessingFailure = (line: string) => ({
  error: { message: `The following failures happened during running pre-processing hooks:\n${line}` },
});

describe('NODE_NOT_FOUND_HOOK=enroll (discovery)', () => {
  it('unset (default): a callback from an unknown node is a lookup error', async () => {
    await withStack({}, async (stack, ironic) => {
      const nics = freshNics();
      const bmc = freshBmc();
      const answer = await stack.call('POST', '/v1/continue', { body: threeNicCallback(nics, bmc) });
      expect(answer.status).toBe(400);
      expect((answer.json as { error: { message: string } }).error.message).toMatch(
        /^The following failures happened during running pre-processing hooks:\nLook up error: /,
      );
      expect(ironic.callsOf('createNode')).toEqual([]);
    });
  });

  it('enrolls the unknown node in Ironic, processes it and finishes it', async () => {
    await withStack({ NODE_NOT_FOUND_HOOK: 'enroll' }, async (stack, ironic) => {
      const nics = freshNics();
      const bmc = freshBmc();
      const answer = await stack.call('POST', '/v1/continue', { body: threeNicCallback(nics, bmc) });
      expect(answer.status).toBe(200);
      const { uuid } = answer.json as { uuid: string };
      expect(ironic.callsOf('createNode').map((c) => c.args[0])).toEqual([
        { driver: 'fake-hardware', driver_info: { ipmi_address: bmc } },
      ]);
      const node = ironic.nodes.get(uuid);
      expect(node?.driver).toBe('fake-hardware');
      expect(node?.properties).toMatchObject({ cpus: '4', memory_mb: '8192', local_gb: '49' });
      expect([...ironic.ports.values()].filter((p) => p.node_uuid === uuid).map((p) => p.address)).toEqual([
        nics.pxe,
      ]);
      expect(await statusOf(stack, uuid)).toMatchObject({ state: 'finished', finished: true, error: null });
      expect((await processedData(stack, uuid)).auto_discovered).toBe(true);
      // Never booted by the inspector, but powered off once processed, as upstream's _finish does
      // (for a node still in enroll, a failing power-off is ignored).
      expect(ironic.callsOf('setPowerState').map((c) => c.args)).toEqual([[uuid, 'power off']]);
      expect(stack.logger.messages('info')).toContain(`Node ${uuid} was created successfully`);
    });
  });

  it('refuses to enroll a node whose MAC Ironic already has on a port', async () => {
    await withStack({ NODE_NOT_FOUND_HOOK: 'enroll' }, async (stack, ironic) => {
      const nics = freshNics();
      // A node Ironic knows, with that MAC, but no introspection was started for it.
      ironic.addNode({}, [nics.addressed]);
      const answer = await stack.call('POST', '/v1/continue', {
        body: threeNicCallback(nics, freshBmc()),
      });
      expect([answer.status, answer.json]).toEqual([
        400,
        preprocessingFailure(`Node not found hook failed: Port ${nics.addressed} already exists in Ironic`),
      ]);
      expect(ironic.callsOf('createNode')).toEqual([]);
    });
  });

  it('ENROLL_NODE_DRIVER names the driver of enrolled nodes; a driver Ironic refuses enrolls nothing', async () => {
    await withStack({ NODE_NOT_FOUND_HOOK: 'enroll', ENROLL_NODE_DRIVER: 'ipmi' }, async (stack, ironic) => {
      const bmc = freshBmc();
      const answer = await stack.call('POST', '/v1/continue', { body: threeNicCallback(freshNics(), bmc) });
      expect([answer.status, answer.json]).toEqual([
        400,
        preprocessingFailure('Node not found hook returned nothing'),
      ]);
      expect(ironic.callsOf('createNode').map((c) => c.args[0])).toEqual([
        { driver: 'ipmi', driver_info: { ipmi_address: bmc } },
      ]);
      expect(ironic.nodes.size).toBe(0);
      expect(stack.logger.messages('error')).toContain(
        'Failed to create new node: No valid host was found. Reason: No conductor service registered which supports driver ipmi',
      );
    });
  });

  it('a ramdisk that reports no BMC address enrolls a node without driver_info', async () => {
    await withStack({ NODE_NOT_FOUND_HOOK: 'enroll' }, async (stack, ironic) => {
      const callback = threeNicCallback(freshNics(), '0.0.0.0');
      const answer = await stack.call('POST', '/v1/continue', { body: callback });
      expect(answer.status).toBe(200);
      expect(ironic.callsOf('createNode').map((c) => c.args[0])).toEqual([{ driver: 'fake-hardware' }]);
    });
  });
});

describe('PERMIT_ACTIVE_INTROSPECTION', () => {
  const activeNode = (ironic: FakeIronic) => {
    const nics = freshNics();
    const bmc = freshBmc();
    const node = ironic.addNode(
      { driver_info: { ipmi_address: bmc }, provision_state: 'active', power_state: 'power on' },
      [nics.pxe],
    );
    return { node, nics, bmc, callback: threeNicCallback(nics, bmc) };
  };

  it('false (default): starting a deployed node is refused; its callback is a lookup error', async () => {
    await withStack({}, async (stack, ironic) => {
      const { node, callback } = activeNode(ironic);
      const refused = await stack.call('POST', `/v1/introspection/${node.uuid}`);
      expect([refused.status, refused.json]).toEqual([
        400,
        {
          error: {
            message:
              "Invalid provision state for introspection: \"active\", valid states are \"['enroll', 'manageable', 'inspecting', 'inspect wait', 'inspect failed']\"",
          },
        },
      ]);
      const answer = await stack.call('POST', '/v1/continue', { body: callback });
      expect(answer.status).toBe(400);
      expect((answer.json as { error: { message: string } }).error.message).toContain('Look up error: ');
    });
  });

  it('true: a deployed node can be introspected through the API, and is left powered on', async () => {
    await withStack({ PERMIT_ACTIVE_INTROSPECTION: 'true' }, async (stack, ironic) => {
      const { node, callback } = activeNode(ironic);
      const answer = await introspect(stack, node.uuid, callback, { manageBoot: false });
      expect([answer.status, answer.json]).toEqual([200, { uuid: node.uuid }]);
      expect(await statusOf(stack, node.uuid)).toMatchObject({ state: 'finished', error: null });
      expect(ironic.callsOf('setPowerState')).toEqual([]);
      expect(ironic.nodes.get(node.uuid)?.properties).toMatchObject({ cpus: '4', local_gb: '49' });
    });
  });

  it('true: a callback from a deployed node nobody started is recorded and processed', async () => {
    await withStack({ PERMIT_ACTIVE_INTROSPECTION: 'true' }, async (stack, ironic) => {
      const { node, callback } = activeNode(ironic);
      const answer = await stack.call('POST', '/v1/continue', { body: callback });
      expect([answer.status, answer.json]).toEqual([200, { uuid: node.uuid }]);
      await stack.idle();
      expect(await statusOf(stack, node.uuid)).toMatchObject({ state: 'finished', error: null });
      expect(ironic.callsOf('setPowerState')).toEqual([]);
      expect(ironic.nodes.get(node.uuid)?.power_state).toBe('power on');
    });
  });

  it('true: a callback from a known node that is not deployed is refused naming its state (not the node)', async () => {
    await withStack({ PERMIT_ACTIVE_INTROSPECTION: 'true' }, async (stack, ironic) => {
      const nics = freshNics();
      const bmc = freshBmc();
      const node = ironic.addNode({ driver_info: { ipmi_address: bmc } }, [nics.pxe]); // manageable
      const answer = await stack.call('POST', '/v1/continue', { body: threeNicCallback(nics, bmc) });
      expect([answer.status, answer.json]).toEqual([
        400,
        { error: { message: 'Node is not active, its provision state is manageable' } },
      ]);
      // Anyone may call back: the UUID is for the log only.
      expect(stack.logger.lines.some((l) => String(l.extra?.reason).includes(node.uuid))).toBe(true);
      expect((await stack.call('GET', `/v1/introspection/${node.uuid}`)).status).toBe(404);
    });
  });
});
