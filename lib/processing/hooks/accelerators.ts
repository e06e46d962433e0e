/**
 * `accelerators`: PCI devices the ramdisk reported (`pci_devices`: vendor and product IDs, bus
 * address) that match a known accelerator (`ACCELERATORS_KNOWN_DEVICES`, by default upstream's
 * list of NVIDIA GPUs) are set as the node's `properties.accelerators`, each with every field of the
 * known entry plus `pci_address`. Nothing matching leaves the property as it was.
 *
 * @example
 * ```ts
 * // properties.accelerators = [{vendor_id: '10de', device_id: '1eb8', type: 'GPU',
 * //   device_info: 'NVIDIA Corporation Tesla T4', pci_address: '0000:82:00.0'}]
 * ```
 */
import type { ProcessingConfig } from '#lib/config.ts';
import type { Logger } from '#lib/ports/logger.ts';
import type { ProcessingHook } from '#lib/processing/hook.ts';

/** What `accelerators` reads. */
export type AcceleratorsOptions = Pick<ProcessingConfig, 'knownAccelerators'> & { readonly logger: Logger };

export function accelerators(config: AcceleratorsOptions): ProcessingHook {
  const { logger } = config;
  return {
    name: 'accelerators',
    async beforeUpdate(data, nodeInfo) {
      const devices = Array.isArray(data.pci_devices) ? data.pci_devices : [];
      if (devices.length === 0) {
        logger.warn(
          'Unable to distinguish accelerator devices due to no PCI devices information was received from the ramdisk.',
          { node: nodeInfo.uuid },
        );
        return;
      }
      const found: Array<Record<string, unknown>> = [];
      for (const device of devices) {
        if (typeof device !== 'object' || device === null) continue;
        const { vendor_id, product_id, bus } = device as Record<string, unknown>;
        const known = config.knownAccelerators.find(
          (k) => k.vendor_id === vendor_id && k.device_id === product_id,
        );
        if (known !== undefined) found.push({ ...known, pci_address: bus ?? null });
      }
      if (found.length === 0) {
        logger.info('No known accelerator devices found', { node: nodeInfo.uuid });
        return;
      }
      await nodeInfo.ironic.updateProperties({ accelerators: found });
      logger.info('Found accelerator devices', { node: nodeInfo.uuid, accelerators: found });
    },
  };
}
