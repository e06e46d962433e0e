/**
 * What keeps wrong credentials cheap and Keystone's failures bounded: the attempt guard (recent
 * results, per-source budget), the basic authenticator built on it, and the Keystone validator's
 * answers when Keystone is down, slow or failing (against local servers that do just that).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import bcrypt from 'bcryptjs';
import { afterAll, describe, expect, it } from 'vitest';
import { AttemptGuard, type CheckOutcome } from '#lib/auth/attempt-guard.ts';
import { parseHtpasswd } from '#lib/auth/htpasswd.ts';
import { KeystoneTokenValidator } from '#lib/auth/keystone-tokens.ts';
import { authenticateBasic } from '../../functions/authorizer-basic.ts';
import { freePort } from '../../scripts/local-services.ts';

const ok = (value: string): CheckOutcome<string> => ({ ok: true, value });
const no: CheckOutcome<string> = { ok: false };

describe('attempt guard', () => {
  it('remembers outcomes by credential and generation: a repeat costs no check', async () => {
    let now = 0;
    const guard = new AttemptGuard<string>({ failuresPerWindow: 0, rememberSuccessMs: 1000, now: () => now });
    let checks = 0;
    const check = (outcome: CheckOutcome<string>) => async () => {
      checks++;
      return outcome;
    };
    expect(await guard.judge('good', '192.0.2.1', 'g1', check(ok('alice')))).toEqual({
      kind: 'checked',
      outcome: ok('alice'),
    });
    expect(await guard.judge('good', '192.0.2.9', 'g1', check(no))).toEqual({
      kind: 'remembered',
      outcome: ok('alice'),
    });
    expect(await guard.judge('bad', '192.0.2.1', 'g1', check(no))).toEqual({ kind: 'checked', outcome: no });
    expect(await guard.judge('bad', '192.0.2.1', 'g1', check(ok('x')))).toEqual({
      kind: 'remembered',
      outcome: no,
    });
    expect(checks).toBe(2);
    // New entries (a new generation) forget; so does time.
    expect((await guard.judge('bad', '192.0.2.1', 'g2', check(ok('bob')))).kind).toBe('checked');
    now += 1001;
    expect((await guard.judge('good', '192.0.2.1', 'g1', check(ok('alice')))).kind).toBe('checked');
    expect(checks).toBe(4);
  });

  it('a source past its budget is refused unchecked until the window ends; a remembered success still passes', async () => {
    let now = 0;
    const guard = new AttemptGuard<string>({ failuresPerWindow: 3, windowMs: 60_000, now: () => now });
    await guard.judge('right', '192.0.2.1', 'g', async () => ok('alice'));
    for (let i = 0; i < 3; i++) await guard.judge(`wrong ${i}`, '192.0.2.1', 'g', async () => no);
    let checked = false;
    const refused = await guard.judge('new guess', '192.0.2.1', 'g', async () => {
      checked = true;
      return ok('lucky');
    });
    expect(refused).toEqual({ kind: 'source-over-budget', retryAfterMs: 60_000 });
    expect(checked).toBe(false);
    expect((await guard.judge('right', '192.0.2.1', 'g', async () => no)).kind).toBe('remembered');
    // Other sources keep their budget; an IPv6 source is its /64.
    expect((await guard.judge('new guess', '192.0.2.2', 'g', async () => no)).kind).toBe('checked');
    now += 60_000;
    expect((await guard.judge('a later guess', '192.0.2.1', 'g', async () => no)).kind).toBe('checked');
  });

  it('concurrent checks count against the budget while they run, so a burst cannot overspend it', async () => {
    const guard = new AttemptGuard<string>({ failuresPerWindow: 4 });
    let checks = 0;
    const slow = async (): Promise<CheckOutcome<string>> => {
      checks++;
      await new Promise((resolve) => setTimeout(resolve, 20));
      return no;
    };
    const burst = await Promise.all(
      Array.from({ length: 16 }, (_, i) => guard.judge(`guess ${i}`, '2001:db8:1:2::1', 'g', slow)),
    );
    expect(checks).toBe(4);
    expect(burst.filter((j) => j.kind === 'source-over-budget')).toHaveLength(12);
    expect((await guard.judge('another', '2001:db8:1:2:ffff::9', 'g', slow)).kind).toBe('source-over-budget');
  });

  it('a check that throws counts nothing and is not remembered', async () => {
    const guard = new AttemptGuard<string>({ failuresPerWindow: 1 });
    for (let i = 0; i < 3; i++) {
      await expect(
        guard.judge('token', '192.0.2.1', null, async () => {
          throw new Error('Keystone down');
        }),
      ).rejects.toThrow('Keystone down');
    }
    expect((await guard.judge('token', '192.0.2.1', null, async () => ok('u'))).kind).toBe('checked');
  });

  it('stays bounded: the oldest credentials and sources go first', async () => {
    const guard = new AttemptGuard<string>({ failuresPerWindow: 5, maxEntries: 50 });
    for (let i = 0; i < 500; i++)
      await guard.judge(`guess ${i}`, `198.51.100.${i % 256}`, 'g', async () => no);
    expect(guard.size).toEqual({ results: 50, sources: 50 });
  });
});

describe('basic authentication through the guard', () => {
  const hash = bcrypt.hashSync('correct horse', 4).replace('$2b$', '$2y$');
  const users = parseHtpasswd(`admin:${hash}\n`);
  const basic = (password: string) => `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`;

  it('confirms, refuses, and refuses unchecked past the budget', async () => {
    const guard = new AttemptGuard<string>({ failuresPerWindow: 2 });
    const load = async () => users;
    expect(await authenticateBasic(basic('correct horse'), '192.0.2.1', load, guard)).toMatchObject({
      status: 'Confirmed',
      user: 'admin',
    });
    for (const guess of ['a', 'b']) {
      expect((await authenticateBasic(basic(guess), '192.0.2.1', load, guard)).status).toBe('Invalid');
    }
    // A fresh source could still log in with the right password; this one is refused unchecked
    // except for the credential it already proved.
    const other = new AttemptGuard<string>({ failuresPerWindow: 2 });
    for (const guess of ['a', 'b']) await authenticateBasic(basic(guess), '192.0.2.1', load, other);
    expect((await authenticateBasic(basic('correct horse'), '192.0.2.1', load, other)).status).toBe(
      'Invalid',
    );
    expect((await authenticateBasic(basic('correct horse'), '192.0.2.1', load, guard)).status).toBe(
      'Confirmed',
    );
  });

  it('entries that cannot be read are Unavailable (503), not an exception', async () => {
    const identity = await authenticateBasic(basic('x'), '192.0.2.1', async () => {
      throw new Error('Secrets Manager timed out');
    });
    expect(identity).toMatchObject({ status: 'Unavailable', reason: 'the user entries could not be read' });
  });
});

describe('Keystone down, slow or failing', () => {
  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  afterAll(() => {
    for (const socket of sockets) socket.destroy();
    for (const server of servers) server.close();
  });
  async function keystone(handler: Parameters<typeof createServer>[1]): Promise<string> {
    const server = createServer(handler);
    server.on('connection', (socket) => sockets.add(socket));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v3`;
  }
  const unavailable = (reason: string) => ({
    status: 'Unavailable',
    roles: [],
    systemScopeAll: false,
    reason,
  });

  it('down (connection refused)', async () => {
    const validator = new KeystoneTokenValidator(`http://127.0.0.1:${await freePort()}/v3`, {
      timeoutMs: 1000,
    });
    expect(await validator.identify('token')).toEqual(unavailable('Keystone could not be reached'));
  });

  it('slow: accepts and never answers; or answers headers and never the body', async () => {
    const silent = await keystone(() => {});
    const validator = new KeystoneTokenValidator(silent, { timeoutMs: 300 });
    expect(await validator.identify('token')).toEqual(unavailable('Keystone did not answer within 0.3 s'));
    const trickle = await keystone((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{"token": ');
    });
    expect(await new KeystoneTokenValidator(trickle, { timeoutMs: 300 }).identify('token')).toEqual(
      unavailable('Keystone did not answer within 0.3 s'),
    );
  });

  it('failing: 5xx, a body that is not JSON, a body that is not a token', async () => {
    const cases: Array<[string, string]> = [
      ['500', 'Keystone answered 500 validating a token'],
      ['html', 'Keystone answered a token validation with a body that is not JSON'],
      ['odd', 'Keystone answered a token validation with an unexpected body'],
    ];
    const url = await keystone((req, res) => {
      const kind = String(req.headers['x-subject-token']);
      if (kind === '500') res.writeHead(500).end('{}');
      else if (kind === 'html') res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html>');
      else res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"token": {"roles": 3}}');
    });
    for (const [token, reason] of cases) {
      const validator = new KeystoneTokenValidator(url, { failFastMs: 0 });
      expect(await validator.identify(token)).toEqual(unavailable(reason));
    }
  });

  it('after a failure, uncached tokens fail fast for a while; concurrent validations share one request', async () => {
    let requests = 0;
    let fail = true;
    const url = await keystone((req, res) => {
      requests++;
      if (fail) {
        res.writeHead(503).end();
        return;
      }
      setTimeout(() => {
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(
          JSON.stringify({
            token: {
              expires_at: new Date(Date.now() + 3_600_000).toISOString(),
              roles: [{ name: 'admin' }],
            },
          }),
        );
      }, 50);
      void req;
    });
    let now = 1_000_000;
    const validator = new KeystoneTokenValidator(url, { failFastMs: 2000, now: () => now });
    expect((await validator.identify('a')).status).toBe('Unavailable');
    expect((await validator.identify('b')).status).toBe('Unavailable');
    expect(requests).toBe(1);
    now += 2000;
    fail = false;
    const identities = await Promise.all(Array.from({ length: 5 }, () => validator.identify('b')));
    expect(identities.map((i) => i.status)).toEqual(Array(5).fill('Confirmed'));
    expect(requests).toBe(2);
  });
});
