/**
 * LLDP TLVs as the ramdisk reports them (`[type, "<hex>"]` pairs) parsed into ironic-inspector's
 * names (`switch_chassis_id`, `switch_port_id`, `switch_port_vlans`, `switch_port_mtu`, …): the
 * basic management set, IEEE 802.1 and IEEE 802.3 organisationally specific TLVs.
 *
 * The first occurrence of a single-valued name wins; list names accumulate. A TLV that is not a
 * `[type, hex]` pair, is not hexadecimal, does not fit its structure, holds invalid UTF-8, or has an
 * unknown subtype is skipped with a warning (upstream fails the whole introspection on several of
 * these). Unlike upstream, organisationally specific TLVs count even when they come first.
 *
 * @example
 * ```ts
 * parseLldpTlvs([[1, '04525400abcdef'], [2, '0545746865726e6574312f31']], logger);
 * // { switch_chassis_id: '52:54:00:ab:cd:ef', switch_port_id: 'Ethernet1/1' }
 * ```
 */
import { formatIpv4, formatIpv6 } from '#lib/domain/ip-address.ts';
import type { Logger } from '#lib/ports/logger.ts';
import { capabilityNames, MAU_TYPES, PMD } from '#lib/processing/lldp-tables.ts';

/** A TLV that does not fit (the reason is logged). */
class TlvError extends Error {}

/** The bytes of a hex string, or undefined when it is not hex of even length. */
export function hexBytes(value: unknown): Uint8Array | undefined {
  if (typeof value !== 'string' || value.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(value)) return undefined;
  return Uint8Array.from(value.match(/../g) ?? [], (pair) => Number.parseInt(pair, 16));
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function text(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new TlvError('invalid UTF-8');
  }
}

function need(bytes: Uint8Array, length: number): void {
  if (bytes.length < length) throw new TlvError(`needs ${length} bytes, got ${bytes.length}`);
}

function exactly(bytes: Uint8Array, length: number): void {
  if (bytes.length !== length) throw new TlvError(`expected length ${length}, got ${bytes.length}`);
}

const uint16 = (b: Uint8Array, at: number) => ((b[at] as number) << 8) | (b[at + 1] as number);
const uint32 = (b: Uint8Array, at: number) => uint16(b, at) * 65536 + uint16(b, at + 2);
const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, '0')).join('');

/** A MAC as netaddr's `mac_unix_expanded` prints it: lower-case, colons. */
export function formatMac(bytes: Uint8Array): string {
  return [...bytes.subarray(0, 6)].map((x) => x.toString(16).padStart(2, '0')).join(':');
}

function mac(bytes: Uint8Array): string {
  need(bytes, 6);
  return formatMac(bytes);
}

/** An IANA address family byte and the address; undefined for a family other than IPv4, IPv6, MAC. */
function ianaAddress(bytes: Uint8Array): string | undefined {
  need(bytes, 1);
  const rest = bytes.subarray(1);
  switch (bytes[0]) {
    case 1:
      need(rest, 4);
      return formatIpv4(BigInt(uint32(rest, 0)));
    case 2: {
      need(rest, 16);
      return formatIpv6(BigInt(`0x${hex(rest.subarray(0, 16))}`));
    }
    case 6:
      return mac(rest);
    default:
      return undefined;
  }
}

/** The value of a Chassis ID TLV (type 1) and its subtype; undefined for an unknown subtype. */
export function chassisId(bytes: Uint8Array): { subtype: number; value: string | undefined } {
  need(bytes, 1);
  const subtype = bytes[0] as number;
  const rest = bytes.subarray(1);
  if ([1, 2, 3, 6, 7].includes(subtype)) return { subtype, value: text(rest) };
  if (subtype === 4) return { subtype, value: mac(rest) };
  if (subtype === 5) return { subtype, value: ianaAddress(rest) };
  return { subtype, value: undefined };
}

/** The value of a Port ID TLV (type 2); undefined for an unknown subtype (0, 6 agent circuit id, ≥ 8). */
export function portId(bytes: Uint8Array): string | undefined {
  need(bytes, 1);
  const subtype = bytes[0] as number;
  const rest = bytes.subarray(1);
  if ([1, 2, 5, 7].includes(subtype)) return text(rest);
  if (subtype === 3) return mac(rest);
  if (subtype === 4) return ianaAddress(rest);
  return undefined;
}

const OUI_8021 = '0080c2';
const OUI_8023 = '00120f';

/** The name/value pairs of one interface's TLVs, filled TLV by TLV. */
class LldpValues {
  readonly values: Record<string, unknown> = {};

  /** The first value of a name wins. */
  set(name: string, value: unknown): void {
    if (!Object.hasOwn(this.values, name)) this.values[name] = value;
  }

  append(name: string, value: unknown): void {
    const list = (this.values[name] ?? []) as unknown[];
    list.push(value);
    this.values[name] = list;
  }

  linkAggregation(b: Uint8Array): void {
    exactly(b, 5);
    this.set('switch_port_link_aggregation_enabled', ((b[0] as number) & 0x02) !== 0);
    this.set('switch_port_link_aggregation_support', ((b[0] as number) & 0x01) !== 0);
    this.set('switch_port_link_aggregation_id', uint32(b, 1));
  }

  /** One TLV; returns false when the type is not one this parser knows (ignored). */
  tlv(type: number, b: Uint8Array): boolean {
    switch (type) {
      case 0:
      case 3:
        return true;
      case 1: {
        const { subtype, value } = chassisId(b);
        if (value === undefined) throw new TlvError(`unknown chassis ID subtype ${subtype}`);
        this.set('switch_chassis_id', value);
        return true;
      }
      case 2: {
        const value = portId(b);
        if (value === undefined) throw new TlvError(`unknown port ID subtype ${b[0]}`);
        this.set('switch_port_id', value);
        return true;
      }
      case 4:
        this.set('switch_port_description', text(b));
        return true;
      case 5:
        this.set('switch_system_name', text(b));
        return true;
      case 6:
        this.set('switch_system_description', text(b));
        return true;
      case 7:
        exactly(b, 4);
        this.set('switch_capabilities_support', capabilityNames(uint16(b, 0)));
        this.set('switch_capabilities_enabled', capabilityNames(uint16(b, 2)));
        return true;
      case 8: {
        need(b, 2);
        const address = ianaAddress(b.subarray(1));
        if (address) this.append('switch_mgmt_addresses', address);
        return true;
      }
      case 127: {
        need(b, 4);
        const oui = hex(b.subarray(0, 3));
        const subtype = b[3] as number;
        const payload = b.subarray(4);
        if (oui === OUI_8021) return this.dot1(subtype, payload);
        if (oui === OUI_8023) return this.dot3(subtype, payload);
        throw new TlvError(`Organizationally Unique ID ${oui} not recognized`);
      }
      default:
        return false;
    }
  }

  dot1(subtype: number, b: Uint8Array): boolean {
    switch (subtype) {
      case 1:
        need(b, 2);
        this.set('switch_port_untagged_vlan_id', uint16(b, 0));
        return true;
      case 2:
        exactly(b, 3);
        this.set('switch_port_protocol_vlan_enabled', ((b[0] as number) & 0x04) !== 0);
        this.set('switch_port_protocol_vlan_support', ((b[0] as number) & 0x02) !== 0);
        this.append('switch_port_protocol_vlan_ids', uint16(b, 1));
        return true;
      case 3: {
        need(b, 3);
        const length = b[2] as number;
        need(b, 3 + length);
        const name = text(b.subarray(3, 3 + length)).replace(/\0+$/, '');
        this.append('switch_port_vlans', { name, id: uint16(b, 0) });
        return true;
      }
      case 4: {
        need(b, 1);
        const length = b[0] as number;
        need(b, 1 + length);
        this.append('switch_protocol_identities', hex(b.subarray(1, 1 + length)));
        return true;
      }
      case 6:
        need(b, 2);
        this.set('switch_port_management_vlan_id', uint16(b, 0));
        return true;
      case 7:
        this.linkAggregation(b);
        return true;
      default:
        return false;
    }
  }

  dot3(subtype: number, b: Uint8Array): boolean {
    switch (subtype) {
      case 1: {
        exactly(b, 5);
        const mau = uint16(b, 3);
        const label = MAU_TYPES[mau];
        if (label === undefined) throw new TlvError('Invalid index for mau type');
        const pmd = uint16(b, 1);
        this.set('switch_port_autonegotiation_enabled', ((b[0] as number) & 0x02) !== 0);
        this.set('switch_port_autonegotiation_support', ((b[0] as number) & 0x01) !== 0);
        this.set(
          'switch_port_physical_capabilities',
          [...new Set(PMD.filter(([bit]) => pmd & bit).map(([, name]) => name))].sort(),
        );
        this.set('switch_port_mau_type', label);
        return true;
      }
      case 3:
        this.linkAggregation(b);
        return true;
      case 4:
        need(b, 2);
        this.set('switch_port_mtu', uint16(b, 0));
        return true;
      default:
        return false;
    }
  }
}

/**
 * Parse one interface's TLV list into name/value pairs (empty when nothing was understood).
 *
 * @param where names the interface in warnings
 */
export function parseLldpTlvs(
  tlvs: unknown,
  logger: Logger,
  where: Record<string, unknown> = {},
): Record<string, unknown> {
  const parsed = new LldpValues();
  if (!Array.isArray(tlvs)) {
    logger.warn('LLDP data is not a list of TLVs, ignoring it', where);
    return parsed.values;
  }
  for (const entry of tlvs) {
    if (!Array.isArray(entry) || entry.length !== 2 || !Number.isInteger(entry[0])) {
      logger.warn('LLDP TLV is not a [type, value] pair, skipping it', { ...where, tlv: entry });
      continue;
    }
    const [type, value] = entry as [number, unknown];
    const bytes = hexBytes(value);
    if (bytes === undefined) {
      logger.warn(
        `TLV value for TLV type ${type} not in correct format, value must be in hexadecimal`,
        where,
      );
      continue;
    }
    try {
      if (!parsed.tlv(type, bytes)) logger.debug(`LLDP TLV type ${type} not handled`, where);
    } catch (err) {
      if (!(err instanceof TlvError)) throw err;
      logger.warn(`LLDP TLV type ${type} skipped: ${err.message}`, where);
    }
  }
  return parsed.values;
}

/**
 * An interface's raw TLVs: the top-level `lldp_raw[<name>]` when the ramdisk sent it (newer
 * ramdisks), else the interface's own `lldp`; undefined when there are none.
 */
export function interfaceTlvs(data: Record<string, unknown>, iface: Record<string, unknown>): unknown {
  const raw = data.lldp_raw;
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw) && typeof iface.name === 'string') {
    const entry = (raw as Record<string, unknown>)[iface.name];
    if (Array.isArray(entry) ? entry.length > 0 : Boolean(entry)) return entry;
  }
  return iface.lldp ?? undefined;
}
