/**
 * The optional processing hooks by name, for the hook list `PROCESSING_HOOKS` switches on.
 *
 * @example
 * ```ts
 * PROCESSING_HOOKS='ramdisk_error,root_disk_selection,scheduler,validate_interfaces,capabilities,pci_devices,extra_hardware,lldp_basic,local_link_connection'
 * ```
 */
import type { ProcessingConfig } from '#lib/config.ts';
import type { Logger } from '#lib/ports/logger.ts';
import { accelerators } from '#lib/processing/hooks/accelerators.ts';
import { extraHardware } from '#lib/processing/hooks/extra-hardware.ts';
import { lldpBasic } from '#lib/processing/hooks/lldp-basic.ts';
import { localLinkConnection } from '#lib/processing/hooks/local-link-connection.ts';
import { physnetCidrMap } from '#lib/processing/hooks/physnet-cidr-map.ts';
import { raidDevice } from '#lib/processing/hooks/raid-device.ts';
import type { OptionalHookName } from '#lib/processing/hooks/settings.ts';
import type { ProcessingHook } from '#lib/processing/hooks.ts';

/** A factory per optional hook. */
export function optionalHooks(
  config: ProcessingConfig,
  logger: Logger,
): Record<OptionalHookName, () => ProcessingHook> {
  return {
    extra_hardware: () => extraHardware(config, logger),
    lldp_basic: () => lldpBasic(logger),
    local_link_connection: () => localLinkConnection(config, logger),
    physnet_cidr_map: () => physnetCidrMap(config, logger),
    raid_device: () => raidDevice(logger),
    accelerators: () => accelerators(config, logger),
  };
}
