/**
 * `physnet_cidr_map`: sets each Ironic port's `physical_network` from the interface's IP address and
 * `PHYSNET_CIDR_MAP` (`10.10.10.0/24:physnet_a,2001:db8::/64:physnet_b`; the first CIDR holding
 * the address wins). As upstream, only the interface's first valid address is looked up (IPv4 before
 * IPv6), and nothing is set with `OVERWRITE_EXISTING=false`.
 *
 * @example
 * ```ts
 * // PATCH /v1/ports/<uuid> [{op: add, path: /physical_network, value: 'physnet_a'}]
 * ```
 */
import type { ProcessingConfig } from '#lib/config.ts';
import { networkContains, parseStrictAddress } from '#lib/domain/ip-address.ts';
import type { Logger } from '#lib/ports/logger.ts';
import type { ProcessingHook } from '#lib/processing/hook.ts';
import { type InventoryInterface, interfacePorts, patchPortOrWarn } from '#lib/processing/hooks/common.ts';

/** What `physnet_cidr_map` reads. */
export type PhysnetCidrMapOptions = Pick<ProcessingConfig, 'physnetCidrMap' | 'overwriteExisting'> & {
  readonly logger: Logger;
};

export function physnetCidrMap(config: PhysnetCidrMapOptions): ProcessingHook {
  const { logger } = config;
  const physnetOf = (iface: InventoryInterface): string | undefined => {
    const ips = [iface.ipv4_address, iface.ipv6_address]
      .map(parseStrictAddress)
      .filter((ip) => ip !== undefined);
    const first = ips[0];
    if (first === undefined) return undefined;
    return config.physnetCidrMap.find((m) => networkContains(m.network, first))?.physnet;
  };
  return {
    name: 'physnet_cidr_map',
    async beforeUpdate(data, nodeInfo) {
      const work = 'physical network processing';
      for await (const { iface, port, log } of interfacePorts(data, nodeInfo, logger, work)) {
        const physnet = physnetOf(iface);
        if (physnet === undefined) {
          logger.debug(
            `Skipping physical network processing for interface ${String(iface.mac_address)}, no physical network mapping`,
            log,
          );
          continue;
        }
        if (!config.overwriteExisting || port.physical_network === physnet) {
          logger.debug(
            `Skipping physical network processing for interface ${String(iface.mac_address)}, no update required`,
            log,
          );
          continue;
        }
        await patchPortOrWarn(
          nodeInfo,
          port,
          [{ op: 'add', path: '/physical_network', value: physnet }],
          logger,
        );
      }
    },
  };
}
