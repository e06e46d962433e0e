/**
 * `lldp_basic`: every inventory interface's raw LLDP TLVs (`lldp_raw[<name>]` from newer ramdisks,
 * else the interface's `lldp`) parsed into `all_interfaces.<name>.lldp_processed` in the
 * introspection data (`switch_chassis_id`, `switch_port_id`, `switch_port_vlans`, `switch_port_mtu`,
 * `switch_system_name`, …; see `lib/processing/lldp.ts`). No Ironic calls.
 *
 * @example
 * ```ts
 * // data://all_interfaces.eth0.lldp_processed.switch_port_id in a rule condition
 * ```
 */
import type { Logger } from '#lib/ports/logger.ts';
import type { ProcessingHook } from '#lib/processing/hook.ts';
import { inventoryInterfaces, isValidInterface } from '#lib/processing/hooks/common.ts';
import { interfaceTlvs, parseLldpTlvs } from '#lib/processing/lldp.ts';

export function lldpBasic(options: { readonly logger: Logger }): ProcessingHook {
  const { logger } = options;
  return {
    name: 'lldp_basic',
    async beforeUpdate(data, nodeInfo) {
      for (const iface of inventoryInterfaces(data)) {
        const name = iface.name;
        const log = { node: nodeInfo.uuid, interface: name };
        const tlvs = interfaceTlvs(data, iface);
        if (tlvs === undefined || tlvs === null) {
          logger.warn(`No LLDP Data found for interface ${String(name)}`, log);
          continue;
        }
        const values = parseLldpTlvs(tlvs, logger, log);
        if (Object.keys(values).length === 0) continue;
        if (!isValidInterface(data, iface)) {
          // Upstream fails the introspection here (KeyError): the interface has LLDP data but no
          // valid MAC, so validate_interfaces left it out.
          logger.warn(
            `Interface ${String(name)} has LLDP data but is not a valid interface; ignoring it`,
            log,
          );
          continue;
        }
        const record = (data.all_interfaces as Record<string, Record<string, unknown>>)[name as string];
        if (record !== undefined) record.lldp_processed = values;
      }
    },
  };
}
