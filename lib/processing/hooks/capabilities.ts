/**
 * `capabilities`: the boot mode (when `[capabilities]boot_mode` is on) and the CPU flags mapped by
 * `[capabilities]cpu_flags`, merged into the node's capabilities.
 *
 * @example
 * ```ts
 * await capabilities(config.processing).beforeUpdate?.(data, nodeInfo); // cpu_vt:true, …
 * ```
 */
import type { ProcessingConfig } from '#lib/config.ts';
import type { ProcessingHook } from '#lib/processing/hook.ts';
import { inventoryOf } from '#lib/processing/inventory.ts';

/** What `capabilities` reads. */
export type CapabilitiesOptions = Pick<ProcessingConfig, 'capabilitiesBootMode' | 'cpuFlags'>;

export function capabilities(options: CapabilitiesOptions): ProcessingHook {
  return {
    name: 'capabilities',
    async beforeUpdate(data, nodeInfo) {
      const inventory = inventoryOf(data);
      const caps: Record<string, string> = {};
      const bootMode = inventory.boot?.current_boot_mode;
      if (options.capabilitiesBootMode && bootMode) caps.boot_mode = bootMode;
      const flags = new Set(inventory.cpu.flags ?? []);
      for (const [flag, name] of Object.entries(options.cpuFlags)) if (flags.has(flag)) caps[name] = 'true';
      if (Object.keys(caps).length > 0) await nodeInfo.ironic.updateCapabilities(caps);
    },
  };
}
