/**
 * Requests per introspection on the real stores (DynamoDB Local, s3rver) and the in-memory Ironic,
 * start to finished, step by step: what docs/performance.md counts. A request added by a change shows
 * up here as a failure to look at, not as a slower benchmark later.
 */
import { expect, it } from 'vitest';
import { FakeIronic } from '#test/support/fake-ironic.ts';
import { ramdiskCallback, startTestStack } from '#test/support/stack.ts';
import { recordCommands } from '../../scripts/request-counter.ts';

it('a first introspection: Ironic 8, DynamoDB 24, S3 2', async () => {
  const ironic = new FakeIronic();
  const stack = await startTestStack({ ironic, stores: 'local-services' });
  try {
    const { clients } = stack.runtime;
    if (clients === undefined) throw new Error('the stack runs on the local services');
    const dynamoDb = recordCommands(clients.dynamoDb);
    const s3 = recordCommands(await clients.s3.get());
    const macs: [string, string] = ['52:54:03:00:00:01', '52:54:03:00:00:02'];
    const node = ironic.addNode({ driver_info: { ipmi_address: '198.51.100.201' } }, macs);
    const counts = () => ({ ironic: ironic.calls.length, dynamoDb: dynamoDb.length, s3: s3.length });
    ironic.calls.length = 0;

    expect((await stack.call('POST', `/v1/introspection/${node.uuid}`)).status).toBe(202);
    await stack.idle();
    const started = counts();
    const answer = await stack.call('POST', '/v1/continue', {
      body: await ramdiskCallback(macs, '198.51.100.201'),
    });
    expect(answer.status).toBe(200);
    await stack.idle();
    const finished = counts();

    // Start (request and reboot job): read the record, write it with the BMC address, take the lease,
    // read the record and its children, add the MACs, move to waiting, give the lease back.
    expect(started).toEqual({ ironic: 5, dynamoDb: 8, s3: 0 });
    // Callback and finish: the lookup (the failure budget charged and refunded, one query per
    // attribute), lease, record, the two data objects, process, rules, the outbox, the lease handed
    // to the worker; then the finish transaction with the children it drops, and the lease back.
    expect({
      ironic: finished.ironic - started.ironic,
      dynamoDb: finished.dynamoDb - started.dynamoDb,
      s3: finished.s3 - started.s3,
    }).toEqual({ ironic: 3, dynamoDb: 16, s3: 2 });
  } finally {
    await stack.stop();
  }
});
