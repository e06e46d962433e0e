/**
 * IP addresses and CIDR ranges (`lib/domain/cidr.ts`), checked against Node's own parser and
 * `net.BlockList` on many random addresses and ranges, and the callback source check built on them.
 */
import { BlockList, isIP, SocketAddress } from 'node:net';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createApiHandler } from '#functions/api.ts';
import { loadConfig } from '#lib/config.ts';
import {
  CidrList,
  formatAddress,
  formatCidr,
  InvalidCidr,
  parseAddress,
  parseCidr,
  sourceKey,
} from '#lib/domain/cidr.ts';
import { createRuntime } from '#lib/runtime.ts';
import { RecordingLogger } from '#test/support/fixture.ts';
import { lambdaContext } from '#test/support/lambda-context.ts';

/** A small deterministic generator (mulberry32), so a failure is reproducible. */
function random(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rnd = random(20260101);
const int = (n: number) => Math.floor(rnd() * n);
const randomV4 = () => Array.from({ length: 4 }, () => int(256)).join('.');
/** Random IPv6 text with runs of zero groups, so that `::` compression is exercised. */
const randomV6 = () =>
  Array.from({ length: 8 }, () => (rnd() < 0.4 ? 0 : int(0x10000)))
    .map((g) => g.toString(16))
    .join(':');

describe('addresses', () => {
  it('parses what Node parses and prints what Node prints (canonical IPv6)', () => {
    for (let i = 0; i < 2000; i++) {
      const text = i % 2 === 0 ? randomV4() : randomV6();
      const parsed = parseAddress(text);
      expect(parsed, text).toBeDefined();
      const canonical = new SocketAddress({ address: text, family: isIP(text) === 6 ? 'ipv6' : 'ipv4' })
        .address;
      const ours = formatAddress(parsed as NonNullable<typeof parsed>);
      // Node (inet_ntop) prints the deprecated IPv4-compatible form `::a.b.c.d` in mixed notation, which
      // RFC 5952 keeps for mapped addresses only; and a mapped address is its IPv4 address here.
      if (canonical.includes('.')) continue;
      expect(ours, text).toBe(canonical);
    }
  });

  it('refuses what is not an address; drops a zone; reads IPv4-mapped and embedded IPv4', () => {
    for (const bad of [
      '',
      '1.2.3',
      '1.2.3.4.5',
      '256.1.1.1',
      '01.2.3.4',
      '1::2::3',
      ':::',
      '1:2:3:4:5:6:7:8:9',
      'g::1',
      '::1.2.3',
      'example.com',
    ]) {
      expect(parseAddress(bad), bad).toBeUndefined();
      expect(isIP(bad) === 0 || bad === '01.2.3.4').toBe(true);
    }
    expect(formatAddress(parseAddress('fe80::1%eth0') as never)).toBe('fe80::1');
    expect(parseAddress('::ffff:192.0.2.7')).toEqual({ family: 4, value: 0xc0000207n });
    expect(formatAddress(parseAddress('::192.0.2.7') as never)).toBe('::c000:207');
    expect(formatAddress(parseAddress('1:2:3:4:5:6:192.0.2.7') as never)).toBe('1:2:3:4:5:6:c000:207');
  });
});

describe('ranges', () => {
  it('match as net.BlockList matches, for random ranges and addresses of both families', () => {
    for (let i = 0; i < 300; i++) {
      const v6 = i % 2 === 1;
      const prefix = int(v6 ? 129 : 33);
      const base = parseAddress(v6 ? randomV6() : randomV4()) as NonNullable<ReturnType<typeof parseAddress>>;
      const bits = v6 ? 128 : 32;
      const network = (base.value >> BigInt(bits - prefix)) << BigInt(bits - prefix);
      const text = formatCidr({ family: base.family, network, prefix });
      const cidr = parseCidr(text);
      const list = CidrList.parse(text);
      const oracle = new BlockList();
      oracle.addSubnet(formatCidr(cidr).split('/')[0] as string, prefix, v6 ? 'ipv6' : 'ipv4');
      for (let j = 0; j < 20; j++) {
        // Half the probes share the range's leading bits, so matches are not all misses.
        const probe = parseAddress(v6 ? randomV6() : randomV4()) as NonNullable<
          ReturnType<typeof parseAddress>
        >;
        const near =
          j % 2 === 0 ? network | (probe.value & ((1n << BigInt(bits - prefix)) - 1n)) : probe.value;
        const address = formatAddress({ family: base.family, value: near });
        expect(list.contains(address), `${address} in ${text}`).toBe(
          oracle.check(address, v6 ? 'ipv6' : 'ipv4'),
        );
      }
    }
  });

  it('refuse host bits, bad prefixes and zones, naming the range meant', () => {
    expect(() => parseCidr('10.0.0.5/8')).toThrow(
      new InvalidCidr('10.0.0.5/8', 'host bits are set (the range is 10.0.0.0/8)'),
    );
    expect(() => parseCidr('10.0.0.0/33')).toThrow('the prefix length must be 0 to 32');
    expect(() => parseCidr('2001:db8::/129')).toThrow('the prefix length must be 0 to 128');
    expect(() => parseCidr('2001:db8::/x')).toThrow('the prefix length is not a number');
    expect(() => parseCidr('fe80::/10%eth0')).toThrow();
    expect(() => parseCidr('fe80::1%eth0')).toThrow('a zone is not allowed');
    expect(() => CidrList.parse('10.0.0.0/8, nonsense')).toThrow(
      '"nonsense" is not an IP address or CIDR range',
    );
  });

  it('a list: commas or spaces, bare addresses are one host, open when a family is wholly allowed', () => {
    const list = CidrList.parse(' 192.0.2.0/24,2001:DB8:7::/48  198.51.100.7 ');
    expect(list.toStrings()).toEqual(['192.0.2.0/24', '2001:db8:7::/48', '198.51.100.7/32']);
    expect(list.contains('198.51.100.7')).toBe(true);
    expect(list.contains('198.51.100.8')).toBe(false);
    expect(list.contains('::ffff:192.0.2.200')).toBe(true);
    expect(list.contains('2001:db8:7:ffff::1')).toBe(true);
    expect(list.contains(undefined)).toBe(false);
    expect(list.contains('not an address')).toBe(false);
    expect(list.open).toBe(false);
    expect(CidrList.parse('0.0.0.0/0').open).toBe(true);
    expect(CidrList.parse('10.0.0.0/8,::/0').open).toBe(true);
    expect(CidrList.parse('').cidrs).toHaveLength(0);
  });

  it('source keys: an IPv4 address, an IPv6 /64', () => {
    expect(sourceKey('192.0.2.1')).toBe('192.0.2.1');
    expect(sourceKey('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(sourceKey('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(sourceKey('2001:db8:1:2::ffff')).toBe('2001:db8:1:2::/64');
    expect(sourceKey('garbage')).toBe('garbage');
  });
});

describe('the callback source check', () => {
  const event = (method: string, path: string, sourceIp: string | undefined, stage = '$default') =>
    ({
      version: '2.0',
      routeKey: '$default',
      rawPath: path,
      rawQueryString: '',
      headers: { host: 'api.example.com' },
      requestContext: {
        domainName: 'api.example.com',
        http: { method, path, protocol: 'HTTP/1.1', sourceIp, userAgent: 'ipa' },
        requestId: 'r',
        stage,
      },
      isBase64Encoded: false,
    }) as unknown as APIGatewayProxyEventV2;
  const logger = new RecordingLogger();
  const api = createApiHandler(
    createRuntime({
      config: loadConfig({ CALLBACK_ALLOWED_CIDRS: '192.0.2.0/24,2001:db8:7::/48' }),
      stores: 'memory',
      ironic: null,
      logger,
    }),
  );
  const answer = (e: APIGatewayProxyEventV2) => api(e, lambdaContext('api'));

  it('refuses callbacks from outside the ranges, IPv4 and IPv6, in the inspector format', async () => {
    for (const source of ['203.0.113.9', '2001:db8:8::1', undefined]) {
      const refusal = await answer(event('POST', '/v1/continue', source));
      expect(refusal.statusCode).toBe(403);
      expect(JSON.parse(refusal.body ?? '')).toEqual({
        error: { message: `Ramdisk callbacks are not accepted from ${source ?? 'an unknown address'}` },
      });
      expect(refusal.headers?.['X-OpenStack-Ironic-Inspector-API-Maximum-Version']).toBe('1.18');
    }
    expect(logger.messages('warn')).toContain(
      'Ramdisk callback refused: source address outside CALLBACK_ALLOWED_CIDRS',
    );
    // Trailing slashes and a named stage are the same route to the api, so the same check.
    expect((await answer(event('POST', '/v1/continue/', '203.0.113.9'))).statusCode).toBe(403);
    expect((await answer(event('post', '/prod/v1/continue', '203.0.113.9', 'prod'))).statusCode).toBe(403);
  });

  it('lets allowed callbacks and every other route through', async () => {
    for (const source of ['192.0.2.10', '::ffff:192.0.2.10', '2001:db8:7:1::20']) {
      // Through to the callback itself, which finds no body to read: 400, not 403.
      expect((await answer(event('POST', '/v1/continue', source))).statusCode).toBe(400);
    }
    expect((await answer(event('GET', '/v1', '203.0.113.9'))).statusCode).toBe(200);
    expect((await answer(event('GET', '/v1/continue', '203.0.113.9'))).statusCode).toBe(405);
    expect((await answer(event('POST', '/v1/introspection/x', '203.0.113.9'))).statusCode).not.toBe(403);
  });
});

describe('the settings', () => {
  it('CALLBACK_ALLOWED_CIDRS: every address unless set; a list when set; refused when not ranges', () => {
    expect(loadConfig({}).callbackAllowedCidrs.toString()).toBe('0.0.0.0/0,::/0');
    expect(
      loadConfig({ CALLBACK_ALLOWED_CIDRS: '10.1.0.0/16 2001:db8::/32' }).callbackAllowedCidrs.toStrings(),
    ).toEqual(['10.1.0.0/16', '2001:db8::/32']);
    expect(() => loadConfig({ CALLBACK_ALLOWED_CIDRS: 'provisioning' })).toThrow(
      /^Invalid configuration: CALLBACK_ALLOWED_CIDRS: "provisioning" is not an IP address or CIDR range/,
    );
    expect(() => loadConfig({ CALLBACK_ALLOWED_CIDRS: ' , ' })).toThrow(
      'CALLBACK_ALLOWED_CIDRS: no range given',
    );
  });

  it('the authorizers: defaults and bounds', () => {
    expect(loadConfig({}).auth).toEqual({
      keystoneTimeoutSeconds: 5,
      cacheSeconds: 60,
      failuresPerMinute: 10,
    });
    expect(
      loadConfig({ KEYSTONE_TIMEOUT_SECONDS: '2', AUTH_CACHE_SECONDS: '0', AUTH_FAILURES_PER_MINUTE: '0' })
        .auth,
    ).toEqual({ keystoneTimeoutSeconds: 2, cacheSeconds: 0, failuresPerMinute: 0 });
    // A Keystone timeout must stay inside the authorizer function's 10 s.
    expect(() => loadConfig({ KEYSTONE_TIMEOUT_SECONDS: '9' })).toThrow(
      /^Invalid configuration: KEYSTONE_TIMEOUT_SECONDS: /,
    );
    expect(() => loadConfig({ AUTH_CACHE_SECONDS: '3601' })).toThrow(
      /^Invalid configuration: AUTH_CACHE_SECONDS: /,
    );
  });
});
