/**
 * The Lambda entry points as Lambda calls them (`handler(event, context)`, through their middy
 * middlewares, with Powertools' logger and metrics): the clean-up on its schedule, the
 * basic authorizer reading its htpasswd from Secrets Manager (a local stand-in speaking
 * GetSecretValue to the real SDK), and the in-process queue's dead letters.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayRequestAuthorizerEventV2, ScheduledEvent } from 'aws-lambda';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createCleanUpHandler } from '#functions/clean-up.ts';
import { InProcessJobQueue } from '#lib/adapters/in-process-job-queue.ts';
import { loadConfig } from '#lib/config.ts';
import type { Job } from '#lib/introspection/jobs.ts';
import { createRuntime } from '#lib/runtime.ts';
import { FakeIronic } from '#test/support/fake-ironic.ts';
import { RecordingLogger, TestClock } from '#test/support/fixture.ts';
import { freshBmc } from '#test/support/introspection.ts';
import { lambdaContext } from '#test/support/lambda-context.ts';

describe('the clean-up function on its schedule', () => {
  it('times out an introspection whose ramdisk never called back, with the Powertools logger', async () => {
    const ironic = new FakeIronic();
    const clock = new TestClock();
    const config = loadConfig({ INSPECTOR_TIMEOUT: '60', INTROSPECTION_DELAY: '0' });
    // A runtime as in Lambda (Powertools' logger and metrics), on in-memory stores: only the
    // settings, Ironic and the clock are the test's.
    const rt = createRuntime({ config, stores: 'memory', ironic, now: clock.now });
    rt.localQueue?.consume((job) => rt.useCases.jobs.run(job));
    const handler = createCleanUpHandler(rt);
    const node = ironic.addNode({ driver_info: { ipmi_address: freshBmc() } });
    await rt.useCases.start.start(node.uuid, { manageBoot: false });
    await rt.localQueue?.idle();
    const event = { 'detail-type': 'Scheduled Event', source: 'aws.events' } as ScheduledEvent;
    expect(await handler(event, lambdaContext('clean-up'))).toEqual({
      recovered: [],
      timedOut: [],
      dropped: [],
    });
    clock.advance(61_000);
    expect(await handler(event, lambdaContext('clean-up'))).toEqual({
      recovered: [],
      timedOut: [node.uuid],
      dropped: [],
    });
    const status = await rt.useCases.reads.status(node.uuid);
    expect([await status.state(), status.error]).toEqual(['error', 'Introspection timeout']);
    // Ironic no longer has it: the next pass drops it from the cache.
    ironic.nodes.delete(node.uuid);
    expect(await handler(event, lambdaContext('clean-up'))).toEqual({
      recovered: [],
      timedOut: [],
      dropped: [node.uuid],
    });
  });
});

describe('the basic authorizer with its htpasswd in Secrets Manager', () => {
  let secrets: Server;
  let secretText = '';
  let refuse = false;
  const fetched: string[] = [];
  const saved = { ...process.env };

  beforeAll(async () => {
    secrets = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => {
        body += d;
      });
      req.on('end', () => {
        const { SecretId } = JSON.parse(body) as { SecretId: string };
        fetched.push(SecretId);
        if (refuse) {
          res.writeHead(400, { 'Content-Type': 'application/x-amz-json-1.1' }).end(
            JSON.stringify({
              __type: 'ResourceNotFoundException',
              message: 'Secrets Manager can’t find it',
            }),
          );
          return;
        }
        res.writeHead(200, { 'Content-Type': 'application/x-amz-json-1.1' }).end(
          JSON.stringify({
            ARN: `arn:aws:secretsmanager:us-east-1:0:secret:${SecretId}`,
            SecretString: secretText,
          }),
        );
      });
    });
    await new Promise<void>((resolve) => secrets.listen(0, '127.0.0.1', resolve));
    delete process.env.HTPASSWD_FILE;
    process.env.HTPASSWD_SECRET_ID = 'inspector-htpasswd';
    process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = `http://127.0.0.1:${(secrets.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    vi.useRealTimers();
    process.env = saved;
    secrets?.close();
  });

  const request = (authorization: string) =>
    ({
      version: '2.0',
      type: 'REQUEST',
      routeKey: '$default',
      rawPath: '/v1/introspection',
      headers: { authorization },
      requestContext: { http: { method: 'GET', path: '/v1/introspection' } },
    }) as unknown as APIGatewayRequestAuthorizerEventV2;
  const basic = (user: string, password: string) =>
    `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

  it('reads the secret once, then again after five minutes; a broken secret lets nobody in; an unreadable one is unavailable', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { handler } = await import('#functions/authorizer-basic.ts');
    secretText = `operator:${bcrypt.hashSync('secret', 4)}\n`;

    const ok = await handler(request(basic('operator', 'secret')));
    expect([ok.isAuthorized, ok.context]).toMatchObject([
      true,
      { identityStatus: 'Confirmed', user: 'operator' },
    ]);
    const wrong = await handler(request(basic('operator', 'nope')));
    expect(wrong.context).toMatchObject({ identityStatus: 'Invalid', user: '' });
    expect(fetched).toEqual(['inspector-htpasswd']);

    // Five minutes on, the secret is read again: now it holds no usable entry.
    secretText = 'not an htpasswd line';
    vi.setSystemTime(Date.now() + 5 * 60_000 + 1);
    const refused = await handler(request(basic('operator', 'secret')));
    expect(refused.context).toMatchObject({ identityStatus: 'Invalid' });
    expect(fetched).toHaveLength(2);

    // A failed read is not kept: the next request reads again. (How often the SDK itself tries the
    // failed read is its business: the faked clock makes it correct for skew once more.)
    vi.setSystemTime(Date.now() + 5 * 60_000 + 1);
    refuse = true;
    // The failure is an answer, not a crash: the api makes it 503 on protected routes.
    const unavailable = await handler(request(basic('operator', 'secret')));
    expect(unavailable.context).toMatchObject({
      identityStatus: 'Unavailable',
      reason: 'the user entries could not be read',
    });
    const afterFailure = fetched.length;
    refuse = false;
    secretText = `operator:${bcrypt.hashSync('secret', 4)}\n`;
    const again = await handler(request(basic('operator', 'secret')));
    expect(again.context).toMatchObject({ identityStatus: 'Confirmed' });
    expect(fetched).toHaveLength(afterFailure + 1);
  });
});

describe('the in-process job queue (the local stack’s SQS)', () => {
  it('delivers a failing job again, up to its receives, then keeps it as a dead letter', async () => {
    const logger = new RecordingLogger();
    const queue = new InProcessJobQueue(logger, { maxReceives: 3, retryDelayMs: 1 });
    const job: Job = { type: 'abort', uuid: randomUUID(), leaseOwner: 'owner' };
    let deliveries = 0;
    queue.consume(async () => {
      deliveries++;
      throw new Error('DynamoDB is down');
    });
    await queue.send(job);
    await queue.idle();
    expect(deliveries).toBe(3);
    expect(queue.deadLetters).toEqual([job]);
    expect(logger.lines.map((l) => [l.level, l.message, l.extra?.receive])).toEqual([
      ['warn', 'Job failed', 1],
      ['warn', 'Job failed', 2],
      ['warn', 'Job failed', 3],
      ['error', 'Job dead-lettered after its last delivery', undefined],
    ]);
  });

  it('refuses a job while nothing consumes the queue', async () => {
    const queue = new InProcessJobQueue(new RecordingLogger());
    await expect(queue.send({ type: 'abort', uuid: randomUUID(), leaseOwner: 'x' })).rejects.toThrow(
      'The in-process job queue has no consumer',
    );
  });
});
