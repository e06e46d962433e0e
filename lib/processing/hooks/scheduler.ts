/**
 * `scheduler`: the properties Nova's scheduler reads (`cpus`, `cpu_arch`, `memory_mb`), into the data
 * and the node's properties (kept when set and `overwrite_existing` is off).
 *
 * @example
 * ```ts
 * await scheduler({ ...config.processing, logger }).beforeUpdate?.(data, nodeInfo); // data.cpus, …
 * ```
 */
import type { ProcessingConfig } from '#lib/config.ts';
import type { Logger } from '#lib/ports/logger.ts';
import type { ProcessingHook } from '#lib/processing/hook.ts';
import { inventoryOf } from '#lib/processing/inventory.ts';
import { MAX_CPUS, MAX_MEMORY_MB, saneCount } from '#lib/processing/sane-values.ts';

/** What `scheduler` reads. */
export type SchedulerOptions = Pick<ProcessingConfig, 'overwriteExisting'> & { readonly logger: Logger };

export function scheduler(options: SchedulerOptions): ProcessingHook {
  const { logger } = options;
  return {
    name: 'scheduler',
    beforeProcessing(data) {
      // Counts and sizes checked before anything is written (docs/design.md#one-patch).
      const inventory = data.inventory as { cpu?: unknown; memory?: unknown } | undefined;
      if (typeof inventory !== 'object' || inventory === null) return;
      const cpu = inventory.cpu as { count?: unknown } | undefined;
      const memory = inventory.memory as { physical_mb?: unknown } | undefined;
      if (typeof cpu === 'object' && cpu !== null) saneCount(cpu.count, 'inventory.cpu.count', MAX_CPUS);
      if (typeof memory === 'object' && memory !== null) {
        saneCount(memory.physical_mb, 'inventory.memory.physical_mb', MAX_MEMORY_MB);
      }
    },
    async beforeUpdate(data, nodeInfo) {
      const inventory = inventoryOf(data);
      const cpus = Number.parseInt(String(inventory.cpu.count ?? ''), 10);
      if (Number.isFinite(cpus) && inventory.cpu.architecture) {
        data.cpus = cpus;
        data.cpu_arch = String(inventory.cpu.architecture);
      } else {
        logger.warn('Malformed or missing CPU information', { node: nodeInfo.uuid, cpu: inventory.cpu });
      }
      const memory = Number.parseInt(String(inventory.memory.physical_mb ?? ''), 10);
      if (Number.isFinite(memory)) data.memory_mb = memory;
      else {
        logger.warn(
          'Malformed or missing memory information; introspection requires physical memory size from dmidecode',
          { node: nodeInfo.uuid, memory: inventory.memory },
        );
      }
      const current = (await nodeInfo.ironic.node()).properties ?? {};
      const update: Record<string, string> = {};
      for (const key of ['cpus', 'cpu_arch', 'memory_mb']) {
        if (!data[key]) continue;
        if (options.overwriteExisting || !current[key]) update[key] = String(data[key]);
      }
      if (Object.keys(update).length > 0) await nodeInfo.ironic.updateProperties(update);
    },
  };
}
