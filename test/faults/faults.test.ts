/**
 * The fault-injection suite (docs/design.md#recovery): faults injected by decorating the ports
 * (`faulty.ts`) in the middle of start, the ramdisk callback and the finish; every case ends with the
 * node in its correct state and nothing lost. Prints `faults: N injected, N recovered, 0 lost`.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { dynamoDbDocumentClient, dynamoDbStores } from '#lib/adapters/dynamodb/stores.ts';
import { createNodeCacheTable } from '#lib/adapters/dynamodb/table.ts';
import { s3IntrospectionDataStore } from '#lib/adapters/s3/introspection-data-store.ts';
import { IronicUnavailable } from '#lib/domain/errors.ts';
import { FakeIronic } from '#test/support/fake-ironic.ts';
import { TestClock } from '#test/support/fixture.ts';
import { awsError, FaultPlan, faulty } from './faulty.ts';
import {
  driveToEnd,
  expectIntrospected,
  faultCase,
  ironicNode,
  LEASE_MS,
  memoryWorld,
  processIn,
  startedNode,
  tally,
  untilSettledOrCrashed,
  type World,
} from './harness.ts';

afterAll(() => {
  console.log(
    `faults: ${tally.injected} injected, ${tally.recovered} recovered, ${tally.lost} lost (${tally.cases} cases)`,
  );
});

/** The calls one healthy run of `phase` makes through the ports, as `port.method`. */
async function callsOf(phase: 'start' | 'callback'): Promise<string[]> {
  const world = memoryWorld();
  const plan = new FaultPlan();
  const node = phase === 'start' ? ironicNode(world) : await startedNode(world);
  const a = processIn(world, { plan });
  if (phase === 'start') await a.rt.useCases.start.start(node.uuid, { manageBoot: true });
  else await a.rt.useCases.continue.process(node.callback());
  await a.deliver();
  return plan.calls;
}

describe('a crash between each pair of steps', async () => {
  const callbackCalls = await callsOf('callback');
  const points = callbackCalls.flatMap((call, i) => [
    { n: i + 1, when: 'before' as const, call },
    { n: i + 1, when: 'after' as const, call },
  ]);
  it.each(points)('callback and finish: crash $when call $n ($call)', async ({ n, when }) => {
    const world = memoryWorld();
    const node = await startedNode(world);
    const plan = new FaultPlan().crashAtCall(n, when);
    await faultCase([plan], async () => {
      const dying = processIn(world, { plan });
      const work = (async () => {
        await dying.rt.useCases.continue.process(node.callback());
        await dying.deliver();
      })();
      expect(await untilSettledOrCrashed(work, plan)).toBe('crashed');
      dying.queue.drop();
      await driveToEnd(world, node);
      await expectIntrospected(world, node.uuid);
    });
  });

  it('the start and its introspect job: crash at every call, then the node is introspected', async () => {
    const startCalls = (await callsOf('start')).length;
    expect(startCalls).toBeGreaterThan(5);
    for (let n = 1; n <= startCalls; n++) {
      for (const when of ['before', 'after'] as const) {
        const world = memoryWorld();
        const node = ironicNode(world);
        const plan = new FaultPlan().crashAtCall(n, when);
        await faultCase([plan], async () => {
          const dying = processIn(world, { plan });
          const work = (async () => {
            await dying.rt.useCases.start.start(node.uuid, { manageBoot: true });
            await dying.deliver();
          })();
          expect(await untilSettledOrCrashed(work, plan)).toBe('crashed');
          dying.queue.drop();
          await driveToEnd(world, node);
          await expectIntrospected(world, node.uuid);
        });
      }
    }
  });
});

describe('every job delivered three times', () => {
  it('start, callback, reapply and abort end as with one delivery', async () => {
    const world = memoryWorld();
    const plan = new FaultPlan();
    const p = processIn(world, { plan });
    const node = ironicNode(world);
    // Each extra delivery is an injected fault.
    const deliverThrice = async () => {
      const jobs = p.queue.sent.length;
      await p.deliver(3);
      plan.injected += 2 * jobs;
    };
    await faultCase([plan], async () => {
      await p.rt.useCases.start.start(node.uuid, { manageBoot: true });
      await deliverThrice();
      await p.rt.useCases.continue.process(node.callback());
      await deliverThrice();
      await expectIntrospected(world, node.uuid);
      expect(world.ironic.callsOf('setPowerState').filter((c) => c.args[1] === 'rebooting')).toHaveLength(1);
      await p.rt.useCases.reapply.reapply(node.uuid, undefined);
      await deliverThrice();
      await expectIntrospected(world, node.uuid);
      const second = ironicNode(world);
      await p.rt.useCases.start.start(second.uuid, { manageBoot: true });
      await deliverThrice();
      await p.rt.useCases.abort.abort(second.uuid);
      await deliverThrice();
      expect(await world.stores.nodes.getNode(second.uuid)).toMatchObject({
        state: 'error',
        error: 'Canceled by operator',
      });
    });
  });
});

describe('the job queue refusing jobs', () => {
  it('the callback finishes the node itself; a lost finish is recovered', async () => {
    const world = memoryWorld();
    const node = await startedNode(world);
    const plan = new FaultPlan().add({
      port: 'queue',
      method: 'send',
      times: 5,
      action: { kind: 'throw', error: () => awsError('AWS.SimpleQueueService.NonExistentQueue') },
    });
    await faultCase([plan], async () => {
      const p = processIn(world, { plan });
      expect(await p.rt.useCases.continue.process(node.callback())).toEqual({ uuid: node.uuid });
      await expectIntrospected(world, node.uuid);
    });
  });

  it('a send that landed but answered an error runs the job twice, harmlessly', async () => {
    const world = memoryWorld();
    const node = await startedNode(world);
    const plan = new FaultPlan().add({
      port: 'queue',
      method: 'send',
      action: { kind: 'throw-after', error: () => awsError('RequestTimeout') },
    });
    await faultCase([plan], async () => {
      const p = processIn(world, { plan });
      await p.rt.useCases.continue.process(node.callback());
      await p.deliver();
      await expectIntrospected(world, node.uuid);
    });
  });
});

describe('S3 failing after Ironic was patched', () => {
  it('the processed data put fails: the worker processes the stored data again', async () => {
    const world = memoryWorld();
    const node = await startedNode(world);
    const plan = new FaultPlan().add({
      port: 's3',
      method: 'put',
      from: 2, // the unprocessed data lands; the processed data's put fails
      times: 2,
      action: { kind: 'throw', error: () => awsError('SlowDown', 'Please reduce your request rate') },
    });
    await faultCase([plan], async () => {
      const p = processIn(world, { plan });
      expect(await p.rt.useCases.continue.process(node.callback())).toEqual({ uuid: node.uuid });
      expect(world.ironic.callsOf('patchNode')).toHaveLength(1);
      await p.deliver(3);
      await expectIntrospected(world, node.uuid);
    });
  });

  it('S3 down for longer than the queue retries: the clean-up finishes it', async () => {
    const world = memoryWorld();
    const node = await startedNode(world);
    const plan = new FaultPlan().add({
      port: 's3',
      method: 'put',
      from: 2,
      times: 4,
      action: { kind: 'throw', error: () => awsError('ServiceUnavailable') },
    });
    await faultCase([plan], async () => {
      const p = processIn(world, { plan });
      await p.rt.useCases.continue.process(node.callback());
      await p.deliver(3);
      expect((await world.stores.nodes.getNode(node.uuid))?.state).toBe('processing');
      await driveToEnd(world, node);
      await expectIntrospected(world, node.uuid);
    });
  });
});

describe('Ironic down and slow', () => {
  const down = () => new IronicUnavailable('http://ironic.invalid', 'connect ECONNREFUSED');
  it('down during the hooks: the callback hands processing to the worker', async () => {
    const world = memoryWorld();
    const node = await startedNode(world);
    const plan = new FaultPlan().add({
      port: 'ironic',
      method: 'patchNode',
      action: { kind: 'throw', error: down },
    });
    await faultCase([plan], async () => {
      const p = processIn(world, { plan });
      expect(await p.rt.useCases.continue.process(node.callback())).toEqual({ uuid: node.uuid });
      await p.deliver();
      await expectIntrospected(world, node.uuid);
    });
  });

  it('down for the whole finish: the job is retried, then the clean-up finishes the node', async () => {
    const world = memoryWorld();
    const node = await startedNode(world);
    const plan = new FaultPlan().add({
      port: 'ironic',
      method: 'setPowerState',
      times: 4,
      action: { kind: 'throw', error: down },
    });
    await faultCase([plan], async () => {
      const p = processIn(world, { plan });
      await p.rt.useCases.continue.process(node.callback());
      await p.deliver(3);
      expect(await world.stores.nodes.getNode(node.uuid)).toMatchObject({
        state: 'processing',
        dueJob: { type: 'finish' },
      });
      await driveToEnd(world, node);
      await expectIntrospected(world, node.uuid);
    });
  });

  it('slow (every call 50 ms late) during start, callback and finish', async () => {
    const world = memoryWorld();
    const plan = new FaultPlan().add({
      port: 'ironic',
      method: '*',
      times: 1000,
      action: { kind: 'delay', ms: 50 },
    });
    await faultCase([plan], async () => {
      const p = processIn(world, { plan });
      const node = ironicNode(world);
      await p.rt.useCases.start.start(node.uuid, { manageBoot: true });
      await p.deliver();
      await p.rt.useCases.continue.process(node.callback());
      await p.deliver();
      await expectIntrospected(world, node.uuid);
    });
  });
});

describe("two holders' clocks apart by the lease's margin", () => {
  for (const skewMs of [1000, -1000]) {
    it(`a clean-up ${skewMs > 0 ? 'ahead' : 'behind'} by ${Math.abs(skewMs)} ms never takes a live holder's node`, async () => {
      const world = memoryWorld();
      const node = await startedNode(world);
      // The holder processes the callback and stalls (alive) in its finish, holding the lease.
      const plan = new FaultPlan().add({
        port: 'ironic',
        method: 'setPowerState',
        action: { kind: 'delay', ms: 300 },
      });
      await faultCase([plan], async () => {
        const holder = processIn(world, { plan });
        await holder.rt.useCases.continue.process(node.callback());
        // Just inside the lease by the holder's clock (less the margin it keeps for itself).
        world.clock.advance(LEASE_MS - 2000);
        const finishing = holder.deliver();
        await new Promise((resolve) => setTimeout(resolve, 20));
        const skewed = processIn(world, { skewMs });
        expect((await skewed.rt.useCases.periodic.run()).recovered).toEqual([]);
        await finishing;
        await expectIntrospected(world, node.uuid);
        // The holder's lease was released: nothing is left for anyone to recover.
        world.clock.advance(LEASE_MS + Math.abs(skewMs) + 1000);
        expect((await skewed.rt.useCases.periodic.run()).recovered).toEqual([]);
      });
    });
  }
});

describe('DynamoDB throttling and transaction conflicts (DynamoDB Local, s3rver)', () => {
  /** A world on DynamoDB Local and s3rver whose document client goes through `plan` as port `dynamodb`. */
  async function dynamoWorld(plan: FaultPlan): Promise<World> {
    const dynamoDb = new DynamoDBClient({ region: 'us-east-1', endpoint: inject('dynamoDbEndpoint') });
    const tableName = `faults-${randomUUID()}`;
    await createNodeCacheTable(dynamoDb, tableName);
    const documentClient = dynamoDbDocumentClient(dynamoDb);
    const wrapped = faulty('dynamodb', documentClient, plan);
    const s3 = new S3Client({
      region: 'us-east-1',
      endpoint: inject('s3Endpoint'),
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    return {
      stores: {
        ...dynamoDbStores({ documentClient: wrapped, tableName }),
        introspectionData: s3IntrospectionDataStore({ s3, bucket: inject('introspectionDataBucket') }),
      },
      ironic: new FakeIronic(),
      clock: new TestClock(),
    };
  }

  const throttled = () =>
    awsError('ProvisionedThroughputExceededException', 'Rate of requests exceeds the allowed throughput');
  const conflict = () =>
    new TransactionCanceledException({
      message: 'Transaction cancelled',
      $metadata: {},
      CancellationReasons: [{ Code: 'TransactionConflict' }],
    });

  /** Every DynamoDB request of one phase fails, from its `n`-th on, `times` times. */
  const phases = ['start', 'process', 'finish'] as const;
  for (const phase of phases) {
    for (const [name, error, times] of [
      ['throttled', throttled, 1],
      ['in a transaction conflict', conflict, 2],
    ] as const) {
      it(`${phase}: the 2nd request ${name}`, async () => {
        const plan = new FaultPlan();
        const world = await dynamoWorld(plan);
        await faultCase([plan], async () => {
          const p = processIn(world);
          const node = ironicNode(world);
          const injectFault = () =>
            plan.add({ port: 'dynamodb', method: 'send', from: 2, times, action: { kind: 'throw', error } });
          if (phase === 'start') injectFault();
          await p.rt.useCases.start.start(node.uuid, { manageBoot: true }).catch(() => undefined);
          await p.deliver(3);
          plan.clear();
          if (phase === 'process') injectFault();
          await p.rt.useCases.continue.process(node.callback()).catch(() => undefined);
          plan.clear();
          if (phase === 'finish') injectFault();
          await p.deliver(3);
          plan.clear();
          await driveToEnd(world, node);
          await expectIntrospected(world, node.uuid);
        });
      });
    }
  }
});
