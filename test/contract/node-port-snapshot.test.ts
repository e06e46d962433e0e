/**
 * The node store's contract for the port snapshot (docs/design.md#port-snapshot), for every
 * implementation: the ports a write to `waiting` carries are read back as written (Ironic's documents,
 * nulls and nested maps included), and the next write of the record, whatever it changes, drops them.
 */
import { describe, expect, it } from 'vitest';
import type { IronicPort } from '#lib/ports/ironic.ts';
import { freshStores, STORE_IMPLEMENTATIONS, testRecord, testRows } from '#test/support/stores.ts';

const ports: IronicPort[] = [
  {
    uuid: '6d85703a-565d-469a-96ce-30b6de53079d',
    address: '52:54:00:12:34:56',
    node_uuid: '1be26c0b-03f2-4d2e-ae87-c02d7f33c123',
    extra: { 'client-id': null },
    pxe_enabled: true,
    local_link_connection: { switch_id: '88:e0:f3:0a:6b:a1', port_id: 'ge-0/0/1' },
    physical_network: null,
  },
  { uuid: 'b6c1e7b2-1c7e-4b4e-9d44-1f0e6a0c3a11', address: '52:54:00:12:34:57', pxe_enabled: false },
];

describe.each(STORE_IMPLEMENTATIONS)('node port snapshot: $name', (implementation) => {
  const stores = freshStores(implementation);

  it('keeps the ports a write to waiting carries, as written', async () => {
    const { nodes } = stores();
    const record = testRecord({ state: 'starting' });
    await nodes.replaceNode(record, testRows('mac', ['52:54:00:12:34:56']), null);
    expect((await nodes.getNode(record.uuid))?.ironicPorts).toBeUndefined();
    await nodes.updateNode(record.uuid, 'v1', { state: 'waiting', ironicPorts: ports }, 'v2');
    expect((await nodes.getNode(record.uuid))?.ironicPorts).toEqual(ports);
  });

  it('drops them with the next write, a plain update or a finish', async () => {
    const { nodes } = stores();
    const record = testRecord({ state: 'starting' });
    await nodes.replaceNode(record, [], null);
    await nodes.updateNode(record.uuid, 'v1', { state: 'waiting', ironicPorts: ports }, 'v2');
    await nodes.updateNode(record.uuid, 'v2', { state: 'processing' }, 'v3');
    expect((await nodes.getNode(record.uuid))?.ironicPorts).toBeUndefined();

    await nodes.updateNode(record.uuid, 'v3', { state: 'waiting', ironicPorts: ports }, 'v4');
    await nodes.finishNode(
      record.uuid,
      'v4',
      { state: 'error', error: 'Timeout', finishedAt: new Date() },
      'v5',
    );
    expect((await nodes.getNode(record.uuid))?.ironicPorts).toBeUndefined();
  });

  it('a replaced record (a new start) has none', async () => {
    const { nodes } = stores();
    const record = testRecord({ state: 'starting' });
    await nodes.replaceNode(record, [], null);
    await nodes.updateNode(record.uuid, 'v1', { state: 'waiting', ironicPorts: ports }, 'v2');
    await nodes.replaceNode({ ...testRecord({ state: 'starting' }), uuid: record.uuid }, [], 'v2');
    expect((await nodes.getNode(record.uuid))?.ironicPorts).toBeUndefined();
  });
});
