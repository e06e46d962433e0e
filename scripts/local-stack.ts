/**
 * The local stack: the very same three handlers as in AWS, in one process.
 *
 * - an HTTP server (127.0.0.1:5050 unless told otherwise) that turns each request into an API Gateway
 *   HTTP API (payload 2.0) event for the api handler, and its answer back into HTTP;
 * - the worker handler fed by the in-process job queue (as SQS would, one record per delivery);
 * - the clean-up handler on a timer (`CLEAN_UP_PERIOD` seconds, default 60; 0 disables it);
 * - with `API_AUTH_STRATEGY` `http_basic` or `keystone`, the authorizer handler in a worker thread
 *   (`scripts/local-authorizer.ts`); `iam` is refused, as nothing here can check SigV4;
 * - DynamoDB Local and s3rver embedded, their data kept under `dataDir` between runs (or in-memory
 *   stores, for fast tests);
 * - the introspection events (what the EventBridge pipe publishes in AWS) from DynamoDB Local's
 *   stream (or the in-memory store's changes): one line each on stdout, or each POSTed as JSON to
 *   `EVENTS_URL`.
 *
 * The port is taken first, so a port in use ({@link PortTaken}) fails before anything is started; a
 * failure later stops what was started before it is thrown.
 *
 * @example
 * ```ts
 * const stack = await startLocalStack({ port: 5050, dataDir: '.data/local' });
 * // … http://127.0.0.1:5050/v1/introspection
 * await stack.stop();
 * ```
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type {
  APIGatewayProxyEventV2,
  APIGatewayRequestAuthorizerEventV2,
  Context,
  SQSEvent,
} from 'aws-lambda';
import { startLocalAuthorizer } from './local-authorizer.ts';
import { LOCAL_CREDENTIALS, type LocalServices, startLocalServices } from './local-services.ts';
import { registerTextImports } from './text-imports.ts';

/** The local stack's port is in use; the message says which setting changes it. */
export class PortTaken extends Error {
  constructor(port: number) {
    super(
      `Port ${port} on 127.0.0.1 is already in use (another \`npm start\`?). Stop what holds it, or set PORT to another port: PORT=${port + 1} npm start`,
    );
    this.name = 'PortTaken';
  }
}

/** Listen on 127.0.0.1:`port`, or fail with {@link PortTaken}. */
async function listen(server: Server, port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new PortTaken(port) : err),
    );
    server.listen(port, '127.0.0.1', resolve);
  });
}

// The api imports the dashboard's files as text, as its esbuild bundle does (tsx needs the hook).
registerTextImports();

/** The stack's authorizer functions time out after 10 s (infra/inspector-stack.ts). */
const AUTHORIZER_TIMEOUT_MS = 10_000;

export interface LocalStackOptions {
  /** Port to listen on (0: any free port). Default `PORT` or 5050. */
  readonly port?: number;
  /** Where DynamoDB Local and s3rver keep data; in memory / temporary when omitted. */
  readonly dataDir?: string;
  /** Settings on top of the environment (same names as in AWS). */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * `local-services` (the default): DynamoDB Local and s3rver, started here unless the settings give
   * their endpoints; `memory`: in-memory stores (fast tests; nothing survives the process).
   */
  readonly stores?: 'local-services' | 'memory';
  /** Replace parts of the runtime (tests: an in-memory Ironic, a clock, a logger). */
  readonly runtime?: Omit<import('#lib/runtime.ts').RuntimeOptions, 'config' | 'stores'>;
  /** Clean-up period in seconds (default `CLEAN_UP_PERIOD` or 60; 0 disables). */
  readonly cleanUpPeriodSeconds?: number;
  /**
   * Where introspection events go: a function (tests), `false` for nowhere (no stream reading), or
   * by default a line on stdout each, or a POST to `EVENTS_URL` when that is set.
   */
  readonly events?: false | ((event: import('#lib/events/state-changed.ts').StateChangedEvent) => void);
}

export interface LocalStack {
  readonly url: string;
  readonly runtime: import('#lib/runtime.ts').InspectorRuntime;
  /** Resolves once no worker job is queued or running. */
  idle(): Promise<void>;
  /** Resolves once the events of everything written so far are handed on. */
  eventsDrained(): Promise<void>;
  /** Run one clean-up pass now. */
  cleanUp(): Promise<import('#lib/introspection/periodic.ts').PeriodicResult>;
  stop(): Promise<void>;
}

/** A Lambda context good enough for the Powertools middlewares. */
function lambdaContext(functionName: string): Context {
  const deadline = Date.now() + 30_000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

const MAX_READ_BYTES = 10 * 1024 * 1024; // API Gateway's own payload limit

async function readBody(req: IncomingMessage): Promise<{ text: string; tooLarge: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= MAX_READ_BYTES) chunks.push(chunk as Buffer);
  }
  return { text: Buffer.concat(chunks).toString('utf8'), tooLarge: size > MAX_READ_BYTES };
}

/** The API Gateway HTTP API (payload 2.0) event for a request. */
export function apiGatewayEvent(req: IncomingMessage, body: string): APIGatewayProxyEventV2 {
  const url = new URL(req.url ?? '/', 'http://local');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams)
    query[name] = name in query ? `${query[name]},${value}` : value;
  const now = new Date();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ''),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? '127.0.0.1',
      domainPrefix: 'local',
      http: {
        method: req.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
    ...(body === '' ? {} : { body }),
    isBase64Encoded: false,
  };
}

/** Start the local stack. */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  // Settings first: the modules below read them when they load.
  process.env.AWS_ACCESS_KEY_ID ??= LOCAL_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY ??= LOCAL_CREDENTIALS.secretAccessKey;
  process.env.AWS_REGION ??= 'us-east-1';
  process.env.POWERTOOLS_DEV ??= 'true';
  process.env.LOG_FORMAT ??= 'line'; // one short line per event (lib/adapters/log-format.ts)
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const env = { ...process.env, ...options.env };

  const { loadConfig } = await import('#lib/config.ts');
  const baseConfig = loadConfig(env);
  if (baseConfig.apiAuthStrategy === 'iam') {
    const { ConfigurationError } = await import('#lib/domain/errors.ts');
    throw new ConfigurationError(
      'API_AUTH_STRATEGY=iam cannot be honoured by the local stack: SigV4 signatures are checked by API Gateway in AWS, and the local stack has nothing to check them with. Use noauth, http_basic or keystone locally.',
    );
  }

  // The port before anything else: taken, nothing has been started that would need stopping. Requests
  // wait for the handlers until the stack is up.
  let handle: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  let waiting: Array<() => void> = [];
  const server = createServer((req, res) => {
    if (handle !== undefined) handle(req, res);
    else waiting.push(() => handle?.(req, res));
  });
  await listen(server, options.port ?? Number(env.PORT ?? 5050));
  // Once stopping, every answer closes its connection: a client polling on a kept-alive connection
  // (the PXE filter agent) would otherwise keep the server from ever finishing its close. A failed
  // start closes every connection at once (requests waiting for the handlers get no answer).
  let stopping = false;
  const closeServer = async (force = false) => {
    stopping = true;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    if (force) server.closeAllConnections();
    else server.closeIdleConnections();
    await closed;
  };

  let services: LocalServices | undefined;
  try {
    const inMemory = options.stores === 'memory';
    if (!inMemory && (baseConfig.dynamoDbEndpoint === undefined || baseConfig.s3Endpoint === undefined)) {
      services = await startLocalServices({
        buckets: [baseConfig.introspectionDataBucket],
        ...(options.dataDir !== undefined ? { dataDir: options.dataDir } : {}),
      });
    }
    const config = loadConfig({
      ...env,
      DYNAMODB_ENDPOINT: baseConfig.dynamoDbEndpoint ?? services?.dynamoDbEndpoint,
      S3_ENDPOINT: baseConfig.s3Endpoint ?? services?.s3Endpoint,
      WORKER_QUEUE_URL: '',
    });
    const stack = await startHandlers(
      server,
      config,
      inMemory,
      services,
      options,
      closeServer,
      () => stopping,
    );
    handle = stack.handle;
    for (const request of waiting) request();
    waiting = [];
    return stack.stack;
  } catch (err) {
    await closeServer(true);
    await services?.stop();
    throw err;
  }
}

/** The runtime, the handlers and the clean-up timer behind the listening `server`. */
async function startHandlers(
  server: Server,
  config: import('#lib/config.ts').InspectorConfig,
  inMemory: boolean,
  services: LocalServices | undefined,
  options: LocalStackOptions,
  closeServer: () => Promise<void>,
  isStopping: () => boolean,
): Promise<{ stack: LocalStack; handle: (req: IncomingMessage, res: ServerResponse) => void }> {
  const env = { ...process.env, ...options.env };
  const { createRuntime } = await import('#lib/runtime.ts');
  const { createApiHandler } = await import('../functions/api.ts');
  const { createWorkerHandler } = await import('../functions/worker.ts');
  const { cleanUpPass } = await import('../functions/clean-up.ts');

  const rt = createRuntime({ ...options.runtime, config, stores: inMemory ? 'memory' : 'aws' });
  await rt.createTable();
  const api = { handler: createApiHandler(rt) };
  const worker = { handler: createWorkerHandler(rt) };
  const events = options.events === false ? undefined : await followEvents(rt, options.events);

  // The worker, fed as SQS feeds it: one record per delivery; a reported failure is a redelivery.
  rt.localQueue?.consume(async (job) => {
    const event: SQSEvent = {
      Records: [
        {
          messageId: randomUUID(),
          receiptHandle: 'local',
          body: JSON.stringify(job),
          attributes: {
            ApproximateReceiveCount: '1',
            SentTimestamp: String(Date.now()),
            SenderId: 'local',
            ApproximateFirstReceiveTimestamp: String(Date.now()),
          },
          messageAttributes: {},
          md5OfBody: '',
          eventSource: 'aws:sqs',
          eventSourceARN: 'arn:aws:sqs:local:000000000000:worker',
          awsRegion: config.region,
        },
      ],
    };
    const result = await worker.handler(event, lambdaContext('worker'));
    if (result.batchItemFailures.length > 0) throw new Error(`job ${job.type} for ${job.uuid} failed`);
  });

  const { isPublicRoute } = await import('#lib/auth/policy.ts');
  const { errorResponse } = await import('#lib/http/responses.ts');
  // API Gateway's part of authentication: the authorizer runs for protected routes, in a thread of
  // its own as it is a function of its own in AWS (bounded by that function's 10 s timeout); a
  // missing identity source is API Gateway's own 401, before any function runs.
  const strategy = config.apiAuthStrategy;
  const authorizer =
    strategy === 'http_basic' || strategy === 'keystone'
      ? {
          header: strategy === 'http_basic' ? 'authorization' : 'x-auth-token',
          thread: await startLocalAuthorizer(strategy, env, AUTHORIZER_TIMEOUT_MS),
        }
      : undefined;

  async function viaApiGateway(event: APIGatewayProxyEventV2) {
    const path = event.rawPath.replace(/\/+$/, '') || '/';
    if (authorizer !== undefined && !isPublicRoute(event.requestContext.http.method, path)) {
      const identity = event.headers[authorizer.header];
      if (!identity) {
        return {
          statusCode: 401,
          headers: { 'Content-Type': 'application/json' },
          body: '{"message":"Unauthorized"}',
        };
      }
      const decision = await authorizer.thread.authorize({
        ...event,
        type: 'REQUEST',
        routeArn: 'arn:aws:execute-api:local:000000000000:local/$default',
        identitySource: [identity],
      } as unknown as APIGatewayRequestAuthorizerEventV2);
      if ('failed' in decision) {
        rt.logger.error('Authorizer failed', { error: decision.message });
        return decision.failed === 'timeout'
          ? errorResponse(503, `${decision.message}, please retry later`)
          : {
              statusCode: 500,
              headers: { 'Content-Type': 'application/json' },
              body: '{"message":"Internal Server Error"}',
            };
      }
      if (!decision.isAuthorized) {
        return {
          statusCode: 403,
          headers: { 'Content-Type': 'application/json' },
          body: '{"message":"Forbidden"}',
        };
      }
      (event.requestContext as { authorizer?: unknown }).authorizer = { lambda: decision.context };
    }
    return api.handler(event, lambdaContext('api'));
  }

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const { text, tooLarge } = await readBody(req);
      const response = tooLarge
        ? errorResponse(413, 'Request body is larger than the API can carry')
        : await viaApiGateway(apiGatewayEvent(req, text));
      const body = Buffer.from(response.body ?? '', 'utf8');
      res.writeHead(response.statusCode ?? 200, {
        ...response.headers,
        'Content-Length': body.length,
        ...(isStopping() ? { Connection: 'close' } : {}),
      });
      res.end(body);
    })().catch((err: unknown) => {
      rt.logger.error('Local HTTP adapter failed', { error: String(err) });
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'Internal server error' } }));
    });
  };
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const period = options.cleanUpPeriodSeconds ?? Number(env.CLEAN_UP_PERIOD ?? 60);
  let cleaning = Promise.resolve();
  const timer =
    period > 0
      ? setInterval(() => {
          cleaning = cleaning
            .then(() => cleanUpPass(rt))
            .then(() => undefined)
            .catch((err: unknown) => rt.logger.error('Clean-up failed', { error: String(err) }));
        }, period * 1000)
      : undefined;

  const stack: LocalStack = {
    url,
    runtime: rt,
    idle: () => rt.localQueue?.idle() ?? Promise.resolve(),
    eventsDrained: () => events?.drain() ?? Promise.resolve(),
    cleanUp: () => cleanUpPass(rt),
    async stop() {
      if (timer !== undefined) clearInterval(timer);
      await closeServer();
      await authorizer?.thread.stop();
      await rt.localQueue?.idle();
      await cleaning;
      await events?.stop();
      rt.close();
      await services?.stop();
    },
  };
  return { stack, handle };
}

/**
 * Follow the node cache's state changes as the stack's EventBridge pipe does (DynamoDB Local's stream,
 * or the in-memory store's changes) and hand each event to `sink`: a function, else a POST of the
 * EventBridge-shaped event to `EVENTS_URL` when set, else a line on stdout.
 */
async function followEvents(
  rt: import('#lib/runtime.ts').InspectorRuntime,
  sink: ((event: import('#lib/events/state-changed.ts').StateChangedEvent) => void) | undefined,
): Promise<import('#lib/events/state-changed.ts').StateChangeFollower> {
  const { config } = rt;
  const { eventLine } = await import('#lib/events/state-changed.ts');
  const { eventsUrl } = config;
  const onEvent =
    sink ??
    (eventsUrl === undefined
      ? (event: import('#lib/events/state-changed.ts').StateChangedEvent) => console.log(eventLine(event))
      : async (event: import('#lib/events/state-changed.ts').StateChangedEvent) => {
          // The envelope an EventBridge rule's target receives.
          const body = {
            version: '0',
            id: randomUUID(),
            'detail-type': event['detail-type'],
            source: event.source,
            account: '000000000000',
            time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
            region: config.region,
            resources: [],
            detail: event.detail,
          };
          const response = await fetch(eventsUrl, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify(body),
            signal: AbortSignal.timeout(5000),
          });
          await response.body?.cancel();
          if (!response.ok) throw new Error(`EVENTS_URL answered ${response.status}`);
        });
  const { MemoryNodeStore } = await import('#lib/adapters/memory/node-store.ts');
  if (rt.stores.nodes instanceof MemoryNodeStore) {
    const { followMemoryStateChanges } = await import('#lib/adapters/memory/state-changes.ts');
    return followMemoryStateChanges({ nodes: rt.stores.nodes, logger: rt.logger, onEvent });
  }
  if (rt.clients === undefined) return { drain: async () => {}, stop: async () => {} };
  const { DynamoDBStreamsClient } = await import('@aws-sdk/client-dynamodb-streams');
  const { followStateChanges } = await import('#lib/adapters/dynamodb/stream-events.ts');
  const streams = new DynamoDBStreamsClient({
    region: config.region,
    ...(config.dynamoDbEndpoint === undefined ? {} : { endpoint: config.dynamoDbEndpoint }),
  });
  const follower = await followStateChanges({
    dynamoDb: rt.clients.dynamoDb,
    streams,
    tableName: config.nodeCacheTable,
    logger: rt.logger,
    onEvent,
  });
  return {
    drain: () => follower.drain(),
    async stop() {
      await follower.stop();
      streams.destroy();
    },
  };
}
