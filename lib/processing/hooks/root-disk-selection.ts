/**
 * `root_disk_selection`: the root disk (by the node's root device hints, `properties.root_device`,
 * skipping `properties.skip_block_devices`) and `local_gb` (GiB, minus one for partitioning when
 * `disk_partitioning_spacing` is on).
 *
 * @example
 * ```ts
 * await rootDiskSelection({ ...config.processing, logger }).beforeUpdate?.(data, nodeInfo); // data.local_gb
 * ```
 */
import type { ProcessingConfig } from '#lib/config.ts';
import { InspectorError } from '#lib/domain/errors.ts';
import { pyValue } from '#lib/domain/python-repr.ts';
import type { Logger } from '#lib/ports/logger.ts';
import type { ProcessingHook } from '#lib/processing/hook.ts';
import { inventoryOf } from '#lib/processing/inventory.ts';
import {
  InvalidRootDeviceHint,
  type InventoryDisk,
  matchRootDevice,
} from '#lib/processing/root-device-hints.ts';
import { saneDiskSize } from '#lib/processing/sane-values.ts';

const GIB = 1024 ** 3;

/** What `root_disk_selection` reads. */
export type RootDiskSelectionOptions = Pick<
  ProcessingConfig,
  'diskPartitioningSpacing' | 'overwriteExisting'
> & {
  readonly logger: Logger;
};

export function rootDiskSelection(options: RootDiskSelectionOptions): ProcessingHook {
  return {
    name: 'root_disk_selection',
    beforeProcessing(data) {
      // Sizes checked before anything is written (docs/design.md#one-patch).
      const inventory = data.inventory as { disks?: unknown } | undefined;
      const disks = typeof inventory === 'object' && inventory !== null ? inventory.disks : undefined;
      if (Array.isArray(disks)) {
        disks.forEach((disk: unknown, i) => {
          if (typeof disk === 'object' && disk !== null && 'size' in disk) {
            saneDiskSize(disk.size, `inventory.disks.${i}.size`);
          }
        });
      }
      const root = data.root_disk;
      if (typeof root === 'object' && root !== null && 'size' in root)
        saneDiskSize(root.size, 'root_disk.size');
    },
    async beforeUpdate(data, nodeInfo) {
      const inventory = inventoryOf(data);
      const properties = (await nodeInfo.ironic.node()).properties ?? {};
      const hints = properties.root_device;
      if (typeof hints === 'object' && hints !== null && Object.keys(hints).length > 0) {
        const skip = new Set(
          (Array.isArray(properties.skip_block_devices) ? properties.skip_block_devices : [])
            .map((d: unknown) =>
              typeof d === 'object' && d !== null ? (d as { name?: unknown }).name : undefined,
            )
            .filter((n: unknown): n is string => typeof n === 'string'),
        );
        const disks = inventory.disks.filter((d) => !skip.has(d.name)) as InventoryDisk[];
        let device: InventoryDisk | undefined;
        try {
          device = matchRootDevice(disks, hints as Record<string, unknown>);
        } catch (err) {
          if (!(err instanceof InvalidRootDeviceHint)) throw err;
          throw new InspectorError(
            `No disks could be found using the root device hints ${pyValue(hints)} because they failed to validate. Error: ${err.message}`,
          );
        }
        if (device === undefined) throw new InspectorError('No disks satisfied root device hints');
        options.logger.debug(`Disk ${device.name} of size ${device.size} satisfies root device hints`, {
          node: nodeInfo.uuid,
        });
        data.root_disk = device;
      }
      const root = data.root_disk as { size?: unknown } | null | undefined;
      let localGb = 0;
      if (root && typeof root.size === 'number') {
        localGb = Math.floor(root.size / GIB);
        // Never below 0 (a disk under 1 GiB): Ironic refuses a negative local_gb.
        if (options.diskPartitioningSpacing) localGb = Math.max(0, localGb - 1);
      }
      data.local_gb = localGb;
      if (options.overwriteExisting || !properties.local_gb) {
        await nodeInfo.ironic.updateProperties({ local_gb: String(localGb) });
      }
    },
  };
}
