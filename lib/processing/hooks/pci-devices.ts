/**
 * `pci_devices`: counts of the PCI devices the ramdisk's `pci-devices` collector reported (top-level
 * `pci_devices`, not in the inventory) that match the aliases of `[pci_devices]alias`, as capabilities.
 *
 * @example
 * ```ts
 * await pciDevices({ pciAliases: [{ vendor_id: '10de', product_id: '1eb8', name: 'gpu_t4' }] })
 *   .beforeUpdate?.(data, nodeInfo); // gpu_t4:2
 * ```
 */
import { z } from 'zod';
import type { ProcessingConfig } from '#lib/config.ts';
import type { ProcessingHook } from '#lib/processing/hook.ts';

const pciDeviceSchema = z.looseObject({ vendor_id: z.string(), product_id: z.string() });

/** What `pci_devices` reads. */
export type PciDevicesOptions = Pick<ProcessingConfig, 'pciAliases'>;

export function pciDevices(options: PciDevicesOptions): ProcessingHook {
  return {
    name: 'pci_devices',
    async beforeUpdate(data, nodeInfo) {
      if (options.pciAliases.length === 0) return;
      const raw = Array.isArray(data.pci_devices) ? data.pci_devices : [];
      const devices = raw.flatMap((entry) => {
        const one = pciDeviceSchema.safeParse(entry);
        return one.success ? [one.data] : [];
      });
      const counts: Record<string, number> = {};
      for (const alias of options.pciAliases) {
        const n = devices.filter(
          (d) => d.vendor_id === alias.vendor_id && d.product_id === alias.product_id,
        ).length;
        if (n > 0) counts[alias.name] = n;
      }
      if (Object.keys(counts).length > 0) await nodeInfo.ironic.updateCapabilities(counts);
    },
  };
}
