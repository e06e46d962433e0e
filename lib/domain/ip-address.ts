/**
 * IP addresses and networks as ironic-inspector reads them in two places:
 *
 * - the `in-net` rule condition uses netaddr's lenient forms: `10/8`, `1.2.3.4/255.0.0.0`, host
 *   bits allowed, and addresses in `inet_aton` forms (`10.1` is 10.0.0.1) or as integers;
 * - the `physnet_cidr_map` hook uses Python's `ipaddress`, which is strict: dotted quads only, no
 *   host bits in a network.
 *
 * Addresses are kept as a version and a bigint. Formatting follows `inet_ntop` (longest run of two
 * or more zero groups compressed, IPv4-mapped addresses dotted), as netaddr prints them.
 *
 * @example
 * ```ts
 * const net = parseLenientNetwork('10.0.0.1/8');           // host bits allowed
 * networkContains(net, parseLenientAddress('10.1.2.3'));  // true
 * formatIpv6(parseIpv6('2001:db8:0:0:1:0:0:1')!);         // '2001:db8::1:0:0:1'
 * ```
 */

/** An address: its version and value. */
export interface IpAddress {
  readonly version: 4 | 6;
  readonly value: bigint;
}

/** A network: version, network address (host bits kept as given) and prefix length. */
export interface IpNetwork {
  readonly version: 4 | 6;
  readonly value: bigint;
  readonly prefix: number;
}

const bits = (version: 4 | 6) => (version === 4 ? 32 : 128);

/** A strict dotted quad (`ipaddress`): four decimal octets, no leading zeros. */
export function parseStrictIpv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || (part.length > 1 && part.startsWith('0'))) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = (value << 8n) | BigInt(n);
  }
  return value;
}

/** An IPv6 address in text form (`::`, an embedded dotted quad allowed), or undefined. */
export function parseIpv6(text: string): bigint | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  let head = text;
  let tailV4: bigint | undefined;
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    tailV4 = parseStrictIpv4(text.slice(lastColon + 1));
    if (tailV4 === undefined) return undefined;
    head = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (s: string) => (s === '' ? [] : s.split(':'));
  const left = groupsOf(halves[0] as string);
  const right = halves.length === 2 ? groupsOf(halves[1] as string) : [];
  const given = left.length + right.length;
  if (halves.length === 1 ? given !== 8 : given > 7) return undefined;
  const groups = [...left, ...Array<string>(8 - given).fill('0'), ...right];
  let value = 0n;
  for (const group of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return undefined;
    value = (value << 16n) | BigInt(Number.parseInt(group, 16));
  }
  if (tailV4 !== undefined) value = (value & ~0xffffffffn) | tailV4;
  return value;
}

/** `inet_aton`: 1 to 4 parts, each decimal, octal (`0…`) or hex (`0x…`); the last fills the rest. */
function parseInetAton(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length > 4) return undefined;
  const numbers: number[] = [];
  for (const part of parts) {
    let n: number;
    if (/^0[xX][0-9a-fA-F]*$/.test(part)) n = part.length === 2 ? 0 : Number.parseInt(part.slice(2), 16);
    else if (/^0[0-7]*$/.test(part)) n = Number.parseInt(part, 8);
    else if (/^[1-9]\d*$/.test(part)) n = Number(part);
    else return undefined;
    numbers.push(n);
  }
  const last = numbers.pop() as number;
  if (numbers.some((n) => n > 255)) return undefined;
  const lastBits = 8 * (4 - numbers.length);
  if (last >= 2 ** lastBits) return undefined;
  let value = 0n;
  for (const n of numbers) value = (value << 8n) | BigInt(n);
  return (value << BigInt(lastBits)) | BigInt(last);
}

/**
 * An address as netaddr's `IPAddress(value)` reads it: a non-negative integer (IPv4 below 2^32), an
 * `inet_aton` IPv4 form, or IPv6 text.
 *
 * @throws Error "failed to detect a valid IP address from …"
 */
export function parseLenientAddress(value: unknown): IpAddress {
  if (typeof value === 'boolean') return { version: 4, value: value ? 1n : 0n };
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) {
    const n = BigInt(value);
    if (n < 2n ** 32n) return { version: 4, value: n };
    if (n < 2n ** 128n) return { version: 6, value: n };
  }
  if (typeof value === 'string') {
    const v4 = parseInetAton(value);
    if (v4 !== undefined) return { version: 4, value: v4 };
    const v6 = parseIpv6(value);
    if (v6 !== undefined) return { version: 6, value: v6 };
  }
  throw new Error(
    `failed to detect a valid IP address from ${typeof value === 'string' ? `'${value}'` : String(value)}`,
  );
}

/** A prefix length or a contiguous dotted netmask (IPv4), as netaddr accepts after the `/`. */
function parsePrefix(text: string, version: 4 | 6): number | undefined {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    return n <= bits(version) ? n : undefined;
  }
  if (version !== 4) return undefined;
  const mask = parseStrictIpv4(text) ?? parseInetAton(text);
  if (mask === undefined) return undefined;
  const binary = mask.toString(2).padStart(32, '0');
  return /^1*0*$/.test(binary) ? (binary.indexOf('0') < 0 ? 32 : binary.indexOf('0')) : undefined;
}

/**
 * A network as netaddr's `IPNetwork(text)` reads it: surrounding blanks ignored, abbreviated IPv4
 * (`10/8`, `1.2/16`), a prefix length or a netmask, no prefix meaning one address; host bits kept.
 *
 * @throws Error "invalid IPNetwork <text>"
 */
export function parseLenientNetwork(text: string): IpNetwork {
  const invalid = () => new Error(`invalid IPNetwork ${text}`);
  const trimmed = text.trim();
  const slash = trimmed.indexOf('/');
  const address = slash < 0 ? trimmed : trimmed.slice(0, slash);
  const prefixText = slash < 0 ? undefined : trimmed.slice(slash + 1);
  if (/^\d{1,3}(\.\d{1,3}){0,3}$/.test(address)) {
    const octets = address.split('.').map(Number);
    if (octets.some((o) => o > 255)) throw invalid();
    while (octets.length < 4) octets.push(0);
    const value = octets.reduce((acc, o) => (acc << 8n) | BigInt(o), 0n);
    const prefix = prefixText === undefined ? 32 : parsePrefix(prefixText, 4);
    if (prefix === undefined) throw invalid();
    return { version: 4, value, prefix };
  }
  const v6 = parseIpv6(address);
  if (v6 === undefined) throw invalid();
  const prefix = prefixText === undefined ? 128 : parsePrefix(prefixText, 6);
  if (prefix === undefined) throw invalid();
  return { version: 6, value: v6, prefix };
}

/**
 * A network as Python's `ipaddress.ip_network(text)` reads it (strict): an address and an optional
 * prefix length; host bits set are an error.
 *
 * @throws Error naming what is wrong
 */
export function parseStrictNetwork(text: string): IpNetwork {
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const prefixText = slash < 0 ? undefined : text.slice(slash + 1);
  const v4 = parseStrictIpv4(address);
  const version: 4 | 6 = v4 !== undefined ? 4 : 6;
  const value = v4 ?? parseIpv6(address);
  if (value === undefined) {
    throw new Error(`'${text}' does not appear to be an IPv4 or IPv6 network`);
  }
  let prefix = bits(version);
  if (prefixText !== undefined) {
    if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > bits(version)) {
      throw new Error(`'${prefixText}' is not a valid netmask`);
    }
    prefix = Number(prefixText);
  }
  const hostBits = BigInt(bits(version) - prefix);
  if (value & ((1n << hostBits) - 1n)) throw new Error(`${text} has host bits set`);
  return { version, value, prefix };
}

/** An address as Python's `ipaddress.ip_address(text)` reads it (IPv6 scope ids ignored), or undefined. */
export function parseStrictAddress(text: unknown): IpAddress | undefined {
  if (typeof text !== 'string') return undefined;
  const v4 = parseStrictIpv4(text);
  if (v4 !== undefined) return { version: 4, value: v4 };
  const v6 = parseIpv6(text.split('%')[0] as string);
  return v6 === undefined ? undefined : { version: 6, value: v6 };
}

/** Whether the network holds the address (never across versions). */
export function networkContains(network: IpNetwork, address: IpAddress): boolean {
  if (network.version !== address.version) return false;
  const shift = BigInt(bits(network.version) - network.prefix);
  return network.value >> shift === address.value >> shift;
}

/** Dotted quad of an IPv4 value. */
export function formatIpv4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 255n)).join('.');
}

/** IPv6 text as `inet_ntop` writes it. */
export function formatIpv6(value: bigint): string {
  const words = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  if (bestLength < 2) bestStart = -1;
  // IPv4-compatible (::a.b.c.d) and IPv4-mapped (::ffff:a.b.c.d) addresses end in a dotted quad.
  const embedded = bestStart === 0 && (bestLength === 6 || (bestLength === 5 && words[5] === 0xffff));
  const parts: string[] = [];
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      parts.push(i === 0 ? ':' : '');
      i += bestLength - 1;
      if (i === 7) parts.push('');
      continue;
    }
    if (embedded && i === 6) {
      parts.push(formatIpv4(value & 0xffffffffn));
      break;
    }
    parts.push((words[i] as number).toString(16));
  }
  return parts.join(':');
}
