/**
 * An API Gateway HTTP API (payload 2.0) event, as the api function receives it: for tests and
 * benchmarks that call a handler (or a built bundle's handler) without the local stack's HTTP adapter.
 *
 * @example
 * ```ts
 * await handler(apiGatewayEvent('GET', '/v1/introspection', { query: 'limit=50' }), lambdaContext('api'));
 * ```
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

/** What differs between the events the tests send. */
export interface ApiGatewayEventOptions {
  /** The raw query string (`limit=50&marker=…`). */
  readonly query?: string;
  /** The stage (`$default`, or a named one whose name prefixes the path). */
  readonly stage?: string;
  /** The connection's peer address. */
  readonly sourceIp?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

export function apiGatewayEvent(
  method: string,
  path: string,
  options: ApiGatewayEventOptions = {},
): APIGatewayProxyEventV2 {
  const query = options.query ?? '';
  const host = 'abc.execute-api.eu-west-1.amazonaws.com';
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: query,
    ...(query === '' ? {} : { queryStringParameters: Object.fromEntries(new URLSearchParams(query)) }),
    headers: { host, 'x-forwarded-proto': 'https', ...options.headers },
    requestContext: {
      accountId: '000000000000',
      apiId: 'abc',
      domainName: host,
      domainPrefix: 'abc',
      http: {
        method,
        path,
        protocol: 'HTTP/1.1',
        sourceIp: options.sourceIp ?? '192.0.2.1',
        userAgent: 'test',
      },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: options.stage ?? '$default',
      time: new Date().toISOString(),
      timeEpoch: Date.now(),
    },
    ...(options.body === undefined ? {} : { body: options.body }),
    isBase64Encoded: false,
  };
}
