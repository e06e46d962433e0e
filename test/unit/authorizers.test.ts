/**
 * The API authorizers' own logic: HTTP basic against bcrypt htpasswd entries, and Keystone tokens
 * (against a Keystone stand-in speaking `GET /v3/auth/tokens`): good, bad, expired and missing
 * credentials, the policy by method, and caching.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkBasicAuthorization, parseHtpasswd } from '#lib/auth/htpasswd.ts';
import { KeystoneTokenValidator } from '#lib/auth/keystone-tokens.ts';
import { authorizeBasic } from '../../functions/authorizer-basic.ts';
import { authorizeKeystone } from '../../functions/authorizer-keystone.ts';

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

function event(headers: Record<string, string>, method = 'GET'): APIGatewayRequestAuthorizerEventV2 {
  return {
    version: '2.0',
    type: 'REQUEST',
    routeArn: 'arn:aws:execute-api:eu-west-1:1:api/$default/GET/v1/introspection',
    identitySource: Object.values(headers),
    routeKey: '$default',
    rawPath: '/v1/introspection',
    rawQueryString: '',
    cookies: [],
    headers,
    queryStringParameters: {},
    requestContext: {
      accountId: '1',
      apiId: 'api',
      domainName: 'api.example.com',
      domainPrefix: 'api',
      http: { method, path: '/v1/introspection', protocol: 'HTTP/1.1', sourceIp: '10.0.0.1', userAgent: 'x' },
      requestId: 'r',
      routeKey: '$default',
      stage: '$default',
      time: '',
      timeEpoch: 0,
    },
    pathParameters: {},
    stageVariables: {},
  } as unknown as APIGatewayRequestAuthorizerEventV2;
}

describe('HTTP basic', () => {
  const hash = bcrypt.hashSync('correct horse', 4).replace('$2b$', '$2y$'); // as `htpasswd -B` writes
  const users = parseHtpasswd(`# operators\nadmin:${hash}\n\n`);

  it('accepts the right password (htpasswd -B $2y$ entries)', async () => {
    expect(await checkBasicAuthorization(users, basic('admin', 'correct horse'))).toEqual({
      ok: true,
      user: 'admin',
    });
    expect(
      await authorizeBasic(event({ authorization: basic('admin', 'correct horse') }), async () => users),
    ).toEqual({
      isAuthorized: true,
      context: { user: 'admin' },
    });
  });

  it('refuses a wrong password, an unknown user, missing and malformed credentials', async () => {
    expect((await checkBasicAuthorization(users, basic('admin', 'wrong'))).ok).toBe(false);
    expect((await checkBasicAuthorization(users, basic('nobody', 'correct horse'))).ok).toBe(false);
    expect(await checkBasicAuthorization(users, undefined)).toEqual({
      ok: false,
      reason: 'missing credentials',
    });
    expect(await checkBasicAuthorization(users, 'Bearer abc')).toEqual({
      ok: false,
      reason: 'not HTTP basic credentials',
    });
    expect(
      await checkBasicAuthorization(users, `Basic ${Buffer.from('nocolon').toString('base64')}`),
    ).toEqual({
      ok: false,
      reason: 'malformed credentials',
    });
    expect((await authorizeBasic(event({}), async () => users)).isAuthorized).toBe(false);
  });

  it('accepts only bcrypt entries, as upstream', () => {
    expect(() => parseHtpasswd('admin:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=')).toThrow(
      'line 1: only bcrypt entries',
    );
    expect(() => parseHtpasswd('admin:$apr1$abc$def')).toThrow('only bcrypt');
  });
});

describe('Keystone tokens', () => {
  let keystone: Server;
  let url: string;
  let validations = 0;
  const tokens = new Map<string, { roles: string[]; expiresInMs: number }>([
    ['admin-token', { roles: ['admin', 'reader'], expiresInMs: 3_600_000 }],
    ['reader-token', { roles: ['reader'], expiresInMs: 3_600_000 }],
    ['expired-token', { roles: ['admin'], expiresInMs: -1000 }],
    ['short-token', { roles: ['admin'], expiresInMs: 60_000 }],
  ]);

  beforeAll(async () => {
    keystone = createServer((req, res) => {
      validations++;
      const subject = String(req.headers['x-subject-token']);
      const known = tokens.get(subject);
      if (req.url !== '/v3/auth/tokens' || req.headers['x-auth-token'] !== subject || known === undefined) {
        res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"error": {"code": 404}}');
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(
        JSON.stringify({
          token: {
            expires_at: new Date(Date.now() + known.expiresInMs).toISOString(),
            roles: known.roles.map((name) => ({ id: name, name })),
            user: { id: 'u1', name: `${subject}-user` },
          },
        }),
      );
    });
    await new Promise<void>((resolve) => keystone.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(keystone.address() as AddressInfo).port}/v3`;
  });
  afterAll(() => keystone.close());

  it('admin tokens may act; reader tokens may only read ("Access denied by policy")', async () => {
    const validator = new KeystoneTokenValidator(url);
    expect(await validator.authorize('admin-token', 'POST')).toEqual({
      allowed: true,
      user: 'admin-token-user',
      roles: ['admin', 'reader'],
    });
    expect((await validator.authorize('reader-token', 'GET')).allowed).toBe(true);
    expect(await validator.authorize('reader-token', 'POST')).toEqual({
      allowed: false,
      reason: 'Access denied by policy',
    });
  });

  it('bad, expired and missing tokens need authentication', async () => {
    const validator = new KeystoneTokenValidator(url);
    expect(await validator.authorize('forged', 'GET')).toEqual({
      allowed: false,
      reason: 'Authentication required',
    });
    expect(await validator.authorize('expired-token', 'GET')).toEqual({
      allowed: false,
      reason: 'Authentication required',
    });
    expect(await validator.authorize(undefined, 'GET')).toEqual({
      allowed: false,
      reason: 'Authentication required',
    });
    expect(await validator.authorize('  ', 'GET')).toEqual({
      allowed: false,
      reason: 'Authentication required',
    });
  });

  it('caches a valid token until it expires (five minutes at most)', async () => {
    let now = Date.now();
    const validator = new KeystoneTokenValidator(url, { now: () => now });
    validations = 0;
    await validator.authorize('admin-token', 'GET');
    await validator.authorize('admin-token', 'POST');
    expect(validations).toBe(1);
    now += 5 * 60_000 + 1;
    await validator.authorize('admin-token', 'GET');
    expect(validations).toBe(2);

    validations = 0;
    await validator.authorize('short-token', 'GET');
    now += 61_000; // past the token's own expiry
    await validator.authorize('short-token', 'GET');
    expect(validations).toBe(2);
  });

  it('the handler maps decisions to simple responses, reading X-Auth-Token and the method', async () => {
    const validator = new KeystoneTokenValidator(url);
    expect(await authorizeKeystone(event({ 'x-auth-token': 'admin-token' }, 'POST'), validator)).toEqual({
      isAuthorized: true,
      context: { user: 'admin-token-user' },
    });
    expect(
      (await authorizeKeystone(event({ 'x-auth-token': 'reader-token' }, 'POST'), validator)).isAuthorized,
    ).toBe(false);
    expect((await authorizeKeystone(event({}, 'GET'), validator)).isAuthorized).toBe(false);
  });
});
