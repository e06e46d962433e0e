/**
 * The worker's queue on SQS, and the worker's handling of what it receives.
 *
 * There is no SQS here: a small HTTP server speaks the one call the inspector makes (SendMessage, the
 * AWS JSON 1.0 protocol) and records what the real `@aws-sdk/client-sqs` sends, so the tests check
 * the exact request: body, attributes, `DelaySeconds` rounded up to whole seconds and clamped to
 * SQS's 15 minutes. The runtime is built from settings (`WORKER_QUEUE_URL` set: SQS, not the
 * in-process queue) on in-memory stores, with the in-memory Ironic, and driven through the api
 * function's handler and the worker's batch function.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApiHandler } from '#functions/api.ts';
import { runBatch } from '#functions/worker.ts';
import { memoryStores } from '#lib/adapters/memory/stores.ts';
import { SqsJobQueue } from '#lib/adapters/sqs-job-queue.ts';
import { loadConfig } from '#lib/config.ts';
import type { ApiResponse } from '#lib/http/responses.ts';
import type { Job } from '#lib/introspection/jobs.ts';
import { noMetrics } from '#lib/ports/metrics.ts';
import type { Stores } from '#lib/ports/stores.ts';
import { createRuntime, type InspectorRuntime } from '#lib/runtime.ts';
import { apiGatewayEvent } from '#test/support/api-gateway-event.ts';
import { FakeIronic } from '#test/support/fake-ironic.ts';
import { RecordingLogger, TestClock } from '#test/support/fixture.ts';
import { freshBmc } from '#test/support/introspection.ts';
import { lambdaContext } from '#test/support/lambda-context.ts';

interface SqsRequest {
  readonly target: string | undefined;
  readonly contentType: string | undefined;
  readonly body: Record<string, unknown>;
}

/** The stand-in: records each request; answers SendMessage, or an SQS error while `refuse` is set. */
let sqs: Server;
let sqsUrl: string;
const received: SqsRequest[] = [];
let refuse = false;

beforeAll(async () => {
  sqs = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk) => {
      text += chunk;
    });
    req.on('end', () => {
      const body = JSON.parse(text) as Record<string, unknown>;
      received.push({
        target: req.headers['x-amz-target'] as string | undefined,
        contentType: req.headers['content-type'],
        body,
      });
      if (refuse) {
        res
          .writeHead(400, {
            'Content-Type': 'application/x-amz-json-1.0',
            'x-amzn-query-error': 'AWS.SimpleQueueService.NonExistentQueue;Sender',
          })
          .end(
            JSON.stringify({
              __type: 'com.amazonaws.sqs#QueueDoesNotExist',
              message: 'The specified queue does not exist.',
            }),
          );
        return;
      }
      const md5 = createHash('md5')
        .update(String(body.MessageBody ?? ''))
        .digest('hex');
      res
        .writeHead(200, { 'Content-Type': 'application/x-amz-json-1.0' })
        .end(JSON.stringify({ MessageId: randomUUID(), MD5OfMessageBody: md5 }));
    });
  });
  await new Promise<void>((resolve) => sqs.listen(0, '127.0.0.1', resolve));
  sqsUrl = `http://127.0.0.1:${(sqs.address() as AddressInfo).port}/000000000000/worker-jobs`;
});
afterAll(() => {
  sqs?.close();
});
beforeEach(() => {
  received.length = 0;
  refuse = false;
});

/** In-memory stores whose node and lease stores fail every call, as when the storage is down. */
function storesDown(): Stores {
  const stores = memoryStores();
  const down = <T extends object>(store: T): T =>
    new Proxy(store, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target);
        return typeof value === 'function'
          ? async () => {
              throw new Error('The storage is down');
            }
          : value;
      },
    });
  return { ...stores, nodes: down(stores.nodes), leases: down(stores.leases) };
}

/** A runtime on SQS (its queue URL names the stand-in) with its own stores, clock and log. */
function sqsRuntime(
  env: Record<string, string> = {},
  options: { storesDown?: boolean; frozenClock?: boolean } = {},
) {
  const ironic = new FakeIronic();
  const logger = new RecordingLogger();
  const clock = new TestClock();
  const frozenAt = clock.now();
  const now = options.frozenClock ? () => new Date(frozenAt) : clock.now;
  const config = loadConfig({ WORKER_QUEUE_URL: sqsUrl, INTROSPECTION_DELAY: '0', ...env });
  const rt = createRuntime({
    config,
    stores: options.storesDown ? storesDown() : 'memory',
    ironic,
    logger,
    metrics: noMetrics,
    now,
    ironicRetryDelayMs: 10,
  });
  return { rt, ironic, logger, clock };
}

/** The api function's answer to `event`, as Lambda would get it. */
function answer(event: APIGatewayProxyEventV2, rt: InspectorRuntime): Promise<ApiResponse> {
  return createApiHandler(rt)(event, lambdaContext('api'));
}

/** One SQS record per job (or raw body), as Lambda's event source mapping delivers them. */
function sqsEvent(bodies: Array<Job | string>): { event: SQSEvent; ids: string[] } {
  const ids = bodies.map(() => randomUUID());
  return {
    ids,
    event: {
      Records: bodies.map((body, i) => ({
        messageId: ids[i] as string,
        receiptHandle: 'handle',
        body: typeof body === 'string' ? body : JSON.stringify(body),
        attributes: {
          ApproximateReceiveCount: '1',
          SentTimestamp: String(Date.now()),
          SenderId: 'sender',
          ApproximateFirstReceiveTimestamp: String(Date.now()),
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:worker-jobs',
        awsRegion: 'us-east-1',
      })),
    },
  };
}

describe('the SQS job queue: what it sends', () => {
  it('WORKER_QUEUE_URL set: a start sends the reboot job to SQS, with its type as an attribute', async () => {
    const { rt, ironic } = sqsRuntime();
    expect(rt.localQueue).toBeUndefined();
    const node = ironic.addNode({ driver_info: { ipmi_address: freshBmc() } });
    const response = await answer(apiGatewayEvent('POST', `/v1/introspection/${node.uuid}`), rt);
    expect([response.statusCode, JSON.parse(response.body)]).toEqual([202, {}]);
    expect(received).toHaveLength(1);
    const [request] = received;
    expect(request?.target).toBe('AmazonSQS.SendMessage');
    expect(request?.contentType).toBe('application/x-amz-json-1.0');
    const job = JSON.parse(String(request?.body.MessageBody)) as Job;
    expect(request?.body).toEqual({
      QueueUrl: sqsUrl,
      MessageBody: request?.body.MessageBody,
      MessageAttributes: { type: { DataType: 'String', StringValue: 'introspect' } },
    });
    expect(job).toEqual({
      type: 'introspect',
      uuid: node.uuid,
      startedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/),
      notBeforeMs: expect.any(Number),
      persistentBoot: false, // from the node the start read: the worker does not read it again
    });
    // Nothing ran: the boot work is the worker's, once SQS delivers the job.
    expect(ironic.callsOf('setPowerState')).toEqual([]);
    const status = await answer(apiGatewayEvent('GET', `/v1/introspection/${node.uuid}`), rt);
    expect(JSON.parse(status.body).state).toBe('starting');

    // The worker, given that message, boots the node.
    const { event } = sqsEvent([String(request?.body.MessageBody)]);
    expect(await runBatch(event, rt)).toEqual({ batchItemFailures: [] });
    expect(ironic.callsOf('setPowerState').map((c) => c.args[1])).toEqual(['rebooting']);
    const after = await answer(apiGatewayEvent('GET', `/v1/introspection/${node.uuid}`), rt);
    expect(JSON.parse(after.body).state).toBe('waiting');
  });

  it('INTROSPECTION_DELAY: the second of two starts waits in SQS for its power slot', async () => {
    // A clock that stands still: the second slot is exactly one delay after the first.
    const { rt, ironic } = sqsRuntime({ INTROSPECTION_DELAY: '7' }, { frozenClock: true });
    for (let i = 0; i < 2; i++) {
      const node = ironic.addNode({ driver_info: { ipmi_address: freshBmc() } });
      expect((await answer(apiGatewayEvent('POST', `/v1/introspection/${node.uuid}`), rt)).statusCode).toBe(
        202,
      );
    }
    // The first slot is now; the next one 7 s later.
    expect(received.map((r) => r.body.DelaySeconds)).toEqual([undefined, 7]);
  });

  it('rounds a delay up to whole seconds and clamps it to 0..900 s', async () => {
    const queue = new SqsJobQueue(new SQSClient({ region: 'us-east-1' }), sqsUrl);
    const job: Job = { type: 'abort', uuid: randomUUID(), leaseOwner: 'owner' };
    const delays = [undefined, 0, -2500, 1, 999, 1000, 1001, 7200, 899_001, 900_000, 3_600_000];
    for (const delayMs of delays) await queue.send(job, delayMs === undefined ? {} : { delayMs });
    expect(received.map((r) => r.body.DelaySeconds)).toEqual([
      undefined,
      undefined,
      undefined,
      1,
      1,
      1,
      2,
      8,
      900,
      900,
      900,
    ]);
    for (const r of received) expect(JSON.parse(String(r.body.MessageBody))).toEqual(job);
  });

  it('a power slot further away than SQS can delay goes round again, clamped to 15 minutes', async () => {
    const { rt, clock } = sqsRuntime();
    const job: Job = {
      type: 'introspect',
      uuid: randomUUID(),
      startedAt: '2026-01-01T00:00:00.000000',
      notBeforeMs: clock.now().getTime() + 40 * 60_000,
    };
    const { event } = sqsEvent([job]);
    expect(await runBatch(event, rt)).toEqual({ batchItemFailures: [] });
    expect(received).toHaveLength(1);
    expect(received[0]?.body.DelaySeconds).toBe(900);
    expect(JSON.parse(String(received[0]?.body.MessageBody))).toEqual(job);
  });

  it('SQS refusing the reboot job fails the start with its reason, and the node goes to error', async () => {
    const { rt, ironic } = sqsRuntime();
    refuse = true;
    const node = ironic.addNode({ driver_info: { ipmi_address: freshBmc() } });
    const response = await answer(apiGatewayEvent('POST', `/v1/introspection/${node.uuid}`), rt);
    const message = 'Failed to submit introspection job: The specified queue does not exist.';
    expect([response.statusCode, JSON.parse(response.body)]).toEqual([400, { error: { message } }]);
    const status = JSON.parse(
      (await answer(apiGatewayEvent('GET', `/v1/introspection/${node.uuid}`), rt)).body,
    );
    expect(status).toMatchObject({ state: 'error', error: message, finished: true });
  });

  it('SQS refusing an abort job: the abort runs in the request instead of being lost', async () => {
    const { rt, ironic, logger } = sqsRuntime();
    const node = ironic.addNode({ driver_info: { ipmi_address: freshBmc() } });
    expect(
      (
        await answer(
          apiGatewayEvent('POST', `/v1/introspection/${node.uuid}`, { query: 'manage_boot=0' }),
          rt,
        )
      ).statusCode,
    ).toBe(202);
    refuse = true;
    const response = await answer(apiGatewayEvent('POST', `/v1/introspection/${node.uuid}/abort`), rt);
    expect([response.statusCode, JSON.parse(response.body)]).toEqual([202, {}]);
    const status = JSON.parse(
      (await answer(apiGatewayEvent('GET', `/v1/introspection/${node.uuid}`), rt)).body,
    );
    expect(status).toMatchObject({ state: 'error', error: 'Canceled by operator', finished: true });
    expect(logger.messages('warn')).toContain('Could not enqueue the job, running it in the request');
  });
});

describe('the worker: what it does with a batch', () => {
  it('drops a message that is not a job (not JSON, or not a known job), logging it; runs the rest', async () => {
    const { rt, logger } = sqsRuntime();
    const due: Job = { type: 'abort', uuid: randomUUID(), leaseOwner: 'gone' };
    const { event, ids } = sqsEvent(['{not json', JSON.stringify({ type: 'reboot', uuid: 'x' }), due]);
    expect(await runBatch(event, rt)).toEqual({ batchItemFailures: [] });
    const dropped = logger.lines.filter((l) => l.message === 'Dropping a message that is not a job');
    expect(dropped.map((l) => [l.level, l.extra?.messageId])).toEqual([
      ['error', ids[0]],
      ['error', ids[1]],
    ]);
    expect(String(dropped[0]?.extra?.error)).toContain('JSON');
    expect(String(dropped[1]?.extra?.error)).toContain('type');
    // The well-formed job ran (its node is not cached: nothing to do, said so).
    expect(logger.messages('info')).toContain('Job for a node no longer cached, skipping');
  });

  it('reports a job that failed, and only that one, for SQS to deliver again', async () => {
    // The storage is down: every job fails on it, which a later delivery may find working.
    const broken = sqsRuntime({}, { storesDown: true });
    const job: Job = { type: 'abort', uuid: randomUUID(), leaseOwner: 'owner' };
    const { event, ids } = sqsEvent(['[]', job]);
    expect(await runBatch(event, broken.rt)).toEqual({ batchItemFailures: [{ itemIdentifier: ids[1] }] });
    const failed = broken.logger.lines.filter((l) => l.message === 'Job failed; SQS will deliver it again');
    expect(failed.map((l) => [l.level, l.extra?.node, l.extra?.job, l.extra?.messageId])).toEqual([
      ['warn', job.uuid, 'abort', ids[1]],
    ]);
  });
});
