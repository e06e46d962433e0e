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
import { AttemptGuard } from '#lib/auth/attempt-guard.ts';
import { checkBasicAuthorization, parseHtpasswd } from '#lib/auth/htpasswd.ts';
import { KeystoneTokenValidator } from '#lib/auth/keystone-tokens.ts';
import { checkPolicy, isPublicRoute } from '#lib/auth/policy.ts';
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
      context: { identityStatus: 'Confirmed', roles: '', systemScope: '', user: 'admin' },
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
    const refused = await authorizeBasic(
      event({ authorization: basic('admin', 'wrong') }),
      async () => users,
    );
    expect(refused).toMatchObject({ isAuthorized: true, context: { identityStatus: 'Invalid' } });
  });

  it('accepts only bcrypt entries, as upstream', () => {
    expect(() => parseHtpasswd('admin:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=')).toThrow(
      'line 1: only bcrypt entries',
    );
    expect(() => parseHtpasswd('admin:$apr1$abc$def')).toThrow('only bcrypt');
  });
});

describe('upstream policy, applied by the api', () => {
  const confirmed = (roles: string[], systemScopeAll = false) => ({
    status: 'Confirmed' as const,
    roles,
    systemScopeAll,
  });
  const invalid = { status: 'Invalid' as const, roles: [], systemScopeAll: false };

  it('public routes need nothing; noauth and iam check nothing here', () => {
    for (const strategy of ['noauth', 'http_basic', 'keystone', 'iam'] as const) {
      expect(() => checkPolicy(strategy, 'public', undefined)).not.toThrow();
    }
    expect(() => checkPolicy('noauth', 'introspection:start', undefined)).not.toThrow();
    expect(() => checkPolicy('iam', 'introspection:data', undefined)).not.toThrow();
  });

  it('an unconfirmed caller is 401 "Authentication required"', () => {
    for (const strategy of ['http_basic', 'keystone'] as const) {
      expect(() => checkPolicy(strategy, 'introspection:status', invalid)).toThrow(
        expect.objectContaining({ httpStatus: 401, message: 'Authentication required' }),
      );
      expect(() => checkPolicy(strategy, 'introspection:status', undefined)).toThrow(
        'Authentication required',
      );
    }
  });

  it('keystone: status needs reader with system scope (or admin/service); the rest admin or service', () => {
    const denied = expect.objectContaining({ httpStatus: 403, message: 'Access denied by policy' });
    expect(() => checkPolicy('keystone', 'introspection:status', confirmed(['reader'], true))).not.toThrow();
    expect(() => checkPolicy('keystone', 'introspection:status', confirmed(['reader']))).toThrow(denied);
    expect(() => checkPolicy('keystone', 'introspection:status', confirmed(['member']))).toThrow(denied);
    expect(() => checkPolicy('keystone', 'introspection:status', confirmed(['admin']))).not.toThrow();
    for (const rule of [
      'introspection:start',
      'introspection:abort',
      'introspection:data',
      'introspection:reapply',
    ] as const) {
      expect(() => checkPolicy('keystone', rule, confirmed(['reader'], true))).toThrow(denied);
      expect(() => checkPolicy('keystone', rule, confirmed(['service']))).not.toThrow();
      expect(() => checkPolicy('keystone', rule, confirmed(['admin']))).not.toThrow();
    }
  });

  it('http_basic: any authenticated user may do anything, as upstream', () => {
    expect(() => checkPolicy('http_basic', 'introspection:reapply', confirmed([]))).not.toThrow();
  });

  it('the public routes are the three upstream ones', () => {
    expect(isPublicRoute('GET', '/')).toBe(true);
    expect(isPublicRoute('GET', '/v1')).toBe(true);
    expect(isPublicRoute('POST', '/v1/continue')).toBe(true);
    expect(isPublicRoute('GET', '/v1/introspection')).toBe(false);
    expect(isPublicRoute('POST', '/v1')).toBe(false);
  });
});

describe('Keystone tokens', () => {
  let keystone: Server;
  let url: string;
  let validations = 0;
  const tokens = new Map<string, { roles: string[]; expiresInMs: number; system?: boolean }>([
    ['admin-token', { roles: ['admin', 'reader'], expiresInMs: 3_600_000 }],
    ['reader-token', { roles: ['reader'], expiresInMs: 3_600_000 }],
    ['expired-token', { roles: ['admin'], expiresInMs: -1000 }],
    ['system-reader-token', { roles: ['reader'], expiresInMs: 3_600_000, system: true }],
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
            ...(known.system ? { system: { all: true } } : { project: { id: 'p1' } }),
          },
        }),
      );
    });
    await new Promise<void>((resolve) => keystone.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(keystone.address() as AddressInfo).port}/v3`;
  });
  afterAll(() => keystone.close());

  it('identifies a token: roles and system scope; bad, expired and missing tokens are Invalid', async () => {
    const validator = new KeystoneTokenValidator(url);
    expect(await validator.identify('admin-token')).toEqual({
      status: 'Confirmed',
      roles: ['admin', 'reader'],
      systemScopeAll: false,
      user: 'admin-token-user',
    });
    expect(await validator.identify('system-reader-token')).toMatchObject({
      status: 'Confirmed',
      roles: ['reader'],
      systemScopeAll: true,
    });
    for (const token of ['forged', 'expired-token', undefined, '  ']) {
      expect((await validator.identify(token)).status).toBe('Invalid');
    }
  });

  it('caches a valid token until it expires (five minutes at most)', async () => {
    let now = Date.now();
    const validator = new KeystoneTokenValidator(url, { now: () => now });
    validations = 0;
    await validator.identify('admin-token');
    await validator.identify('admin-token');
    expect(validations).toBe(1);
    now += 5 * 60_000 + 1;
    await validator.identify('admin-token');
    expect(validations).toBe(2);

    validations = 0;
    await validator.identify('short-token');
    now += 61_000; // past the token's own expiry
    await validator.identify('short-token');
    expect(validations).toBe(2);
  });

  it('the handler always lets the request on, carrying the identity (the api decides)', async () => {
    const validator = new KeystoneTokenValidator(url);
    expect(await authorizeKeystone(event({ 'x-auth-token': 'admin-token' }, 'POST'), validator)).toEqual({
      isAuthorized: true,
      context: {
        identityStatus: 'Confirmed',
        roles: 'admin,reader',
        systemScope: '',
        user: 'admin-token-user',
      },
    });
    expect((await authorizeKeystone(event({ 'x-auth-token': 'forged' }), validator)).context).toMatchObject({
      identityStatus: 'Invalid',
    });
  });

  it('Keystone unreachable: the identity is Unavailable (the api answers 503), not an exception', async () => {
    // Nothing listens on port 1: the validator cannot ask Keystone.
    const validator = new KeystoneTokenValidator('http://127.0.0.1:1/v3', { timeoutMs: 2000 });
    const guard = new AttemptGuard<never>({ failuresPerWindow: 1 });
    for (let i = 0; i < 3; i++) {
      // Keystone's silence is not the caller's failure: it never spends the source's budget.
      const { context } = await authorizeKeystone(event({ 'x-auth-token': `token-${i}` }), validator, guard);
      expect(context).toMatchObject({ identityStatus: 'Unavailable', user: '' });
    }
  });

  it('past its budget of refused tokens, a source is refused without asking Keystone', async () => {
    const validator = new KeystoneTokenValidator(url);
    const guard = new AttemptGuard<never>({ failuresPerWindow: 2, rememberFailureMs: 0 });
    const before = validations;
    for (const token of ['forged-1', 'forged-2', 'forged-3', 'admin-token']) {
      const { context } = await authorizeKeystone(event({ 'x-auth-token': token }), validator, guard);
      expect(context).toMatchObject({ identityStatus: 'Invalid' });
    }
    // Two checks spent the budget; the third forged token and even a good one went unchecked.
    expect(validations - before).toBe(2);
  });
});
