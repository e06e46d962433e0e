/**
 * The dashboard in a real browser (Debian's Chromium, driven by playwright-core; no browser is
 * downloaded) against the local stack, with introspections run through the real Ironic: the right
 * states and names, a node's hardware, a failed node's error, abort from the page, the raw data
 * download, the rules note, sign-in with a Keystone token (admin and reader) and with HTTP basic.
 * A screenshot of each page goes to `.test-results/screenshots/` (a CI artifact).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import bcrypt from 'bcryptjs';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { IronicNode } from '#lib/ports/ironic.ts';
import { createTestNode, eventually, provision, testIronic, uniqueMac } from '#test/support/ironic.ts';
import { ramdiskCallback, startTestStack, type TestStack } from '#test/support/stack.ts';

const root = resolve(import.meta.dirname, '../..');
const screenshots = join(root, '.test-results', 'screenshots');

/** The launch flags the project uses for Debian's Chromium in containers and CI. */
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

async function openBrowser(colorScheme: 'light' | 'dark' = 'light'): Promise<{
  context: BrowserContext;
  close: () => Promise<void>;
}> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'dashboard-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1440, height: 1000 },
    colorScheme,
    acceptDownloads: true,
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Script errors and refused loads (CSP) the page reports; the API's 4xx are expected, not errors. */
const scriptErrors: string[] = [];
function watchForScriptErrors(page: Page): void {
  page.on('pageerror', (error) => scriptErrors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
      scriptErrors.push(message.text());
    }
  });
}

async function shoot(page: Page, name: string): Promise<void> {
  mkdirSync(screenshots, { recursive: true });
  await page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });
}

/** A Keystone stand-in: `admin-token` is an admin, `reader-token` a system-scoped reader. */
async function keystoneStandIn(): Promise<Server> {
  const server = createServer((req, res) => {
    const token = String(req.headers['x-subject-token']);
    const roles = token === 'admin-token' ? ['admin'] : token === 'reader-token' ? ['reader'] : undefined;
    if (roles === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(
      JSON.stringify({
        token: {
          expires_at: new Date(Date.now() + 3_600_000).toISOString(),
          roles: roles.map((name) => ({ name })),
          system: { all: true },
        },
      }),
    );
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return server;
}

const ADMIN = { 'X-Auth-Token': 'admin-token' };
/** Ironic's conductor is shared with other suites: its power actions may queue a while. */
const IRONIC_WAIT_MS = 90_000;
/** Polls wait this long: the page refreshes itself and asks Ironic for names on a shared machine. */
const SLOW = { timeout: 20_000, interval: 200 };

interface Introspected {
  readonly node: IronicNode;
  readonly macs: [string, string];
  readonly bmc: string;
}

describe('the dashboard in Chromium, with Keystone tokens', () => {
  let keystone: Server;
  let stack: TestStack;
  let browser: Awaited<ReturnType<typeof openBrowser>>;
  let page: Page;
  let done: Introspected;
  let failed: Introspected;
  let waiting: Introspected;

  const status = async (uuid: string) =>
    (await stack.call('GET', `/v1/introspection/${uuid}`, { headers: ADMIN })).json as {
      state: string;
      error: string | null;
    };

  /** A manageable fake-hardware node in the real Ironic, introspection started, waiting. */
  async function waitingNode(label: string): Promise<Introspected> {
    const ironic = testIronic();
    const macs: [string, string] = [uniqueMac(), uniqueMac()];
    const bmc = `203.0.113.${Math.floor(Math.random() * 200) + 20}`;
    const node = await createTestNode(ironic, {
      name: `dash-${label}-${Math.random().toString(36).slice(2, 8)}`,
      driver_info: { ipmi_address: bmc },
      properties: { capabilities: 'boot_mode:uefi' },
    });
    for (const mac of macs) await ironic.createPort({ nodeUuid: node.uuid, address: mac });
    await provision(ironic, node.uuid, [['manage', 'manageable']]);
    expect((await stack.call('POST', `/v1/introspection/${node.uuid}`, { headers: ADMIN })).status).toBe(202);
    await eventually(
      () => status(node.uuid),
      (s) => s.state === 'waiting',
      IRONIC_WAIT_MS,
    );
    return { node, macs, bmc };
  }

  beforeAll(async () => {
    execFileSync(join(root, 'scripts/install-chromium.sh'), { stdio: ['ignore', 'inherit', 'inherit'] });
    keystone = await keystoneStandIn();
    process.env.KEYSTONE_AUTH_URL = `http://127.0.0.1:${(keystone.address() as AddressInfo).port}/v3`;
    stack = await startTestStack({ env: { IRONIC_URL: inject('ironicUrl'), API_AUTH_STRATEGY: 'keystone' } });

    [done, failed, waiting] = [
      await waitingNode('done'),
      await waitingNode('failed'),
      await waitingNode('waiting'),
    ];
    // The finished one reports LLDP on its second NIC and two GPUs.
    const body = await ramdiskCallback(done.macs, done.bmc);
    const inventory = body.inventory as { interfaces: Array<Record<string, unknown>> };
    const hex = (text: string) => Buffer.from(text).toString('hex');
    (inventory.interfaces[1] as Record<string, unknown>).lldp = [
      [1, '04525400c0ffee'],
      [2, `05${hex('Ethernet1/12')}`],
      [5, hex('leaf-7.example.net')],
    ];
    body.pci_devices = [
      { vendor_id: '10de', product_id: '1eb8', bus: '0000:3b:00.0' },
      { vendor_id: '10de', product_id: '1eb8', bus: '0000:af:00.0' },
    ];
    expect((await stack.call('POST', '/v1/continue', { body })).status).toBe(200);
    const failing = await ramdiskCallback(failed.macs, failed.bmc);
    failing.error = 'the disk controller did not answer';
    expect((await stack.call('POST', '/v1/continue', { body: failing })).status).toBe(400);
    await eventually(
      () => status(done.node.uuid),
      (s) => s.state === 'finished',
      IRONIC_WAIT_MS,
    );
    expect((await status(failed.node.uuid)).state).toBe('error');

    browser = await openBrowser();
    page = await browser.context.newPage();
    watchForScriptErrors(page);
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    keystone?.close();
    delete process.env.KEYSTONE_AUTH_URL;
  });

  const row = (uuid: string) => page.locator(`#introspections tr[data-uuid="${uuid}"]`);
  /** The UUIDs of the table's rows, in order. */
  const uuidsShown = async () => {
    const rows = page.locator('#introspections tbody tr');
    const uuids: Array<string | null> = [];
    for (let i = 0; i < (await rows.count()); i++) uuids.push(await rows.nth(i).getAttribute('data-uuid'));
    return uuids;
  };

  it('asks for a token, then lists the introspections with names, states and the failure', async () => {
    await page.goto(`${stack.url}/dashboard`);
    const login = page.locator('#login');
    await login.waitFor({ state: 'visible' });
    expect(await login.locator('#login-intro').textContent()).toContain('Keystone token');
    await login.locator('input[name=token]').fill('admin-token');
    await login.locator('button[type=submit]').click();

    await row(done.node.uuid).waitFor();
    await expect.poll(() => row(done.node.uuid).getAttribute('data-state'), SLOW).toBe('finished');
    expect(await row(failed.node.uuid).getAttribute('data-state')).toBe('error');
    expect(await row(waiting.node.uuid).getAttribute('data-state')).toBe('waiting');
    const failure = (await status(failed.node.uuid)).error;
    expect(failure).toContain('Ramdisk reported error: the disk controller did not answer');
    expect(await row(failed.node.uuid).locator('td.error').textContent()).toBe(failure);
    // Names come from Ironic, lazily.
    await expect.poll(() => row(done.node.uuid).locator('a').textContent(), SLOW).toBe(done.node.name);
    // Newest first.
    expect(await uuidsShown()).toEqual([waiting.node.uuid, failed.node.uuid, done.node.uuid]);
    await expect
      .poll(() => page.locator('#counts button[data-state=finished]').getAttribute('data-count'), SLOW)
      .toBe('1');
    expect(await page.locator('#counts button[data-state=error]').getAttribute('data-count')).toBe('1');
    expect(await page.locator('#counts button[data-state=waiting]').getAttribute('data-count')).toBe('1');
    expect(await page.locator('#chart svg').getAttribute('aria-label')).toBe(
      '1 finished and 1 failed, last 24 hours',
    );
    await shoot(page, 'introspections');
  });

  it('filters by state, and finds a node by a MAC through Ironic', async () => {
    await page.locator('#state-filter').selectOption('error');
    await expect.poll(uuidsShown, SLOW).toEqual([failed.node.uuid]);
    await page.locator('#state-filter').selectOption('');
    await page.locator('#search').fill(done.macs[1].toUpperCase());
    await page.locator('#search').press('Enter');
    await expect.poll(() => page.locator('#search-note').textContent(), SLOW).toContain('1 found');
    expect(await page.locator('#introspections tbody tr').getAttribute('data-uuid')).toBe(done.node.uuid);
    await page.locator('#clear-search').click();
    await row(waiting.node.uuid).waitFor();
  });

  it("a finished node's page: its hardware from the processed data, capabilities from Ironic", async () => {
    await row(done.node.uuid).locator('a').click();
    const cpu = page.locator('#hardware-cpu');
    await cpu.waitFor();
    expect(await cpu.textContent()).toContain('QEMU Virtual CPU version 2.5+');
    expect(await cpu.locator('dd').nth(1).textContent()).toBe('4');
    expect(await page.locator('#hardware-memory').textContent()).toContain('8192 MiB (8 GiB)');
    expect(await page.locator('#hardware-disks tr.root').textContent()).toContain('/dev/sda');
    expect(await page.locator('#hardware-disks tr.root').textContent()).toContain('root');
    const nics = page.locator('#hardware-nics tbody tr');
    expect(await nics.nth(0).textContent()).toContain(done.macs[0]);
    expect(await nics.nth(0).textContent()).toContain('PXE');
    expect(await nics.nth(0).textContent()).toContain('192.0.2.11');
    expect(await nics.nth(1).textContent()).toContain('leaf-7.example.net');
    expect(await nics.nth(1).textContent()).toContain('Ethernet1/12');
    expect(await page.locator('#hardware-pci').textContent()).toContain('10de:1eb8');
    // What the capabilities hook wrote to Ironic, next to what the node had.
    await expect
      .poll(() => page.locator('#hardware-capabilities').textContent(), SLOW)
      .toContain('cpu_vt: true');
    expect(await page.locator('#hardware-capabilities').textContent()).toContain('boot_mode: uefi');
    expect(await page.locator('h1').textContent()).toBe(done.node.name);
    expect(await page.locator('#status').textContent()).toContain('finished');
    expect(await page.locator('#history').textContent()).toContain('Introspection started');
    expect(await page.locator('#abort').isDisabled()).toBe(true);
    expect(await page.locator('#reapply').isEnabled()).toBe(true);
    await shoot(page, 'node-finished');

    const download = page.waitForEvent('download');
    await page.locator('#download-raw').click();
    const file = await (await download).path();
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    const stored = await stack.call('GET', `/v1/introspection/${done.node.uuid}/data/unprocessed`, {
      headers: ADMIN,
    });
    expect(saved).toEqual(stored.json);
    expect((await download).suggestedFilename()).toBe(`${done.node.name}-unprocessed.json`);
  });

  it("a failed node's page shows its error", async () => {
    await page.goto(`${stack.url}/dashboard#/node/${failed.node.uuid}`);
    await page.locator('#node-error').waitFor();
    expect(await page.locator('#node-error').textContent()).toBe((await status(failed.node.uuid)).error);
    await shoot(page, 'node-failed');
  });

  it('abort from the page, after a confirmation, aborts', async () => {
    await page.goto(`${stack.url}/dashboard#/node/${waiting.node.uuid}`);
    const abort = page.locator('#abort');
    await expect.poll(() => abort.isEnabled(), SLOW).toBe(true);
    await abort.click();
    const confirm = page.locator('#confirm');
    await confirm.waitFor({ state: 'visible' });
    expect(await confirm.textContent()).toContain(waiting.node.name ?? waiting.node.uuid);
    // Cancelling does nothing.
    await confirm.locator('button[value=cancel]').click();
    expect((await status(waiting.node.uuid)).state).toBe('waiting');
    await abort.click();
    await page.locator('#confirm-ok').click();
    await expect.poll(() => page.locator('#node-notice').textContent(), SLOW).toContain('Abort requested.');
    await eventually(
      () => status(waiting.node.uuid),
      (s) => s.state === 'error',
      IRONIC_WAIT_MS,
    );
    expect((await status(waiting.node.uuid)).error).toBe('Canceled by operator');
    await expect.poll(() => page.locator('#node-error').textContent(), SLOW).toBe('Canceled by operator');
    expect(await page.locator('#history').textContent()).toContain('Seen waiting by this tab');
    await shoot(page, 'node-aborted');
  });

  it('the rules page lists the introspection rules and shows one', async () => {
    const created = await stack.call('POST', '/v1/rules', {
      headers: { ...ADMIN, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        description: 'Tag large x86 machines',
        conditions: [{ op: 'ge', field: 'memory_mb', value: 65536 }],
        actions: [{ action: 'add-trait', name: 'CUSTOM_LARGE_X86' }],
      }),
    });
    expect(created.status).toBe(201);
    const { uuid } = created.json as { uuid: string };
    try {
      await page.goto(`${stack.url}/dashboard#/rules`);
      await expect.poll(() => page.locator('#rules').textContent(), SLOW).toContain('Tag large x86 machines');
      await shoot(page, 'rules');
      await page.locator(`a[href="#/rules/${uuid}"]`).click();
      await expect.poll(() => page.locator('main').textContent(), SLOW).toContain('CUSTOM_LARGE_X86');
    } finally {
      await stack.call('DELETE', `/v1/rules/${uuid}`, { headers: ADMIN });
    }
  });

  it('a reader sees statuses but not the data; a bad token asks again', async () => {
    await page.locator('#sign-out').click();
    await page.locator('#login').waitFor({ state: 'visible' });
    await page.locator('#login input[name=token]').fill('reader-token');
    await page.locator('#login button[type=submit]').click();
    await page.goto(`${stack.url}/dashboard#/node/${done.node.uuid}`);
    await page.locator('#hardware-missing').waitFor();
    expect(await page.locator('#hardware-missing').textContent()).toContain('Access denied by policy');
    expect(await page.locator('#status').textContent()).toContain('finished');

    await page.locator('#sign-out').click();
    await page.locator('#login input[name=token]').fill('forged-token');
    await page.locator('#login button[type=submit]').click();
    await expect
      .poll(() => page.locator('#login-error').textContent(), SLOW)
      .toContain('Authentication required');
    expect(await page.evaluate("sessionStorage.getItem('serverless-inspector.credentials')")).toBeNull();
  });

  it('ran without a script error or a refused load (Content-Security-Policy)', () => {
    expect(scriptErrors).toEqual([]);
  });

  it('is readable in dark mode', async () => {
    const dark = await openBrowser('dark');
    try {
      const darkPage = await dark.context.newPage();
      watchForScriptErrors(darkPage);
      await darkPage.goto(`${stack.url}/dashboard`);
      await darkPage.locator('#login input[name=token]').fill('admin-token');
      await darkPage.locator('#login button[type=submit]').click();
      await darkPage.locator(`#introspections tr[data-uuid="${done.node.uuid}"]`).waitFor();
      const colors = await darkPage.evaluate(
        '(() => { const s = getComputedStyle(document.documentElement); return { background: s.backgroundColor, text: s.color }; })()',
      );
      expect(colors).toEqual({ background: 'rgb(22, 24, 27)', text: 'rgb(230, 230, 227)' });
      await shoot(darkPage, 'introspections-dark');
    } finally {
      await dark.close();
    }
  });
});

describe('the dashboard in Chromium, with HTTP basic', () => {
  it('asks for a user and password, refuses wrong ones, and keeps them for the tab only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dashboard-htpasswd-'));
    const htpasswd = join(dir, 'htpasswd');
    writeFileSync(htpasswd, `operator:${bcrypt.hashSync('s3cret pass', 4)}\n`);
    process.env.HTPASSWD_FILE = htpasswd;
    const stack = await startTestStack({
      env: { IRONIC_URL: inject('ironicUrl'), API_AUTH_STRATEGY: 'http_basic' },
    });
    const browser = await openBrowser();
    try {
      const page = await browser.context.newPage();
      watchForScriptErrors(page);
      await page.goto(`${stack.url}/dashboard`);
      const login = page.locator('#login');
      await login.locator('input[name=user]').waitFor({ state: 'visible' });
      expect(await login.locator('input[name=token]').isVisible()).toBe(false);
      await login.locator('input[name=user]').fill('operator');
      await login.locator('input[name=password]').fill('wrong');
      await login.locator('button[type=submit]').click();
      await expect
        .poll(() => page.locator('#login-error').textContent(), SLOW)
        .toContain('Authentication required');

      await login.locator('input[name=user]').fill('operator');
      await login.locator('input[name=password]').fill('s3cret pass');
      await login.locator('button[type=submit]').click();
      await expect
        .poll(() => page.locator('#introspections tbody').textContent(), SLOW)
        .toBe('No introspections.');
      expect(await page.locator('#sign-out').isVisible()).toBe(true);
      // The tab's sessionStorage holds the credentials; a new tab starts without them.
      const other = await browser.context.newPage();
      await other.goto(`${stack.url}/dashboard`);
      await other.locator('#login input[name=user]').waitFor({ state: 'visible' });
      await shoot(other, 'sign-in-http-basic');
      expect(scriptErrors).toEqual([]);
    } finally {
      await browser.close();
      await stack.stop();
      delete process.env.HTPASSWD_FILE;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
