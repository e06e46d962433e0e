/**
 * The lookup attributes a node gets when its introspection starts, from what Ironic knows of it:
 * the MACs of its ports, and its BMC address resolved to IP addresses (upstream's `get_ipmi_address`).
 *
 * The BMC address comes from `driver_info.ipmi_address`, else the first non-empty field of
 * `ipmi_address_fields`; a URL gives its host; IPv6 brackets are stripped; the host is resolved by DNS
 * and the last IPv4 and last IPv6 answers kept, loopback answers dropped with a warning. A name that
 * does not resolve is a warning and no attribute (upstream 12.3.0+). `ipmi_bridging` other than `no`
 * means no BMC address.
 *
 * @example
 * ```ts
 * await bmcAddresses({ uuid, driver_info: { redfish_address: 'https://[fd00::5]:8000' } }); // ['fd00::5']
 * ```
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { isLoopbackIp } from '#lib/domain/lookup-attributes.ts';
import type { IronicNode, IronicPort } from '#lib/ports/ironic.ts';
import type { Logger } from '#lib/ports/logger.ts';

/** Upstream's `[DEFAULT]ipmi_address_fields`, consulted after `ipmi_address`. */
export const DEFAULT_IPMI_ADDRESS_FIELDS = [
  'redfish_address',
  'ilo_address',
  'drac_host',
  'drac_address',
  'ibmc_address',
] as const;

/** A DNS lookup returning every address (node's `dns.promises.lookup` with `all: true`). */
export type AddressLookup = (host: string) => Promise<Array<{ address: string; family: number }>>;

const defaultLookup: AddressLookup = (host) => dnsLookup(host, { all: true });

export interface BmcAddressOptions {
  /** `[DEFAULT]ipmi_address_fields`; upstream's list when undefined. */
  readonly fields?: readonly string[] | undefined;
  readonly lookup?: AddressLookup;
  readonly logger?: Logger;
}

/** The host named by a driver_info BMC value: a URL's host, brackets stripped. */
export function bmcHost(value: string): string {
  let host = value.trim();
  if (host.includes('//')) {
    try {
      host = new URL(host).hostname;
    } catch {
      // not a URL after all: take it as a host
    }
  }
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return host;
}

/** The node's BMC addresses as lookup attribute values: [IPv4?, IPv6?]. */
export async function bmcAddresses(node: IronicNode, options: BmcAddressOptions = {}): Promise<string[]> {
  const driverInfo = node.driver_info ?? {};
  const bridging = driverInfo.ipmi_bridging;
  if (bridging !== undefined && bridging !== null && bridging !== 'no') return [];
  let value: string | undefined;
  for (const name of ['ipmi_address', ...(options.fields ?? DEFAULT_IPMI_ADDRESS_FIELDS)]) {
    const candidate = driverInfo[name];
    if (typeof candidate === 'string' && candidate.trim() !== '') {
      value = candidate;
      break;
    }
  }
  if (value === undefined) return [];
  const host = bmcHost(value);

  let answers: Array<{ address: string; family: number }>;
  if (isIP(host) !== 0) {
    answers = [{ address: host, family: isIP(host) }];
  } else {
    try {
      answers = await (options.lookup ?? defaultLookup)(host);
    } catch (err) {
      options.logger?.warn(`Failed to resolve the hostname (${host}) for node ${node.uuid}`, {
        node: node.uuid,
        error: (err as Error).message,
      });
      return [];
    }
  }
  let v4: string | undefined;
  let v6: string | undefined;
  for (const answer of answers) {
    if (isLoopbackIp(answer.address)) {
      options.logger?.warn(`Ignoring loopback BMC address ${answer.address}`, { node: node.uuid });
      continue;
    }
    if (answer.family === 4) v4 = answer.address;
    else if (answer.family === 6) v6 = answer.address;
  }
  return [v4, v6].filter((a): a is string => a !== undefined);
}

/** Lookup attributes for a start: `bmc_address` from driver_info, `mac` from the node's ports. */
export async function ironicLookupAttributes(
  node: IronicNode,
  ports: readonly IronicPort[],
  options: BmcAddressOptions = {},
): Promise<{ bmc_address: string[]; mac: string[] }> {
  return {
    bmc_address: await bmcAddresses(node, options),
    mac: ports.map((port) => port.address.toLowerCase()),
  };
}
