/**
 * `local_link_connection`: sets each Ironic port's `local_link_connection` (`switch_id`, `port_id`)
 * from LLDP, what Neutron's ML2 drivers need to wire the node's switch port. It takes the values
 * `lldp_basic` parsed (`switch_chassis_id` only when it is a MAC) and, when there are none, parses
 * the raw Port ID TLV and a MAC Chassis ID TLV itself. With `OVERWRITE_EXISTING=false`, keys the
 * port already has are kept. Ironic refusing a patch (400) is logged and processing goes on.
 *
 * @example
 * ```ts
 * // PATCH /v1/ports/<uuid> [{op: add, path: /local_link_connection/switch_id, value: '52:54:00:…'},
 * //                         {op: add, path: /local_link_connection/port_id, value: 'Ethernet1/1'}]
 * ```
 */
import type { ProcessingConfig } from '#lib/config.ts';
import type { JsonPatch } from '#lib/ports/ironic.ts';
import type { Logger } from '#lib/ports/logger.ts';
import type { ProcessingHook } from '#lib/processing/hook.ts';
import { interfacePorts, patchPortOrWarn } from '#lib/processing/hooks/common.ts';
import { chassisId, hexBytes, interfaceTlvs, portId } from '#lib/processing/lldp.ts';

/** oslo's `is_valid_mac`: six colon-separated hex pairs. */
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

/** What `local_link_connection` reads. */
export type LocalLinkConnectionOptions = Pick<ProcessingConfig, 'overwriteExisting'> & {
  readonly logger: Logger;
};

export function localLinkConnection(config: LocalLinkConnectionOptions): ProcessingHook {
  const { logger } = config;
  return {
    name: 'local_link_connection',
    async beforeUpdate(data, nodeInfo) {
      for await (const { iface, port, log } of interfacePorts(data, nodeInfo, logger, 'LLC processing')) {
        const tlvs = interfaceTlvs(data, iface);
        if (tlvs === undefined || tlvs === null) {
          logger.warn(`No LLDP Data found for interface ${String(iface.mac_address)}`, log);
          continue;
        }
        const existing = (port.local_link_connection ?? {}) as Record<string, unknown>;
        const candidates = new Map<string, unknown>();
        const offer = (item: 'switch_id' | 'port_id', value: unknown) => {
          if (!value) return;
          if (!config.overwriteExisting && Object.hasOwn(existing, item)) return;
          candidates.set(item, value);
        };
        const processed = (data.all_interfaces as Record<string, Record<string, unknown>>)[
          iface.name as string
        ]?.lldp_processed as Record<string, unknown> | undefined;
        if (processed !== undefined) {
          const chassis = processed.switch_chassis_id;
          if (chassis && !(typeof chassis === 'string' && MAC.test(chassis.toLowerCase()))) {
            logger.info(`Skipping switch_id since it's not a MAC: ${String(chassis)}`, log);
          } else {
            offer('switch_id', chassis);
          }
          offer('port_id', processed.switch_port_id);
        }
        if (candidates.size === 0 && Array.isArray(tlvs)) {
          for (const entry of tlvs) {
            if (!Array.isArray(entry) || entry.length !== 2) continue;
            const bytes = hexBytes(entry[1]);
            if (bytes === undefined) {
              logger.warn(
                `TLV value for TLV type ${String(entry[0])} not in correct format, ensure TLV value is in hexidecimal format when sent to inspector`,
                log,
              );
              continue;
            }
            try {
              if (entry[0] === 2) offer('port_id', portId(bytes));
              else if (entry[0] === 1) {
                const chassis = chassisId(bytes);
                if (chassis.subtype === 4) offer('switch_id', chassis.value);
              }
            } catch (err) {
              logger.warn(
                `TLV parse error for ${entry[0] === 2 ? 'Port ID' : 'Chassis ID'}: ${(err as Error).message}`,
                log,
              );
            }
          }
        }
        const patches: JsonPatch[] = [...candidates].map(([item, value]) => ({
          op: 'add',
          path: `/local_link_connection/${item}`,
          value,
        }));
        if (patches.length === 0) continue;
        await patchPortOrWarn(nodeInfo, port, patches, logger);
      }
    },
  };
}
