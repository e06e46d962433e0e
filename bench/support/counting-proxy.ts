/**
 * A transparent HTTP proxy that counts the requests passing through it, by a key a classifier gives
 * each request (Ironic: method and path template; DynamoDB: the operation; S3: method and object or
 * bucket). The benchmarks put one in front of Ironic, DynamoDB Local and s3rver, so that a child
 * process's requests are counted without touching its code.
 *
 * Headers go through unchanged, `Host` included: Ironic builds its `next` links from it (so paged
 * lists come back through the proxy), and SigV4 signatures still match.
 *
 * @example
 * ```ts
 * const proxy = await startCountingProxy('http://127.0.0.1:6385', ironicRequestKey);
 * // … point the stack at proxy.url …
 * proxy.total(); proxy.counts(); proxy.reset();
 * await proxy.stop();
 * ```
 */
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

/** Names what a request is, for counting. */
export type RequestClassifier = (request: IncomingMessage) => string;

export interface CountingProxy {
  readonly url: string;
  /** Requests counted since the last reset. */
  total(): number;
  /** Requests per key since the last reset. */
  counts(): ReadonlyMap<string, number>;
  reset(): void;
  stop(): Promise<void>;
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/** Ironic: `GET /v1/nodes/{id}`, `PUT /v1/nodes/{id}/states/power`, … (query strings dropped). */
export const ironicRequestKey: RequestClassifier = (request) => {
  const path = (request.url ?? '/').split('?')[0]?.replace(UUID, '{id}') ?? '/';
  return `${request.method ?? 'GET'} ${path}`;
};

/** DynamoDB: the operation (`GetItem`, `TransactWriteItems`, …) from `X-Amz-Target`. */
export const dynamoDbRequestKey: RequestClassifier = (request) =>
  String(request.headers['x-amz-target'] ?? 'unknown').replace(/^DynamoDB_\d+\./, '');

/** S3 (path style): `PUT object`, `GET object`, `DELETE object`, `GET bucket`, `POST bucket` (batch delete). */
export const s3RequestKey: RequestClassifier = (request) => {
  const path = (request.url ?? '/').split('?')[0] ?? '/';
  const isObject = path.split('/').filter((p) => p !== '').length > 1;
  return `${request.method ?? 'GET'} ${isObject ? 'object' : 'bucket'}`;
};

/** Start a counting proxy to `target` on a free loopback port. */
export async function startCountingProxy(
  target: string,
  classify: RequestClassifier,
): Promise<CountingProxy> {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  let counts = new Map<string, number>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const key = classify(req);
    counts.set(key, (counts.get(key) ?? 0) + 1);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const send = (retry: boolean) => {
        const forward = httpRequest(
          {
            agent,
            host: upstream.hostname,
            port: upstream.port,
            method: req.method,
            path: req.url,
            headers: req.headers,
          },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        forward.on('error', (err: NodeJS.ErrnoException) => {
          // The server closed a kept-alive connection as it was reused: send once more on a new one.
          if (retry && forward.reusedSocket && err.code === 'ECONNRESET') return send(false);
          if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'text/plain' });
          res.end(`counting proxy: ${err.message}`);
        });
        forward.end(body);
      };
      send(true);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    total: () => [...counts.values()].reduce((a, b) => a + b, 0),
    counts: () => counts,
    reset() {
      counts = new Map();
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
