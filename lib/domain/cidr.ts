/**
 * IP addresses and CIDR ranges, IPv4 and IPv6, without the network stack: parsing (strict), matching,
 * canonical text (RFC 5952 for IPv6), and the key a per-source limit counts under.
 *
 * An IPv4-mapped IPv6 address (`::ffff:192.0.2.1`, what a dual-stack socket reports for an IPv4 peer)
 * is the IPv4 address it maps, on both sides of a match.
 *
 * @example
 * ```ts
 * const allowed = CidrList.parse('10.20.0.0/16, 2001:db8:7::/48');
 * allowed.contains('10.20.3.4');          // true
 * allowed.contains('::ffff:10.20.3.4');   // true
 * allowed.contains('2001:db8:8::1');      // false
 * sourceKey('2001:db8:7:1:aaaa::1');      // '2001:db8:7:1::/64'
 * ```
 */

export type IpFamily = 4 | 6;

/** One address as a number. */
export interface IpAddress {
  readonly family: IpFamily;
  readonly value: bigint;
}

/** One range: the network address (host bits zero) and its prefix length. */
export interface Cidr {
  readonly family: IpFamily;
  readonly network: bigint;
  readonly prefix: number;
}

const BITS: Record<IpFamily, number> = { 4: 32, 6: 128 };

/** A range that cannot be parsed; the message says what is wrong with it. */
export class InvalidCidr extends Error {
  constructor(text: string, reason: string) {
    super(`${JSON.stringify(text)} is not an IP address or CIDR range: ${reason}`);
    this.name = 'InvalidCidr';
  }
}

function parseIpv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    // Decimal only: a leading zero reads as octal to some parsers, so it is refused rather than guessed.
    if (!/^(0|[1-9]\d{0,2})$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = (value << 8n) | BigInt(octet);
  }
  return value;
}

function parseIpv6(text: string): bigint | undefined {
  let head = text;
  let tailV4: bigint | undefined;
  // An embedded IPv4 suffix (`::ffff:192.0.2.1`) stands for the last two groups.
  const lastColon = text.lastIndexOf(':');
  if (lastColon < 0) return undefined;
  if (text.slice(lastColon + 1).includes('.')) {
    tailV4 = parseIpv4(text.slice(lastColon + 1));
    if (tailV4 === undefined) return undefined;
    head = text.slice(0, lastColon + 1);
    if (!head.endsWith('::')) head = head.slice(0, -1);
  }
  const groupsWanted = tailV4 === undefined ? 8 : 6;
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const toGroups = (part: string) => (part === '' ? [] : part.split(':'));
  const left = toGroups(halves[0] as string);
  const right = halves.length === 2 ? toGroups(halves[1] as string) : [];
  const explicit = left.length + right.length;
  if (halves.length === 1 ? explicit !== groupsWanted : explicit > groupsWanted - 1) return undefined;
  const groups = [
    ...left,
    ...Array.from({ length: groupsWanted - explicit }, () => '0'),
    ...(halves.length === 2 ? right : []),
  ];
  let value = 0n;
  for (const group of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return undefined;
    value = (value << 16n) | BigInt(Number.parseInt(group, 16));
  }
  return tailV4 === undefined ? value : (value << 32n) | tailV4;
}

/**
 * An address, or undefined when `text` is not one. A zone (`fe80::1%eth0`) is dropped; an
 * IPv4-mapped IPv6 address is its IPv4 address.
 */
export function parseAddress(text: string): IpAddress | undefined {
  const trimmed = text.trim();
  const v4 = parseIpv4(trimmed);
  if (v4 !== undefined) return { family: 4, value: v4 };
  const withoutZone = trimmed.replace(/%[^%]+$/, '');
  const v6 = withoutZone.includes(':') ? parseIpv6(withoutZone) : undefined;
  if (v6 === undefined) return undefined;
  if (v6 >> 32n === 0xffffn) {
    return { family: 4, value: v6 & 0xffffffffn };
  }
  return { family: 6, value: v6 };
}

const mask = (family: IpFamily, prefix: number): bigint => {
  const bits = BITS[family];
  return ((1n << BigInt(bits)) - 1n) ^ ((1n << BigInt(bits - prefix)) - 1n);
};

/**
 * A range: `address/prefix`, or a bare address (one host). Host bits must be zero, so that
 * `10.0.0.5/8` (a typo for `/32`, or for `10.0.0.0/8`?) is refused rather than guessed.
 *
 * @throws InvalidCidr saying what is wrong
 */
export function parseCidr(text: string): Cidr {
  const trimmed = text.trim();
  const slash = trimmed.indexOf('/');
  const addressText = slash < 0 ? trimmed : trimmed.slice(0, slash);
  if (addressText.includes('%')) throw new InvalidCidr(text, 'a zone is not allowed in a range');
  const address = parseAddress(addressText);
  if (address === undefined) throw new InvalidCidr(text, 'not an IPv4 or IPv6 address');
  // A mapped address written with an IPv6 prefix keeps the prefix's meaning for the IPv4 part.
  const mappedV6 = address.family === 4 && addressText.includes(':');
  const bits = BITS[address.family];
  let prefix = bits;
  if (slash >= 0) {
    const prefixText = trimmed.slice(slash + 1);
    if (!/^\d{1,3}$/.test(prefixText)) throw new InvalidCidr(text, 'the prefix length is not a number');
    prefix = Number(prefixText) - (mappedV6 ? 96 : 0);
    if (prefix < 0 || prefix > bits) {
      throw new InvalidCidr(text, `the prefix length must be 0 to ${mappedV6 ? 128 : bits}`);
    }
  }
  const network = address.value & mask(address.family, prefix);
  if (network !== address.value) {
    const suggestion = formatCidr({ family: address.family, network, prefix });
    throw new InvalidCidr(text, `host bits are set (the range is ${suggestion})`);
  }
  return { family: address.family, network, prefix };
}

/** The canonical text of an address: dotted quad, or RFC 5952's compressed lower-case IPv6. */
export function formatAddress(address: IpAddress): string {
  if (address.family === 4) {
    return [24n, 16n, 8n, 0n].map((shift) => String((address.value >> shift) & 255n)).join('.');
  }
  const groups = Array.from({ length: 8 }, (_, i) =>
    Number((address.value >> BigInt(112 - 16 * i)) & 0xffffn),
  );
  // The longest run of two or more zero groups (the first such run on a tie) becomes `::`.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (gs: number[]) => gs.map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}

/** The canonical text of a range (`10.0.0.0/8`, `2001:db8::/32`). */
export function formatCidr(cidr: Cidr): string {
  return `${formatAddress({ family: cidr.family, value: cidr.network })}/${cidr.prefix}`;
}

/** Whether `address` lies in `cidr`. */
export function cidrContains(cidr: Cidr, address: IpAddress): boolean {
  return address.family === cidr.family && (address.value & mask(cidr.family, cidr.prefix)) === cidr.network;
}

/** Every IPv4 and every IPv6 address. */
export const EVERYWHERE = ['0.0.0.0/0', '::/0'] as const;

/** A list of ranges, as an allowlist. */
export class CidrList {
  readonly cidrs: readonly Cidr[];

  private constructor(cidrs: readonly Cidr[]) {
    this.cidrs = cidrs;
  }

  /**
   * Ranges separated by commas or white space (`10.0.0.0/8, 2001:db8::/32`); an empty text is an
   * empty list (nothing allowed).
   *
   * @throws InvalidCidr for the first range that cannot be parsed
   */
  static parse(text: string | readonly string[]): CidrList {
    const items = (typeof text === 'string' ? text.split(/[\s,]+/) : text)
      .map((item) => item.trim())
      .filter((item) => item !== '');
    return new CidrList(items.map(parseCidr));
  }

  /** Whether `address` (text, as a socket or API Gateway reports it) lies in one of the ranges. */
  contains(address: string | undefined): boolean {
    if (address === undefined) return false;
    const parsed = parseAddress(address);
    return parsed !== undefined && this.cidrs.some((cidr) => cidrContains(cidr, parsed));
  }

  /** Whether every address of some family is allowed (`0.0.0.0/0` or `::/0`): open to the internet. */
  get open(): boolean {
    return this.cidrs.some((cidr) => cidr.prefix === 0);
  }

  /** The canonical texts of the ranges. */
  toStrings(): string[] {
    return this.cidrs.map(formatCidr);
  }

  toString(): string {
    return this.toStrings().join(',');
  }
}

/**
 * The key a per-source limit counts under: an IPv4 address itself, an IPv6 address's /64 (one
 * customer's site gets a whole /64, so counting single IPv6 addresses would give an attacker 2^64
 * fresh sources). Text that is not an address is kept as it is.
 */
export function sourceKey(address: string): string {
  const parsed = parseAddress(address);
  if (parsed === undefined) return address.trim();
  if (parsed.family === 4) return formatAddress(parsed);
  return formatCidr({ family: 6, network: parsed.value & mask(6, 64), prefix: 64 });
}
