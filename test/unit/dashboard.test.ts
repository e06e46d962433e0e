/**
 * The dashboard's server side: its files served by the api (content types, ETags, the page's
 * security headers and the settings written into it), public while its Ironic lookups follow the
 * reads' policy, and carried inside the api function's esbuild bundle. Also the page's pure parts
 * (hardware facts, LLDP, the chart's buckets), imported as modules. The page itself runs in Chromium
 * in the Ironic suite (`test/ironic/dashboard.test.ts`).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import bcrypt from 'bcryptjs';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_FILES, dashboardFile } from '#lib/http/dashboard-assets.ts';
import { apiGatewayEvent } from '#test/support/api-gateway-event.ts';
import { FakeIronic } from '#test/support/fake-ironic.ts';
import { withOpenApiCheck } from '#test/support/openapi.ts';
import { startTestStack, type TestStack } from '#test/support/stack.ts';

const root = resolve(import.meta.dirname, '../..');
const dashboardDir = join(root, 'dashboard');

describe('the files', () => {
  it('serves every file of dashboard/ and nothing else; the scripts import only served files', () => {
    const onDisk = readdirSync(dashboardDir).filter((f) => /\.(html|css|js)$/.test(f));
    expect([...DASHBOARD_FILES].sort()).toEqual(onDisk.sort());
    for (const name of onDisk) {
      expect(dashboardFile(name)?.body).toBe(readFileSync(join(dashboardDir, name), 'utf8'));
    }
    for (const name of onDisk.filter((f) => f.endsWith('.js'))) {
      const text = readFileSync(join(dashboardDir, name), 'utf8');
      for (const [, imported] of text.matchAll(/from '\.\/([^']+)'/g))
        expect(DASHBOARD_FILES).toContain(imported);
    }
    const page = readFileSync(join(dashboardDir, 'index.html'), 'utf8');
    for (const [, used] of page.matchAll(/(?:src|href)="([a-z-]+\.(?:js|css))"/g)) {
      expect(DASHBOARD_FILES).toContain(used);
    }
    expect(dashboardFile('../package.json')).toBeUndefined();
    expect(dashboardFile('toString')).toBeUndefined();
  });
});

describe('served by the api', () => {
  const ironic = new FakeIronic();
  let stack: TestStack;
  beforeAll(async () => {
    stack = withOpenApiCheck(await startTestStack({ ironic }));
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('the page: HTML, a strict CSP, the auth mode and the base path written in, revalidated by ETag', async () => {
    const page = await stack.call('GET', '/dashboard', { headers: { 'X-Forwarded-Prefix': '/inspector' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('cache-control')).toBe('no-cache');
    expect(page.text).toContain('data-auth="noauth"');
    expect(page.text).toContain('<base href="/inspector/dashboard/" />');
    const etag = page.headers.get('etag') as string;
    const again = await stack.call('GET', '/dashboard/', {
      headers: { 'X-Forwarded-Prefix': '/inspector', 'If-None-Match': etag },
    });
    expect([again.status, again.text]).toEqual([304, '']);
    // Another prefix is another page, with its own ETag.
    const other = await stack.call('GET', '/dashboard', { headers: { 'If-None-Match': etag } });
    expect(other.status).toBe(200);
    expect(other.text).toContain('<base href="/dashboard/" />');
  });

  it('a prefix cannot inject markup into the page', async () => {
    const page = await stack.call('GET', '/dashboard', {
      headers: { 'X-Forwarded-Prefix': '/"><script>x()</script>' },
    });
    expect(page.text).not.toContain('<script>x()');
    expect(page.text).toContain('<base href="/%22%3E%3Cscript%3Ex()%3C/script%3E/dashboard/" />');
  });

  it('scripts and the style sheet with their types; an unknown file is 404; other methods 405', async () => {
    for (const name of DASHBOARD_FILES.filter((f) => f !== 'index.html')) {
      const file = await stack.call('GET', `/dashboard/${name}`);
      expect(file.status).toBe(200);
      expect(file.text).toBe(dashboardFile(name)?.body);
      expect(file.headers.get('content-type')).toBe(
        name.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8',
      );
      const cached = await stack.call('GET', `/dashboard/${name}`, {
        headers: { 'If-None-Match': `W/${file.headers.get('etag')}` },
      });
      expect(cached.status).toBe(304);
    }
    expect((await stack.call('GET', '/dashboard/missing.js')).json).toEqual({
      error: { message: expect.stringContaining('404 Not Found') },
    });
    expect((await stack.call('GET', '/dashboard/..%2Fpackage.json')).status).toBe(404);
    expect((await stack.call('POST', '/dashboard')).status).toBe(405);
  });

  it('names and capabilities from Ironic, only for cached nodes; by UUIDs or by a MAC', async () => {
    const macs = ['52:54:00:bb:01:01', '52:54:00:bb:01:02'];
    const cached = ironic.addNode(
      {
        name: 'dash-cached',
        driver_info: { ipmi_address: '192.0.2.211' },
        properties: { capabilities: 'cpu_vt:true,boot_mode:uefi' },
      },
      macs,
    );
    const uncached = ironic.addNode({ name: 'dash-uncached' }, ['52:54:00:bb:02:01']);
    expect((await stack.call('POST', `/v1/introspection/${cached.uuid}`)).status).toBe(202);
    await stack.idle();

    const byUuid = await stack.call(
      'GET',
      `/dashboard/api/nodes?uuid=${cached.uuid.toUpperCase()},${uncached.uuid},0b5c4c7e-4d2a-4c8f-9f7d-2b6e6c4f1a11`,
    );
    expect(byUuid.json).toEqual({
      nodes: [
        {
          uuid: cached.uuid,
          name: 'dash-cached',
          provision_state: 'manageable',
          capabilities: { cpu_vt: 'true', boot_mode: 'uefi' },
        },
      ],
    });
    const byMac = await stack.call('GET', `/dashboard/api/nodes?mac=${macs[1]?.toUpperCase()}`);
    expect((byMac.json as { nodes: Array<{ uuid: string }> }).nodes.map((n) => n.uuid)).toEqual([
      cached.uuid,
    ]);
    const uncachedMac = await stack.call('GET', '/dashboard/api/nodes?mac=52:54:00:bb:02:01');
    expect(uncachedMac.json).toEqual({ nodes: [] });
  });

  it('bad lookups are 400 with a message', async () => {
    const message = async (query: string) =>
      ((await stack.call('GET', `/dashboard/api/nodes${query}`)).json as { error: { message: string } }).error
        .message;
    expect(await message('')).toBe('Bad request: give either uuid or mac');
    expect(await message('?uuid=0b5c4c7e-4d2a-4c8f-9f7d-2b6e6c4f1a11&mac=52:54:00:00:00:01')).toBe(
      'Bad request: give either uuid or mac',
    );
    expect(await message('?uuid=node-0')).toBe('Bad request: uuid must be UUIDs, comma-separated');
    expect(await message('?mac=nope')).toBe('Bad request: mac must be a MAC address');
    const many = Array.from(
      { length: 101 },
      (_, i) => `0b5c4c7e-4d2a-4c8f-9f7d-${String(i).padStart(12, '0')}`,
    );
    expect(await message(`?uuid=${many.join(',')}`)).toBe('Bad request: at most 100 UUIDs');
  });
});

describe('with http_basic', () => {
  it('the files are public; the lookups need credentials, like the reads', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dashboard-htpasswd-'));
    const file = join(dir, 'htpasswd');
    writeFileSync(file, `operator:${bcrypt.hashSync('secret', 4)}\n`);
    process.env.HTPASSWD_FILE = file;
    const stack = withOpenApiCheck(
      await startTestStack({ ironic: new FakeIronic(), env: { API_AUTH_STRATEGY: 'http_basic' } }),
    );
    try {
      const page = await stack.call('GET', '/dashboard');
      expect(page.status).toBe(200);
      expect(page.text).toContain('data-auth="http_basic"');
      expect((await stack.call('GET', '/dashboard/app.js')).status).toBe(200);
      expect((await stack.call('GET', '/openapi.json')).status).toBe(200);
      const lookup = '/dashboard/api/nodes?uuid=0b5c4c7e-4d2a-4c8f-9f7d-2b6e6c4f1a11';
      expect((await stack.call('GET', lookup)).json).toEqual({ message: 'Unauthorized' });
      const authorization = `Basic ${Buffer.from('operator:secret').toString('base64')}`;
      const answered = await stack.call('GET', lookup, { headers: { Authorization: authorization } });
      expect([answered.status, answered.json]).toEqual([200, { nodes: [] }]);
      const wrong = `Basic ${Buffer.from('operator:wrong').toString('base64')}`;
      expect((await stack.call('GET', lookup, { headers: { Authorization: wrong } })).status).toBe(401);
    } finally {
      await stack.stop();
      delete process.env.HTPASSWD_FILE;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the api bundle', () => {
  it('carries the dashboard and the document: esbuild bundles the text imports, no file is read', async () => {
    const out = mkdtempSync(join(tmpdir(), 'api-bundle-'));
    try {
      // The options InspectorFunction gives esbuild (infra/inspector-function.ts).
      await build({
        entryPoints: [join(root, 'functions/api.ts')],
        outfile: join(out, 'index.mjs'),
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node22',
        minify: true,
        mainFields: ['module', 'main'],
        banner: {
          js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
        },
        logLevel: 'silent',
      });
      const bundle = readFileSync(join(out, 'index.mjs'), 'utf8');
      expect(bundle).not.toContain('dashboard/app.js');
      const saved = { ...process.env };
      Object.assign(process.env, {
        NODE_CACHE_TABLE: 'bundle-check',
        POWERTOOLS_DEV: 'true',
        API_AUTH_STRATEGY: 'keystone',
      });
      try {
        const { handler } = (await import(pathToFileURL(join(out, 'index.mjs')).href)) as {
          handler: (
            event: unknown,
            context: unknown,
          ) => Promise<{ statusCode: number; body: string; headers: Record<string, string> }>;
        };
        const get = (path: string) =>
          handler(apiGatewayEvent('GET', path, { stage: 'prod' }), {
            awsRequestId: 'r1',
            functionName: 'api',
            getRemainingTimeInMillis: () => 29_000,
          });
        const page = await get('/prod/dashboard');
        expect(page.statusCode).toBe(200);
        expect(page.body).toContain('data-auth="keystone"');
        expect(page.body).toContain('<base href="/prod/dashboard/" />');
        for (const name of DASHBOARD_FILES.filter((f) => f !== 'index.html')) {
          expect((await get(`/prod/dashboard/${name}`)).body).toBe(dashboardFile(name)?.body);
        }
        const document = JSON.parse((await get('/prod/openapi.json')).body) as {
          servers: unknown;
          openapi: string;
        };
        expect(document.openapi).toBe('3.1.0');
        expect(document.servers).toEqual([{ url: 'https://abc.execute-api.eu-west-1.amazonaws.com/prod' }]);
      } finally {
        process.env = saved;
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

describe("the page's own logic", () => {
  interface Hardware {
    disks: Array<{ name: string; root: boolean }>;
    nics: Array<{
      name: string;
      mac?: string;
      ips: string[];
      pxe: boolean;
      switchName?: string;
      switchPort?: string;
      vlan?: number;
    }>;
    pci: Array<{ vendorId: string; productId: string; count: number }>;
    cpu: { model?: string; count?: number };
    memory: { physicalMb?: number };
    system: { bmcAddress?: string; bmcV6Address?: string };
  }
  const load = async <T>(file: string) => (await import(pathToFileURL(join(dashboardDir, file)).href)) as T;

  const hex = (text: string) => Buffer.from(text).toString('hex');
  const lldp = [
    [1, `04${'525400aabbcc'}`], // chassis ID: a MAC
    [2, `05${hex('Ethernet1/7')}`], // port ID: an interface name
    [4, hex('uplink to rack 3')],
    [5, hex('leaf-switch-3')],
    [127, '0080c2010064'], // 802.1 port VLAN ID 100
  ];

  it('decodes LLDP TLVs: chassis, port, description, system name, VLAN', async () => {
    const { lldpOf } = await load<{ lldpOf: (tlvs: unknown) => Record<string, unknown> }>('hardware.js');
    expect(lldpOf(lldp)).toEqual({
      chassisId: '52:54:00:aa:bb:cc',
      portId: 'Ethernet1/7',
      portDescription: 'uplink to rack 3',
      systemName: 'leaf-switch-3',
      vlan: 100,
    });
    expect(lldpOf([[2, `03${'0a0b0c0d0e0f'}`]])).toEqual({ portId: '0a:0b:0c:0d:0e:0f' });
    expect(lldpOf(null)).toEqual({});
    expect(lldpOf([['x'], [1, ''], 'junk'])).toEqual({});
  });

  it('marks the root disk and the PXE NIC, groups PCI devices, and survives a sparse inventory', async () => {
    const { hardwareOf } = await load<{ hardwareOf: (data: unknown) => Hardware }>('hardware.js');
    const sample = JSON.parse(readFileSync(join(root, 'test/fixtures/sample-inventory.json'), 'utf8'));
    sample.inventory.interfaces[1].lldp = lldp;
    const hw = hardwareOf({
      ...sample,
      all_interfaces: {
        eth0: { mac: sample.inventory.interfaces[0].mac_address, pxe: true, ip: null, client_id: null },
      },
      pci_devices: [
        { vendor_id: '10de', product_id: '1eb8', bus: '0000:3b:00.0' },
        { vendor_id: '10de', product_id: '1eb8', bus: '0000:af:00.0' },
        { vendor_id: '8086', product_id: '1572' },
      ],
    });
    expect(hw.cpu).toMatchObject({ model: 'QEMU Virtual CPU version 2.5+', count: 4 });
    expect(hw.memory.physicalMb).toBe(8192);
    // The ramdisk's "no address" values are not addresses.
    expect(hardwareOf({ inventory: { bmc_address: '0.0.0.0', bmc_v6address: '::/0' } }).system).toMatchObject(
      {
        bmcAddress: undefined,
        bmcV6Address: undefined,
      },
    );
    expect(hw.disks.filter((d) => d.root).map((d) => d.name)).toEqual(['/dev/sda']);
    expect(hw.nics[0]).toMatchObject({
      name: 'eth0',
      pxe: true,
      ips: ['192.0.2.11', 'fe80::5054:ff:fe00:101'],
    });
    expect(hw.nics[1]).toMatchObject({
      pxe: false,
      switchName: 'leaf-switch-3',
      switchPort: 'Ethernet1/7',
      vlan: 100,
    });
    expect(hw.pci).toEqual([
      {
        vendorId: '10de',
        productId: '1eb8',
        pciClass: undefined,
        count: 2,
        buses: ['0000:3b:00.0', '0000:af:00.0'],
      },
      { vendorId: '8086', productId: '1572', pciClass: undefined, count: 1, buses: [] },
    ]);
    expect(hardwareOf({ inventory: { disks: 'no', interfaces: [{}] } })).toMatchObject({
      disks: [],
      pci: [],
    });
    expect(hardwareOf({})).toMatchObject({ disks: [], nics: [] });
  });

  it('counts finished and failed introspections per hour by finished_at', async () => {
    const { bucketsOf } = await load<{
      bucketsOf: (
        s: unknown[],
        now: number,
        range: string,
      ) => Array<{ start: Date; finished: number; failed: number }>;
    }>('chart.js');
    const now = Date.UTC(2026, 10, 25, 17, 30);
    const at = (hoursAgo: number) => new Date(now - hoursAgo * 3_600_000).toISOString().slice(0, 19);
    const rows = bucketsOf(
      [
        { state: 'finished', finished_at: at(0) },
        { state: 'error', finished_at: at(0.1) },
        { state: 'finished', finished_at: at(5) },
        { state: 'finished', finished_at: at(30) }, // outside the 24 hours
        { state: 'waiting', finished_at: null },
        { state: 'reapplying', finished_at: at(1) }, // neither finished nor failed now
      ],
      now,
      '24h',
    );
    expect(rows).toHaveLength(24);
    expect(rows.at(-1)).toMatchObject({ finished: 1, failed: 1 });
    expect(rows.reduce((n, r) => n + r.finished, 0)).toBe(2);
    expect(rows.reduce((n, r) => n + r.failed, 0)).toBe(1);
  });
});
