/**
 * The PXE filter agent: the hosts directory exactly as upstream's dnsmasq driver writes it, atomic
 * and minimal writes, purge; the loop against an API that answers, repeats itself (304), fails and
 * comes back; the agent's auth modes against the local stack; and the command itself (a child
 * process: usage, `--once`, SIGTERM).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import bcrypt from 'bcryptjs';
import { afterEach, describe, expect, it } from 'vitest';
import { PxeFilterAgent } from '#lib/pxe-filter/agent.ts';
import { AgentConfigurationError, agentAuth } from '#lib/pxe-filter/agent-auth.ts';
import { DnsmasqHostsdir, UNKNOWN_HOSTS_FILE } from '#lib/pxe-filter/hostsdir.ts';
import { canonicalBody, entityTag, type PxeFilter } from '#lib/pxe-filter/pxe-filter.ts';
import { FakeIronic } from '#test/support/fake-ironic.ts';
import { RecordingLogger } from '#test/support/fixture.ts';
import { startTestStack } from '#test/support/stack.ts';

const A = '52:54:00:ad:00:01';
const B = '52:54:00:ad:00:02';
const C = '52:54:00:ad:00:03';

const newDir = () => mkdtempSync(join(tmpdir(), 'hostsdir-'));
const contents = (dir: string) =>
  Object.fromEntries(readdirSync(dir).map((name) => [name, readFileSync(join(dir, name), 'utf8')]));

describe('the hosts directory, as upstream’s dnsmasq driver keeps it', () => {
  it('one file per MAC named by it: "<mac>\\n" allows, "<mac>,ignore\\n" denies; the wildcard file', async () => {
    const dir = newDir();
    const changes = await new DnsmasqHostsdir(dir).apply(
      { allowed_macs: [A], denied_macs: [B, C], unknown_macs: 'deny' },
      { purge: true },
    );
    expect(contents(dir)).toEqual({
      [A]: `${A}\n`,
      [B]: `${B},ignore\n`,
      [C]: `${C},ignore\n`,
      [UNKNOWN_HOSTS_FILE]: '*:*:*:*:*:*,ignore\n',
    });
    expect(changes).toEqual({ written: [A, B, C, UNKNOWN_HOSTS_FILE], removed: [] });
  });

  it('rewrites only what changed, by rename (a new inode), and leaves no temporary file', async () => {
    const dir = newDir();
    const hostsdir = new DnsmasqHostsdir(dir);
    await hostsdir.apply({ allowed_macs: [A], denied_macs: [B], unknown_macs: 'deny' }, { purge: true });
    const inode = (name: string) => statSync(join(dir, name)).ino;
    const before = { a: inode(A), b: inode(B) };
    const changes = await hostsdir.apply(
      { allowed_macs: [B], denied_macs: [A], unknown_macs: 'allow' },
      { purge: false },
    );
    expect(changes.written).toEqual([B, A, UNKNOWN_HOSTS_FILE]);
    expect(contents(dir)).toEqual({
      [A]: `${A},ignore\n`,
      [B]: `${B}\n`,
      [UNKNOWN_HOSTS_FILE]: '*:*:*:*:*:*\n',
    });
    expect(inode(A)).not.toBe(before.a);
    const again = await hostsdir.apply(
      { allowed_macs: [B], denied_macs: [A], unknown_macs: 'allow' },
      { purge: false },
    );
    expect(again).toEqual({ written: [], removed: [] });
    expect(readdirSync(dir).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('a MAC that left Ironic keeps its file, set to the unknown-MAC policy (dnsmasq never forgets a file)', async () => {
    const dir = newDir();
    const hostsdir = new DnsmasqHostsdir(dir);
    await hostsdir.apply({ allowed_macs: [], denied_macs: [A, B], unknown_macs: 'deny' }, { purge: true });
    await hostsdir.apply({ allowed_macs: [], denied_macs: [A], unknown_macs: 'allow' }, { purge: false });
    expect(contents(dir)[B]).toBe(`${B}\n`);
    await hostsdir.apply({ allowed_macs: [], denied_macs: [A], unknown_macs: 'deny' }, { purge: false });
    expect(contents(dir)[B]).toBe(`${B},ignore\n`);
  });

  it('purge removes what the answer does not name (and a write cut short); without it they stay', async () => {
    const dir = newDir();
    writeFileSync(join(dir, C), `${C}\n`);
    writeFileSync(join(dir, 'stray.conf'), 'x\n');
    writeFileSync(join(dir, `.${A}.0000.tmp`), 'half');
    const kept = newDir();
    writeFileSync(join(kept, 'stray.conf'), 'x\n');
    const filter: PxeFilter = { allowed_macs: [A], denied_macs: [], unknown_macs: 'deny' };
    expect([...(await new DnsmasqHostsdir(dir).apply(filter, { purge: true })).removed].sort()).toEqual([
      C,
      'stray.conf',
    ]);
    expect(readdirSync(dir).sort()).toEqual([A, UNKNOWN_HOSTS_FILE].sort());
    await new DnsmasqHostsdir(kept).apply(filter, { purge: false });
    expect(readdirSync(kept).sort()).toEqual([A, 'stray.conf', UNKNOWN_HOSTS_FILE].sort());
  });

  it('a missing folder is an error', async () => {
    await expect(
      new DnsmasqHostsdir(join(newDir(), 'missing')).apply(
        { allowed_macs: [], denied_macs: [], unknown_macs: 'deny' },
        { purge: true },
      ),
    ).rejects.toThrow(/ENOENT/);
  });
});

/** An API that answers what the test sets, with ETags and 304s, counting requests. */
async function fakeApi() {
  const state = {
    filter: { allowed_macs: [A], denied_macs: [B], unknown_macs: 'deny' } as PxeFilter,
    status: 200,
    body: undefined as string | undefined,
    /** When set, requests without this X-Auth-Token are 401. */
    token: undefined as string | undefined,
    requests: [] as Array<Record<string, string | string[] | undefined>>,
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    state.requests.push(req.headers);
    if (state.token !== undefined && req.headers['x-auth-token'] !== state.token) {
      res.writeHead(401, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'Authentication required' } }));
      return;
    }
    if (state.status !== 200) {
      res.writeHead(state.status, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({ error: { message: 'Ironic is not reachable at http://ironic:6385: ECONNREFUSED' } }),
      );
      return;
    }
    const body = state.body ?? canonicalBody(state.filter);
    const etag = entityTag(body);
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, { ETag: etag }).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json', ETag: etag }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { state, server, url };
}

describe('the agent loop', () => {
  const servers: Array<{ close(): void }> = [];
  afterEach(() => {
    for (const s of servers.splice(0)) s.close();
  });

  it('applies, then asks with If-None-Match and keeps the folder checked; a new answer is applied', async () => {
    const api = await fakeApi();
    servers.push(api.server);
    const dir = newDir();
    const logger = new RecordingLogger();
    const agent = new PxeFilterAgent({
      apiUrl: `${api.url}/prefix`,
      hostsdir: dir,
      intervalMs: 1000,
      auth: agentAuth('none', undefined),
      logger,
      purge: true,
    });
    expect(agent.url).toBe(`${api.url}/prefix/v1/pxe-filter`);
    expect((await agent.syncOnce()).kind).toBe('applied');
    expect(contents(dir)[A]).toBe(`${A}\n`);
    expect(api.state.requests[0]?.['if-none-match']).toBeUndefined();

    // Unchanged: a 304; a file removed by hand is put back.
    const { rmSync } = await import('node:fs');
    rmSync(join(dir, B));
    const unchanged = await agent.syncOnce();
    expect(unchanged).toEqual({ kind: 'unchanged', changes: { written: [B], removed: [] } });
    expect(api.state.requests[1]?.['if-none-match']).toBe(entityTag(canonicalBody(api.state.filter)));

    api.state.filter = { allowed_macs: [], denied_macs: [A, B], unknown_macs: 'deny' };
    expect((await agent.syncOnce()).kind).toBe('applied');
    expect(contents(dir)[A]).toBe(`${A},ignore\n`);
    expect(logger.messages('info')).toEqual([
      'PXE filter applied: 1 allowed, 1 denied, unknown MACs deny; 3 files written, 0 removed',
      'PXE filter applied: 1 allowed, 1 denied, unknown MACs deny; 1 files written, 0 removed',
      'PXE filter applied: 0 allowed, 2 denied, unknown MACs deny; 1 files written, 0 removed',
    ]);
  });

  it('API failing or gone: the folder stays, one line per reason, one when it works again', async () => {
    const api = await fakeApi();
    servers.push(api.server);
    const dir = newDir();
    const logger = new RecordingLogger();
    const agent = new PxeFilterAgent({
      apiUrl: api.url,
      hostsdir: dir,
      intervalMs: 1000,
      auth: agentAuth('none', undefined),
      logger,
      purge: true,
      timeoutMs: 2000,
    });
    await agent.syncOnce();
    const good = contents(dir);

    api.state.status = 503;
    for (let i = 0; i < 3; i++) expect((await agent.syncOnce()).kind).toBe('failed');
    api.state.status = 200;
    api.state.body = JSON.stringify({
      allowed_macs: ['../../etc/passwd'],
      denied_macs: [],
      unknown_macs: 'deny',
    });
    expect(await agent.syncOnce()).toEqual({
      kind: 'failed',
      reason: "the API's answer is not a PXE filter (allowed_macs.0: not a lower-case MAC)",
    });
    api.server.close();
    await new Promise((r) => setTimeout(r, 50));
    expect((await agent.syncOnce()).kind).toBe('failed');
    expect(contents(dir)).toEqual(good);
    expect(logger.messages('warn')).toEqual([
      'PXE filter not updated, the hosts directory stays as it was: the API answered 503: Ironic is not reachable at http://ironic:6385: ECONNREFUSED',
      "PXE filter not updated, the hosts directory stays as it was: the API's answer is not a PXE filter (allowed_macs.0: not a lower-case MAC)",
      `PXE filter not updated, the hosts directory stays as it was: the API at ${api.url}/v1/pxe-filter is unreachable (ECONNREFUSED)`,
    ]);

    const back = await fakeApi();
    servers.push(back.server);
    const again = new PxeFilterAgent({
      apiUrl: back.url,
      hostsdir: join(dir, 'not-there'),
      intervalMs: 1000,
      auth: agentAuth('none', undefined),
      logger,
      purge: true,
    });
    expect((await again.syncOnce()).kind).toBe('failed');
    expect(logger.messages('warn').at(-1)).toMatch(/cannot write the hosts directory .*not-there: ENOENT/);
  });

  it('recovers: one line after the failures', async () => {
    const api = await fakeApi();
    servers.push(api.server);
    const logger = new RecordingLogger();
    const agent = new PxeFilterAgent({
      apiUrl: api.url,
      hostsdir: newDir(),
      intervalMs: 1000,
      auth: agentAuth('none', undefined),
      logger,
      purge: true,
    });
    api.state.status = 500;
    await agent.syncOnce();
    await agent.syncOnce();
    api.state.status = 200;
    expect((await agent.syncOnce()).kind).toBe('applied');
    expect(logger.messages('info').at(-1)).toBe('PXE filter in sync again after 2 failed attempts');
  });

  it('run() stops at once when aborted', async () => {
    const api = await fakeApi();
    servers.push(api.server);
    const logger = new RecordingLogger();
    const agent = new PxeFilterAgent({
      apiUrl: api.url,
      hostsdir: newDir(),
      intervalMs: 60_000,
      auth: agentAuth('none', undefined),
      logger,
      purge: true,
    });
    const controller = new AbortController();
    const running = agent.run(controller.signal);
    await new Promise((r) => setTimeout(r, 300));
    const started = Date.now();
    controller.abort();
    await running;
    expect(Date.now() - started).toBeLessThan(1000);
    expect(logger.messages('info').at(-1)).toBe('PXE filter agent stopped');
  });
});

describe('the agent’s auth modes against the local stack', () => {
  it('credentials documents are checked before anything runs', () => {
    expect(() => agentAuth('http_basic', undefined)).toThrow(AgentConfigurationError);
    expect(() => agentAuth('http_basic', '{"user": 1}')).toThrow(/username/);
    expect(() => agentAuth('keystone', 'not json')).toThrow(/not a JSON document/);
    expect(() => agentAuth('keystone', { username: 'x' })).toThrow(/token.*password login/);
  });

  it('http_basic', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'htpasswd-'));
    writeFileSync(join(dir, 'htpasswd'), `agent:${bcrypt.hashSync('s3cret', 4)}\n`);
    process.env.HTPASSWD_FILE = join(dir, 'htpasswd');
    const ironic = new FakeIronic();
    ironic.addNode({}, [C]);
    const stack = await startTestStack({ ironic, env: { API_AUTH_STRATEGY: 'http_basic' } });
    try {
      const agent = (password: string) =>
        new PxeFilterAgent({
          apiUrl: stack.url,
          hostsdir: newDir(),
          intervalMs: 1000,
          auth: agentAuth('http_basic', { username: 'agent', password }),
          logger: new RecordingLogger(),
          purge: true,
        });
      expect(await agent('wrong').syncOnce()).toEqual({
        kind: 'failed',
        reason: 'the API answered 401: Authentication required',
      });
      expect((await agent('s3cret').syncOnce()).kind).toBe('applied');
    } finally {
      await stack.stop();
      delete process.env.HTPASSWD_FILE;
    }
  });

  it('keystone: a token, and a password login renewed once when the API refuses its token', async () => {
    let issued = 0;
    const valid = new Set<string>(['given-token']);
    const keystone = createServer((req, res) => {
      if (req.method === 'POST') {
        const token = `issued-${++issued}`;
        valid.add(token);
        res
          .writeHead(201, { 'X-Subject-Token': token, 'Content-Type': 'application/json' })
          .end(JSON.stringify({ token: { expires_at: new Date(Date.now() + 3_600_000).toISOString() } }));
        return;
      }
      const token = String(req.headers['x-subject-token']);
      if (!valid.has(token)) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(
        JSON.stringify({
          token: {
            expires_at: new Date(Date.now() + 3_600_000).toISOString(),
            roles: [{ name: 'reader' }],
            system: { all: true },
          },
        }),
      );
    });
    await new Promise<void>((r) => keystone.listen(0, '127.0.0.1', r));
    const authUrl = `http://127.0.0.1:${(keystone.address() as AddressInfo).port}/v3`;
    process.env.KEYSTONE_AUTH_URL = authUrl;
    const stack = await startTestStack({ ironic: new FakeIronic(), env: { API_AUTH_STRATEGY: 'keystone' } });
    try {
      const run = (credentials: unknown) =>
        new PxeFilterAgent({
          apiUrl: stack.url,
          hostsdir: newDir(),
          intervalMs: 1000,
          auth: agentAuth('keystone', credentials),
          logger: new RecordingLogger(),
          purge: true,
        });
      expect((await run({ token: 'given-token' }).syncOnce()).kind).toBe('applied');
      expect((await run({ token: 'forged' }).syncOnce()).kind).toBe('failed');

      const agent = run({ auth_url: authUrl, username: 'agent', password: 'pw', system_scope: 'all' });
      expect((await agent.syncOnce()).kind).toBe('applied');
      expect(issued).toBe(1);

      // An API refusing the cached token (revoked): the agent logs in again, once per round.
      const api = await fakeApi();
      try {
        api.state.token = 'issued-3';
        const renewing = new PxeFilterAgent({
          apiUrl: api.url,
          hostsdir: newDir(),
          intervalMs: 1000,
          auth: agentAuth('keystone', { auth_url: authUrl, username: 'agent', password: 'pw' }),
          logger: new RecordingLogger(),
          purge: true,
        });
        expect((await renewing.syncOnce()).kind).toBe('applied');
        expect(api.state.requests.map((h) => h['x-auth-token'])).toEqual(['issued-2', 'issued-3']);
        api.state.token = 'never';
        expect(await renewing.syncOnce()).toEqual({
          kind: 'failed',
          reason: 'the API answered 401: Authentication required',
        });
        expect(issued).toBe(4);
      } finally {
        api.server.close();
      }
    } finally {
      await stack.stop();
      keystone.close();
      delete process.env.KEYSTONE_AUTH_URL;
    }
  });
});

describe('the command', () => {
  const bin = resolve(import.meta.dirname, '../../bin/serverless-inspector.mjs');
  const run = (args: string[], onStarted?: (child: ReturnType<typeof spawn>) => void) =>
    new Promise<{ code: number | null; stderr: string; stdout: string }>((done) => {
      const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      let stdout = '';
      let started = false;
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
      });
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (!started && stderr.includes('PXE filter agent started')) {
          started = true;
          onStarted?.(child);
        }
      });
      child.on('exit', (code) => done({ code, stderr, stdout }));
    });

  it('usage errors exit 2 with the usage; --help exits 0', async () => {
    const missing = await run(['pxe-filter', '--hostsdir', '/tmp']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--api URL is required');
    expect(
      (await run(['pxe-filter', '--api', 'http://x', '--hostsdir', '/tmp', '--interval', '0'])).code,
    ).toBe(2);
    expect((await run(['pxe-filter', '--bogus'])).code).toBe(2);
    expect(
      (await run(['pxe-filter', '--api', 'http://x', '--hostsdir', '/tmp', '--auth', 'keystone'])).stderr,
    ).toContain('--auth keystone needs credentials');
    const help = await run(['--help']);
    expect([help.code, help.stdout]).toEqual([0, expect.stringContaining('dhcp-hostsdir')]);
  });

  it('--once: 0 when applied, 1 when the API is unreachable', async () => {
    const api = await fakeApi();
    const dir = newDir();
    try {
      const ok = await run(['pxe-filter', '--api', api.url, '--hostsdir', dir, '--once']);
      expect(ok.code).toBe(0);
      expect(contents(dir)[A]).toBe(`${A}\n`);
    } finally {
      api.server.close();
    }
    const down = await run(['pxe-filter', '--api', api.url, '--hostsdir', dir, '--once', '--timeout', '2']);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain(
      'WARN PXE filter not updated, the hosts directory stays as it was: the API at',
    );
  });

  it('runs until SIGTERM, then exits 0', async () => {
    const api = await fakeApi();
    try {
      const result = await run(
        ['pxe-filter', '--api', api.url, '--hostsdir', newDir(), '--interval', '60'],
        (child) => setTimeout(() => child.kill('SIGTERM'), 200),
      );
      expect(result.code).toBe(0);
      expect(result.stderr).toContain('INFO SIGTERM received, stopping');
      expect(result.stderr).toContain('INFO PXE filter agent stopped');
    } finally {
      api.server.close();
    }
  });
});
