/**
 * `raid_device`: learns the root device hint of a node across two introspections, before and after
 * its RAID volume is created. The first stores the disks' serial numbers in the node's
 * `extra.block_devices`; the next finds the one new serial, sets `properties.root_device =
 * {"serial": …}` and removes `extra.block_devices`. Nothing changes once the node has a root device
 * hint. Before processing, a missing `local_gb` is set to 1 (upstream's placeholder).
 *
 * @example
 * ```ts
 * // run 1: PATCH add /extra/block_devices {"serials": ["S1"]}
 * // run 2: PATCH remove /extra/block_devices, add /properties/root_device {"serial": "S2"}
 * ```
 */

import type { IntrospectionDocument } from '#lib/ports/introspection-data-store.ts';
import type { Logger } from '#lib/ports/logger.ts';
import type { ProcessingHook } from '#lib/processing/hook.ts';
import { pyTruthy } from '#lib/rules/python.ts';

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The disks' serials from the inventory, or from legacy `block_devices.serials`. */
function serials(data: IntrospectionDocument): unknown[] {
  if (Object.hasOwn(data, 'inventory')) {
    const disks = isObject(data.inventory) && Array.isArray(data.inventory.disks) ? data.inventory.disks : [];
    return disks
      .filter(isObject)
      .map((d) => d.serial)
      .filter(pyTruthy);
  }
  if (isObject(data.block_devices) && Array.isArray(data.block_devices.serials))
    return data.block_devices.serials;
  return [];
}

export function raidDevice(options: { readonly logger: Logger }): ProcessingHook {
  const { logger } = options;
  return {
    name: 'raid_device',
    beforeProcessing(data) {
      if (!pyTruthy(data.local_gb)) {
        logger.info('No volume is found on the node. Adding a fake value for "local_gb"');
        data.local_gb = 1;
      }
    },
    async beforeUpdate(data, nodeInfo) {
      const log = { node: nodeInfo.uuid };
      const current = serials(data);
      if (current.length === 0) {
        logger.warn('No block device was received from ramdisk', log);
        return;
      }
      const node = await nodeInfo.ironic.node();
      if (Object.hasOwn(node.properties ?? {}, 'root_device')) {
        logger.info('Root device is already known for the node', log);
        return;
      }
      const extra = node.extra ?? {};
      if (!Object.hasOwn(extra, 'block_devices')) {
        await nodeInfo.ironic.patch([
          { op: 'add', path: '/extra/block_devices', value: { serials: current } },
        ]);
        return;
      }
      const stored = extra.block_devices;
      const previous = isObject(stored) && Array.isArray(stored.serials) ? stored.serials : [];
      const added = current.filter((serial) => !previous.includes(serial));
      if (added.length !== 1) {
        logger.warn(
          added.length > 1
            ? 'Root device cannot be identified because multiple new devices were found'
            : 'No new devices were found',
          log,
        );
        return;
      }
      await nodeInfo.ironic.patch([
        { op: 'remove', path: '/extra/block_devices' },
        { op: 'add', path: '/properties/root_device', value: { serial: added[0] } },
      ]);
    },
  };
}
